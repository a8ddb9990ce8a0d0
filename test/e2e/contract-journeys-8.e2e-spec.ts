// Audit 8 of API.md: whole journeys as the CRM frontend and the outside platforms play them, read literally.
//  1. "Messaging channels": a Messenger and an Instagram integration from the seeded templates, inbound
//     messages on the provider-level URL signed as Meta signs, then the channel-neutral conversation and
//     message routes (channel filter, psid / igsid + username, link, capture-lead, sends inside and
//     outside the window).
//  2. "OAuth connections" + ad spend: a facebook-ads integration connected through OAuth (the redirect's
//     integrationId, status and code), an insights sync, the Meta lead's sourceTracking.cost and the
//     analytics bySource spend / costPerLead.
//  3. template → integration → test → webhook → lead → PATCH status → analytics/funnel → report →
//     download, another sub-account's ADMIN trying every step's ids (404 records, 403 subAccountId).
// Cases other specs already pin (messaging-channels, oauth-connect, ad-spend*, contract-*) are left to them.
// Failed before its fix: a Meta lead arriving after that day's spend had been synced kept
// sourceTracking.cost null (and the day's earlier lead kept the whole spend) until the next sync,
// though API.md makes the cost known whenever the spend is (migration source_cost_on_new_touch).
// Every other case passed and stays as a guard of the journeys end to end.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import type { FakeRequest } from '../support/fake-server';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import {
  activate,
  eventsSettled,
  messengerText,
  metaLeadgen,
  metaSignature,
  postGeneric,
  waitFor,
} from '../support/webhooks';

const HANDLERS = join(__dirname, '../../src/handlers');
const CRM = 'https://crm.example.test/integrations/connected';
const META_APP_SECRET = 'meta-app-secret-journeys-8';
const PAGE = '104620412300008';
const PSID = '6543210987000008';
const IGID = '17841405822300008';
const IG_PAGE = '134895793700008';
const IGSID = '1092310252900008';
const MESSENGER_CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-messenger-token-j8m1',
  appSecret: 'messenger-app-secret-j8',
  verifyToken: 'messenger-verify-j8',
};
const INSTAGRAM_CONFIG = {
  instagramAccountId: IGID,
  pageId: IG_PAGE,
  accessToken: 'EAAG-instagram-token-j8i1',
  appSecret: 'instagram-app-secret-j8',
  verifyToken: 'instagram-verify-j8',
};
const AD_ACCOUNT = '900000000008';
const CAMPAIGN = '23851000000000808';
const today = new Date().toISOString().slice(0, 10);

