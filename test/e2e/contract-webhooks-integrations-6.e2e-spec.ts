// A sixth black-box audit of API.md "Webhooks (public, signed)", "Integrations" (with the GoHighLevel
// passthrough) and "Standard handler configuration", as an outside tester holding only API.md and the
// provider fixtures of the shared fixture folder: each provider's own fixture delivered as its
// provider signs it, the answers of a redelivery and of a delivery holding several events, the
// documented status flow seen through the events and replay routes, and the integration routes'
// shapes. Cases other specs already pin are left to them (see notes/auditwh.md). Failed before its
// fix: an integration named only by spaces was stored (201). Every other case passed as the code
// stood and stays as a guard of what no other spec covered (the shared fixtures end to end,
// partial-duplicate batches, the per-integration rate limit, STARTER limits per provider, the events
// page across PENDING → PROCESSED and a FAILED replay).
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { ProviderFakes } from '../support/provider-fakes';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { genericSignature, metaSignature, waitFor } from '../support/webhooks';

type Json = Record<string, unknown>;

/**
 * The providers' fixtures as the handlers keep them (src/handlers/<handler>/fixtures: the shared fixtures
 * copied unchanged, see each folder's README), named here by the shared folder's provider names. The
 * shared folder itself is outside the repository, so a clean checkout (CI) does not have it.
 */
const HANDLER_OF: Record<string, string> = {
  whatsapp: 'whatsapp-cloud',
  linkedin: 'linkedin-lead-gen',
  'google-ads': 'google-ads-lead-forms',
};
const fixture = (path: string): string => {
  const [provider, file] = path.split('/');
  return readFileSync(
    join(__dirname, '../../src/handlers', HANDLER_OF[provider] ?? provider, 'fixtures', file),
    'utf8',
  );
};
const GENERIC = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };
const LINKEDIN = {
  organizationId: '5509810',
  clientId: '86abc',
  clientSecret: 'li-client-secret-4321',
  accessToken: 'AQV-linkedin-token-1234',
};

