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
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { ProviderFakes } from '../support/provider-fakes';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { genericSignature, metaSignature, waitFor } from '../support/webhooks';
import {
  WebhooksAudit6,
  startWebhooksAudit6,
  webhooksAudit6Helpers,
  expectReceivedThenDuplicate,
  fixture,
  GENERIC,
  Json,
  LINKEDIN,
} from '../support/contract-webhooks-integrations-6-setup';

describe('API.md contract audit 6: webhooks and integrations (black box)', () => {
  let w: WebhooksAudit6;
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  const { connected, post } = webhooksAudit6Helpers(() => w);

  beforeAll(async () => {
    w = await startWebhooksAudit6();
    ({ t, fakes, sub } = w);
  });
  afterAll(() => w?.close());

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
});
