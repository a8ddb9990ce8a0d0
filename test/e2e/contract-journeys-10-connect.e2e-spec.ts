// Audit 10, journey 2: an admin connects, tests, updates, rotates, books, disconnects (on the template journey 1
// defines, made by the setup). Journey 1 is in contract-journeys-10.e2e-spec.ts, 3 to 5 in contract-journeys-10-limits.
import { INTEGRATION_REPRESENTATION } from '../support/factories';
import { ProviderFakes } from '../support/provider-fakes';
import { TestApp } from '../support/test-app';
import {
  CONFIG,
  defineTemplate,
  Journeys10Fixture,
  LOCATION,
  TOKEN,
  journeys10Helpers,
  setupJourneys10,
} from '../support/contract-journeys-10-setup';

const WRONG_TOKEN = 'pit-journey-ten-wrong-z9y8';

describe('API.md journeys: templates, integrations, GoHighLevel, sub-account settings (audit 10)', () => {
  let fx: Journeys10Fixture;
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  let other: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let attacker: string;
  let template: number;
  let integration: number;
  let firstSecret: string;
  const { error, get, post, patch, stored } = journeys10Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupJourneys10();
    ({ t, fakes, sub, other, admin, manager, agent, attacker } = fx);
    // journey 1 (contract-journeys-10.e2e-spec.ts) defines this template before the journeys here
    template = await defineTemplate(fx);
  });
  afterAll(() => fx.close());

  describe('2. an admin connects, tests, updates, rotates, books, disconnects', () => {
    it('tests the config before saving: 422 with success false, then 200; nothing stored; B is 403', async () => {
      const count = async () => (await t.sql.query('SELECT count(*)::int AS n FROM integrations')).rows[0].n as number;
      const before = await count();
      const refused = await post('/api/integrations/test-config', admin, {
        subAccountId: sub,
        integrationTemplateId: template,
        config: { ...CONFIG, privateIntegrationToken: WRONG_TOKEN },
      });
      error(refused, 422, 'INVALID_CREDENTIALS');
      expect(refused.body.success).toBe(false);
      expect(JSON.stringify(refused.body)).not.toContain(WRONG_TOKEN);
      const passed = await post('/api/integrations/test-config', admin, {
        subAccountId: sub,
        integrationTemplateId: template,
        config: CONFIG,
      });
      expect(passed.status).toBe(200);
      expect(passed.body).toEqual(expect.objectContaining({ success: true, message: expect.any(String) }));
      error(
        await post('/api/integrations/test-config', attacker, {
          subAccountId: sub,
          integrationTemplateId: template,
          config: CONFIG,
        }),
        403,
        'FORBIDDEN',
      );
      const invalid = await post('/api/integrations/test-config', admin, {
        subAccountId: sub,
        integrationTemplateId: template,
        config: { locationId: LOCATION },
      });
      error(invalid, 400, 'CONFIG_SCHEMA_INVALID');
      expect(await count()).toBe(before);
    });

    it('creates: 201 pending and inactive, the listed representation, webhookSecret once, the secret masked', async () => {
      const body = { subAccountId: sub, integrationTemplateId: template, name: 'Bookings', config: CONFIG };
      error(await post('/api/integrations', attacker, body), 403, 'FORBIDDEN');
      error(await post('/api/integrations', manager, body), 403, 'FORBIDDEN');
      error(
        await post('/api/integrations', admin, { ...body, config: { ...CONFIG, unknownField: 1 } }),
        400,
        'CONFIG_SCHEMA_INVALID',
      );
      const created = await post('/api/integrations', admin, body);
      expect(created.status).toBe(201);
      expect(Object.keys(created.body)).toEqual(
        expect.arrayContaining([...INTEGRATION_REPRESENTATION, 'webhookSecret']),
      );
      expect(created.body).toMatchObject({
        subAccountId: sub,
        integrationTemplateId: template,
        template: {
          name: 'journey-ghl-10',
          displayName: 'GoHighLevel (journey)',
          category: 'CRM',
          handler: 'gohighlevel',
        },
        name: 'Bookings',
        description: null,
        status: 'pending',
        isActive: false,
        createdBy: 'admin-j10',
        config: { locationId: LOCATION, privateIntegrationToken: { secret: true, last4: TOKEN.slice(-4) } },
        stats: { totalLeads: 0, leadsToday: 0, lastSyncStatus: null },
      });
      expect(typeof created.body.id).toBe('number');
      expect(created.body.webhookUrl).toMatch(/^https:\/\/hub\.example\.test\/api\/webhooks\/gohighlevel\//);
      expect(typeof created.body.webhookSecret).toBe('string');
      expect(JSON.stringify(created.body)).not.toContain(TOKEN);
      integration = created.body.id as number;
      firstSecret = created.body.webhookSecret as string;
      const read = await get(`/api/integrations/${integration}`, admin);
      expect(read.status).toBe(200);
      expect(read.body.webhookSecret).toBeUndefined();
      expect(JSON.stringify(read.body)).not.toContain(TOKEN);
    });

    it("B's admin: every route about the integration 404, every explicit subAccountId 403, nothing listed", async () => {
      const base = `/api/integrations/${integration}`;
      for (const res of [
        await get(base, attacker),
        await patch(base, attacker, { name: 'Stolen' }),
        await post(`${base}/test`, attacker),
        await post(`${base}/rotate-webhook-secret`, attacker),
        await post(`${base}/disconnect`, attacker),
        await post(`${base}/sync`, attacker),
        await get(`${base}/health`, attacker),
        await get(`${base}/events`, attacker),
        await get(`${base}/sync-runs`, attacker),
        await get(`${base}/ghl/calendars`, attacker),
        await t.http.delete(base).set('authorization', attacker),
      ])
        error(res, 404, 'NOT_FOUND');
      for (const res of [
        await get(`/api/integrations?subAccountId=${sub}`, attacker),
        await get(`/api/integrations/limits?subAccountId=${sub}`, attacker),
        await get(`/api/audit-log?subAccountId=${sub}`, attacker),
      ])
        error(res, 403, 'FORBIDDEN');
      for (const query of ['', `?templateId=${template}`, '?status=pending']) {
        const list = await get(`/api/integrations${query}`, attacker);
        expect(list.status).toBe(200);
        expect(list.body).toEqual({ items: [], page: 1, pageSize: 50, total: 0 });
      }
      expect(await stored(integration)).toEqual({ status: 'pending', is_active: false, name: 'Bookings' });
    });

    it('tests: 200 { success, message }, active and switched on; the list filters by status and templateId', async () => {
      error(await post(`/api/integrations/${integration}/test`, agent), 403, 'FORBIDDEN');
      const tested = await post(`/api/integrations/${integration}/test`, manager);
      expect(tested.status).toBe(200);
      expect(tested.body).toEqual(expect.objectContaining({ success: true, message: expect.any(String) }));
      expect((await get(`/api/integrations/${integration}`, admin)).body).toMatchObject({
        status: 'active',
        isActive: true,
        errorMessage: null,
      });
      const ids = async (query: string) =>
        ((await get(`/api/integrations?subAccountId=${sub}${query}`, manager)).body.items as Array<{ id: number }>).map(
          (i) => i.id,
        );
      expect(await ids('&status=active')).toEqual([integration]);
      expect(await ids(`&templateId=${template}`)).toEqual([integration]);
      expect(await ids('&status=pending')).toEqual([]);
      expect(await ids(`&templateId=${template}&status=error`)).toEqual([]);
      error(await get(`/api/integrations?subAccountId=${sub}&status=connected`, admin), 400, 'VALIDATION_FAILED');
    });

    it('PATCHes config merged (the secret kept), back to pending; isActive true refused 409 until tested again', async () => {
      error(await patch(`/api/integrations/${integration}`, manager, { name: 'X' }), 403, 'FORBIDDEN');
      error(await patch(`/api/integrations/${integration}`, admin, { color: 'red' }), 400, 'VALIDATION_FAILED');
      const bad = await patch(`/api/integrations/${integration}`, admin, { config: { calendarId: 7 } });
      error(bad, 400, 'CONFIG_SCHEMA_INVALID');
      expect(JSON.stringify(bad.body.details)).toContain('/calendarId');
      const patched = await patch(`/api/integrations/${integration}`, admin, {
        description: 'Front desk',
        config: { calendarId: 'cal_j10' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        description: 'Front desk',
        status: 'pending',
        config: {
          locationId: LOCATION,
          calendarId: 'cal_j10',
          privateIntegrationToken: { secret: true, last4: TOKEN.slice(-4) },
        },
      });
      error(await patch(`/api/integrations/${integration}`, admin, { isActive: true }), 409, 'CONFLICT');
      expect((await post(`/api/integrations/${integration}/test`, admin)).status).toBe(200);
      expect((await get(`/api/integrations/${integration}`, admin)).body).toMatchObject({
        status: 'active',
        isActive: true,
      });
      // the stored secret is what the test used: GoHighLevel saw the token the admin entered at creation
      const sent = fakes.ghl.requests.filter((r) => r.path === `/locations/${LOCATION}`);
      expect(sent.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    });

    it('a refused test: 422 INVALID_CREDENTIALS with success false; error with errorMessage; a passing one clears it', async () => {
      expect(
        (
          await patch(`/api/integrations/${integration}`, admin, {
            config: { privateIntegrationToken: WRONG_TOKEN },
          })
        ).body.status,
      ).toBe('pending');
      const refused = await post(`/api/integrations/${integration}/test`, admin);
      error(refused, 422, 'INVALID_CREDENTIALS');
      expect(refused.body.success).toBe(false);
      const failed = (await get(`/api/integrations/${integration}`, admin)).body;
      expect(failed).toMatchObject({ status: 'error', errorMessage: expect.any(String) });
      expect(failed.config.privateIntegrationToken).toEqual({ secret: true, last4: WRONG_TOKEN.slice(-4) });
      await patch(`/api/integrations/${integration}`, admin, { config: { privateIntegrationToken: TOKEN } });
      expect((await post(`/api/integrations/${integration}/test`, admin)).status).toBe(200);
      expect((await get(`/api/integrations/${integration}`, admin)).body).toMatchObject({
        status: 'active',
        errorMessage: null,
        isActive: true,
      });
    });

    it('rotates the webhook secret: 200 { webhookSecret } alone, a new one, ADMIN only, never shown again', async () => {
      error(await post(`/api/integrations/${integration}/rotate-webhook-secret`, manager), 403, 'FORBIDDEN');
      const rotated = await post(`/api/integrations/${integration}/rotate-webhook-secret`, admin);
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body)).toEqual(['webhookSecret']);
      expect(rotated.body.webhookSecret).not.toBe(firstSecret);
      const everything = JSON.stringify([
        (await get(`/api/integrations/${integration}`, admin)).body,
        (await get(`/api/integrations?subAccountId=${sub}`, admin)).body,
      ]);
      expect(everything).not.toContain(rotated.body.webhookSecret);
      expect(everything).not.toContain(firstSecret);
    });

    it('books through the passthrough as a MANAGER; AGENT 403; B 404 on every route, also with its own lead', async () => {
      const lead = await post('/api/leads', admin, {
        subAccountId: sub,
        fullName: 'Ana Booker',
        email: 'ana@j10.test',
      });
      expect(lead.status).toBe(201);
      const foreignLead = await post('/api/leads', attacker, { subAccountId: other, fullName: 'Bo Other' });
      expect(foreignLead.status).toBe(201);
      const base = `/api/integrations/${integration}/ghl`;
      const slots = `${base}/calendars/cal_j10/free-slots?startDate=2026-12-01&endDate=2026-12-02&timezone=America/New_York`;
      const block = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' };
      const calendars = await get(`${base}/calendars`, manager);
      expect(calendars.status).toBe(200);
      expect(JSON.stringify(calendars.body)).toContain('cal_j10');
      expect((await get(slots, manager)).status).toBe(200);
      expect((await post(`${base}/calendars/cal_j10/block-slots`, manager, block)).status).toBe(201);
      const pushed = await post(`${base}/contacts`, manager, { leadId: lead.body.id });
      expect(pushed.status).toBe(201);
      expect(pushed.body).toEqual(expect.objectContaining({ contactId: 'ghl_c_j10' }));
      for (const res of [
        await get(`${base}/calendars`, agent),
        await get(slots, agent),
        await post(`${base}/calendars/cal_j10/block-slots`, agent, block),
        await post(`${base}/contacts`, agent, { leadId: lead.body.id }),
      ])
        error(res, 403, 'FORBIDDEN');
      const before = fakes.ghl.requests.length;
      for (const res of [
        await get(`${base}/calendars`, attacker),
        await get(slots, attacker),
        await post(`${base}/calendars/cal_j10/block-slots`, attacker, block),
        await post(`${base}/contacts`, attacker, { leadId: lead.body.id }),
        await post(`${base}/contacts`, attacker, { leadId: foreignLead.body.id }),
        await post(`${base}/contacts`, admin, { leadId: foreignLead.body.id }),
      ])
        error(res, 404, 'NOT_FOUND');
      expect(fakes.ghl.requests.length).toBe(before);
    });

    it('disconnects: 200 disconnected and inactive, the token erased; isActive true 409; ADMIN only', async () => {
      error(await post(`/api/integrations/${integration}/disconnect`, manager), 403, 'FORBIDDEN');
      const gone = await post(`/api/integrations/${integration}/disconnect`, admin);
      expect(gone.status).toBe(200);
      expect(Object.keys(gone.body)).toEqual(expect.arrayContaining(INTEGRATION_REPRESENTATION));
      expect(gone.body).toMatchObject({ id: integration, status: 'disconnected', isActive: false });
      expect(gone.body.config.privateIntegrationToken).toBeUndefined();
      expect(gone.body.config.locationId).toBe(LOCATION);
      const row = await t.sql.query<{ config: string }>('SELECT config::text FROM integrations WHERE id = $1', [
        integration,
      ]);
      expect(row.rows[0].config).not.toContain('privateIntegrationToken');
      error(await patch(`/api/integrations/${integration}`, admin, { isActive: true }), 409, 'CONFLICT');
      expect((await get(`/api/integrations?subAccountId=${sub}&status=disconnected`, admin)).body.total).toBe(1);
    });

    it('keeps an audit trail of each step, secrets left out; B reads none of it', async () => {
      const audit = await get(`/api/audit-log?subAccountId=${sub}&entity=integration&entityId=${integration}`, admin);
      expect(audit.status).toBe(200);
      const actions = (audit.body.items as Array<{ action: string }>).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'integration.create',
          'integration.update',
          'integration.test',
          'integration.rotate-webhook-secret',
          'integration.disconnect',
        ]),
      );
      const text = JSON.stringify(audit.body);
      for (const secret of [TOKEN, WRONG_TOKEN, firstSecret]) expect(text).not.toContain(secret);
      const mine = await get('/api/audit-log?pageSize=200', attacker);
      expect(mine.status).toBe(200);
      expect(mine.body.items.every((e: { subAccountId: number | null }) => e.subAccountId === other)).toBe(true);
    });
  });
});
