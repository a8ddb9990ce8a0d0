// Part of the API.md webhooks and integrations audit 6 (header in contract-webhooks-integrations-6-fixtures.e2e-spec.ts):
// more webhook answers, integration names, syncIntervalMinutes, and (last) linkedin via a sponsored account.
import { createHmac } from 'node:crypto';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
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
  let admin: string;
  const { connected, post } = webhooksAudit6Helpers(() => w);

  beforeAll(async () => {
    w = await startWebhooksAudit6();
    ({ t, fakes, sub, admin } = w);
  });
  afterAll(() => w?.close());

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
});