describe('API.md journeys (audit 8)', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let metaAuth: FakeOAuthServer;
  let sub: number;
  let other: number;
  let admin: string;
  let attacker: string;
  const issued = new Set<string>();

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    metaAuth = await FakeOAuthServer.start({
      flavour: 'meta',
      clientId: 'meta-app-j8',
      clientSecret: META_APP_SECRET,
      onToken: (token) => {
        issued.add(token);
        fakes.pageAdmin(token, '777000888', META_APP_SECRET, 'fb-person-j8');
      },
    });
    const tokenOf = (req: FakeRequest): string =>
      req.query.get('access_token') ?? String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    // Graph as each channel's token sees it: the page behind the Messenger token, the page and its
    // Instagram account behind the Instagram token; the people's profiles
    fakes.graph.on('GET', '/me', (req) => {
      if (tokenOf(req) === MESSENGER_CONFIG.pageAccessToken)
        return { status: 200, body: { id: PAGE, name: 'Journey Dental' } };
      if (tokenOf(req) === INSTAGRAM_CONFIG.accessToken)
        return {
          status: 200,
          body: { id: IG_PAGE, name: 'Journey', instagram_business_account: { id: IGID, username: 'journey.dental' } },
        };
      return { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } };
    });
    fakes.graph.on('GET', `/${PSID}`, () => ({
      status: 200,
      body: { first_name: 'Rui', last_name: 'Costa', id: PSID },
    }));
    fakes.graph.on('GET', `/${IGSID}`, () => ({
      status: 200,
      body: { name: 'Ines Sa', username: 'ines.sa', id: IGSID },
    }));
    // the ad account, read only with a token the authorisation server issued
    fakes.graph.on('GET', `/act_${AD_ACCOUNT}`, (req) =>
      issued.has(tokenOf(req))
        ? {
            status: 200,
            body: { id: `act_${AD_ACCOUNT}`, name: 'Journey Ads', currency: 'EUR', timezone_name: 'UTC' },
          }
        : { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } },
    );
    fakes.graph.on('GET', `/act_${AD_ACCOUNT}/insights`, (req) =>
      issued.has(tokenOf(req))
        ? {
            status: 200,
            body: {
              data: [
                {
                  campaign_id: CAMPAIGN,
                  campaign_name: 'Journey leads',
                  adset_id: '23851000000000809',
                  adset_name: 'Lookalike',
                  ad_id: '23851000000000810',
                  ad_name: 'Journey ad',
                  spend: '12.50',
                  impressions: '1000',
                  clicks: '20',
                  account_currency: 'EUR',
                  date_start: today,
                  date_stop: today,
                },
              ],
              paging: { cursors: { before: 'a', after: 'a' } },
            },
          }
        : { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } },
    );
    t = await createTestApp({
      env: {
        ...fakes.env,
        WEBHOOK_CACHE_TTL_MS: '0',
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        META_APP_ID: 'meta-app-j8',
        META_APP_SECRET,
        META_OAUTH_TOKEN_URL: `${metaAuth.url}/oauth/access_token`,
        REPORT_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'hub-journeys-8-')),
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Journey Co');
    other = await createSubAccount(t, 'MAX', 'Attacker Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    attacker = `Bearer ${t.token('ADMIN', [other])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), metaAuth.close()]);
  });

  const deliver = (provider: string, body: string, secret: string) =>
    t.http
      .post(`/api/webhooks/${provider}`)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);
  const testIntegration = async (id: number) => {
    const res = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
  };

  it('Messenger and Instagram: inbound on the provider URL, then conversations, link, capture-lead and sends', async () => {
    const messenger = await createIntegration(t, sub, 'facebook-messenger', MESSENGER_CONFIG);
    const instagram = await createIntegration(t, sub, 'instagram-direct', INSTAGRAM_CONFIG);
    await testIntegration(messenger.id);
    await testIntegration(instagram.id);

    // a Messenger person writes now; an Instagram person writes now (the fixture's message, re-timed)
    expect(
      (await deliver('facebook-messenger', messengerText(PAGE, PSID, 'm_j8_1', 'Hi there'), MESSENGER_CONFIG.appSecret))
        .body,
    ).toMatchObject({ status: 'received' });
    const igFixture = JSON.parse(
      readFileSync(join(HANDLERS, 'instagram-direct/fixtures/message-text.json'), 'utf8'),
    ) as {
      entry: Array<{ id: string; time: number; messaging: Array<Record<string, unknown>> }>;
    };
    const now = Date.now();
    const igBody = JSON.stringify({
      object: 'instagram',
      entry: igFixture.entry.map((e) => ({
        ...e,
        id: IGID,
        time: now,
        messaging: e.messaging.map((m) => ({ ...m, sender: { id: IGSID }, recipient: { id: IGID }, timestamp: now })),
      })),
    });
    expect((await deliver('instagram-direct', igBody, INSTAGRAM_CONFIG.appSecret)).body).toMatchObject({
      status: 'received',
    });
    await eventsSettled(t);

    const list = await t.http.get(`/api/conversations?subAccountId=${sub}`).set('authorization', admin);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, pageSize: 50, total: 2 });
    const ms = await t.http.get(`/api/conversations?subAccountId=${sub}&channel=messenger`).set('authorization', admin);
    expect(ms.body.total).toBe(1);
    const conv = ms.body.items[0];
    expect(conv).toMatchObject({
      id: expect.any(String),
      channel: 'messenger',
      integrationId: messenger.id,
      contact: expect.objectContaining({ psid: PSID, profileName: 'Rui Costa' }),
      unread: 1,
      optedOut: false,
    });
    expect(conv.contact.waId ?? null).toBeNull();
    expect(Date.parse(conv.windowOpenUntil)).toBeGreaterThan(Date.now());
    const ig = await t.http.get(`/api/conversations?subAccountId=${sub}&channel=instagram`).set('authorization', admin);
    expect(ig.body.total).toBe(1);
    const igConv = ig.body.items[0];
    expect(igConv).toMatchObject({
      channel: 'instagram',
      integrationId: instagram.id,
      contact: expect.objectContaining({ igsid: IGSID, username: 'ines.sa' }),
    });
    const wa = await t.http.get(`/api/conversations?subAccountId=${sub}&channel=whatsapp`).set('authorization', admin);
    expect(wa.body.total).toBe(0);

    // the detail: the conversation, its lead and its latest messages
    const detail = await t.http.get(`/api/conversations/${conv.id}`).set('authorization', admin);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: conv.id, channel: 'messenger' });
    expect(JSON.stringify(detail.body)).toContain('Hi there');

    // capture-lead (idempotent: the contact already became a lead on delivery, or becomes one now)
    const captured = await t.http
      .post(`/api/conversations/${igConv.id}/capture-lead`)
      .set('authorization', admin)
      .send({ email: 'ines@example.com' });
    expect([200, 201]).toContain(captured.status);
    const again = await t.http
      .post(`/api/conversations/${igConv.id}/capture-lead`)
      .set('authorization', admin)
      .send({});
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(captured.body.id);

    // link the Messenger conversation to a manual lead
    const manual = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Rui Costa', email: 'rui@example.com' });
    expect(manual.status).toBe(201);
    const linked = await t.http
      .post(`/api/conversations/${conv.id}/link`)
      .set('authorization', admin)
      .send({ leadId: manual.body.id });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ id: conv.id, leadId: manual.body.id, channel: 'messenger' });
    const linkedList = await t.http
      .get(`/api/conversations?subAccountId=${sub}&channel=messenger&linked=true`)
      .set('authorization', admin);
    expect(linkedList.body.items.map((c: { id: string }) => c.id)).toEqual([conv.id]);

    // a send inside the window: 202 queued on the conversation
    fakes.graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: PSID, message_id: 'm_j8_sent' },
    }));
    const sent = await t.http
      .post('/api/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, channel: 'messenger', conversationId: conv.id, text: 'Welcome!' });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.any(String), status: 'queued', conversationId: conv.id });
    await waitFor(async () =>
      (await t.sql.query("SELECT 1 FROM messages WHERE id = $1 AND status = 'sent'", [sent.body.id])).rowCount
        ? true
        : undefined,
    );

    // outside the window: 422 WINDOW_CLOSED in the error shape
    await t.sql.query("UPDATE conversations SET last_inbound_at = now() - interval '2 days' WHERE id = $1", [
      igConv.id,
    ]);
    const closed = await t.http
      .post('/api/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, channel: 'instagram', conversationId: igConv.id, text: 'Still there?' });
    expect(closed.status).toBe(422);
    expect(closed.body).toMatchObject({ statusCode: 422, code: 'WINDOW_CLOSED', message: expect.any(String) });

    // GET /api/messages: channel, conversation and lead filters, newest first
    const msgs = await t.http
      .get(`/api/messages?subAccountId=${sub}&channel=messenger&conversationId=${conv.id}`)
      .set('authorization', admin);
    expect(msgs.status).toBe(200);
    expect(msgs.body.items.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
      ['outbound', 'Welcome!'],
      ['inbound', 'Hi there'],
    ]);
    const byLead = await t.http
      .get(`/api/messages?subAccountId=${sub}&leadId=${captured.body.id}`)
      .set('authorization', admin);
    expect(byLead.body.items).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        text: 'Hi! Is the spring offer still on?',
        channel: 'instagram',
      }),
    ]);
    const igOnly = await t.http.get(`/api/messages?subAccountId=${sub}&channel=instagram`).set('authorization', admin);
    expect(igOnly.body.total).toBe(1);

    // another sub-account's ADMIN: 404 for the records, 403 for the explicit subAccountId
    expect((await t.http.get(`/api/conversations/${conv.id}`).set('authorization', attacker)).status).toBe(404);
    expect(
      (
        await t.http
          .post(`/api/conversations/${conv.id}/link`)
          .set('authorization', attacker)
          .send({ leadId: manual.body.id })
      ).status,
    ).toBe(404);
    expect(
      (await t.http.post(`/api/conversations/${igConv.id}/capture-lead`).set('authorization', attacker).send({}))
        .status,
    ).toBe(404);
    expect((await t.http.get(`/api/conversations?subAccountId=${sub}`).set('authorization', attacker)).status).toBe(
      403,
    );
    expect((await t.http.get(`/api/messages?subAccountId=${sub}`).set('authorization', attacker)).status).toBe(403);
    const foreignSend = await t.http
      .post('/api/messages')
      .set('authorization', attacker)
      .send({ subAccountId: other, channel: 'messenger', conversationId: conv.id, text: 'hi' });
    expect(foreignSend.status).toBe(404);
  });

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
