import { SyncService } from './sync.service';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { Db } from '../../database/db';
import type { PrismaExecutor } from '../../database/prisma.service';

/** A client whose functions stay bound to the real one (Prisma's delegates are proxies themselves). */
const bound = <T extends object>(target: T, key: string | symbol): unknown => {
  const value: unknown = Reflect.get(target, key);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
};

describe('starting sync runs (SyncService.start over sync_runs_one_running_per_integration)', () => {
  let m: MediumApp;
  let sync: SyncService;

  beforeAll(async () => {
    m = await createMediumApp();
    sync = m.app.get(SyncService);
  });
  afterAll(async () => {
    await m.close();
  });

  /** SyncService.start for an integration that exists (null only when it has been deleted). */
  const start = async (integrationId: number, subAccountId: number, trigger: string) => {
    const outcome = await sync.start(integrationId, subAccountId, trigger);
    if (!outcome || !('run' in outcome)) throw new Error(`integration ${integrationId} is gone or disconnected`);
    return outcome;
  };

  it('lets exactly one of many concurrent starts begin a run; the others get that run, and there is one job', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => start(integrationId, subAccountId, i % 2 ? 'manual' : 'schedule')),
    );
    expect(results.filter((r) => r.started)).toHaveLength(1);
    const runIds = new Set(results.map((r) => r.run.id));
    expect(runIds.size).toBe(1);
    const [runId] = [...runIds];
    const jobs = await m.sql.query<{ id: string }>(
      "SELECT id::text FROM pgboss.job WHERE name = 'integration-sync' AND data->>'runId' = $1",
      [runId.toString()],
    );
    expect(jobs.rows).toHaveLength(1);
    expect(results.every((r) => r.run.jobId === jobs.rows[0].id)).toBe(true);
    const running = await m.sql.query(
      "SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1 AND status = 'RUNNING'",
      [integrationId],
    );
    expect(running.rows[0].n).toBe(1);
  });

  it('starts the next run after the last successful one, from its cursor', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    const first = await start(integrationId, subAccountId, 'manual');
    await m.sql.query("UPDATE sync_runs SET status = 'SUCCEEDED', cursor_after = 'page-7' WHERE id = $1", [
      first.run.id.toString(),
    ]);
    const second = await start(integrationId, subAccountId, 'manual');
    expect(second.started).toBe(true);
    expect(second.run.id).not.toBe(first.run.id);
    expect(second.run.cursorBefore).toBe('page-7');
  });

  it('starts a new run when the running one ends between the insert that met it and the read that looks for it', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    const first = await start(integrationId, subAccountId, 'manual');
    // the running run's worker finishes it in that instant (its transaction commits between this start's
    // two statements): interposed before the start's first read of the running run
    const db = m.app.get(Db);
    const real = Object.getOwnPropertyDescriptor(Db.prototype, 'prisma')?.get;
    if (!real) throw new Error('Db.prisma is not a getter');
    let ended = false;
    const finishFirst = async (): Promise<void> => {
      ended = true;
      await m.sql.query("UPDATE sync_runs SET status = 'SUCCEEDED', finished_at = now() WHERE id = $1", [
        first.run.id.toString(),
      ]);
    };
    const spy = jest.spyOn(db, 'prisma', 'get').mockImplementation(() => {
      const client = real.call(db) as PrismaExecutor;
      return new Proxy(client, {
        get: (target, key) => {
          if (key !== 'syncRun') return bound(target, key);
          const runs = target.syncRun;
          return new Proxy(runs, {
            get: (delegate, name) =>
              name === 'findFirst' && !ended
                ? async (args: Parameters<typeof runs.findFirst>[0]) => {
                    await finishFirst();
                    return delegate.findFirst(args);
                  }
                : bound(delegate, name),
          });
        },
      });
    });
    try {
      const second = await sync.start(integrationId, subAccountId, 'manual');
      expect(ended).toBe(true);
      expect(second && 'run' in second && second.started).toBe(true);
    } finally {
      spy.mockRestore();
    }
    const runs = await m.sql.query<{ status: string }>(
      'SELECT status FROM sync_runs WHERE integration_id = $1 ORDER BY id',
      [integrationId],
    );
    expect(runs.rows.map((r) => r.status)).toEqual(['SUCCEEDED', 'RUNNING']);
  });

  it('refuses a disconnected integration (no run written)', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    await m.sql.query("UPDATE integrations SET status = 'disconnected', is_active = false WHERE id = $1", [
      integrationId,
    ]);
    expect(await sync.start(integrationId, subAccountId, 'manual')).toEqual({ disconnected: true });
    const runs = await m.sql.query('SELECT id FROM sync_runs WHERE integration_id = $1', [integrationId]);
    expect(runs.rows).toHaveLength(0);
  });

  it('answers null for an integration deleted meanwhile, and writes no run', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    await m.sql.query('DELETE FROM integrations WHERE id = $1', [integrationId]);
    expect(await sync.start(integrationId, subAccountId, 'manual')).toBeNull();
  });
});
