import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import {
  activate,
  eventStatuses,
  googleLead,
  jobsOfEvent,
  metaLeadgen,
  metaSignature,
  waitFor,
} from '../support/webhooks';

describe('signed webhook ingestion and processing', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let google: { id: number; path: string };
  let meta: { id: number };
  const GOOGLE_KEY = 'google-key-abcdef-123456';

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        WEBHOOK_RETRY_UNIT_MS: '200',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_CACHE_TTL_MS: '0',
        OUTBOUND_CIRCUIT_COOLDOWN_MS: '300',
      },
    });
    sub = await createSubAccount(t, 'MAX');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const g = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    await activate(t, sub, g.id);
    google = { id: g.id, path: new URL(g.webhookUrl).pathname };
    meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await activate(t, sub, meta.id);
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  it('stores, acknowledges, processes into a lead, and answers a redelivery as duplicate', async () => {
    const body = googleLead(GOOGLE_KEY, 'lead-0001', {
      name: 'Grace Hopper',
      email: 'Grace@Example.com',
      phone: '(415) 555-2671',
    });
    const first = await t.http.post(google.path).set('content-type', 'application/json').send(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    const again = await t.http.post(google.path).set('content-type', 'application/json').send(body);
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });

    await waitFor(async () => (await eventStatuses(t, google.id)).includes('PROCESSED'), 20_000, 'processing');
    const leads = await t.http.get(`/api/leads?subAccountId=${sub}&source=google-ads`).set('authorization', admin);
    expect(leads.body.items).toHaveLength(1);
    const lead = await t.http
      .get(`/api/leads/${leads.body.items[0].id}`)
      .set('authorization', `Bearer ${t.token('AGENT', [sub])}`);
    expect(lead.status).toBe(200);
    expect(lead.body).toEqual(
      expect.objectContaining({
        fullName: 'Grace Hopper',
        email: 'grace@example.com',
        phone: '+14155552671',
        status: 'NEW',
        customAnswers: expect.objectContaining({}),
      }),
    );
    expect(lead.body.sourceTracking.sources).toHaveLength(1);
    expect(lead.body.sourceTracking.firstTouch).toEqual(
      expect.objectContaining({
        platform: 'google-ads',
        externalId: 'lead-0001',
        campaignId: '991214827',
        adGroupId: '20000000000',
        creativeId: '30000000000',
        formId: '18698608977',
        gclid: 'gcl-lead-0001',
        integrationId: google.id,
      }),
    );
    // API.md: sourceTracking (platform, integrationId, externalId, campaign, ad group, ad, form, cost)
    expect(lead.body.sourceTracking).toEqual(
      expect.objectContaining({
        platform: 'google-ads',
        integrationId: google.id,
        externalId: 'lead-0001',
        campaignId: '991214827',
        adGroupId: '20000000000',
        adId: null,
        formId: '18698608977',
        cost: null,
        currency: null,
      }),
    );
    expect(await jobsOfEvent(t, first.body.eventId)).toBe(1);
  });

  it('refuses a bad signature with 401, stores nothing, and counts it in health', async () => {
    const before = (await eventStatuses(t, google.id)).length;
    const forged = await t.http
      .post(google.path)
      .set('content-type', 'application/json')
      .send(googleLead('wrong-key', 'lead-forged', { name: 'Mallory' }));
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({
      statusCode: 401,
      code: 'WEBHOOK_SIGNATURE_INVALID',
      message: 'Webhook signature is missing or invalid',
      // the integration's own URL: the answer says what failed, never the key
      details: [{ field: 'signature', messages: ['google_key does not match'] }],
    });
    expect((await eventStatuses(t, google.id)).length).toBe(before);
    const health = await t.http.get(`/api/integrations/${google.id}/health`).set('authorization', admin);
    expect(health.status).toBe(200);
    expect(health.body.webhooks24h.rejected).toBeGreaterThanOrEqual(1);
    expect(health.body).toEqual(
      expect.objectContaining({ status: 'active', pendingJobs: 0, rateLimit: expect.any(Object) }),
    );
    expect(health.body.webhooks24h).toEqual(
      expect.objectContaining({ received: expect.any(Number), processed: expect.any(Number), failed: 0 }),
    );
  });

  it('logs a refused delivery with its request id and status, and no line per accepted delivery', async () => {
    const from = t.logs().length;
    const accepted = await t.http
      .post(google.path)
      .set('content-type', 'application/json')
      .set('x-request-id', 'delivery-accepted-1')
      .send(googleLead(GOOGLE_KEY, 'lead-logged', { name: 'Ada' }));
    expect(accepted.status).toBe(200);
    const refused = await t.http
      .post(google.path)
      .set('content-type', 'application/json')
      .set('x-request-id', 'delivery-refused-1')
      .send(googleLead('wrong-key', 'lead-refused', { name: 'Mallory' }));
    expect(refused.status).toBe(401);
    // an API request on the same app is still logged per request
    await t.http.get('/api/health').set('x-request-id', 'health-after-deliveries');
    await waitFor(async () => t.logs().slice(from).includes('health-after-deliveries'), 20_000, 'the health log line');
    const lines = t
      .logs()
      .slice(from)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const refusedLine = lines.find((l) => l.reqId === 'delivery-refused-1');
    expect(refusedLine).toEqual(
      expect.objectContaining({
        msg: 'webhook delivery refused',
        method: 'POST',
        url: google.path,
        statusCode: 401,
        responseTimeMs: expect.any(Number),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain('delivery-accepted-1');
  });

  it('answers unknown providers and webhook ids 404 with the same body', async () => {
    const a = await t.http
      .post('/api/webhooks/no-such-provider/wh_x')
      .set('content-type', 'application/json')
      .send('{}');
    const b = await t.http
      .post('/api/webhooks/google-ads-lead-forms/wh_doesnotexist')
      .set('content-type', 'application/json')
      .send('{}');
    expect(a.status).toBe(404);
    expect(b.status).toBe(404);
    expect(a.body).toEqual(b.body);
  });

  it('handles 50 concurrent identical deliveries: one event, one job, one lead, 49 duplicates', async () => {
    const body = googleLead(GOOGLE_KEY, 'lead-concurrent', { name: 'Ada Lovelace', email: 'ada@example.org' });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.http.post(google.path).set('content-type', 'application/json').send(body)),
    );
    expect(results.map((r) => r.status).every((s) => s === 200)).toBe(true);
    expect(results.filter((r) => r.body.status === 'received')).toHaveLength(1);
    expect(results.filter((r) => r.body.status === 'duplicate')).toHaveLength(49);
    expect(new Set(results.map((r) => r.body.eventId)).size).toBe(1);
    const eventId = results[0].body.eventId as string;
    expect(await jobsOfEvent(t, eventId)).toBe(1);
    await waitFor(
      async () =>
        (await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [eventId])).rows[0]?.status ===
        'PROCESSED',
      20_000,
    );
    const leads = await t.sql.query("SELECT count(*)::int AS n FROM leads WHERE email = 'ada@example.org'");
    expect(leads.rows[0].n).toBe(1);
  });

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

  it('refuses deliveries to an inactive integration with 409 INTEGRATION_NOT_ACTIVE', async () => {
    const g = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'inactive-key-000000' });
    const res = await t.http
      .post(new URL(g.webhookUrl).pathname)
      .set('content-type', 'application/json')
      .send(googleLead('inactive-key-000000', 'x1', { name: 'X' }));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('INTEGRATION_NOT_ACTIVE');
  });
});