describe('API.md contract audit 6: webhooks and integrations (black box)', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    fakes
      .page(META_CONFIG.pageAccessToken, META_CONFIG.pageId)
      .number(WHATSAPP_CONFIG.accessToken, WHATSAPP_CONFIG.phoneNumberId, WHATSAPP_CONFIG.wabaId)
      .location(GHL_CONFIG.privateIntegrationToken, GHL_CONFIG.locationId)
      .organization(LINKEDIN.accessToken, LINKEDIN.organizationId);
    t = await createTestApp({
      env: {
        ...fakes.env,
        WEBHOOK_MAX_BYTES: '4096',
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '20',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Audit Six');
    admin = auth(t, 'ADMIN', [sub]);
  });
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });

  /** Creates an integration and passes its connection test through the documented route. */
  async function connected(
    template: string,
    config: Json,
  ): Promise<{ id: number; webhookUrl: string; webhookSecret: string }> {
    const created = await createIntegration(t, sub, template, config);
    const test = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect([template, test.status, test.body.success]).toEqual([template, 200, true]);
    return created;
  }

  function post(path: string, body: string, headers: Record<string, string>) {
    let req = t.http.post(path).set('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(body);
  }

  function expectReceivedThenDuplicate(first: { status: number; body: Json }, second: { status: number; body: Json }) {
    expect([first.status, first.body.status, typeof first.body.eventId]).toEqual([200, 'received', 'string']);
    expect([second.status, second.body.status, second.body.eventId]).toEqual([200, 'duplicate', first.body.eventId]);
  }

  describe("each provider's fixture, signed as the provider signs it", () => {
    it('meta-lead-ads: the page sample (ids as JSON numbers, two leadgen changes) → received with eventIds; again → duplicate', async () => {
      await connected('meta-lead-ads', META_CONFIG);
      const body = fixture('meta-lead-ads/leadgen-webhook.page-sample.json')
        .replace('153125381133', META_CONFIG.pageId)
        .replaceAll('123123123,', `${META_CONFIG.pageId},`);
      const headers = { 'x-hub-signature-256': metaSignature(body, META_CONFIG.appSecret) };
      const first = await post('/api/webhooks/meta-lead-ads', body, headers);
      const second = await post('/api/webhooks/meta-lead-ads', body, headers);
      expectReceivedThenDuplicate(first, second);
      expect(first.body.eventIds).toEqual([first.body.eventId, expect.any(String)]);
      expect(new Set(first.body.eventIds as string[]).size).toBe(2);
      expect(second.body.eventIds).toEqual(first.body.eventIds);
    });

    it('whatsapp-cloud: the inbound text message → received; again → duplicate; a status update is verified too', async () => {
      await connected('whatsapp-cloud', WHATSAPP_CONFIG);
      const body = fixture('whatsapp/inbound-text-message.json')
        .replaceAll('106540352242922', WHATSAPP_CONFIG.phoneNumberId)
        .replaceAll('102290129340398', WHATSAPP_CONFIG.wabaId);
      const headers = { 'x-hub-signature-256': metaSignature(body, WHATSAPP_CONFIG.appSecret) };
      expectReceivedThenDuplicate(
        await post('/api/webhooks/whatsapp-cloud', body, headers),
        await post('/api/webhooks/whatsapp-cloud', body, headers),
      );
      const status = fixture('whatsapp/status-delivered.json');
      const statusRes = await post('/api/webhooks/whatsapp-cloud', status, {
        'x-hub-signature-256': metaSignature(status, WHATSAPP_CONFIG.appSecret),
      });
      expect([statusRes.status, ['received', 'ignored'].includes(statusRes.body.status as string)]).toEqual([
        200,
        true,
      ]);
    });

    it('linkedin-lead-gen: a lead notification, X-LI-Signature with or without the hmacsha256= prefix → received; again → duplicate', async () => {
      await connected('linkedin-lead-gen', LINKEDIN);
      const body = fixture('linkedin/lead-notification.deleted.event.UNCONFIRMED.json')
        .replace('"leadAction": "DELETED"', '"leadAction": "CREATED"')
        .replace('urn:li:organization:123', `urn:li:organization:${LINKEDIN.organizationId}`);
      const hex = createHmac('sha256', LINKEDIN.clientSecret).update(`hmacsha256=${body}`).digest('hex');
      expectReceivedThenDuplicate(
        await post('/api/webhooks/linkedin-lead-gen', body, { 'x-li-signature': hex }),
        await post('/api/webhooks/linkedin-lead-gen', body, { 'x-li-signature': `hmacsha256=${hex}` }),
      );
      const wrong = await post('/api/webhooks/linkedin-lead-gen', body, {
        // the HMAC of the body without the documented "hmacsha256=" prefix
        'x-li-signature': createHmac('sha256', LINKEDIN.clientSecret).update(body).digest('hex'),
      });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });

    it('gohighlevel: ContactCreate with x-ghl-signature (Ed25519) or x-wh-signature (RSA) → received; the same webhookId → duplicate', async () => {
      const ed = generateKeyPairSync('ed25519');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await connected('gohighlevel', {
        ...GHL_CONFIG,
        webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        webhookPublicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      const body = JSON.stringify({
        ...(JSON.parse(fixture('gohighlevel/ContactCreate.json')) as Json),
        locationId: GHL_CONFIG.locationId,
        webhookId: 'wh-audit6-1',
        timestamp: new Date().toISOString(),
      });
      const first = await post('/api/webhooks/gohighlevel', body, {
        'x-ghl-signature': sign(null, Buffer.from(body), ed.privateKey).toString('base64'),
      });
      const second = await post('/api/webhooks/gohighlevel', body, {
        'x-wh-signature': sign('sha256', Buffer.from(body), rsa.privateKey).toString('base64'),
      });
      expectReceivedThenDuplicate(first, second);
    });

    it('google-ads-lead-forms: the "Send test data" capture with its google_key → received; again → duplicate', async () => {
      const google = await connected('google-ads-lead-forms', { googleKey: 'bakerGoogleWebHookValue' });
      const path = new URL(google.webhookUrl).pathname;
      const body = fixture('google-ads/test-lead.send-test-data.capture-1.json');
      expectReceivedThenDuplicate(await post(path, body, {}), await post(path, body, {}));
      const wrongKey = await post(path, body.replace('bakerGoogleWebHookValue', 'someone-elses-key'), {});
      expect([wrongKey.status, wrongKey.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });

    it('generic-webhook: a signed delivery → received; again → duplicate', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const body = JSON.stringify({ id: 'g-1', email: 'g1@example.org', name: 'Gee One' });
      const ts = Math.floor(Date.now() / 1000);
      const headers = {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
      };
      const path = new URL(generic.webhookUrl).pathname;
      expectReceivedThenDuplicate(await post(path, body, headers), await post(path, body, headers));
    });
  });

  describe('the documented status flow through the events and replay routes', () => {
    it('a generic delivery shows as PENDING or PROCESSING, then PROCESSED with processedAt, in the events page', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const body = JSON.stringify({ id: 'flow-1', email: 'flow@example.org', name: 'Flow Person' });
      const ts = Math.floor(Date.now() / 1000);
      const res = await post(new URL(generic.webhookUrl).pathname, body, {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
      });
      expect(res.body.status).toBe('received');
      const events = (query = '') =>
        t.http.get(`/api/integrations/${generic.id}/events${query}`).set('authorization', auth(t, 'MANAGER', [sub]));
      const first = await events();
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
      const item = (first.body.items as Json[])[0];
      expect(Object.keys(item).sort()).toEqual(
        ['attempts', 'eventType', 'id', 'lastError', 'processedAt', 'provider', 'receivedAt', 'status'].sort(),
      );
      expect([item.id, item.provider, typeof item.receivedAt]).toEqual([res.body.eventId, 'generic-webhook', 'string']);
      expect(['PENDING', 'PROCESSING', 'PROCESSED']).toContain(item.status);
      const done = await waitFor(async () => {
        const page = await events('?status=PROCESSED');
        return page.body.total === 1 ? (page.body.items as Json[])[0] : undefined;
      });
      expect(done).toMatchObject({ id: res.body.eventId, status: 'PROCESSED', lastError: null });
      expect(new Date(String(done.processedAt)).toISOString()).toBe(done.processedAt);
      expect(done.attempts).toBeGreaterThanOrEqual(1);
      const bad = await events('?status=DONE');
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('a Meta lead the Graph API refuses is FAILED with lastError; replayed once the lead reads, it is PROCESSED', async () => {
      const sub2 = await createSubAccount(t, 'MAX', 'Replay Co');
      const admin2 = auth(t, 'ADMIN', [sub2]);
      const page = '222333444555';
      const config = { ...META_CONFIG, pageId: page, pageAccessToken: 'EAAG-replay-token-0042' };
      fakes.page(config.pageAccessToken, page);
      const created = await createIntegration(t, sub2, 'meta-lead-ads', config);
      const test = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin2);
      expect(test.body.success).toBe(true);
      const leadId = '990000000000001';
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: page,
            time: 1438292065,
            changes: [
              {
                field: 'leadgen',
                value: { leadgen_id: leadId, page_id: page, form_id: '1', created_time: 1440120384 },
              },
            ],
          },
        ],
      });
      const res = await post('/api/webhooks/meta-lead-ads', body, {
        'x-hub-signature-256': metaSignature(body, config.appSecret),
      });
      expect(res.body.status).toBe('received');
      const events = (query: string) =>
        t.http.get(`/api/integrations/${created.id}/events${query}`).set('authorization', admin2);
      const failed = await waitFor(async () => {
        const list = await events('?status=FAILED');
        return list.body.total === 1 ? (list.body.items as Json[])[0] : undefined;
      });
      expect(failed.id).toBe(res.body.eventId);
      expect(typeof failed.lastError).toBe('string');
      expect(failed.processedAt === null || typeof failed.processedAt === 'string').toBe(true);
      const health = await t.http.get(`/api/integrations/${created.id}/health`).set('authorization', admin2);
      expect(health.body.webhooks24h).toEqual({ received: 1, processed: 0, failed: 1, rejected: 0 });
      const lead = JSON.parse(fixture('meta-lead-ads/lead-retrieve-response.json')) as Json;
      fakes.graph.on('GET', `/${leadId}`, () => ({ status: 200, body: { ...lead, id: leadId } }));
      const agent = await t.http
        .post(`/api/webhook-events/${res.body.eventId}/replay`)
        .set('authorization', auth(t, 'AGENT', [sub2]));
      expect([agent.status, agent.body.code]).toEqual([403, 'FORBIDDEN']);
      const replay = await t.http.post(`/api/webhook-events/${res.body.eventId}/replay`).set('authorization', admin2);
      expect(replay.status).toBe(202);
      const processed = await waitFor(async () => {
        const list = await events('?status=PROCESSED');
        return list.body.total === 1 ? (list.body.items as Json[])[0] : undefined;
      });
      expect(processed).toMatchObject({ id: res.body.eventId, status: 'PROCESSED' });
      expect(typeof processed.processedAt).toBe('string');
      const unknown = await t.http.post('/api/webhook-events/987654321987/replay').set('authorization', admin2);
      expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('size, content type and the integration routes', () => {
    it('413 PAYLOAD_TOO_LARGE over WEBHOOK_MAX_BYTES at both URLs; a body at the limit is not refused for its size', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const path = new URL(generic.webhookUrl).pathname;
      const pad = (n: number) => JSON.stringify({ id: `pad-${n}`, email: 'pad@example.org', name: 'P', x: '' }).length;
      const atLimit = JSON.stringify({
        id: 'pad-1',
        email: 'pad@example.org',
        name: 'P',
        x: 'y'.repeat(4096 - pad(1)),
      });
      expect(Buffer.byteLength(atLimit)).toBe(4096);
      const ts = Math.floor(Date.now() / 1000);
      const signed = (body: string) => ({
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
      });
      const ok = await post(path, atLimit, signed(atLimit));
      expect([ok.status, ok.body.status]).toEqual([200, 'received']);
      const over = `${atLimit} `;
      for (const url of [path, '/api/webhooks/meta-lead-ads']) {
        const res = await post(url, over, signed(over));
        expect([url, res.status, res.body.code, res.body.statusCode]).toEqual([url, 413, 'PAYLOAD_TOO_LARGE', 413]);
      }
    });

    it('415 UNSUPPORTED_MEDIA_TYPE for a form-encoded delivery; application/json with a charset is taken', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const path = new URL(generic.webhookUrl).pathname;
      const body = JSON.stringify({ id: 'ct-1', email: 'ct@example.org', name: 'Ct' });
      const ts = Math.floor(Date.now() / 1000);
      const sig = genericSignature(body, generic.webhookSecret, ts);
      const form = await t.http
        .post(path)
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', sig)
        .send(body);
      expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const charset = await t.http
        .post(path)
        .set('content-type', 'application/json; charset=utf-8')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', sig)
        .send(body);
      expect([charset.status, charset.body.status]).toEqual([200, 'received']);
    });

    it('masks each secret as { secret: true, last4 } of its own value, and gives the webhookUrl under PUBLIC_BASE_URL', async () => {
      const created = await createIntegration(t, sub, 'whatsapp-cloud', {
        ...WHATSAPP_CONFIG,
        phoneNumberId: '106540352200001',
      });
      const read = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
      expect(read.status).toBe(200);
      for (const field of ['accessToken', 'appSecret', 'verifyToken'] as const) {
        expect([field, (read.body.config as Json)[field]]).toEqual([
          field,
          { secret: true, last4: WHATSAPP_CONFIG[field].slice(-4) },
        ]);
      }
      expect(read.body.webhookUrl).toMatch(/^https:\/\/hub\.example\.test\/api\/webhooks\/whatsapp-cloud\/[^/?#]+$/);
      expect(read.body.webhookUrl).toBe(created.webhookUrl);
      expect(read.body).not.toHaveProperty('webhookSecret');
      expect(read.body.template).toEqual({
        name: expect.any(String),
        displayName: expect.any(String),
        category: expect.any(String),
        handler: 'whatsapp-cloud',
      });
      expect(read.body.stats).toEqual({ totalLeads: 0, leadsToday: 0, lastSyncStatus: null });
    });

    it('plan limits count per provider: STARTER holds one of each provider; a second of one is 403 PLAN_LIMIT_REACHED; MAX is unlimited', async () => {
      const starter = await createSubAccount(t, 'STARTER', 'Starter Six');
      const starterAdmin = auth(t, 'ADMIN', [starter]);
      const create = async (s: number, template: string, config: Json, who: string) =>
        t.http
          .post('/api/integrations')
          .set('authorization', who)
          .send({
            subAccountId: s,
            integrationTemplateId: (
              await t.sql.query<{ id: number }>('SELECT id FROM integration_templates WHERE name = $1', [template])
            ).rows[0].id,
            name: `${template} x`,
            config,
          });
      expect((await create(starter, 'generic-webhook', GENERIC, starterAdmin)).status).toBe(201);
      expect((await create(starter, 'google-ads-lead-forms', { googleKey: 'k-1' }, starterAdmin)).status).toBe(201);
      const second = await create(starter, 'generic-webhook', GENERIC, starterAdmin);
      expect([second.status, second.body.code, second.body.statusCode]).toEqual([403, 'PLAN_LIMIT_REACHED', 403]);
      const limits = await t.http
        .get(`/api/integrations/limits?subAccountId=${starter}`)
        .set('authorization', starterAdmin);
      expect(limits.body).toMatchObject({
        tier: 'STARTER',
        limits: { 'generic-webhook': { current: 1, limit: 1 }, 'google-ads-lead-forms': { current: 1, limit: 1 } },
      });
      const max = await createSubAccount(t, 'MAX', 'Max Six');
      const maxAdmin = auth(t, 'ADMIN', [max]);
      for (let i = 0; i < 5; i++) expect((await create(max, 'generic-webhook', GENERIC, maxAdmin)).status).toBe(201);
    });

    it('isActive false stops deliveries (409 INTEGRATION_NOT_ACTIVE); true again, after its passed test, receives again', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const path = new URL(generic.webhookUrl).pathname;
      const deliver = (id: string) => {
        const body = JSON.stringify({ id, email: `${id}@example.org`, name: 'Toggle' });
        const ts = Math.floor(Date.now() / 1000);
        return post(path, body, {
          'x-webhook-timestamp': String(ts),
          'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
        });
      };
      const off = await t.http
        .patch(`/api/integrations/${generic.id}`)
        .set('authorization', admin)
        .send({ isActive: false });
      expect([off.status, off.body.isActive, off.body.status]).toEqual([200, false, 'active']);
      const refused = await deliver('tog-1');
      expect([refused.status, refused.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      const on = await t.http
        .patch(`/api/integrations/${generic.id}`)
        .set('authorization', admin)
        .send({ isActive: true });
      expect([on.status, on.body.isActive]).toEqual([200, true]);
      expect((await deliver('tog-2')).body.status).toBe('received');
    });

    it('DELETE → 204; afterwards the integration reads 404 and its webhookUrl answers 404', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const manager = await t.http
        .delete(`/api/integrations/${generic.id}`)
        .set('authorization', auth(t, 'MANAGER', [sub]));
      expect([manager.status, manager.body.code]).toEqual([403, 'FORBIDDEN']);
      const del = await t.http.delete(`/api/integrations/${generic.id}`).set('authorization', admin);
      expect(del.status).toBe(204);
      const read = await t.http.get(`/api/integrations/${generic.id}`).set('authorization', admin);
      expect([read.status, read.body.code]).toEqual([404, 'NOT_FOUND']);
      const body = JSON.stringify({ id: 'gone', email: 'gone@example.org', name: 'Gone' });
      const ts = Math.floor(Date.now() / 1000);
      const res = await post(new URL(generic.webhookUrl).pathname, body, {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
      });
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('sync of a handler with nothing to sync is 400; health counts received and rejected deliveries', async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const sync = await t.http.post(`/api/integrations/${generic.id}/sync`).set('authorization', admin);
      expect([sync.status, sync.body.statusCode]).toEqual([400, 400]);
      const path = new URL(generic.webhookUrl).pathname;
      const body = JSON.stringify({ id: 'h-1', email: 'h@example.org', name: 'Health' });
      const ts = Math.floor(Date.now() / 1000);
      await post(path, body, {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
      });
      await post(path, body, { 'x-webhook-timestamp': String(ts), 'x-webhook-signature': 'sha256=00' });
      const health = await waitFor(async () => {
        const h = await t.http.get(`/api/integrations/${generic.id}/health`).set('authorization', admin);
        return h.body.webhooks24h?.processed === 1 ? h : undefined;
      });
      expect(health.body.webhooks24h).toEqual({ received: 1, processed: 1, failed: 0, rejected: 1 });
      expect(health.body.status).toBe('active');
      expect(typeof health.body.lastWebhookAt).toBe('string');
    });
  });

  describe('GoHighLevel passthrough roles', () => {
    it('a MANAGER lists calendars and blocks a slot; an AGENT is 403 FORBIDDEN on every passthrough route', async () => {
      const sub3 = await createSubAccount(t, 'MAX', 'GHL Six');
      const config = { ...GHL_CONFIG, locationId: 'loc_SIX', privateIntegrationToken: 'pit-six-token-9876' };
      fakes.location(config.privateIntegrationToken, config.locationId);
      const created = await createIntegration(t, sub3, 'gohighlevel', config);
      const test = await t.http
        .post(`/api/integrations/${created.id}/test`)
        .set('authorization', auth(t, 'ADMIN', [sub3]));
      expect(test.body.success).toBe(true);
      fakes.ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [{ id: 'cal-1', name: 'Main' }] } }));
      fakes.ghl.on('POST', '/calendars/events/block-slots', () => ({ status: 201, body: { id: 'blk-1' } }));
      const manager = auth(t, 'MANAGER', [sub3]);
      const cals = await t.http.get(`/api/integrations/${created.id}/ghl/calendars`).set('authorization', manager);
      expect(cals.status).toBe(200);
      const slot = { startTime: '2030-01-02T10:00:00Z', endTime: '2030-01-02T11:00:00Z', title: 'Busy' };
      const block = await t.http
        .post(`/api/integrations/${created.id}/ghl/calendars/cal-1/block-slots`)
        .set('authorization', manager)
        .send(slot);
      expect([200, 201]).toContain(block.status);
      const agent = auth(t, 'AGENT', [sub3]);
      for (const [method, path, body] of [
        ['get', `/api/integrations/${created.id}/ghl/calendars`, undefined],
        [
          'get',
          `/api/integrations/${created.id}/ghl/calendars/cal-1/free-slots?startDate=2030-01-01&endDate=2030-01-02`,
          undefined,
        ],
        ['post', `/api/integrations/${created.id}/ghl/calendars/cal-1/block-slots`, slot],
        ['post', `/api/integrations/${created.id}/ghl/contacts`, { leadId: '1' }],
      ] as const) {
        const res = await (method === 'get' ? t.http.get(path) : t.http.post(path).send(body)).set(
          'authorization',
          agent,
        );
        expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      }
    });
  });

  describe('more of the webhook answers', () => {
    it('a delivery holding a stored lead and a new one is received, eventIds naming the stored event and the new one', async () => {
      const sub5 = await createSubAccount(t, 'MAX', 'Batch Six');
      const page = '777000111222';
      const config = { ...META_CONFIG, pageId: page, pageAccessToken: 'EAAG-batch6-0005' };
      fakes.page(config.pageAccessToken, page);
      const meta = await createIntegration(t, sub5, 'meta-lead-ads', config);
      expect(
        (await t.http.post(`/api/integrations/${meta.id}/test`).set('authorization', auth(t, 'ADMIN', [sub5]))).body
          .success,
      ).toBe(true);
      const change = (id: string) => ({
        field: 'leadgen',
        value: { leadgen_id: id, page_id: page, form_id: '1', created_time: 1 },
      });
      const delivery = (...ids: string[]) =>
        JSON.stringify({ object: 'page', entry: [{ id: page, time: 1, changes: ids.map(change) }] });
      const send = (body: string) =>
        post('/api/webhooks/meta-lead-ads', body, { 'x-hub-signature-256': metaSignature(body, config.appSecret) });
      const one = await send(delivery('5001'));
      expect(one.body).toEqual({ status: 'received', eventId: expect.any(String) });
      const both = await send(delivery('5001', '5002'));
      expect(both.body).toEqual({
        status: 'received',
        eventId: one.body.eventId,
        eventIds: [one.body.eventId, expect.any(String)],
      });
      expect((both.body.eventIds as string[])[1]).not.toBe(one.body.eventId);
      const again = await send(delivery('5001', '5002'));
      expect(again.body).toEqual({ ...both.body, status: 'duplicate' });
    });

    it('LinkedIn: an X-LI-Signature in upper-case hex verifies too (the case is not documented)', async () => {
      const sub7 = await createSubAccount(t, 'MAX', 'LinkedIn Six');
      const config = { ...LINKEDIN, organizationId: '600600', accessToken: 'AQV-li-six' };
      fakes.organization(config.accessToken, config.organizationId);
      const li = await createIntegration(t, sub7, 'linkedin-lead-gen', config);
      expect(
        (await t.http.post(`/api/integrations/${li.id}/test`).set('authorization', auth(t, 'ADMIN', [sub7]))).body
          .success,
      ).toBe(true);
      const body = fixture('linkedin/lead-notification.deleted.event.UNCONFIRMED.json')
        .replace('urn:li:organization:123', 'urn:li:organization:600600')
        .replace('"DELETED"', '"CREATED"');
      const hex = createHmac('sha256', config.clientSecret).update(`hmacsha256=${body}`).digest('hex').toUpperCase();
      const res = await post('/api/webhooks/linkedin-lead-gen', body, { 'x-li-signature': hex });
      expect([res.status, res.body.status]).toEqual([200, 'received']);
    });

    it("429 RATE_LIMIT_EXCEEDED with Retry-After once an integration's budget per minute is spent", async () => {
      const generic = await connected('generic-webhook', GENERIC);
      const path = new URL(generic.webhookUrl).pathname;
      const ts = Math.floor(Date.now() / 1000);
      const answers: Array<[number, unknown]> = [];
      let limited: { body: Json; headers: Record<string, string> } | undefined;
      for (let i = 0; i < 22; i++) {
        const body = JSON.stringify({ id: `rl-${i}`, email: `rl${i}@example.org`, name: 'Rate' });
        const res = await post(path, body, {
          'x-webhook-timestamp': String(ts),
          'x-webhook-signature': genericSignature(body, generic.webhookSecret, ts),
        });
        answers.push([res.status, res.body.status ?? res.body.code]);
        if (res.status === 429) limited = res;
      }
      expect(answers.slice(0, 20).every(([status]) => status === 200)).toBe(true);
      expect(answers.slice(20)).toEqual([
        [429, 'RATE_LIMIT_EXCEEDED'],
        [429, 'RATE_LIMIT_EXCEEDED'],
      ]);
      expect(limited?.body.statusCode).toBe(429);
      expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('names its creator in createdBy, and counts a processed lead in stats and lastWebhookAt', async () => {
      const sub6 = await createSubAccount(t, 'MAX', 'Stats Six');
      const who = `Bearer ${t.token('ADMIN', [sub6], 'u-stats-6')}`;
      const templates = await t.http.get('/api/integration-templates').set('authorization', who);
      const template = (templates.body.items as Json[]).find((x) => x.name === 'generic-webhook');
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', who)
        .send({ subAccountId: sub6, integrationTemplateId: template?.id, name: 'Stats', config: GENERIC });
      expect([created.status, created.body.createdBy, created.body.lastWebhookAt]).toEqual([201, 'u-stats-6', null]);
      expect(
        (await t.http.post(`/api/integrations/${created.body.id}/test`).set('authorization', who)).body.success,
      ).toBe(true);
      const body = JSON.stringify({ id: 's-1', email: 's1@example.org', name: 'Stat One' });
      const ts = Math.floor(Date.now() / 1000);
      await post(new URL(created.body.webhookUrl as string).pathname, body, {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(body, created.body.webhookSecret as string, ts),
      });
      const read = await waitFor(async () => {
        const res = await t.http.get(`/api/integrations/${created.body.id}`).set('authorization', who);
        return res.body.stats?.totalLeads === 1 ? res : undefined;
      });
      expect(read.body.stats).toEqual({ totalLeads: 1, leadsToday: 1, lastSyncStatus: null });
      expect(typeof read.body.lastWebhookAt).toBe('string');
    });
  });

  describe("linkedin-lead-gen owned by a sponsored ad account (kept last: it replaces the fake's lead form route)", () => {
    it('the sponsored fixture (owner.sponsoredAccount) routes to the integration holding that ad account: received, then duplicate', async () => {
      const sub8 = await createSubAccount(t, 'MAX', 'Sponsored Six');
      const config = { ...LINKEDIN, organizationId: '510123', accessToken: 'AQV-sponsored-six' };
      // LinkedIn lists an ad account's lead forms to a token with a role on it (Lead Sync API)
      fakes.linkedin.on('GET', '/rest/leadForms', (req) =>
        req.query.get('owner') === '(sponsoredAccount:urn:li:sponsoredAccount:510123)' &&
        req.headers.authorization === `Bearer ${config.accessToken}`
          ? { status: 200, body: { elements: [], paging: { start: 0, count: 1, total: 0 } } }
          : { status: 403, body: { status: 403, serviceErrorCode: 100, message: 'Not enough permissions' } },
      );
      const li = await createIntegration(t, sub8, 'linkedin-lead-gen', config);
      const test = await t.http.post(`/api/integrations/${li.id}/test`).set('authorization', auth(t, 'ADMIN', [sub8]));
      expect([test.status, test.body.success]).toEqual([200, true]);
      const body = fixture('linkedin/lead-notification.created.sponsored.UNCONFIRMED.json').replace(
        'urn:li:sponsoredAccount:123',
        'urn:li:sponsoredAccount:510123',
      );
      const signature = createHmac('sha256', config.clientSecret).update(`hmacsha256=${body}`).digest('hex');
      expectReceivedThenDuplicate(
        await post('/api/webhooks/linkedin-lead-gen', body, { 'x-li-signature': signature }),
        await post('/api/webhooks/linkedin-lead-gen', body, { 'x-li-signature': signature }),
      );
    });
  });

  describe('integration names', () => {
    it('refuses a name of only spaces on create and PATCH with 400 VALIDATION_FAILED naming it, as it refuses an empty one', async () => {
      const generic = (
        await t.sql.query<{ id: number }>("SELECT id FROM integration_templates WHERE name = 'generic-webhook'")
      ).rows[0].id;
      for (const name of ['', '   ', ' \t\n ']) {
        const res = await t.http
          .post('/api/integrations')
          .set('authorization', admin)
          .send({ subAccountId: sub, integrationTemplateId: generic, name, config: GENERIC });
        expect([JSON.stringify(name), res.status, res.body.code]).toEqual([
          JSON.stringify(name),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details)).toContain('name');
      }
      const created = await createIntegration(t, sub, 'generic-webhook', GENERIC, 'Website form');
      const patch = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ name: '   ' });
      expect([patch.status, patch.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const read = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
      expect(read.body.name).toBe('Website form');
      // a name with spaces around words is still a name
      const spaced = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ name: ' Web form ' });
      expect(spaced.status).toBe(200);
    });
  });

  describe('syncIntervalMinutes ("Template schemas may also let an integration set syncIntervalMinutes")', () => {
    const syncing: Array<[string, Json]> = [
      ['meta-lead-ads', META_CONFIG],
      ['gohighlevel', GHL_CONFIG],
      ['linkedin-lead-gen', LINKEDIN],
      ['facebook-ads', { adAccountId: 'act_123', accessToken: 'fb-ads-token-1' }],
      ['google-ads-lead-forms', { googleKey: 'google-key-1' }],
    ];
    const create = (template: string, config: Json) =>
      createIntegration(t, sub, template, config).then(
        (created) => ({ status: 201, body: created.body }),
        (err: Error) => ({ status: Number(/integration: (\d+)/.exec(err.message)?.[1]), body: err.message }),
      );

    it.each(syncing)('the seeded %s template takes it (an integer ≥ 1) and refuses 0', async (template, config) => {
      const ok = await create(template, { ...config, syncIntervalMinutes: 30 });
      expect([template, ok.status]).toEqual([template, 201]);
      expect((ok.body as Json).config).toEqual(expect.objectContaining({ syncIntervalMinutes: 30 }));
      const zero = await create(template, { ...config, syncIntervalMinutes: 0 });
      expect([template, zero.status]).toEqual([template, 400]);
      expect(zero.body).toContain('syncIntervalMinutes');
    });

    it('a handler that does not sync does not offer it', async () => {
      const refused = await create('generic-webhook', { ...GENERIC, syncIntervalMinutes: 30 });
      expect(refused.status).toBe(400);
    });
  });
});
