// JobsService against PostgreSQL: pg-boss's fetch under a backlog (the fetch-order index, built without
// holding up the queue) and processes of a new deployment creating the same queues at once. Enqueueing,
// pollers, shutdown and the boot's refusals are in jobs.service.medium.spec.ts; the shared fixtures in
// test/support/jobs-medium.ts.
import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { Db } from '../database/db';
import { JobHandler } from './job-definition';
import { JobsModule } from './jobs.module';
import { JobsService } from './jobs.service';
import { createTestDatabase } from '../../test/support/database';
import { ECHO, EchoHandler, jobsBooter, SlowHandler, TestJobs, useJobsDatabase } from '../../test/support/jobs-medium';
import { testConfig } from '../../test/support/test-app';
import { waitFor } from '../../test/support/webhooks';

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

const db = useJobsDatabase();
const boot = jobsBooter(db);

describe('JobsService (pg-boss on the application database)', () => {
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
      const holder = new Client({ connectionString: db().url });
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
});
