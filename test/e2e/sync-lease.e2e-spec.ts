// Issue 14 point 2: long sync runs keep their lease (a chain of jobs, each within it), an attempt that
// lost its run commits nothing, a run whose context cannot be built fails at once, and a run whose
// job is gone is failed by the scheduler instead of staying RUNNING (which blocks every later run).
import { randomUUID } from 'node:crypto';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { GHL_SYNC_PAGE_LIMIT } from '../../src/handlers/gohighlevel/gohighlevel.handler';
import { JobsService } from '../../src/jobs/jobs.service';
import { SyncProcessor } from '../../src/modules/sync/sync-processor';
import { RunLostError, SyncRunsRepository } from '../../src/modules/sync/sync-runs.repository';
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const PAGE = GHL_SYNC_PAGE_LIMIT;

describe('sync runs keep their lease and never stay RUNNING for ever', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { APP_ROLE: 'all', GHL_API_URL: ghl.url, SYNC_PAGES_PER_JOB: '2' } });
    sub = await createSubAccount(t, 'MAX');
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  const runOf = async (runId: string) =>
    (
      await t.sql.query('SELECT status, pages, fetched, created, error, job_id FROM sync_runs WHERE id = $1::bigint', [
        runId,
      ])
    ).rows[0];

  it('a run longer than one job is fetched by a chain of jobs, each page once, with exact counts', async () => {
    const total = 5 * PAGE + 10; // six pages: three jobs of two pages
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_chain' });
    await activate(t, sub, integration.id);
    const starts: number[] = [];
    ghl.on('POST', '/contacts/search', (req) => {
      const body = req.body as { searchAfter?: number[]; pageLimit: number };
      const start = body.searchAfter ? body.searchAfter[0] + 1 : 0;
      starts.push(start);
      const ids = Array.from({ length: Math.max(0, Math.min(body.pageLimit, total - start)) }, (_, k) => start + k);
      return {
        status: 200,
        body: { contacts: ids.map((i) => ({ id: `c${i}`, email: `chain${i}@example.com`, searchAfter: [i] })) },
      };
    });
    const started = await t.http
      .post(`/api/integrations/${integration.id}/sync`)
      .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
    expect(started.status).toBe(202);
    await waitFor(async () => (await runOf(started.body.runId))?.status === 'SUCCEEDED', 60_000, 'the run');
    const run = await runOf(started.body.runId);
    expect(run).toMatchObject({ pages: 6, fetched: total, created: total, error: null });
    expect(new Set(starts).size).toBe(starts.length); // no page fetched twice
    // the last chunk ends the run inside its handler; pg-boss marks that job completed just after it returns
    const jobs = await waitFor(
      async () => {
        const { rows } = await t.sql.query<{ id: string; state: string }>(
          "SELECT id::text, state FROM pgboss.job WHERE name = 'integration-sync' AND data->>'runId' = $1",
          [started.body.runId],
        );
        return rows.every((row) => row.state !== 'active') ? rows : undefined;
      },
      10_000,
      'the jobs to settle',
    );
    expect(jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed']);
    expect(jobs.map((j) => j.id)).toContain(run.job_id);
    expect((await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email LIKE 'chain%'")).rows[0].n).toBe(total);
  });

  it('an attempt whose run another attempt claimed commits no page and cannot end the run', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_fence' });
    const { rows } = await t.sql.query<{ id: string }>(
      "INSERT INTO sync_runs (integration_id, sub_account_id, trigger) VALUES ($1, $2, 'manual') RETURNING id::text",
      [integration.id, sub],
    );
    const runs = t.app.get(SyncRunsRepository);
    const id = BigInt(rows[0].id);
    await t.sql.query('UPDATE sync_runs SET job_id = $2 WHERE id = $1::bigint', [rows[0].id, 'job-b']);
    expect(await runs.claim(id, 'job-a')).toBeNull(); // not the run's job: a stale retry of one that handed it on
    const stale = await runs.claim(id, 'job-b');
    const current = await runs.claim(id, 'job-b'); // the same job's next attempt (its lease expired)
    if (!stale || !current) throw new Error('claim failed');
    const counts = { fetched: 1, created: 1, updated: 0, unchanged: 0 };
    const page = (runner: string) =>
      t.app.get(TransactionRunner).runSql(() => runs.checkpoint(id, runner, 'next', counts));
    await expect(page(stale.runner)).rejects.toBeInstanceOf(RunLostError);
    await page(current.runner);
    expect(await runs.finish(id, 'FAILED', 'stale', new Date(), { runner: stale.runner })).toBe(false);
    expect(await runOf(rows[0].id)).toMatchObject({ status: 'RUNNING', pages: 1, fetched: 1 });
    expect(await runs.finish(id, 'SUCCEEDED', null, new Date(), { runner: current.runner })).toBe(true);
  });

  it('fails the run cleanly when the handler context cannot be built (a secret that no longer opens)', async () => {
    const broken = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_broken' });
    const donor = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_donor' });
    await activate(t, sub, broken.id);
    // a sealed token copied from another row is bound to that row: it does not open here
    await t.sql.query(
      `UPDATE integrations SET config = jsonb_set(config, '{privateIntegrationToken}',
         (SELECT config->'privateIntegrationToken' FROM integrations WHERE id = $1)) WHERE id = $2`,
      [donor.id, broken.id],
    );
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const started = await t.http.post(`/api/integrations/${broken.id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    await waitFor(async () => (await runOf(started.body.runId))?.status === 'FAILED', 30_000, 'the failed run');
    expect((await runOf(started.body.runId)).error).toMatch(/cannot be decrypted/);
    // nothing left RUNNING: the next sync of the integration can start
    const again = await t.http.post(`/api/integrations/${broken.id}/sync`).set('authorization', admin);
    expect(again.status).toBe(202);
  });

  it('the scheduler fails a run whose job is gone, and leaves a run whose job is queued', async () => {
    const orphan = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_orphan' });
    const queued = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_queued' });
    // a job due in an hour: queued, not yet claimed by anyone
    const liveJob = await t.app
      .get<JobsService>(JobsService)
      .send('integration-sync', { runId: 999_999_999n }, { startAfter: new Date(Date.now() + 3_600_000) });
    const insert = (integrationId: number, jobId: string) =>
      t.sql.query<{ id: string }>(
        `INSERT INTO sync_runs (integration_id, sub_account_id, trigger, job_id, started_at)
         VALUES ($1, $2, 'schedule', $3, now() - interval '10 minutes') RETURNING id::text`,
        [integrationId, sub, jobId],
      );
    const dead = (await insert(orphan.id, randomUUID())).rows[0].id;
    const live = (await insert(queued.id, liveJob)).rows[0].id;
    expect(await t.app.get(SyncProcessor).failOrphans()).toBe(1);
    expect(await runOf(dead)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/worker stopped/) });
    expect((await runOf(live)).status).toBe('RUNNING');
    const integration = await t.sql.query('SELECT last_sync_status FROM integrations WHERE id = $1', [orphan.id]);
    expect(integration.rows[0].last_sync_status).toBe('FAILED');
  });
});

describe('a sync page slower than the lease', () => {
  let t: TestApp;
  let ghl: FakeServer;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    // a 2 s lease, checked every second: without its heartbeat the job would get a second runner
    t = await createTestApp({
      env: { APP_ROLE: 'all', GHL_API_URL: ghl.url, JOB_LEASE_SECONDS: '2', JOBS_MAINTENANCE_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  it('keeps its job: the heartbeat renews the lease, so no second runner fetches the page again', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_slow' });
    await activate(t, sub, integration.id);
    const starts: number[] = [];
    ghl.on('POST', '/contacts/search', (req) => {
      const body = req.body as { searchAfter?: number[] };
      const start = body.searchAfter ? body.searchAfter[0] + 1 : 0;
      starts.push(start);
      const ids = start === 0 ? [0, 1, 2] : [];
      return {
        status: 200,
        delayMs: 5_000, // two and a half leases
        body: { contacts: ids.map((i) => ({ id: `s${i}`, email: `slow${i}@example.com`, searchAfter: [i] })) },
      };
    });
    const started = await t.http
      .post(`/api/integrations/${integration.id}/sync`)
      .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
    expect(started.status).toBe(202);
    const run = await waitFor(
      async () => {
        const { rows } = await t.sql.query('SELECT status, fetched, created FROM sync_runs WHERE id = $1::bigint', [
          started.body.runId,
        ]);
        return rows[0]?.status !== 'RUNNING' ? rows[0] : undefined;
      },
      60_000,
      'the run',
    );
    expect(run).toEqual({ status: 'SUCCEEDED', fetched: 3, created: 3 });
    expect(starts).toEqual([0]); // fetched once: the job was never handed to a second runner
    // the run row is finished inside the handler; pg-boss marks the job completed just after it returns
    const jobs = await waitFor(
      async () => {
        const { rows } = await t.sql.query<{ retry_count: number; state: string }>(
          "SELECT retry_count, state::text FROM pgboss.job WHERE name = 'integration-sync' AND data->>'runId' = $1",
          [started.body.runId],
        );
        return rows.every((row) => row.state !== 'active') ? rows : undefined;
      },
      10_000,
      'the job to settle',
    );
    expect(jobs).toEqual([{ retry_count: 0, state: 'completed' }]);
  });
});
