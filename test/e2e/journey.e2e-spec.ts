// One customer's day told through the public API only, as the CRM frontend sees it: a Meta lead, the
// same person again through Google Ads, an agent working the lead to CONVERTED, the person writing on
// WhatsApp and opting out, then the day's analytics and a report. The modules are tested alone in
// their own specs; this one checks that they agree with each other (and with API.md) over one story,
// in a sub-account in America/Sao_Paulo next to a second sub-account whose records must stay apart.
import { binaryBody } from '../support/binary-body';
import ExcelJS from 'exceljs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeReply, FakeRequest } from '../support/fake-server';
import { createIntegration, createSubAccount, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { pdfText } from '../support/pdf-text';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import { googleLead, metaLeadgen, metaSignature, settledEvent, waitFor, eventsSettled } from '../support/webhooks';

const ZONE = 'America/Sao_Paulo';
const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
const WABA = WHATSAPP_CONFIG.wabaId;
const GOOGLE_KEY = 'journey-google-key-1234';
const LEADGEN_ID = '77001';
const FORM_ID = '88001';
const EMAIL = 'maria.souza@example.com';
const WA_ID = '5511987654321';
const AGENT_ID = 'agent-ana';
const HOUR = 3600_000;

/** The local calendar date of an instant in São Paulo (UTC−3 all year since 2019). */
const localDate = (ms: number): string => new Date(ms - 3 * HOUR).toISOString().slice(0, 10);

type Body = Record<string, unknown>;
interface Page<T> {
  items: T[];
  total: number;
}

describe('one customer’s day, end to end', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let wa: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let waUrl: string;
  let storage: string;
  let subA: number;
  let subB: number;
  let admin: string;
  let agent: string;
  let adminB: string;
  let metaId: number;
  let googlePath: string;
  let whatsappId: number;
  let leadId = '';
  let leadB = '';
  let conversationId = '';
  let reportId = '';
  // the story's local day, and instants just either side of its midnight
  const now = Date.now();
  const today = localDate(now);
  const yesterday = localDate(now - 24 * HOUR);
  const midnight = Date.parse(`${today}T00:00:00-03:00`);
  const justAfterMidnight = new Date(Math.min(midnight + 30 * 60_000, now - 60_000)).toISOString();
  const justBeforeMidnight = new Date(midnight - 30 * 60_000).toISOString();

  const get = async <T = Body>(path: string, auth = admin, status = 200): Promise<T> => {
    const res = await t.http.get(path).set('authorization', auth);
    if (res.status !== status) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };
  const send = (method: 'post' | 'patch', path: string, auth: string, body: object) =>
    t.http[method](path).set('authorization', auth).send(body);
  const metaDelivery = () => {
    const body = metaLeadgen(META_CONFIG.pageId, [LEADGEN_ID], FORM_ID);
    return t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
  };
  const waHook = async (delivery: ReturnType<WhatsAppWebhooks['statuses']>): Promise<void> => {
    const res = await deliver(waUrl, delivery);
    expect(res.status).toBe(200);
  };
  const settled = () => eventsSettled(t);
  const lead = () => get<Body & { sourceTracking: Body; interactions: Body[] }>(`/api/leads/${leadId}`);
  const range = (sub: number): string => `subAccountId=${sub}&from=${today}&to=${today}`;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-journey-'));
    wa = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [PHONE_ID]: WABA },
      pairLimit: null,
    });
    // one Graph for the whole app (META_GRAPH_URL): pages, numbers and leads here, sends and templates
    // handed on to the WhatsApp fake
    fakes = await ProviderFakes.start();
    fakes.page(META_CONFIG.pageAccessToken, META_CONFIG.pageId).number(WHATSAPP_CONFIG.accessToken, PHONE_ID, WABA);
    const forward = async (req: FakeRequest): Promise<FakeReply> => {
      const res = await fetch(`${wa.url}${req.url}`, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body: req.method === 'GET' ? undefined : req.rawBody,
      });
      return { status: res.status, raw: await res.text() };
    };
    fakes.graph.on('POST', /\/\d+\/messages$/, forward);
    fakes.graph.on('GET', /\/\d+\/message_templates$/, forward);
    fakes.graph.on('POST', /\/\d+\/message_templates$/, forward);
    fakes.graph.on('GET', `/${FORM_ID}`, () => ({
      status: 200,
      body: { id: FORM_ID, name: 'Winter form', questions: [] },
    }));
    fakes.graph.on('GET', `/${LEADGEN_ID}`, () => ({
      status: 200,
      body: {
        id: LEADGEN_ID,
        created_time: new Date(now).toISOString().replace(/\.\d+Z$/, '+0000'),
        ad_id: '55',
        ad_name: 'Roof ad',
        adset_id: '44',
        adset_name: 'Lookalikes',
        campaign_id: '33',
        campaign_name: 'Winter',
        form_id: FORM_ID,
        is_organic: false,
        field_data: [
          { name: 'full_name', values: ['Maria Souza'] },
          { name: 'email', values: [EMAIL] },
          { name: 'phone_number', values: [`+${WA_ID}`] },
        ],
      },
    }));
    t = await createTestApp({
      env: { ...fakes.env, REPORT_STORAGE_DIR: storage, WEBHOOK_CACHE_TTL_MS: '0' },
    });
    subA = await createSubAccount(t, 'PRO', 'Journey A');
    subB = await createSubAccount(t, 'PRO', 'Journey B');
    admin = `Bearer ${t.token('ADMIN', [subA], 'admin-a')}`;
    agent = `Bearer ${t.token('AGENT', [subA], AGENT_ID)}`;
    adminB = `Bearer ${t.token('ADMIN', [subB], 'admin-b')}`;
    const patched = await send('patch', `/api/sub-accounts/${subA}`, admin, { timezone: ZONE });
    expect([patched.status, patched.body.timezone]).toEqual([200, ZONE]);
    // B's figures are read over the same local day as A's: in UTC, B's "today" differs from São Paulo's
    // for three hours after UTC midnight, and its lead would fall outside the range
    expect((await send('patch', `/api/sub-accounts/${subB}`, adminB, { timezone: ZONE })).status).toBe(200);
    await t.app.listen(0, '127.0.0.1');
    waUrl = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
    hooks = wa.webhooks(PHONE_ID);
  });
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
    await wa?.close();
    await rm(storage, { recursive: true, force: true });
  });

  it('1. an admin connects Meta Lead Ads, Google Ads lead forms and WhatsApp Cloud; tested, they become active', async () => {
    const meta = await createIntegration(t, subA, 'meta-lead-ads', META_CONFIG, 'Meta page');
    const google = await createIntegration(t, subA, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY }, 'Google');
    const whatsapp = await createIntegration(t, subA, 'whatsapp-cloud', WHATSAPP_CONFIG, 'WhatsApp');
    [metaId, whatsappId] = [meta.id, whatsapp.id];
    googlePath = new URL(google.webhookUrl).pathname;
    for (const created of [meta, google, whatsapp]) {
      expect(created.body).toMatchObject({ subAccountId: subA, status: 'pending', isActive: false });
      expect(created.webhookSecret).toEqual(expect.any(String));
    }
    expect(meta.body.config).toMatchObject({ appSecret: { secret: true, last4: '0001' } });
    for (const id of [metaId, google.id, whatsappId]) {
      const tested = await send('post', `/api/integrations/${id}/test`, admin, {});
      expect([tested.status, tested.body.success]).toEqual([200, true]);
      expect(await get(`/api/integrations/${id}`)).toMatchObject({ status: 'active', isActive: true });
    }
    // B sees none of them
    await get(`/api/integrations/${metaId}`, adminB, 404);
    await get(`/api/integrations?subAccountId=${subA}`, adminB, 403);
    expect((await get<Page<Body>>('/api/integrations', adminB)).total).toBe(0);
  });

  it('2. a signed Meta leadgen delivery becomes one NEW lead with its source; the same delivery again is a duplicate', async () => {
    const first = await metaDelivery();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', eventId: expect.any(String) });
    expect((await settledEvent(t, first.body.eventId as string)).status).toBe('PROCESSED');
    const again = await metaDelivery();
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });
    await settled();

    const list = await get<Page<Body>>(`/api/leads?subAccountId=${subA}`);
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ email: EMAIL, fullName: 'Maria Souza', status: 'NEW', phone: `+${WA_ID}` });
    leadId = list.items[0].id as string;
    const detail = await lead();
    expect(detail.sourceTracking).toMatchObject({
      platform: 'meta',
      integrationId: metaId,
      externalId: LEADGEN_ID,
      campaignId: '33',
      campaignName: 'Winter',
      adGroupId: '44',
      adId: '55',
      formId: FORM_ID,
    });
    // the integration counts it, and its one stored event
    expect((await get(`/api/integrations/${metaId}/health`)).webhooks24h).toEqual({
      received: 1,
      processed: 1,
      failed: 0,
      rejected: 0,
    });
    expect((await get<Page<Body>>(`/api/integrations/${metaId}/events`)).items).toEqual([
      expect.objectContaining({ provider: 'meta-lead-ads', eventType: 'leadgen', status: 'PROCESSED', attempts: 1 }),
    ]);
    expect((await get(`/api/integrations/${metaId}`)).stats).toMatchObject({ totalLeads: 1, leadsToday: 1 });
  });

  it('3. the same person through Google Ads (same e-mail) is still one lead, now with two touches', async () => {
    const body = googleLead(GOOGLE_KEY, 'g-lead-1', { name: 'Maria Souza', email: 'Maria.Souza@Example.com' });
    const res = await t.http.post(googlePath).set('content-type', 'application/json').send(body);
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    expect((await settledEvent(t, res.body.eventId as string)).status).toBe('PROCESSED');
    expect((await get<Page<Body>>(`/api/leads?subAccountId=${subA}`)).total).toBe(1);
    const detail = await lead();
    const sources = detail.sourceTracking.sources as Body[];
    expect(sources.map((s) => s.platform)).toEqual(['meta', 'google-ads']);
    // the first touch stays the lead's origin
    expect(detail.sourceTracking.platform).toBe('meta');
    expect((detail.sourceTracking.latestTouch as Body).platform).toBe('google-ads');
  });

  it('4. an agent works the lead: contacted and assigned, a call answered, qualified, converted; history lists it', async () => {
    const contacted = await send('patch', `/api/leads/${leadId}`, agent, {
      status: 'CONTACTED',
      assignedUserId: AGENT_ID,
      assignedUserName: 'Ana Agent',
    });
    expect(contacted.status).toBe(200);
    expect(contacted.body).toMatchObject({ status: 'CONTACTED', assignedUserId: AGENT_ID });
    // a call just after local midnight counts today; one just before it counted yesterday
    for (const [outcome, occurredAt] of [
      ['ANSWERED', justAfterMidnight],
      ['NO_ANSWER', justBeforeMidnight],
    ]) {
      const call = await send('post', `/api/leads/${leadId}/activities`, agent, {
        type: 'CALL',
        outcome,
        userId: AGENT_ID,
        userName: 'Ana Agent',
        occurredAt,
        durationSeconds: 120,
      });
      expect(call.status).toBe(201);
    }
    for (const status of ['QUALIFIED', 'CONVERTED']) {
      const res = await send('patch', `/api/leads/${leadId}`, agent, { status });
      expect([res.status, res.body.status]).toEqual([200, status]);
    }
    const history = await get<Body[] | Page<Body>>(`/api/leads/${leadId}/history`, agent);
    const items = Array.isArray(history) ? history : history.items;
    expect(items.map((h) => [h.from, h.to, h.by])).toEqual([
      ['NEW', 'CONTACTED', AGENT_ID],
      ['CONTACTED', 'QUALIFIED', AGENT_ID],
      ['QUALIFIED', 'CONVERTED', AGENT_ID],
    ]);
  });

  it('5. the person writes on WhatsApp: the conversation links to the lead, the agent replies, then STOP', async () => {
    await waHook(hooks.inboundText({ from: WA_ID, name: 'Maria', text: 'Oi, quero um orçamento' }));
    await settled();
    const conversations = await get<Page<Body>>(`/api/whatsapp/conversations?subAccountId=${subA}`, agent);
    expect(conversations.total).toBe(1);
    conversationId = conversations.items[0].id as string;
    if (conversations.items[0].leadId === null) {
      const linked = await send('post', '/api/whatsapp/conversations/auto-link', agent, { subAccountId: subA });
      expect([linked.status, linked.body]).toEqual([200, { linked: 1, unmatched: 0 }]);
    }
    const conversation = await get(`/api/whatsapp/conversations/${conversationId}`, agent);
    expect(conversation).toMatchObject({ id: conversationId, leadId });
    // "its lead (with source tracking and status)"
    expect(conversation.lead).toMatchObject({ id: leadId, status: 'CONVERTED' });
    expect(JSON.stringify(conversation.lead)).toContain('"platform":"meta"');
    expect((await lead()).interactions).toEqual([
      expect.objectContaining({ channel: 'whatsapp', direction: 'inbound', body: 'Oi, quero um orçamento' }),
    ]);

    // inside the 24-hour window: free text, queued then sent through the fake
    const reply = await send('post', '/api/whatsapp/messages', agent, {
      subAccountId: subA,
      leadId,
      text: 'Olá Maria! Ligamos em 5 minutos.',
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'queued', conversationId });
    const sent = await waitFor(
      async () => wa.accepted().find((s) => s.bizOpaqueCallbackData === reply.body.id),
      20_000,
      'the reply at the fake',
    );
    expect(sent.to.replace(/\D/g, '')).toBe(WA_ID);
    // Meta's answer only accepts it (the wamid); `sent` and `delivered` arrive as status webhooks
    const outbound = () =>
      get<Page<Body>>(`/api/whatsapp/messages?subAccountId=${subA}&leadId=${leadId}&direction=outbound`, agent);
    await waitFor(async () => (await outbound()).items[0]?.wamid === sent.wamid, 20_000, 'the wamid stored');
    await waHook(hooks.statuses(wa.statusesFor(sent.wamid ?? '', 'delivered', Math.floor(Date.now() / 1000))));
    await settled();
    const delivered = await outbound();
    expect(delivered.items).toEqual([
      expect.objectContaining({
        id: reply.body.id,
        conversationId,
        leadId,
        status: 'delivered',
        sentBy: AGENT_ID,
        sentAt: expect.any(String),
        deliveredAt: expect.any(String),
      }),
    ]);

    // a second reply Meta refuses (131026, undeliverable): failed, never sent
    wa.failFor(WA_ID, 131026, 'sync');
    const undeliverable = await send('post', '/api/whatsapp/messages', agent, {
      subAccountId: subA,
      leadId,
      text: 'Maria, você recebeu?',
    });
    expect(undeliverable.status).toBe(202);
    await waitFor(
      async () => (await outbound()).items.find((m) => m.id === undeliverable.body.id)?.status === 'failed',
      20_000,
      'the refused reply failed',
    );
    expect(wa.accepted()).toHaveLength(1);

    // an approved template to try after the opt-out
    const template = await send('post', '/api/whatsapp/templates', admin, {
      integrationId: whatsappId,
      name: 'journey_follow_up',
      language: 'pt_BR',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Oi {{1}}, novidades!', example: { body_text: [['Maria']] } }],
    });
    expect(template.status).toBe(201);
    const atMeta = wa.templates.find(WABA, 'journey_follow_up', 'pt_BR');
    wa.templates.setStatus(WABA, 'journey_follow_up', 'pt_BR', 'APPROVED');
    await waHook(
      hooks.templateStatus({
        event: 'APPROVED',
        templateId: atMeta?.id ?? '',
        name: 'journey_follow_up',
        language: 'pt_BR',
        time: Math.floor(Date.now() / 1000),
      }),
    );

    // WhatsApp stamps inbound messages in whole seconds, and the inbox orders by that stamp: the STOP
    // is written in a later second than the reply, as a person would
    await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
    await waHook(hooks.inboundText({ from: WA_ID, name: 'Maria', text: 'STOP' }));
    await settled();
    const optOuts = await get<Page<Body>>(`/api/whatsapp/opt-outs?subAccountId=${subA}`);
    expect(optOuts.items).toEqual([expect.objectContaining({ phone: `+${WA_ID}`, waId: WA_ID, source: 'keyword' })]);
    expect((await get(`/api/whatsapp/conversations/${conversationId}`, agent)).optedOut).toBe(true);

    // the recipient is refused before the parameters are looked at: no value (the lead has no company,
    // and no fallback is given) would make a send to an opted-out person possible
    const refused = await send('post', '/api/whatsapp/messages', agent, {
      subAccountId: subA,
      leadId,
      template: { id: template.body.id },
      parameters: { 1: '{{lead.company}}' },
    });
    expect([refused.status, refused.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
    const bulk = await send('post', '/api/whatsapp/bulk', admin, {
      subAccountId: subA,
      leadIds: [leadId],
      template: { id: template.body.id },
      parameters: { 1: 'Maria' },
    });
    expect(bulk.status).toBe(202);
    expect(bulk.body).toMatchObject({
      status: 'queued',
      recipients: 0,
      skipped: { noPhone: 0, optedOut: 1, duplicatePhone: 0, windowClosed: 0 },
    });
    expect(wa.accepted()).toHaveLength(1);
    // nobody left to send to: the job completes with its one recipient skipped
    const job = await waitFor(
      async () => {
        const b = await get(`/api/whatsapp/bulk/${String(bulk.body.id)}`);
        return b.status === 'completed' ? b : undefined;
      },
      20_000,
      'the bulk job completed',
    );
    expect(job.counts).toMatchObject({ total: 1, pending: 0, sent: 0, failed: 0, skipped: 1 });
    expect((await get<Page<Body>>(`/api/whatsapp/bulk/${String(bulk.body.id)}/recipients`)).items).toEqual([
      expect.objectContaining({ leadId, phone: `+${WA_ID}`, status: 'skipped', messageId: null }),
    ]);
    const thread = await get<Page<Body>>(`/api/whatsapp/messages?subAccountId=${subA}&leadId=${leadId}`, agent);
    expect(thread.items.map((m) => [m.direction, m.text, m.status])).toEqual([
      ['inbound', 'STOP', 'received'],
      ['outbound', 'Maria, você recebeu?', 'failed'],
      ['outbound', 'Olá Maria! Ligamos em 5 minutos.', 'delivered'],
      ['inbound', 'Oi, quero um orçamento', 'received'],
    ]);
    // both inbound messages in the lead's interactions, in order
    expect((await lead()).interactions.filter((i) => i.direction === 'inbound').map((i) => i.body)).toEqual([
      'Oi, quero um orçamento',
      'STOP',
    ]);
  });

  it('8a. sub-account B has its own lead with the same e-mail, converted today; it never merges into A', async () => {
    const created = await send('post', '/api/leads', adminB, {
      subAccountId: subB,
      fullName: 'Maria Souza (B)',
      email: EMAIL,
      phone: `+${WA_ID}`,
    });
    expect(created.status).toBe(201);
    leadB = created.body.id as string;
    expect(leadB).not.toBe(leadId);
    const converted = await send('patch', `/api/leads/${leadB}`, adminB, { status: 'CONVERTED' });
    expect(converted.status).toBe(200);
    expect((await get<Page<Body>>(`/api/leads?subAccountId=${subA}`)).total).toBe(1);
  });

  it('6. the day’s analytics in São Paulo agree with the story', async () => {
    const overview = await get<Body & { totals: Body; bySource: Body[]; byStatus: Body }>(
      `/api/analytics/overview?${range(subA)}`,
    );
    expect(overview.timezone).toBe(ZONE);
    expect(overview.totals).toEqual({
      totalLeads: 1,
      newLeads: 1,
      convertedLeads: 1,
      lostLeads: 0,
      conversionRate: 1,
    });
    expect(overview.byStatus).toMatchObject({ NEW: 0, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1 });
    expect(overview.bySource).toEqual([
      expect.objectContaining({ platform: 'meta', integrationId: metaId, leads: 1, converted: 1, conversionRate: 1 }),
    ]);

    // the same day given as instants (local midnight to the next) answers the same totals
    const instants = await get<{ totals: Body }>(
      `/api/analytics/overview?subAccountId=${subA}&from=${encodeURIComponent(
        new Date(midnight).toISOString(),
      )}&to=${encodeURIComponent(new Date(midnight + 24 * HOUR - 1).toISOString())}`,
    );
    expect(instants.totals).toEqual(overview.totals);

    const compared = await get<{ previous: { totals: Body } }>(
      `/api/analytics/overview?${range(subA)}&compare=previous`,
    );
    expect(compared.previous.totals).toMatchObject({ totalLeads: 0, newLeads: 0, convertedLeads: 0 });

    const funnel = await get<{ stages: Body[] }>(`/api/analytics/funnel?${range(subA)}`);
    expect(funnel.stages.map((s) => [s.stage, s.count, s.percentage, s.dropOff])).toEqual([
      ['NEW', 1, 1, 0],
      ['CONTACTED', 1, 1, 0],
      ['QUALIFIED', 1, 1, 0],
      ['CONVERTED', 1, 1, 0],
    ]);

    const snapshots = await get<Array<{ date: string; metrics: Body }>>(
      `/api/analytics/snapshots?subAccountId=${subA}&from=${yesterday}&to=${today}&period=DAILY`,
    );
    expect(snapshots.map((s) => [s.date, s.metrics.newLeads, s.metrics.convertedLeads, s.metrics.totalLeads])).toEqual([
      [yesterday, 0, 0, 0],
      [today, 1, 1, 1],
    ]);
    expect(snapshots[1].metrics.leadsBySource).toEqual({ meta: 1 });

    const team = await get<Body[]>(`/api/analytics/team?${range(subA)}`);
    expect(team).toEqual([
      expect.objectContaining({
        userId: AGENT_ID,
        leadsAssigned: 1,
        callsMade: 1,
        callsAnswered: 1,
        leadsConverted: 1,
        conversionRate: 1,
      }),
    ]);

    // the lead's local hour, with São Paulo's offset
    const createdAt = Date.parse((await lead()).createdAt as string);
    const hour = `${localDate(createdAt)}T${new Date(createdAt - 3 * HOUR).toISOString().slice(11, 13)}:00-03:00`;
    const hours = await get<{ series: Array<{ points: Body[] }> }>(
      `/api/analytics/timeseries?${range(subA)}&granularity=hour&metric=newLeads`,
    );
    expect(hours.series[0].points).toHaveLength(24);
    expect(hours.series[0].points.filter((p) => p.value !== 0)).toEqual([{ bucket: hour, value: 1 }]);

    // yesterday (local) holds only the unanswered call made just before midnight
    const teamYesterday = await get<Body[]>(
      `/api/analytics/team?subAccountId=${subA}&from=${yesterday}&to=${yesterday}`,
    );
    expect(teamYesterday).toEqual([
      expect.objectContaining({
        userId: AGENT_ID,
        leadsAssigned: 0,
        callsMade: 1,
        callsAnswered: 0,
        leadsConverted: 0,
      }),
    ]);

    const days = `subAccountId=${subA}&from=${yesterday}&to=${today}&granularity=day`;
    // messagesSent: the reply Meta accepted, not the one it refused (WhatsApp analytics' `sent` below)
    for (const metric of ['newLeads', 'convertedLeads', 'messagesSent']) {
      const series = await get<{ timezone: string; series: Body[] }>(
        `/api/analytics/timeseries?${days}&metric=${metric}`,
      );
      expect([metric, series.series]).toEqual([
        metric,
        [
          {
            key: 'total',
            points: [
              { bucket: yesterday, value: 0 },
              { bucket: today, value: 1 },
            ],
          },
        ],
      ]);
    }

    const whatsapp = await get(`/api/whatsapp/analytics?${range(subA)}`);
    expect(whatsapp).toMatchObject({
      sent: 1,
      delivered: 1,
      failed: 1,
      inbound: 2,
      conversations: 1,
      linkedConversations: 1,
      // the contact was a lead before it wrote: linked, not captured from the conversation
      conversationToLeadRate: 0,
      optOuts: 1,
    });
  });

  it('6b. a rebuild of the aggregates from the facts answers the same figures', async () => {
    const paths = [
      `/api/analytics/overview?${range(subA)}&compare=previous`,
      `/api/analytics/funnel?${range(subA)}`,
      `/api/analytics/team?subAccountId=${subA}&from=${yesterday}&to=${today}`,
      `/api/analytics/timeseries?subAccountId=${subA}&from=${yesterday}&to=${today}&metric=convertedLeads&groupBy=source`,
      `/api/analytics/snapshots?subAccountId=${subA}&from=${yesterday}&to=${today}&period=DAILY`,
    ];
    const before = await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))));
    const res = await send('post', '/api/analytics/rebuild', admin, { subAccountId: subA });
    expect(res.status).toBe(202);
    await waitFor(
      async () =>
        (await t.sql.query("SELECT 1 FROM pgboss.job WHERE id = $1 AND state = 'completed'", [res.body.jobId]))
          .rowCount === 1,
      20_000,
      'the rebuild',
    );
    expect(await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))))).toEqual(before);
  });

  /** Generates a report of a new template for the story's day; answers its list item and its file. */
  const generated = async (
    name: string,
    type: string,
    format: 'PDF' | 'EXCEL',
    metrics: string[],
  ): Promise<{ report: Body; path: string }> => {
    const created = await send('post', '/api/report-templates', admin, {
      subAccountId: subA,
      name,
      type,
      format,
      config: { metrics, dateRange: { from: today, to: today } },
    });
    expect(created.status).toBe(201);
    const generate = await send('post', `/api/report-templates/${created.body.id}/generate`, admin, {});
    expect(generate.status).toBe(202);
    const id = generate.body.reportId as string;
    const report = await waitFor(
      async () => {
        const list = await get<Page<Body>>(`/api/reports?subAccountId=${subA}`);
        const item = list.items.find((r) => r.id === id);
        return item && (item.status === 'ready' || item.status === 'failed') ? item : undefined;
      },
      30_000,
      `the report ${name}`,
    );
    expect(report).toMatchObject({ status: 'ready', fileType: format });
    const file = await t.http
      .get(`/api/reports/${id}/download`)
      .set('authorization', admin)
      .buffer(true)
      .parse(binaryBody);
    expect(file.status).toBe(200);
    const path = join(storage, `${id}.${format === 'PDF' ? 'pdf' : 'xlsx'}`);
    writeFileSync(path, file.body as Buffer);
    return { report, path };
  };

  it('7. a CONVERSION report of the day is ready and shows the overview’s figures', async () => {
    const overview = await get<{ totals: Body }>(`/api/analytics/overview?${range(subA)}`);
    const { report, path } = await generated('Journey day', 'CONVERSION', 'PDF', ['newLeads', 'convertedLeads']);
    reportId = report.id as string;
    expect(report.rows).toBe(1);
    const flat = (await pdfText(path)).text.replace(/\s+/g, ' ');
    const totals = overview.totals;
    expect(flat).toContain(`Period: ${today} (${ZONE})`);
    expect(flat).toContain(`New leads ${String(totals.newLeads)} Converted leads ${String(totals.convertedLeads)}`);
    expect(flat).toContain(
      `${today} ${String(totals.newLeads)} ${String(totals.convertedLeads)} ${String(totals.lostLeads)} 100.00%`,
    );
    expect(flat).not.toContain('Maria Souza (B)');
  });

  it('7b. a TEAM report in Excel shows the team endpoint’s figures and only A’s lead', async () => {
    const team = await get<Body[]>(`/api/analytics/team?${range(subA)}`);
    const { path } = await generated('Journey team', 'TEAM', 'EXCEL', ['newLeads', 'convertedLeads']);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    const rowsOf = (sheet: string): unknown[][] => {
      const rows: unknown[][] = [];
      (workbook.getWorksheet(sheet) as ExcelJS.Worksheet).eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
      return rows;
    };
    expect(rowsOf('Team performance').slice(1)).toEqual(
      team.map((m) => [m.userName, m.leadsAssigned, m.callsMade, m.callsAnswered, m.leadsConverted, m.conversionRate]),
    );
    const leads = rowsOf('Leads');
    expect(leads.slice(1).map((r) => [String(r[0]), r[2], r[5], r[6]])).toEqual([
      [leadId, 'Maria Souza', 'CONVERTED', 'meta'],
    ]);
    const summary = rowsOf('Summary');
    expect(summary).toContainEqual(['Time zone', ZONE]);
  });

  it('8. sub-account B’s admin sees none of A’s records, and B’s figures are only B’s', async () => {
    for (const path of [
      `/api/leads/${leadId}`,
      `/api/leads/${leadId}/history`,
      `/api/whatsapp/conversations/${conversationId}`,
      `/api/integrations/${whatsappId}`,
      `/api/reports/${reportId}/download`,
    ])
      expect([path, (await t.http.get(path).set('authorization', adminB)).status]).toEqual([path, 404]);
    expect((await send('patch', `/api/leads/${leadId}`, adminB, { status: 'LOST' })).status).toBe(404);
    expect(
      (await send('post', `/api/whatsapp/conversations/${conversationId}/link`, adminB, { leadId: leadB })).status,
    ).toBe(404);
    for (const path of [
      `/api/leads?subAccountId=${subA}`,
      `/api/whatsapp/conversations?subAccountId=${subA}`,
      `/api/whatsapp/opt-outs?subAccountId=${subA}`,
      `/api/reports?subAccountId=${subA}`,
      `/api/analytics/overview?${range(subA)}`,
      `/api/analytics/team?${range(subA)}`,
      `/api/whatsapp/analytics?${range(subA)}`,
    ])
      expect([path, (await t.http.get(path).set('authorization', adminB)).status]).toEqual([path, 403]);
    const leadsB = await get<Page<Body>>('/api/leads', adminB);
    expect(leadsB.items.map((l) => l.id)).toEqual([leadB]);
    expect((await get<Page<Body>>(`/api/whatsapp/conversations?subAccountId=${subB}`, adminB)).total).toBe(0);
    expect((await get<Page<Body>>(`/api/whatsapp/opt-outs?subAccountId=${subB}`, adminB)).total).toBe(0);
    expect((await get<Page<Body>>(`/api/reports?subAccountId=${subB}`, adminB)).total).toBe(0);
    const overviewB = await get<{ totals: Body; bySource: Body[] }>(`/api/analytics/overview?${range(subB)}`, adminB);
    expect(overviewB.totals).toMatchObject({ newLeads: 1, convertedLeads: 1 });
    expect(overviewB.bySource.map((s) => s.platform)).toEqual(['manual']);
    expect(await get(`/api/analytics/team?${range(subB)}`, adminB)).toEqual([]);
  });
});
