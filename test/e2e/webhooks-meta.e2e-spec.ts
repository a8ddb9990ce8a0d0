// Signed webhook processing, provider-level Meta deliveries (the webhooks spec's second part): routed by page
// id and split across integrations, each lead fetched from the Graph API, the handshake, retries with backoff,
// permanent failures, and replays of one event or of every FAILED one. Google Ads ingestion, duplicates,
// refusals and logging are in webhooks-ingestion.e2e-spec.ts; the shared setup in test/support/webhooks-setup.ts.
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import { activate, eventStatuses, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';
import { setupWebhooks } from '../support/webhooks-setup';

describe('signed webhook ingestion and processing', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let meta: { id: number };
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, graph, sub, admin, meta, close } = await setupWebhooks());
  });
  afterAll(() => close());

  it('routes a provider-level Meta delivery by page id, fetches each lead from the Graph API, and verifies the handshake', async () => {
    graph.on('GET', /^\/(9001|9002)$/, (req) => ({
      status: 200,
      body: {
        id: req.path.slice(1),
        created_time: '2026-11-20T08:49:14+0000',
        form_id: '12312312312',
        ad_id: '55',
        ad_name: 'Winter promo',
        adset_id: '44',
        adset_name: 'Lookalikes',
        campaign_id: '33',
        campaign_name: 'Winter',
        is_organic: false,
        field_data: [
          { name: 'full_name', values: [`Meta Person ${req.path.slice(1)}`] },
          { name: 'email', values: [`meta${req.path.slice(1)}@example.com`] },
          { name: 'car_make', values: ['Honda'] },
        ],
      },
    }));
    const body = metaLeadgen(META_CONFIG.pageId, ['9001', '9002']);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body).toEqual({
      status: 'received',
      eventId: expect.any(String),
      eventIds: [expect.any(String), expect.any(String)],
    });
    await waitFor(
      async () => (await eventStatuses(t, meta.id)).filter((s) => s === 'PROCESSED').length === 2,
      20_000,
      'meta events',
    );
    const lead = await t.sql.query(
      "SELECT l.full_name, s.campaign_name, s.ad_group_id, s.ad_id, s.is_organic FROM leads l JOIN lead_sources s ON s.lead_id = l.id WHERE l.email = 'meta9001@example.com'",
    );
    expect(lead.rows).toEqual([
      { full_name: 'Meta Person 9001', campaign_name: 'Winter', ad_group_id: '44', ad_id: '55', is_organic: false },
    ]);
    expect(
      graph.requests.every(
        (r) => r.headers.authorization === `Bearer ${META_CONFIG.pageAccessToken}` && !r.query.has('access_token'),
      ),
    ).toBe(true);

    const bad = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, 'not-the-secret'))
      .send(body);
    expect(bad.status).toBe(401);
    const ok = await t.http.get(
      `/api/webhooks/meta-lead-ads?hub.mode=subscribe&hub.verify_token=${META_CONFIG.verifyToken}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('1158201444');
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    const wrong = await t.http.get(
      '/api/webhooks/meta-lead-ads?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1',
    );
    expect(wrong.status).toBe(403);
  });

  it('splits a provider-level delivery whose entries belong to several integrations', async () => {
    const other = await createSubAccount(t, 'MAX', 'Second page owner');
    const second = await createIntegration(t, other, 'meta-lead-ads', { ...META_CONFIG, pageId: '555666777' });
    await activate(t, other, second.id);
    graph.on('GET', /^\/(9301|9302)$/, (req) => ({
      status: 200,
      body: {
        id: req.path.slice(1),
        field_data: [{ name: 'email', values: [`split${req.path.slice(1)}@example.com`] }],
      },
    }));
    const first = JSON.parse(metaLeadgen(META_CONFIG.pageId, ['9301'])) as { entry: unknown[] };
    const other2 = JSON.parse(metaLeadgen('555666777', ['9302'])) as { entry: unknown[] };
    const body = JSON.stringify({ object: 'page', entry: [...first.entry, ...other2.entry] });
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body).toEqual({
      status: 'received',
      eventId: expect.any(String),
      eventIds: [expect.any(String), expect.any(String)],
    });
    const stored = await t.sql.query(
      "SELECT integration_id, sub_account_id, external_id FROM webhook_events WHERE external_id IN ('9301', '9302') ORDER BY external_id",
    );
    expect(stored.rows).toEqual([
      { integration_id: meta.id, sub_account_id: sub, external_id: '9301' },
      { integration_id: second.id, sub_account_id: other, external_id: '9302' },
    ]);
    await waitFor(
      async () =>
        (await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email LIKE 'split93%'")).rows[0].n === 2,
      20_000,
      'both leads',
    );
    const leads = await t.sql.query(
      "SELECT sub_account_id, email FROM leads WHERE email LIKE 'split93%' ORDER BY email",
    );
    expect(leads.rows).toEqual([
      { sub_account_id: sub, email: 'split9301@example.com' },
      { sub_account_id: other, email: 'split9302@example.com' },
    ]);
  });

  it('retries a failing event with backoff, marks it FAILED after the last attempt, and replays it', async () => {
    graph.on('GET', '/9100', () => ({
      status: 500,
      body: { error: { message: 'An unknown error occurred', code: 1 } },
    }));
    const body = metaLeadgen(META_CONFIG.pageId, ['9100']);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    const eventId = res.body.eventId as string;
    const failed = await waitFor(
      async () => {
        const row = (
          await t.sql.query('SELECT status, attempts, last_error FROM webhook_events WHERE id = $1', [eventId])
        ).rows[0];
        return row?.status === 'FAILED' ? row : undefined;
      },
      30_000,
      'FAILED',
    );
    expect(failed.attempts).toBe(3);
    // the provider's own words, or the circuit that stopped calling a provider failing every call
    expect(failed.last_error).toMatch(/answered 500: An unknown error occurred|circuit open/);
    const listed = await t.http.get(`/api/integrations/${meta.id}/events?status=FAILED`).set('authorization', admin);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: eventId,
        provider: 'meta-lead-ads',
        eventType: 'leadgen',
        status: 'FAILED',
        attempts: 3,
        lastError: expect.any(String),
      }),
    ]);

    graph.on('GET', '/9100', () => ({
      status: 200,
      body: { id: '9100', field_data: [{ name: 'email', values: ['replayed@example.com'] }] },
    }));
    const replay = await t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin);
    expect(replay.status).toBe(202);
    await waitFor(
      async () =>
        (await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [eventId])).rows[0]?.status ===
        'PROCESSED',
      20_000,
      'replayed',
    );
    expect(
      (await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email = 'replayed@example.com'")).rows[0].n,
    ).toBe(1);
    const other = await createSubAccount(t, 'PRO', 'Other');
    expect(
      (
        await t.http
          .post(`/api/webhook-events/${eventId}/replay`)
          .set('authorization', `Bearer ${t.token('ADMIN', [other])}`)
      ).status,
    ).toBe(404);
    // a malformed id is the caller's mistake (400); a well-formed one that names nothing is 404
    for (const bad of ['abc', '-1', '1e3', '12345678901234567890']) {
      const res = await t.http.post(`/api/webhook-events/${bad}/replay`).set('authorization', admin);
      expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await t.http.post('/api/webhook-events/999999999/replay').set('authorization', admin)).status).toBe(404);
  });

  it('fails an event at once on a permanent provider error (4xx), with a clear lastError', async () => {
    const other = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '777000777' });
    await activate(t, sub, other.id);
    graph.on('GET', '/9200', () => ({
      status: 400,
      body: { error: { message: 'Unsupported get request. Object with ID 9200 does not exist', code: 100 } },
    }));
    const body = metaLeadgen('777000777', ['9200']);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    const row = await waitFor(async () => {
      const r = (
        await t.sql.query('SELECT status, attempts, last_error FROM webhook_events WHERE id = $1', [res.body.eventId])
      ).rows[0];
      return r?.status === 'FAILED' ? r : undefined;
    });
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('does not exist');
  });

  it("replays every FAILED event of an integration in one call, and only the caller's", async () => {
    const pageId = '777000888';
    const target = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, target.id);
    const ids = ['9601', '9602', '9603'];
    for (const id of ids)
      graph.on('GET', `/${id}`, () => ({
        status: 400,
        body: { error: { message: `Unsupported get request. Object with ID ${id} does not exist`, code: 100 } },
      }));
    for (const id of ids) {
      const body = metaLeadgen(pageId, [id]);
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect(res.body.status).toBe('received');
    }
    const failedCount = async (): Promise<number> =>
      (
        await t.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'FAILED'",
          [target.id],
        )
      ).rows[0].n;
    await waitFor(async () => (await failedCount()) === 3, 20_000, 'three FAILED');

    const path = `/api/integrations/${target.id}/events/replay-failed`;
    const other = await createSubAccount(t, 'PRO', 'Replay other');
    expect((await t.http.post(path).set('authorization', `Bearer ${t.token('ADMIN', [other])}`)).status).toBe(404);
    expect((await t.http.post(path).set('authorization', `Bearer ${t.token('AGENT', [sub])}`)).status).toBe(403);
    expect(await failedCount()).toBe(3);

    for (const id of ids)
      graph.on('GET', `/${id}`, () => ({
        status: 200,
        body: { id, field_data: [{ name: 'email', values: [`replay${id}@example.com`] }] },
      }));
    const replay = await t.http.post(path).set('authorization', `Bearer ${t.token('MANAGER', [sub])}`);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ replayed: 3, remaining: 0 });
    await waitFor(
      async () => (await eventStatuses(t, target.id)).filter((s) => s === 'PROCESSED').length === 3,
      20_000,
      'replayed',
    );
    const leads = await t.sql.query("SELECT email FROM leads WHERE email LIKE 'replay96%' ORDER BY email");
    expect(leads.rows.map((r) => r.email)).toEqual(ids.map((id) => `replay${id}@example.com`));
    // nothing left to replay: a second call queues nothing
    expect((await t.http.post(path).set('authorization', admin)).body).toEqual({ replayed: 0, remaining: 0 });
    const jobs = await t.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job
        WHERE name = 'webhook-process' AND data->>'eventId' IN (SELECT id::text FROM webhook_events WHERE integration_id = $1)`,
      [target.id],
    );
    expect(jobs.rows[0].n).toBe(6); // one job per delivery, one per replay
  });
});
