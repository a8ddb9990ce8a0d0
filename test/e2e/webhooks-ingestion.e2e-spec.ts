// Signed webhook ingestion (the webhooks spec's first part): a Google Ads lead-form delivery stored,
// acknowledged and processed into a lead, redeliveries and concurrent copies answered as duplicates, bad
// signatures, unknown routes and inactive integrations refused, and what is logged. Provider-level Meta
// deliveries, retries and replays are in webhooks-meta.e2e-spec.ts; the shared setup in
// test/support/webhooks-setup.ts.
import { createIntegration } from '../support/factories';
import { TestApp } from '../support/test-app';
import { eventStatuses, googleLead, jobsOfEvent, waitFor } from '../support/webhooks';
import { GOOGLE_KEY, setupWebhooks } from '../support/webhooks-setup';

describe('signed webhook ingestion and processing', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  let google: { id: number; path: string };
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, admin, google, close } = await setupWebhooks());
  });
  afterAll(() => close());

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
