import { GHL_SYNC_PAGE_LIMIT } from '../../src/handlers/gohighlevel/gohighlevel.handler';
import { SyncProcessor } from '../../src/modules/sync/sync-processor';
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { startWorker } from '../support/worker-process';
import { activate, waitFor } from '../support/webhooks';

/** Two full pages are committed, the third hangs until the worker is killed, the fourth ends the run short. */
const PAGE = GHL_SYNC_PAGE_LIMIT;
const STALL = 2 * PAGE;
const TOTAL = 3 * PAGE + PAGE / 2;

describe('sync runs survive a killed worker and scheduling', () => {
  let t: TestApp;
  let ghl: FakeServer;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { APP_ROLE: 'api', GHL_API_URL: ghl.url, JOB_LEASE_SECONDS: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  it('a run killed mid-way resumes from its last checkpoint and ends with exact counts', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const integration = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    await activate(t, sub, integration.id);
    let stallAt: number | null = STALL; // the third page hangs until the worker is killed
    const seenStarts: number[] = [];
    ghl.on('POST', '/contacts/search', (req) => {
      const body = req.body as { searchAfter?: number[]; pageLimit: number };
      const start = body.searchAfter ? body.searchAfter[0] + 1 : 0;
      seenStarts.push(start);
      const ids = Array.from({ length: Math.max(0, Math.min(body.pageLimit, TOTAL - start)) }, (_, k) => start + k);
      return {
        status: 200,
        delayMs: start === stallAt ? 60_000 : 0,
        body: {
          contacts: ids.map((i) => ({
            id: `r${i}`,
            email: `resume${i}@example.com`,
            firstName: `R${i}`,
            searchAfter: [i],
          })),
        },
      };
    });
    const started = await t.http
      .post(`/api/integrations/${integration.id}/sync`)
      .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
    expect(started.status).toBe(202);

    const first = startWorker(t.db.url, { GHL_API_URL: ghl.url });
    try {
      await waitFor(
        async () =>
          (await t.sql.query('SELECT pages FROM sync_runs WHERE id = $1', [started.body.runId])).rows[0]?.pages === 2,
        60_000,
        'two pages',
      );
      await waitFor(async () => seenStarts.includes(STALL), 10_000, 'the stalled page');
    } finally {
      first.kill('SIGKILL');
    }
    await new Promise((r) => first.once('exit', r));
    const checkpoint = (
      await t.sql.query('SELECT status, pages, fetched, created FROM sync_runs WHERE id = $1', [started.body.runId])
    ).rows[0];
    expect(checkpoint).toEqual({ status: 'RUNNING', pages: 2, fetched: STALL, created: STALL });

    stallAt = null;
    seenStarts.length = 0;
    const second = startWorker(t.db.url, { GHL_API_URL: ghl.url });
    try {
      await waitFor(
        async () =>
          (await t.sql.query('SELECT status FROM sync_runs WHERE id = $1', [started.body.runId])).rows[0]?.status ===
          'SUCCEEDED',
        90_000,
        'the resumed run',
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    // resumed at the checkpoint: nothing before the stalled page was asked for again
    expect(Math.min(...seenStarts)).toBe(STALL);
    const run = (
      await t.sql.query('SELECT fetched, created, updated, unchanged FROM sync_runs WHERE id = $1', [
        started.body.runId,
      ])
    ).rows[0];
    expect(run).toEqual({ fetched: TOTAL, created: TOTAL, updated: 0, unchanged: 0 });
    expect((await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email LIKE 'resume%'")).rows[0].n).toBe(
      TOTAL,
    );
  }, 180_000);

  it('the scheduler starts runs for active sync-capable integrations that are due, and none twice', async () => {
    const sub = await createSubAccount(t, 'MAX', 'Scheduled');
    const due = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_sched' });
    await activate(t, sub, due.id);
    await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_inactive' });
    const webhookOnly = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'sched-key-000000' });
    await activate(t, sub, webhookOnly.id);
    const scheduler = t.app.get(SyncProcessor);
    await scheduler.startDueRuns();
    await scheduler.startDueRuns();
    const runs = await t.sql.query('SELECT integration_id, trigger FROM sync_runs WHERE sub_account_id = $1', [sub]);
    expect(runs.rows).toEqual([{ integration_id: due.id, trigger: 'schedule' }]);
  });
});
