// Audit 10, journeys 3 to 5: plan limits, the template's end, sub-account settings (on the template journey 1
// defines, made by the setup). Journeys 1 and 2 are in contract-journeys-10.e2e-spec.ts and contract-journeys-10-connect.
import { createIntegration, createSubAccount, templateId } from '../support/factories';
import { TestApp } from '../support/test-app';
import { eventsSettled, postGeneric } from '../support/webhooks';
import {
  CONFIG,
  defineTemplate,
  disconnectedIntegration,
  Journeys10Fixture,
  SCHEMA,
  journeys10Helpers,
  setupJourneys10,
} from '../support/contract-journeys-10-setup';

describe('API.md journeys: templates, integrations, GoHighLevel, sub-account settings (audit 10)', () => {
  let fx: Journeys10Fixture;
  let t: TestApp;
  let sub: number;
  let other: number;
  let superAdmin: string;
  let admin: string;
  let manager: string;
  let attacker: string;
  let template: number;
  let integration: number;
  const { error, get, post, patch } = journeys10Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupJourneys10();
    ({ t, sub, other, superAdmin, admin, manager, attacker } = fx);
    // journeys 1 and 2 (the other two parts) define this template and leave a disconnected integration on it
    template = await defineTemplate(fx);
    integration = await disconnectedIntegration(fx, template);
  });
  afterAll(() => fx.close());

  describe('3. plan limits per provider: STARTER 1, PRO 3, MAX unlimited', () => {
    it('STARTER: a second GoHighLevel integration from another template is 403 PLAN_LIMIT_REACHED; DELETE frees it', async () => {
      const seeded = await templateId(t, 'gohighlevel');
      const body = {
        subAccountId: sub,
        integrationTemplateId: seeded,
        name: 'Second',
        config: { locationId: 'loc_J10Second', privateIntegrationToken: 'pit-second-0000' },
      };
      error(await post('/api/integrations', admin, body), 403, 'PLAN_LIMIT_REACHED');
      const limits = await get(`/api/integrations/limits?subAccountId=${sub}`, manager);
      expect(limits.status).toBe(200);
      expect(limits.body.tier).toBe('STARTER');
      expect(limits.body.limits.gohighlevel).toEqual({ current: 1, limit: 1 });
      expect(limits.body.limits['meta-lead-ads']).toEqual({ current: 0, limit: 1 });
      // another provider still has its own slot
      await createIntegration(t, sub, 'generic-webhook', { mapping: { email: '/email' }, externalIdPointer: '/id' });
      error(await t.http.delete(`/api/integrations/${integration}`).set('authorization', manager), 403, 'FORBIDDEN');
      const removed = await t.http.delete(`/api/integrations/${integration}`).set('authorization', admin);
      expect(removed.status).toBe(204);
      error(await get(`/api/integrations/${integration}`, admin), 404, 'NOT_FOUND');
      expect((await get(`/api/integrations/limits?subAccountId=${sub}`, admin)).body.limits.gohighlevel).toEqual({
        current: 0,
        limit: 1,
      });
      // the slot is free again, whichever GoHighLevel template fills it
      const again = await post('/api/integrations', admin, { ...body, integrationTemplateId: template });
      expect(again.status).toBe(201);
      integration = again.body.id as number;
    });

    it('PRO holds three of a provider, the fourth is 403; MAX shows -1 and takes a fourth', async () => {
      const max = await createSubAccount(t, 'MAX', 'Unlimited Ten');
      const config = { mapping: { email: '/email' }, externalIdPointer: '/id' };
      for (let i = 0; i < 3; i += 1) await createIntegration(t, other, 'generic-webhook', config);
      const fourth = await post('/api/integrations', attacker, {
        subAccountId: other,
        integrationTemplateId: await templateId(t, 'generic-webhook'),
        name: 'Fourth',
        config,
      });
      error(fourth, 403, 'PLAN_LIMIT_REACHED');
      expect((await get(`/api/integrations/limits?subAccountId=${other}`, attacker)).body).toMatchObject({
        tier: 'PRO',
        limits: { 'generic-webhook': { current: 3, limit: 3 } },
      });
      for (let i = 0; i < 4; i += 1) await createIntegration(t, max, 'generic-webhook', config);
      expect(
        (await get(`/api/integrations/limits?subAccountId=${max}`, `Bearer ${t.token('ADMIN', [max])}`)).body,
      ).toMatchObject({ tier: 'MAX', limits: { 'generic-webhook': { current: 4, limit: -1 } } });
    });
    it('a generic webhook: deliveries only once tested; the old secret verifies after a rotation; 409 once disconnected', async () => {
      const max = await createSubAccount(t, 'MAX', 'Deliveries Ten');
      const owner = `Bearer ${t.token('ADMIN', [max])}`;
      const created = await createIntegration(t, max, 'generic-webhook', {
        mapping: { email: '/email', fullName: '/name' },
        externalIdPointer: '/id',
      });
      const lead = (n: number) => ({ id: `j10-${n}`, email: `p${n}@j10.test`, name: `Person ${n}` });
      error(await postGeneric(t, created, lead(1)), 409, 'INTEGRATION_NOT_ACTIVE');
      expect((await post(`/api/integrations/${created.id}/test`, owner)).status).toBe(200);
      expect((await postGeneric(t, created, lead(2))).body).toEqual({
        status: 'received',
        eventId: expect.any(String),
      });
      const rotated = await post(`/api/integrations/${created.id}/rotate-webhook-secret`, owner);
      expect(rotated.status).toBe(200);
      expect((await postGeneric(t, created, lead(3))).body.status).toBe('received');
      expect(
        (await postGeneric(t, { ...created, webhookSecret: rotated.body.webhookSecret }, lead(4))).body.status,
      ).toBe('received');
      error(
        await postGeneric(t, { ...created, webhookSecret: 'not-the-secret-of-this-one' }, lead(5)),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
      expect((await post(`/api/integrations/${created.id}/disconnect`, owner)).status).toBe(200);
      error(
        await postGeneric(t, { ...created, webhookSecret: rotated.body.webhookSecret }, lead(6)),
        409,
        'INTEGRATION_NOT_ACTIVE',
      );
      await eventsSettled(t);
      const events = await get(`/api/integrations/${created.id}/events`, owner);
      expect(events.body.total).toBe(3);
      expect(events.body.items[0]).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          provider: 'generic-webhook',
          status: expect.any(String),
          attempts: expect.any(Number),
          receivedAt: expect.any(String),
        }),
      );
      error(await get(`/api/integrations/${created.id}/events`, attacker), 404, 'NOT_FOUND');
    });
  });

  describe("4. the template's end", () => {
    it('a changed schema reports nonConforming; DELETE in use 409; inactive hides it and refuses new integrations', async () => {
      error(await patch(`/api/integration-templates/${template}`, admin, { isActive: false }), 403, 'FORBIDDEN');
      const changed = await patch(`/api/integration-templates/${template}`, superAdmin, {
        configSchema: { ...SCHEMA, required: [...SCHEMA.required, 'calendarId'] },
      });
      expect(changed.status).toBe(200);
      const owned = (await get(`/api/integrations?subAccountId=${sub}&templateId=${template}`, admin)).body
        .items as Array<{
        id: number;
      }>;
      expect(owned.map((i) => i.id)).toEqual([integration]);
      expect(changed.body.nonConforming).toEqual([integration]);
      const plain = await patch(`/api/integration-templates/${template}`, superAdmin, { displayName: 'GHL journey' });
      expect(plain.status).toBe(200);
      expect(plain.body.nonConforming).toEqual([]);

      const inUse = await t.http.delete(`/api/integration-templates/${template}`).set('authorization', superAdmin);
      error(inUse, 409, 'CONFLICT');
      expect((await patch(`/api/integration-templates/${template}`, superAdmin, { isActive: false })).status).toBe(200);
      error(await get(`/api/integration-templates/${template}`, admin), 404, 'NOT_FOUND');
      expect((await get(`/api/integration-templates/${template}`, superAdmin)).body.isActive).toBe(false);
      const listed = await get('/api/integration-templates?includeInactive=true&pageSize=200', superAdmin);
      expect(listed.body.items.map((i: { id: number }) => i.id)).toContain(template);
      const hidden = await get('/api/integration-templates?pageSize=200', superAdmin);
      expect(hidden.body.items.map((i: { id: number }) => i.id)).not.toContain(template);
      error(
        await post('/api/integrations', `Bearer ${t.token('ADMIN', [other])}`, {
          subAccountId: other,
          integrationTemplateId: template,
          name: 'Late',
          config: { ...CONFIG, calendarId: 'c' },
        }),
        404,
        'NOT_FOUND',
      );
      for (const i of owned)
        expect((await t.http.delete(`/api/integrations/${i.id}`).set('authorization', admin)).status).toBe(204);
      expect(
        (await t.http.delete(`/api/integration-templates/${template}`).set('authorization', superAdmin)).status,
      ).toBe(204);
      error(await get(`/api/integration-templates/${template}`, superAdmin), 404, 'NOT_FOUND');
    });
  });

  describe('5. sub-account settings', () => {
    it('timezone (IANA, default UTC) and funnelStages (default NEW…CONVERTED) by its ADMIN; refusals as API.md says', async () => {
      const read = await get(`/api/sub-accounts/${sub}`, admin);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id: sub,
        timezone: 'UTC',
        funnelStages: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'],
      });
      const changed = await patch(`/api/sub-accounts/${sub}`, admin, {
        timezone: 'America/Sao_Paulo',
        funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'],
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        timezone: 'America/Sao_Paulo',
        funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'],
      });
      for (const body of [
        { timezone: 'Mars/Olympus_Mons' },
        { timezone: '' },
        { timezone: null },
        { funnelStages: ['NEW', 'BOGUS'] },
        { funnelStages: ['NEW'] },
        { funnelStages: ['NEW', 'NEW'] },
        { funnelStages: null },
        { plan: 'MAX' },
      ])
        error(await patch(`/api/sub-accounts/${sub}`, admin, body), 400, 'VALIDATION_FAILED');
      error(await patch(`/api/sub-accounts/${sub}`, admin, { tier: 'MAX' }), 403, 'FORBIDDEN');
      error(await patch(`/api/sub-accounts/${sub}`, manager, { timezone: 'UTC' }), 403, 'FORBIDDEN');
      error(await patch(`/api/sub-accounts/${sub}`, attacker, { timezone: 'UTC' }), 404, 'NOT_FOUND');
      expect((await get(`/api/sub-accounts/${sub}`, admin)).body).toMatchObject({
        tier: 'STARTER',
        timezone: 'America/Sao_Paulo',
        funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'],
      });
    });
  });
});
