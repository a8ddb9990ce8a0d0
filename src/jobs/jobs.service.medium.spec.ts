import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { Db } from '../database/db';
import { TransactionRunner } from '../database/transaction-runner';
import { InvalidJobPayload, JobCodec, JobDefinition, JobDefinitions, JobHandler } from './job-definition';
import { JobsModule } from './jobs.module';
import { JobsService } from './jobs.service';
import { createTestDatabase, TestDatabase } from '../../test/support/database';
import { testConfig } from '../../test/support/test-app';
import { waitFor } from '../../test/support/webhooks';

interface TestJobs {
  'test-echo': { n: string };
  'test-other': { n: string };
  'test-backlog': { n: string };
}

const textPayload: JobCodec<{ n: string }> = {
  encode: (payload) => payload,
  decode: (data) => {
    const n = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).n : undefined;
    if (typeof n !== 'string') throw new InvalidJobPayload('expected { n: string }');
    return { n };
  },
};
const ECHO: JobDefinition<{ n: string }> = {
  retryLimit: 0,
  retryDelaySeconds: 1,
  retryBackoff: false,
  expireInSeconds: 30,
  batchSize: 10,
  codec: textPayload,
};

const seen: unknown[] = [];

@Injectable()
class EchoHandler {
  @JobHandler<'test-echo', TestJobs>('test-echo')
  async handle(payload: { n: string }): Promise<void> {
    seen.push(payload);
  }
}

@Injectable()
class SecondEchoHandler {
  @JobHandler<'test-echo', TestJobs>('test-echo')
  async handle(): Promise<void> {}
}

// holds the first job until a second one has started: only a second poller can fetch it meanwhile
const started: string[] = [];
let releaseFirst: () => void = () => undefined;
@Injectable()
class BlockingHandler {
  @JobHandler<'test-echo', TestJobs>('test-echo')
  async handle(payload: { n: string }): Promise<void> {
    started.push(payload.n);
    if (started.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
  }
}

// a job that takes longer than the flat 2 s the shutdown used to give a batch fetched late (a queue
// of its own: no job or poller left by the other tests can take it)
const slowDone: string[] = [];
@Injectable()
class SlowHandler {
  @JobHandler<'test-other', TestJobs>('test-other')
  async handle(payload: { n: string }): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3500));
    slowDone.push(payload.n);
  }
}

const drained: string[] = [];
/** While set, every backlog job waits for it. */
let backlogGate: Promise<void> | undefined;
@Injectable()
class BacklogHandler {
  @JobHandler<'test-backlog', TestJobs>('test-backlog')
  async handle(payload: { n: string }): Promise<void> {
    await backlogGate;
    drained.push(payload.n);
  }
}

/** pg-boss 10's fetch (plans.js, fetchNextJob), the part that finds the jobs: what its plan reads. */
const FETCH_SELECT = `SELECT id, singleton_key, policy FROM pgboss.job
  WHERE name = $1 AND state < 'active' AND start_after < now()
  ORDER BY priority desc, created_on, id LIMIT $2 FOR UPDATE SKIP LOCKED`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** pg-boss's own database handle (its fetches and its pool), as the shutdown test intercepts them. */
interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  close(): Promise<void>;
}

let db: TestDatabase;

async function boot(
  definitions: Partial<JobDefinitions<TestJobs>>,
  handlers: Array<new (...args: never[]) => unknown>,
  env: Record<string, string> = {},
) {
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(testConfig(db.url, env)),
      DatabaseModule,
      JobsModule.forRoot(definitions as JobDefinitions<TestJobs>),
    ],
    providers: handlers,
  }).compile();
  return module.init();
}

