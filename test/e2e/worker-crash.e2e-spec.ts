import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { startWorker } from '../support/worker-process';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

const LEAD_IDS = ['7001', '7002', '7003', '7004', '7005', '7006'];

describe('a worker killed mid-event loses nothing and applies nothing twice', () => {
  let t: TestApp;
  let graph: FakeServer;

  beforeAll(async () => {
    graph = await FakeServer.start();
    // this process only serves HTTP: the workers are separate processes
    t = await createTestApp({
      env: { APP_ROLE: 'api', META_GRAPH_URL: graph.url, JOB_LEASE_SECONDS: '3', WEBHOOK_CACHE_TTL_MS: '0' },
    });
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  it('after SIGKILL and a restart, every acknowledged event reaches PROCESSED exactly once in effect', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await activate(t, sub, meta.id);

    let slow = true;
    graph.on('GET', /^\/70\d\d$/, (req) => ({
      status: 200,
      delayMs: slow ? 60_000 : 0,
      body: {
        id: req.path.slice(1),
        field_data: [
          { name: 'email', values: [`crash${req.path.slice(1)}@example.com`] },
          { name: 'full_name', values: ['Crash Test'] },
        ],
      },
    }));
    for (const id of LEAD_IDS) {
      const body = metaLeadgen(META_CONFIG.pageId, [id]);
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect(res.body.status).toBe('received');
    }

    const first = startWorker(t.db.url, { META_GRAPH_URL: graph.url });
    try {
      await waitFor(
        async () =>
          graph.requests.length >= LEAD_IDS.length &&
          (await t.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE status = 'PROCESSING'")).rows[0].n >
            0,
        60_000,
        'the worker to be mid-event',
      );
    } finally {
      first.kill('SIGKILL');
    }
    await new Promise((r) => first.once('exit', r));
    const stuck = (await t.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE status = 'PROCESSING'"))
      .rows[0].n;
    expect(stuck).toBeGreaterThan(0);

    slow = false;
    const second = startWorker(t.db.url, { META_GRAPH_URL: graph.url });
    try {
      await waitFor(
        async () =>
          (await t.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE status = 'PROCESSED'")).rows[0].n ===
          LEAD_IDS.length,
        90_000,
        'every event PROCESSED',
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const leads = await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email LIKE 'crash%@example.com'");
    const sources = await t.sql.query(
      "SELECT count(*)::int AS n FROM lead_sources WHERE platform = 'meta' AND sub_account_id = $1",
      [sub],
    );
    expect(leads.rows[0].n).toBe(LEAD_IDS.length);
    expect(sources.rows[0].n).toBe(LEAD_IDS.length);
    expect(
      (await t.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE status <> 'PROCESSED'")).rows[0].n,
    ).toBe(0);
  }, 180_000);
});
