// Audit 12 of API.md: the normative statements no earlier spec asserted (found by listing API.md's
// statements section by section and grepping test/ and src/**/*.spec.ts for an assertion of each):
//  1. GET /api/integration-handlers: each handler's capabilities are what it does (no "sync": POST …/sync
//     is 400; no "webhook": its webhook URLs are unknown, 404);
//  2. integration templates: includeInactive defaults to false for super-admins too; a rename onto a
//     taken slug is 409 CONFLICT; a deactivated template takes no new integrations;
//  3. integrations: ?status= and the events' ?status= take only the statuses API.md lists; a
//     disconnected integration's health says so; rotate-webhook-secret takes no fields; OAuth start
//     without a redirectUri is refused naming it;
//  4. GoHighLevel passthrough: AGENT is refused all four routes, another handler's integration is 404,
//     contacts needs a known leadId;
//  5. WhatsApp sends: exactly one of leadId | to and one of text | template; a bulk send needs one of
//     template | text;
//  6. leads: createdFrom = createdTo = one date is that whole day; activities refuse an occurredAt that
//     is not a date, a fractional durationSeconds and an unknown lead;
//  7. "Unknown JSON fields in request bodies are rejected" on the write routes contract-conventions-7 does
//     not list, and inside a lead's source and a report template's config.
// Every case passed when written: none of these statements had a divergence; they stay as guards.
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;
type Res = { status: number; body: Json };

/** A config each standard handler accepts (API.md "Standard handler configuration"). */
const CONFIGS: Record<string, Json> = {
  'meta-lead-ads': META_CONFIG,
  // with a customerId: its ad spend is what it syncs (without one it is webhook-only, nothing to sync)
  'google-ads-lead-forms': {
    googleKey: 'gaps-12-google-key',
    customerId: '121-212-1212',
    developerToken: 'dev-token-12',
    clientId: 'gads-client-12',
    clientSecret: 'gads-secret-12',
    refreshToken: 'gads-refresh-12',
  },
  'linkedin-lead-gen': {
    organizationId: '5590512',
    clientId: 'li-client-12',
    clientSecret: 'li-client-secret-12',
    accessToken: 'li-access-token-12',
  },
  gohighlevel: GHL_CONFIG,
  'whatsapp-cloud': WHATSAPP_CONFIG,
  'facebook-ads': { adAccountId: 'act_1200', accessToken: 'fb-ads-token-1212' },
  'google-analytics': { propertyId: '121212' },
  'generic-webhook': { mapping: { email: '/email' }, externalIdPointer: '/id' },
  'facebook-messenger': {
    pageId: '121200000001',
    pageAccessToken: 'EAAG-messenger-12',
    appSecret: 'messenger-secret-12',
    verifyToken: 'messenger-verify-12',
  },
  'instagram-direct': {
    instagramAccountId: '17841400000012',
    pageId: '121200000002',
    accessToken: 'EAAG-instagram-12',
    appSecret: 'instagram-secret-12',
    verifyToken: 'instagram-verify-12',
  },
};