describe('JobsService (pg-boss on the application database)', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('enqueues inside TransactionRunner.run: rollback leaves no job, commit runs it once (woken after the commit)', async () => {
    const app = await boot({ 'test-echo': ECHO }, [EchoHandler]);
    try {
      const jobs = app.get<JobsService<TestJobs>>(JobsService);
      const transactions = app.get(TransactionRunner);
      const rows = app.get(Db);

      let rolledBackId: string | undefined;
      await expect(
        transactions.run(async () => {
          await rows.prisma.subAccount.create({ data: { name: 'rolled back' } });
          rolledBackId = await jobs.send('test-echo', { n: 'rollback' });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(rolledBackId).toBeDefined();
      expect(await jobs.getJob('test-echo', rolledBackId ?? '')).toBeNull();
      expect(await rows.prisma.subAccount.count({ where: { name: 'rolled back' } })).toBe(0);

      const committedId = await transactions.run(async () => {
        await rows.prisma.subAccount.create({ data: { name: 'committed' } });
        return jobs.send('test-echo', { n: 'commit' });
      });
      await waitFor(
        async () => (await jobs.getJob('test-echo', committedId))?.state === 'completed',
        15_000,
        'the job',
      );
      expect(seen).toEqual([{ n: 'commit' }]);
    } finally {
      await app.close();
    }
  });

  it('validates each payload once at the queue boundary: a malformed one never reaches the handler', async () => {
    const app = await boot({ 'test-echo': ECHO }, [EchoHandler]);
    try {
      const jobs = app.get<JobsService<TestJobs>>(JobsService);
      const id = await jobs.send('test-echo', { n: 42 } as unknown as { n: string });
      await waitFor(async () => (await jobs.getJob('test-echo', id))?.state === 'completed', 15_000, 'the dropped job');
      expect(seen).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('runs `workers` pollers of a queue: a batch held by a slow job does not stop the next fetch', async () => {
    for (const [workers, secondStarts] of [
      [1, false],
      [2, true],
    ] as const) {
      started.length = 0;
      const app = await boot({ 'test-echo': { ...ECHO, batchSize: 1, workers } }, [BlockingHandler]);
      try {
        const jobs = app.get<JobsService<TestJobs>>(JobsService);
        await jobs.send('test-echo', { n: 'slow' });
        await waitFor(async () => started.length === 1, 15_000, 'the first job');
        await jobs.send('test-echo', { n: 'next' });
        // a second poller starts it at once, however loaded the machine (a wait, generous); with one, the
        // slow job holds the poller until released, so any window shows it not started
        const ran = await waitFor(
          async () => started.length === 2,
          secondStarts ? 15_000 : 3_000,
          'the second job',
        ).then(
          () => true,
          () => false,
        );
        expect([workers, ran]).toEqual([workers, secondStarts]);
      } finally {
        releaseFirst();
        await app.close();
      }
    }
  });

  it('waits, within SHUTDOWN_TIMEOUT_MS, for a batch pg-boss fetched as it stopped (a late batch), before the pools close', async () => {
    slowDone.length = 0;
    const app = await boot({ 'test-other': { ...ECHO, batchSize: 1, workers: 1 } }, [SlowHandler]);
    let closed = false;
    try {
      const jobs = app.get<JobsService<TestJobs>>(JobsService);
      const boss = (jobs as unknown as { boss: { getDb(): BossDb } }).boss;
      const bossDb = boss.getDb();
      // a fetch that found the job is held until pg-boss closes its pool during stop(): the batch then
      // starts while the application shuts down, as when a poll was in flight when stop() began
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let held = false;
      const executeSql = bossDb.executeSql.bind(bossDb);
      bossDb.executeSql = async (text, values) => {
        const result = await executeSql(text, values);
        if (/^\s*WITH next/i.test(text) && result.rows.length > 0 && !held) {
          held = true;
          await gate;
        }
        return result;
      };
      const close = bossDb.close.bind(bossDb);
      bossDb.close = async () => {
        release();
        await new Promise((resolve) => setTimeout(resolve, 50));
        await close();
      };
      await jobs.send('test-other', { n: 'late' });
      await waitFor(async () => held, 30_000, 'the held fetch');
      const closing = Date.now();
      closed = true;
      await app.close();
      expect(slowDone).toEqual(['late']);
      expect(Date.now() - closing).toBeLessThan(10_000);
    } finally {
      // a failure above must not leave pg-boss polling into the next test file
      if (!closed) await app.close();
    }
  });

  it("returns from shutdown only once no poll waits for a connection of pg-boss's ended pool", async () => {
    const app = await boot({ 'test-echo': { ...ECHO, workers: 4 } }, [EchoHandler], { JOBS_POOL_SIZE: '1' });
    let closed = false;
    try {
      const jobs = app.get<JobsService<TestJobs>>(JobsService);
      const bossDb = (
        jobs as unknown as { boss: { getDb(): BossDb & { pool: { waitingCount: number } } } }
      ).boss.getDb();
      // the pool's one connection busy for a while: the pollers' fetches queue behind it
      const busy = bossDb.executeSql('SELECT pg_sleep(1.5)').catch(() => undefined);
      await waitFor(async () => bossDb.pool.waitingCount > 0, 10_000, 'a queued poll');
      closed = true;
      await app.close();
      expect(bossDb.pool.waitingCount).toBe(0);
      await busy;
    } finally {
      if (!closed) await app.close();
    }
  });

  describe("pg-boss's fetch under a backlog", () => {
    const definitions = { 'test-backlog': { ...ECHO, batchSize: 20 } };
    type App = Awaited<ReturnType<typeof boot>>;
    const partitionOf = async (app: App) =>
      (
        await app
          .get(Db)
          .sql<{ partition_name: string }>({ text: 'SELECT partition_name FROM pgboss.queue WHERE name = $1' }, [
            'test-backlog',
          ])
      )[0].partition_name;
    const fetchIndexes = async (app: App, partition: string) =>
      app.get(Db).sql<{ indexname: string; indexdef: string; valid: boolean }>(
        {
          text: `SELECT i.indexname, i.indexdef, x.indisvalid AS valid FROM pg_indexes i
                 JOIN pg_index x ON x.indexrelid = format('%I.%I', i.schemaname, i.indexname)::regclass
                 WHERE i.schemaname = 'pgboss' AND i.tablename = $1 AND i.indexname LIKE '%\\_hf'`,
        },
        [partition],
      );
    const settled = (app: App) => app.get<JobsService<TestJobs>>(JobsService).fetchOrderIndexesSettled();
    const backlog = (app: App, prefix: string) =>
      app.get(Db).execute(
        {
          text: `INSERT INTO pgboss.job (name, data)
                 SELECT 'test-backlog', jsonb_build_object('n', $1::text || g) FROM generate_series(1, 3000) g`,
        },
        [prefix],
      );

    it('indexes each queue in the fetch order (once, with two workers starting together) and analyzes a queue with a backlog, so a fetch reads its batch, not the backlog', async () => {
      const apps = await Promise.all([0, 1].map(() => boot(definitions, [BacklogHandler], { APP_ROLE: 'worker' })));
      const worker: App | undefined = apps[1];
      try {
        await Promise.all(apps.map(settled));
        const partition = await partitionOf(apps[0]);
        expect(await fetchIndexes(apps[0], partition)).toEqual([
          {
            indexname: `${partition}_hf`,
            indexdef: expect.stringMatching(
              /\(name, priority DESC, created_on, id\) WHERE \(state < 'active'::pgboss\.job_state\)$/,
            ),
            valid: true,
          },
        ]);
        await apps[0].close();

        // a backlog of 3,000 waiting jobs: the worker's first batch is full, and it analyzes the partition
        drained.length = 0;
        let open: () => void = () => undefined;
        backlogGate = new Promise<void>((resolve) => (open = resolve));
        await backlog(worker, 'a');
        const analyzed = async () =>
          (
            await worker.get(Db).sql<{ analyzed: boolean }>(
              {
                text: `SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE schemaname = 'pgboss' AND relname = $1`,
              },
              [partition],
            )
          )[0].analyzed;
        await waitFor(analyzed, 30_000, 'the partition analyzed');

        // meanwhile (the worker holds its batch) pg-boss's fetch takes its 20 jobs from the ordered index and stops there
        const [{ 'QUERY PLAN': plan }] = await worker
          .get(Db)
          .sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
            { text: `EXPLAIN (ANALYZE, FORMAT JSON) ${FETCH_SELECT}` },
            ['test-backlog', 20],
          );
        const nodes = planNodes(plan[0].Plan);
        const scans = nodes.filter((n) => n['Node Type'].includes('Scan'));
        expect(scans.map((n) => [n['Node Type'], n['Index Name']])).toEqual([['Index Scan', `${partition}_hf`]]);
        expect(nodes.some((n) => n['Node Type'] === 'Sort')).toBe(false);
        expect(scans[0]['Actual Rows']).toBe(20);

        backlogGate = undefined;
        open();
        await waitFor(async () => drained.length === 3000, 60_000, 'the backlog drained');
      } finally {
        await worker?.close();
      }
    });

    it('builds the index without holding up the queue, cancels the build at shutdown, and rebuilds an invalid one at the next start', async () => {
      const api = await boot(definitions, [BacklogHandler], { APP_ROLE: 'api' });
      const partition = await partitionOf(api);
      await api.get(Db).execute({ text: `DROP INDEX IF EXISTS pgboss."${partition}_hf"` }, []);
      // a transaction with a snapshot: CREATE INDEX CONCURRENTLY waits for it to end
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await holder.query('SELECT count(*) FROM sub_accounts');
        const worker = await boot(definitions, [BacklogHandler], { APP_ROLE: 'worker' });
        // the build waits; meanwhile jobs are sent, fetched and done (a plain CREATE INDEX would block the inserts)
        drained.length = 0;
        await api.get<JobsService<TestJobs>>(JobsService).send('test-backlog', { n: 'during the build' });
        await waitFor(async () => drained.length === 1, 15_000, 'a job done during the build');
        const closing = Date.now();
        await worker.close();
        expect(Date.now() - closing).toBeLessThan(5_000);
        // cut short: an invalid index (or none)
        expect((await fetchIndexes(api, partition)).map((i) => i.valid)).not.toContain(true);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }
      const again = await boot(definitions, [BacklogHandler], { APP_ROLE: 'worker' });
      try {
        await settled(again);
        expect((await fetchIndexes(api, partition)).map((i) => [i.indexname, i.valid])).toEqual([
          [`${partition}_hf`, true],
        ]);
      } finally {
        await again.close();
        await api.close();
      }
    });
  });

  it('starts processes of a new deployment together: none fails creating the same queues at once', async () => {
    const definitions = { 'test-echo': ECHO, 'test-other': ECHO, 'test-backlog': ECHO };
    const handlers = [EchoHandler, SlowHandler, BacklogHandler];
    // pg-boss's create_queue deadlocked now and then when two processes ran it for one queue at once
    for (let round = 0; round < 3; round++) {
      const fresh = await createTestDatabase();
      const apps: Array<Awaited<ReturnType<typeof boot>>> = [];
      try {
        const boots = await Promise.allSettled(
          [0, 1, 2].map(async () => {
            const app = await Test.createTestingModule({
              imports: [
                ConfigModule.forRoot(testConfig(fresh.url, { APP_ROLE: 'api' })),
                DatabaseModule,
                JobsModule.forRoot(definitions),
              ],
              providers: handlers,
            }).compile();
            apps.push(app);
            return app.init();
          }),
        );
        expect(boots.map((b) => (b.status === 'rejected' ? String(b.reason) : 'started'))).toEqual([
          'started',
          'started',
          'started',
        ]);
      } finally {
        for (const app of apps) await app.close().catch(() => undefined);
        await fresh.drop();
      }
    }
  });

  it('refuses to boot when a declared job type has no handler', async () => {
    await expect(boot({ 'test-echo': ECHO, 'test-other': ECHO }, [EchoHandler])).rejects.toThrow(
      'job type "test-other" has no handler',
    );
  });

  it('refuses to boot when a job type has two handlers', async () => {
    await expect(boot({ 'test-echo': ECHO }, [EchoHandler, SecondEchoHandler])).rejects.toThrow(
      'job type "test-echo" has two handlers',
    );
  });

  it('refuses to boot on a handler for an undeclared job type', async () => {
    await expect(boot({}, [EchoHandler])).rejects.toThrow('handler for undeclared job type "test-echo"');
  });
});
