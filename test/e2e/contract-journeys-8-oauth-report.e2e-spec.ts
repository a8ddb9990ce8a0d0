// Part of the API.md journeys audit 8 (header in contract-journeys-8-messaging.e2e-spec.ts):
// journey 2 (facebook-ads through OAuth, spend to the lead and bySource) and journey 3
// (template → integration → webhook → lead → analytics → report, an attacker at every step).
import { createIntegration, META_CONFIG } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { TestApp } from '../support/test-app';
import { activate, eventsSettled, metaLeadgen, postGeneric, waitFor } from '../support/webhooks';
import {
  Journeys8,
  startJourneys8,
  journeys8Helpers,
  CRM,
  AD_ACCOUNT,
  CAMPAIGN,
  today,
} from '../support/contract-journeys-8-setup';

describe('API.md journeys (audit 8)', () => {
  let w: Journeys8;
  let t: TestApp;
  let fakes: ProviderFakes;
  let metaAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  let attacker: string;
  const { deliver, testIntegration } = journeys8Helpers(() => w);

  beforeAll(async () => {
    w = await startJourneys8();
    ({ t, fakes, metaAuth, sub, admin, attacker } = w);
  });
  afterAll(() => w?.close());

  it('OAuth: facebook-ads connected, the redirect names integrationId/status/code; spend reaches the lead and bySource', async () => {
    const ads = await createIntegration(t, sub, 'facebook-ads', { adAccountId: AD_ACCOUNT });
    const start = await t.http
      .post(`/api/integrations/${ads.id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    expect(start.status).toBe(200);
    const consent = metaAuth.consent(start.body.authorizationUrl);
    const back = await t.http.get(consent.path);
    expect(back.status).toBe(302);
    const params = new URL(back.headers.location).searchParams;
    expect(params.get('integrationId')).toBe(String(ads.id));
    expect(params.get('status')).toBe('active');
    // the provider's authorisation code never travels on to the CRM
    expect(back.headers.location).not.toContain(consent.code);
    const connected = await t.http.get(`/api/integrations/${ads.id}`).set('authorization', admin);
    expect(connected.body).toMatchObject({ status: 'active', isActive: true });

    // a declined consent: status=error with a code
    const declinedStart = await t.http
      .post(`/api/integrations/${ads.id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    const state = new URL(declinedStart.body.authorizationUrl).searchParams.get('state') ?? '';
    const declined = await t.http.get(
      `/api/oauth/callback/meta?error=access_denied&state=${encodeURIComponent(state)}`,
    );
    const declinedParams = new URL(declined.headers.location).searchParams;
    expect(declinedParams.get('status')).toBe('error');
    expect(declinedParams.get('code')).toEqual(expect.any(String));

    // a Meta lead of the campaign today
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await activate(t, sub, meta.id);
    fakes.page(META_CONFIG.pageAccessToken, META_CONFIG.pageId);
    const metaLead = (id: string) => ({
      status: 200,
      body: {
        id,
        created_time: new Date().toISOString().replace('Z', '+0000'),
        form_id: '12312312312',
        ad_id: '23851000000000810',
        adset_id: '23851000000000809',
        campaign_id: CAMPAIGN,
        campaign_name: 'Journey leads',
        is_organic: false,
        field_data: [{ name: 'email', values: [`meta${id}@example.com`] }],
      },
    });
    fakes.graph.on('GET', /^\/(880001|880002)$/, (req) => metaLead(req.path.slice(1)));
    const lead1 = metaLeadgen(META_CONFIG.pageId, ['880001']);
    expect((await deliver('meta-lead-ads', lead1, META_CONFIG.appSecret)).status).toBe(200);
    await eventsSettled(t);

    const sync = async () => {
      const started = await t.http.post(`/api/integrations/${ads.id}/sync`).set('authorization', admin);
      expect(started.status).toBe(202);
      expect(started.body).toEqual({ jobId: expect.any(String), runId: expect.any(String) });
      const run = await waitFor(async () => {
        const row = (await t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]))
          .rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      });
      expect(run).toEqual({ status: 'SUCCEEDED', error: null });
    };
    await sync();
    const leadId = async (email: string) =>
      (await t.sql.query<{ id: string }>('SELECT id::text FROM leads WHERE email = $1', [email])).rows[0].id;
    const costOf = async (id: string) => {
      const res = await t.http.get(`/api/leads/${id}`).set('authorization', admin);
      expect(res.status).toBe(200);
      return res.body.sourceTracking.sources.map((s: { cost: unknown; currency: unknown }) => [s.cost, s.currency]);
    };
    const first = await leadId('meta880001@example.com');
    expect(await costOf(first)).toEqual([[12.5, 'EUR']]);

    // a second lead of the campaign that day, after the sync: the day's spend is known, so it is split
    const lead2 = metaLeadgen(META_CONFIG.pageId, ['880002']);
    expect((await deliver('meta-lead-ads', lead2, META_CONFIG.appSecret)).status).toBe(200);
    await eventsSettled(t);
    const second = await leadId('meta880002@example.com');
    expect({ first: await costOf(first), second: await costOf(second) }).toEqual({
      first: [[6.25, 'EUR']],
      second: [[6.25, 'EUR']],
    });

    const overview = await t.http
      .get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}`)
      .set('authorization', admin);
    expect(overview.status).toBe(200);
    expect(overview.body.bySource).toContainEqual(
      expect.objectContaining({ platform: 'meta', leads: 2, spend: '12.50', costPerLead: '6.25' }),
    );
  });

  it('template → integration → test → webhook → lead → status → analytics → report, an attacker at every step', async () => {
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    const tpl = await t.http
      .post('/api/integration-templates')
      .set('authorization', superAdmin)
      .send({
        name: 'journey-form-8',
        displayName: 'Journey form',
        category: 'Lead Forms',
        handler: 'generic-webhook',
        configSchema: {
          type: 'object',
          properties: {
            mapping: { type: 'object' },
            externalIdPointer: { type: 'string' },
          },
          required: ['mapping', 'externalIdPointer'],
          additionalProperties: false,
        },
      });
    expect(tpl.status).toBe(201);
    const seen = await t.http.get(`/api/integration-templates/${tpl.body.id}`).set('authorization', attacker);
    expect(seen.status).toBe(200); // templates are global: every ADMIN reads active ones

    const config = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };
    const foreignCreate = await t.http
      .post('/api/integrations')
      .set('authorization', attacker)
      .send({ subAccountId: sub, integrationTemplateId: tpl.body.id, name: 'Form', config });
    expect(foreignCreate.status).toBe(403);
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: tpl.body.id, name: 'Journey form', config });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', isActive: false, webhookSecret: expect.any(String) });
    const id = created.body.id as number;

    expect((await t.http.post(`/api/integrations/${id}/test`).set('authorization', attacker)).status).toBe(404);
    await testIntegration(id);
    expect((await t.http.get(`/api/integrations/${id}`).set('authorization', admin)).body).toMatchObject({
      status: 'active',
      isActive: true,
    });

    const delivered = await postGeneric(t, created.body, {
      id: 'form-8-1',
      email: 'jo@example.com',
      name: 'Jo Journey',
    });
    expect(delivered.status).toBe(200);
    expect(delivered.body).toEqual({ status: 'received', eventId: expect.any(String) });
    await eventsSettled(t);
    expect((await t.http.get(`/api/integrations/${id}/events`).set('authorization', attacker)).status).toBe(404);
    expect(
      (await t.http.post(`/api/webhook-events/${delivered.body.eventId}/replay`).set('authorization', attacker)).status,
    ).toBe(404);

    const leads = await t.http.get(`/api/leads?subAccountId=${sub}&q=jo@example.com`).set('authorization', admin);
    expect(leads.body.total).toBe(1);
    const lead = leads.body.items[0];
    expect(typeof lead.id).toBe('string');
    expect((await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', attacker)).status).toBe(403);
    expect((await t.http.get(`/api/leads/${lead.id}`).set('authorization', attacker)).status).toBe(404);
    expect(
      (await t.http.patch(`/api/leads/${lead.id}`).set('authorization', attacker).send({ status: 'CONTACTED' })).status,
    ).toBe(404);
    for (const status of ['CONTACTED', 'QUALIFIED', 'CONVERTED']) {
      const patched = await t.http.patch(`/api/leads/${lead.id}`).set('authorization', admin).send({ status });
      expect(patched.status).toBe(200);
      expect(patched.body.status).toBe(status);
    }
    const history = await t.http.get(`/api/leads/${lead.id}/history`).set('authorization', admin);
    expect(history.status).toBe(200);
    expect((await t.http.get(`/api/leads/${lead.id}/history`).set('authorization', attacker)).status).toBe(404);

    const funnel = await t.http
      .get(`/api/analytics/funnel?subAccountId=${sub}&from=${today}&to=${today}&source=generic`)
      .set('authorization', admin);
    expect(funnel.status).toBe(200);
    expect(funnel.body.stages.map((s: { stage: string; count: number }) => [s.stage, s.count])).toEqual([
      ['NEW', 1],
      ['CONTACTED', 1],
      ['QUALIFIED', 1],
      ['CONVERTED', 1],
    ]);
    expect(
      (
        await t.http
          .get(`/api/analytics/funnel?subAccountId=${sub}&from=${today}&to=${today}`)
          .set('authorization', attacker)
      ).status,
    ).toBe(403);
    const overview = await t.http
      .get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}`)
      .set('authorization', admin);
    expect(overview.body.bySource).toContainEqual(
      expect.objectContaining({
        platform: 'generic',
        integrationId: id,
        leads: 1,
        converted: 1,
        conversionRate: 1,
      }),
    );

    const template = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        name: 'Journey',
        type: 'FUNNEL',
        config: { metrics: ['newLeads', 'convertedLeads'], dateRange: { from: today, to: today } },
        format: 'EXCEL',
      });
    expect(template.status).toBe(201);
    expect(
      (
        await t.http
          .post('/api/report-templates')
          .set('authorization', attacker)
          .send({
            subAccountId: sub,
            name: 'X',
            type: 'FUNNEL',
            config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
            format: 'PDF',
          })
      ).status,
    ).toBe(403);
    expect((await t.http.get(`/api/report-templates/${template.body.id}`).set('authorization', attacker)).status).toBe(
      404,
    );
    expect(
      (await t.http.post(`/api/report-templates/${template.body.id}/generate`).set('authorization', attacker).send({}))
        .status,
    ).toBe(404);
    const generated = await t.http
      .post(`/api/report-templates/${template.body.id}/generate`)
      .set('authorization', admin)
      .send({});
    expect(generated.status).toBe(202);
    const reportId = generated.body.reportId;
    const report = await waitFor(async () => {
      const res = await t.http
        .get(`/api/reports?subAccountId=${sub}&templateId=${template.body.id}`)
        .set('authorization', admin);
      const item = res.body.items?.[0];
      return item && item.status !== 'queued' && item.status !== 'running' ? item : undefined;
    });
    expect(report).toMatchObject({ id: reportId, status: 'ready', fileType: 'EXCEL' });
    expect((await t.http.get(`/api/reports?subAccountId=${sub}`).set('authorization', attacker)).status).toBe(403);
    expect((await t.http.get(`/api/reports/${reportId}/download`).set('authorization', attacker)).status).toBe(404);
    const file = await t.http.get(`/api/reports/${reportId}/download`).set('authorization', admin).buffer(true);
    expect(file.status).toBe(200);
    expect(String(file.headers['content-disposition'])).toMatch(/attachment/);
    const signed = new URL(report.downloadUrl);
    expect((await t.http.get(signed.pathname + signed.search)).status).toBe(200);
  });
});