describe('API.md audit 12: statements no other spec checks', () => {
  let t: TestApp;
  let provider: FakeServer; // every provider API points here (404s): sync runs never leave the machine
  let sub: number;
  let su: string;
  let admin: string;
  let manager: string;
  let agent: string;

  beforeAll(async () => {
    provider = await FakeServer.start();
    t = await createTestApp({
      env: {
        META_GRAPH_URL: provider.url,
        GHL_API_URL: provider.url,
        LINKEDIN_API_URL: provider.url,
        GOOGLE_ANALYTICS_API_URL: provider.url,
        GOOGLE_ADS_API_URL: provider.url,
        GOOGLE_OAUTH_TOKEN_URL: `${provider.url}/token`,
        OAUTH_REDIRECT_ALLOWLIST: 'https://crm.example.test/oauth',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Gaps 12');
    su = auth(t, 'SUPER_ADMIN');
    admin = auth(t, 'ADMIN', [sub]);
    manager = auth(t, 'MANAGER', [sub]);
    agent = auth(t, 'AGENT', [sub]);
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  const get = (path: string, token = admin): Promise<Res> => t.http.get(path).set('authorization', token);
  const post = (path: string, body: object, token = admin): Promise<Res> =>
    t.http.post(path).set('authorization', token).send(body);
  const patch = (path: string, body: object, token = admin): Promise<Res> =>
    t.http.patch(path).set('authorization', token).send(body);
  const expectError = (res: Res, status: number, code: string, field?: string): void => {
    expect([res.status, res.body.code]).toEqual([status, code]);
    if (field !== undefined)
      expect((res.body.details as Array<{ field?: string }>).map((d) => d.field)).toContain(field);
  };

  describe('integration handlers and templates', () => {
    it("answers each handler's capabilities truthfully: sync only with 'sync', webhook URLs only with 'webhook'", async () => {
      const handlers = await get('/api/integration-handlers', manager);
      expect(handlers.status).toBe(200);
      const list = handlers.body as unknown as Array<{ key: string; capabilities: string[] }>;
      // every registered handler has a config here, so a new handler fails this test until it is added
      expect(list.map((h) => h.key).sort()).toEqual(Object.keys(CONFIGS).sort());
      const wrong: string[] = [];
      for (const { key, capabilities } of list) {
        const created = await createIntegration(t, sub, key, CONFIGS[key]);
        const sync = await post(`/api/integrations/${created.id}/sync`, {});
        const syncs = capabilities.includes('sync');
        if (syncs ? sync.status !== 202 : sync.status !== 400 || sync.body.code !== 'VALIDATION_FAILED')
          wrong.push(`${key} sync: ${sync.status} ${String(sync.body.code)}`);
        // an unsigned delivery to the integration's own URL: refused (401/409) where webhooks exist, unknown where not
        const delivery = await t.http
          .post(new URL(created.webhookUrl).pathname)
          .set('content-type', 'application/json')
          .send('{}');
        const receives = capabilities.includes('webhook');
        if (receives === (delivery.status === 404)) wrong.push(`${key} webhook: ${delivery.status}`);
        if (!receives) {
          const providerLevel = await t.http
            .post(`/api/webhooks/${key}`)
            .set('content-type', 'application/json')
            .send('{}');
          if (providerLevel.status !== 404) wrong.push(`${key} provider-level webhook: ${providerLevel.status}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it("leaves inactive templates out of a super-admin's list unless includeInactive=true (default false)", async () => {
      const created = await post(
        '/api/integration-templates',
        {
          name: 'gaps-12-retired',
          displayName: 'Retired',
          category: 'Forms',
          handler: 'generic-webhook',
          configSchema: { type: 'object', properties: { mapping: { type: 'object' } } },
          isActive: false,
        },
        su,
      );
      expect(created.status).toBe(201);
      const names = async (query: string): Promise<unknown[]> =>
        ((await get(`/api/integration-templates?pageSize=200${query}`, su)).body.items as Json[]).map((i) => i.name);
      expect(await names('')).not.toContain('gaps-12-retired');
      expect(await names('&includeInactive=false')).not.toContain('gaps-12-retired');
      expect(await names('&includeInactive=true')).toContain('gaps-12-retired');
      // a deactivated template takes no new integration (API.md: deactivate it instead of deleting)
      const integration = await post('/api/integrations', {
        subAccountId: sub,
        integrationTemplateId: created.body.id,
        name: 'on a retired template',
        config: { mapping: {} },
      });
      expectError(integration, 404, 'NOT_FOUND');
      expectError(
        await post('/api/integrations', {
          subAccountId: sub,
          integrationTemplateId: 999_999,
          name: 'no template',
          config: {},
        }),
        404,
        'NOT_FOUND',
      );
    });

    it('answers a rename onto a taken slug 409 CONFLICT, as a duplicate create is', async () => {
      const created = await post(
        '/api/integration-templates',
        {
          name: 'gaps-12-rename',
          displayName: 'Rename me',
          category: 'CRM',
          handler: 'generic-webhook',
          configSchema: { type: 'object', properties: {} },
        },
        su,
      );
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      expectError(await patch(`/api/integration-templates/${id}`, { name: 'meta-lead-ads' }, su), 409, 'CONFLICT');
      const renamed = await patch(`/api/integration-templates/${id}`, { name: 'gaps-12-renamed' }, su);
      expect([renamed.status, renamed.body.name]).toEqual([200, 'gaps-12-renamed']);
    });
  });

  describe('integrations', () => {
    it('takes only the statuses API.md lists in ?status= of integrations and of their events', async () => {
      const { id } = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GAPS12_S' });
      expectError(
        await get(`/api/integrations?subAccountId=${sub}&status=connected`),
        400,
        'VALIDATION_FAILED',
        'status',
      );
      const pending = await get(`/api/integrations?subAccountId=${sub}&status=pending&pageSize=200`);
      expect(pending.status).toBe(200);
      expect((pending.body.items as Json[]).map((i) => i.id)).toContain(id);
      expect((pending.body.items as Json[]).every((i) => i.status === 'pending')).toBe(true);
      const active = await get(`/api/integrations?subAccountId=${sub}&status=active&pageSize=200`);
      expect((active.body.items as Json[]).map((i) => i.id)).not.toContain(id);
      for (const status of ['PENDING', 'PROCESSING', 'PROCESSED', 'FAILED'])
        expect((await get(`/api/integrations/${id}/events?status=${status}`, manager)).status).toBe(200);
      expectError(await get(`/api/integrations/${id}/events?status=DONE`, manager), 400, 'VALIDATION_FAILED', 'status');
    });

    it("reports a disconnected integration's health as disconnected", async () => {
      const { id } = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GAPS12_D' });
      expect((await post(`/api/integrations/${id}/disconnect`, {})).status).toBe(200);
      const health = await get(`/api/integrations/${id}/health`, manager);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'disconnected', lastSyncAt: null, lastWebhookAt: null });
      const listed = await get(`/api/integrations?subAccountId=${sub}&status=disconnected&pageSize=200`);
      expect((listed.body.items as Json[]).map((i) => [i.id, i.isActive])).toContainEqual([id, false]);
    });

    it('refuses a field in rotate-webhook-secret and an OAuth start without redirectUri, naming it', async () => {
      const generic = await createIntegration(t, sub, 'generic-webhook', CONFIGS['generic-webhook']);
      expectError(
        await post(`/api/integrations/${generic.id}/rotate-webhook-secret`, { graceHours: 1 }),
        400,
        'VALIDATION_FAILED',
        'graceHours',
      );
      const meta = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '121200000009' });
      expectError(await post(`/api/integrations/${meta.id}/oauth/start`, {}), 400, 'VALIDATION_FAILED', 'redirectUri');
    });
  });

  describe('unknown fields', () => {
    it('are refused on the write routes contract-conventions-7 does not list, and inside a lead source or a report config', async () => {
      const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GAPS12_U' });
      const meta = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '121200000011' });
      const lead = await post(
        '/api/leads',
        { subAccountId: sub, phone: '+14155550612', fullName: 'Unknown Fields' },
        su,
      );
      const leadId = lead.body.id as string;
      const config = {
        metrics: ['newLeads'],
        filters: {},
        groupBy: [],
        dateRange: 'LAST_7_DAYS',
        chartTypes: ['table'],
      };
      const report = await post(
        '/api/report-templates',
        { subAccountId: sub, name: 'u', type: 'FUNNEL', config, format: 'PDF', isActive: true },
        manager,
      );
      const reportId = report.body.id as number;
      const slot = { startTime: '2026-12-01T09:00:00Z', endTime: '2026-12-01T09:30:00Z', title: 'Call' };
      const cases: Array<['post' | 'patch', string, object]> = [
        ['post', '/api/integrations/test-config', { subAccountId: sub, integrationTemplateId: 1, config: {} }],
        ['post', `/api/integrations/${ghl.id}/test`, {}],
        ['post', `/api/integrations/${ghl.id}/sync`, {}],
        ['post', `/api/integrations/${ghl.id}/disconnect`, {}],
        ['post', `/api/integrations/${meta.id}/oauth/start`, { redirectUri: 'https://crm.example.test/oauth' }],
        ['post', '/api/webhook-events/1/replay', {}],
        ['post', `/api/integrations/${ghl.id}/ghl/contacts`, { leadId }],
        ['post', `/api/integrations/${ghl.id}/ghl/calendars/c1/block-slots`, slot],
        ['post', '/api/whatsapp/templates/sync', { integrationId: 1 }],
        ['post', '/api/whatsapp/conversations/1/link', { leadId }],
        ['post', '/api/whatsapp/conversations/1/capture-lead', {}],
        ['post', '/api/conversations/1/link', { leadId }],
        ['post', '/api/conversations/1/capture-lead', {}],
        ['post', '/api/whatsapp/bulk/1/cancel', {}],
        ['post', '/api/whatsapp/bulk/1/pause', {}],
        ['post', '/api/whatsapp/bulk/1/resume', {}],
        ['post', `/api/report-templates/${reportId}/generate`, {}],
        ['patch', `/api/report-templates/${reportId}`, {}],
      ];
      const wrong: string[] = [];
      for (const [method, path, body] of cases) {
        const res: Res = await t.http[method](path)
          .set('authorization', su)
          .send({ ...body, zzUnknown: 1 });
        if (
          res.status !== 400 ||
          res.body.code !== 'VALIDATION_FAILED' ||
          !JSON.stringify(res.body.details).includes('zzUnknown')
        )
          wrong.push(`${method} ${path}: ${res.status} ${String(res.body.code)}`);
      }
      expect(wrong).toEqual([]);
      const nestedSource = await post(
        '/api/leads',
        { subAccountId: sub, email: 'nested-12@example.org', source: { platform: 'manual', zzUnknown: 1 } },
        agent,
      );
      expect([nestedSource.status, nestedSource.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const nestedConfig = await post(
        '/api/report-templates',
        {
          subAccountId: sub,
          name: 'n',
          type: 'FUNNEL',
          config: { ...config, zzUnknown: 1 },
          format: 'PDF',
          isActive: true,
        },
        manager,
      );
      expect(nestedConfig.status).toBe(400);
      expect(['VALIDATION_FAILED', 'CONFIG_SCHEMA_INVALID']).toContain(nestedConfig.body.code);
    });
  });

  describe('GoHighLevel passthrough', () => {
    it('refuses AGENT all four routes; 404 for another handler; contacts needs a known leadId', async () => {
      const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GAPS12_P' });
      const base = `/api/integrations/${ghl.id}/ghl`;
      const slot = { startTime: '2026-12-01T09:00:00Z', endTime: '2026-12-01T09:30:00Z', title: 'Call' };
      const asAgent: Res[] = [
        await get(`${base}/calendars`, agent),
        await get(`${base}/calendars/c1/free-slots?startDate=2026-12-01&endDate=2026-12-02`, agent),
        await post(`${base}/calendars/c1/block-slots`, slot, agent),
        await post(`${base}/contacts`, { leadId: '1' }, agent),
      ];
      expect(asAgent.map((r) => [r.status, r.body.code])).toEqual(Array(4).fill([403, 'FORBIDDEN']));
      const meta = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '121200000010' });
      expectError(await get(`/api/integrations/${meta.id}/ghl/calendars`, manager), 404, 'NOT_FOUND');
      expectError(await post(`${base}/contacts`, {}, manager), 400, 'VALIDATION_FAILED', 'leadId');
      expectError(await post(`${base}/contacts`, { leadId: '999999' }, manager), 404, 'NOT_FOUND');
    });
  });

  describe('WhatsApp sends', () => {
    it('takes exactly one of leadId | to and one of text | template, and a bulk send one of template | text', async () => {
      const cases: Array<[object, string]> = [
        [{ subAccountId: sub, leadId: '1', to: '+14155550100', text: 'hi' }, 'leadId'],
        [{ subAccountId: sub, text: 'hi' }, 'leadId'],
        [{ subAccountId: sub, to: '+14155550100' }, 'text'],
        [{ subAccountId: sub, to: '+14155550100', text: 'hi', template: { id: '1' } }, 'text'],
      ];
      for (const [body, field] of cases)
        expectError(await post('/api/whatsapp/messages', body, agent), 400, 'VALIDATION_FAILED', field);
      expectError(
        await post('/api/whatsapp/bulk', { subAccountId: sub, leadIds: ['1'] }, manager),
        400,
        'VALIDATION_FAILED',
        'text',
      );
    });
  });

  describe('leads', () => {
    it('reads createdFrom = createdTo = one date as that whole day', async () => {
      const lead = await post('/api/leads', { subAccountId: sub, email: 'day-12@example.org' }, agent);
      expect(lead.status).toBe(201);
      // the sub-account's zone is UTC (the default): the lead's local date is its UTC date
      const day = (lead.body.createdAt as string).slice(0, 10);
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const prev = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      const ids = async (query: string): Promise<unknown[]> => {
        const res = await get(`/api/leads?subAccountId=${sub}&pageSize=200&${query}`, agent);
        expect(res.status).toBe(200);
        return (res.body.items as Json[]).map((l) => l.id);
      };
      expect(await ids(`createdFrom=${day}&createdTo=${day}`)).toContain(lead.body.id);
      expect(await ids(`createdTo=${prev}`)).not.toContain(lead.body.id);
      expect(await ids(`createdFrom=${next}`)).not.toContain(lead.body.id);
    });

    it('refuses an activity whose occurredAt is not a date or whose durationSeconds is fractional; 404 for an unknown lead', async () => {
      const lead = await post('/api/leads', { subAccountId: sub, email: 'activity-12@example.org' }, agent);
      const path = `/api/leads/${lead.body.id as string}/activities`;
      expectError(
        await post(path, { type: 'NOTE', userId: 'u1', occurredAt: 'yesterday' }, agent),
        400,
        'VALIDATION_FAILED',
        'occurredAt',
      );
      expectError(
        await post(path, { type: 'CALL', userId: 'u1', durationSeconds: 1.5 }, agent),
        400,
        'VALIDATION_FAILED',
        'durationSeconds',
      );
      expectError(await post('/api/leads/999999/activities', { type: 'NOTE', userId: 'u1' }, agent), 404, 'NOT_FOUND');
      const ok = await post(path, { type: 'CALL', outcome: 'BUSY', userId: 'u1', durationSeconds: 0 }, agent);
      expect([ok.status, ok.body.type, ok.body.outcome]).toEqual([201, 'CALL', 'BUSY']);
    });
  });
});
