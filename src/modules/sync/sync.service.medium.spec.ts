import { SyncService } from './sync.service';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';

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
    if (!outcome) throw new Error(`integration ${integrationId} is gone`);
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

  it('answers null for an integration deleted meanwhile, and writes no run', async () => {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    await m.sql.query('DELETE FROM integrations WHERE id = $1', [integrationId]);
    expect(await sync.start(integrationId, subAccountId, 'manual')).toBeNull();
  });
});
