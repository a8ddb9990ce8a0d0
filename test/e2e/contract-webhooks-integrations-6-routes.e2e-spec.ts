// Part of the API.md webhooks and integrations audit 6 (header in contract-webhooks-integrations-6-fixtures.e2e-spec.ts):
// size, content type and the integration routes, and the GoHighLevel passthrough roles.
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { ProviderFakes } from '../support/provider-fakes';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { genericSignature, waitFor } from '../support/webhooks';
import {
  WebhooksAudit6,
  startWebhooksAudit6,
  webhooksAudit6Helpers,
  GENERIC,
  Json,
} from '../support/contract-webhooks-integrations-6-setup';

describe('API.md contract audit 6: webhooks and integrations (black box)', () => {
  let w: WebhooksAudit6;
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  let admin: string;
  const { connected, post } = webhooksAudit6Helpers(() => w);

  beforeAll(async () => {
    w = await startWebhooksAudit6();
    ({ t, fakes, sub, admin } = w);
  });
  afterAll(() => w?.close());

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
});
