// The app, fakes and sub-accounts of one customer's day (test/e2e/journey*.e2e-spec.ts), one app a part: the
// provider fakes (one Graph for pages, numbers and leads, sends and templates handed on to the WhatsApp fake),
// sub-account A in America/Sao_Paulo and B beside it, the story's local day; the request helpers; and the
// story of tests 1 to 5 as the first part plays it (and asserts), for the part that starts after them.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeReply, FakeRequest } from './fake-server';
import { createIntegration, createSubAccount, META_CONFIG, WHATSAPP_CONFIG } from './factories';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { deliver, WhatsAppWebhooks } from './fakes/whatsapp-webhooks';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';
import { googleLead, metaLeadgen, metaSignature, settledEvent, waitFor, eventsSettled } from './webhooks';

export const ZONE = 'America/Sao_Paulo';
export const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
export const WABA = WHATSAPP_CONFIG.wabaId;
export const GOOGLE_KEY = 'journey-google-key-1234';
export const LEADGEN_ID = '77001';
export const FORM_ID = '88001';
export const EMAIL = 'maria.souza@example.com';
export const WA_ID = '5511987654321';
export const AGENT_ID = 'agent-ana';
export const HOUR = 3600_000;

/** The local calendar date of an instant in São Paulo (UTC−3 all year since 2019). */
export const localDate = (ms: number): string => new Date(ms - 3 * HOUR).toISOString().slice(0, 10);

export type Body = Record<string, unknown>;
export interface Page<T> {
  items: T[];
  total: number;
}

export interface JourneyFixture {
  t: TestApp;
  fakes: ProviderFakes;
  wa: FakeWhatsAppGraph;
  hooks: WhatsAppWebhooks;
  waUrl: string;
  /** REPORT_STORAGE_DIR, a temp dir removed by close(). */
  storage: string;
  subA: number;
  subB: number;
  admin: string;
  agent: string;
  adminB: string;
  // the story's local day, and instants just either side of its midnight
  now: number;
  today: string;
  yesterday: string;
  midnight: number;
  justAfterMidnight: string;
  justBeforeMidnight: string;
  close(): Promise<void>;
}

export async function setupJourney(): Promise<JourneyFixture> {
  // the story's local day, and instants just either side of its midnight
  const now = Date.now();
  const today = localDate(now);
  const yesterday = localDate(now - 24 * HOUR);
  const midnight = Date.parse(`${today}T00:00:00-03:00`);
  const justAfterMidnight = new Date(Math.min(midnight + 30 * 60_000, now - 60_000)).toISOString();
  const justBeforeMidnight = new Date(midnight - 30 * 60_000).toISOString();
  let t: TestApp;
  let fakes: ProviderFakes;
  let wa: FakeWhatsAppGraph;
  const storage = mkdtempSync(join(tmpdir(), 'hub-journey-'));
  const close = async () => {
    await t?.close();
    await fakes?.close();
    await wa?.close();
    await rm(storage, { recursive: true, force: true });
  };
  const send = (method: 'post' | 'patch', path: string, auth: string, body: object) =>
    t.http[method](path).set('authorization', auth).send(body);
  try {
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
    const subA = await createSubAccount(t, 'PRO', 'Journey A');
    const subB = await createSubAccount(t, 'PRO', 'Journey B');
    const admin = `Bearer ${t.token('ADMIN', [subA], 'admin-a')}`;
    const agent = `Bearer ${t.token('AGENT', [subA], AGENT_ID)}`;
    const adminB = `Bearer ${t.token('ADMIN', [subB], 'admin-b')}`;
    const patched = await send('patch', `/api/sub-accounts/${subA}`, admin, { timezone: ZONE });
    expect([patched.status, patched.body.timezone]).toEqual([200, ZONE]);
    // B's figures are read over the same local day as A's: in UTC, B's "today" differs from São Paulo's
    // for three hours after UTC midnight, and its lead would fall outside the range
    expect((await send('patch', `/api/sub-accounts/${subB}`, adminB, { timezone: ZONE })).status).toBe(200);
    await t.app.listen(0, '127.0.0.1');
    const waUrl = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
    const hooks = wa.webhooks(PHONE_ID);
    return {
      t,
      fakes,
      wa,
      hooks,
      waUrl,
      storage,
      subA,
      subB,
      admin,
      agent,
      adminB,
      now,
      today,
      yesterday,
      midnight,
      justAfterMidnight,
      justBeforeMidnight,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The request helpers of the parts, on the fixture their beforeAll set (read when called). */
export function journeyHelpers(fx: () => JourneyFixture) {
  const get = async <T = Body>(path: string, auth = fx().admin, status = 200): Promise<T> => {
    const res = await fx().t.http.get(path).set('authorization', auth);
    if (res.status !== status) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };
  const send = (method: 'post' | 'patch', path: string, auth: string, body: object) =>
    fx().t.http[method](path).set('authorization', auth).send(body);
  const metaDelivery = () => {
    const body = metaLeadgen(META_CONFIG.pageId, [LEADGEN_ID], FORM_ID);
    return fx()
      .t.http.post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
  };
  const waHook = async (delivery: ReturnType<WhatsAppWebhooks['statuses']>): Promise<void> => {
    const res = await deliver(fx().waUrl, delivery);
    expect(res.status).toBe(200);
  };
  const settled = () => eventsSettled(fx().t);
  const range = (sub: number): string => `subAccountId=${sub}&from=${fx().today}&to=${fx().today}`;
  return { get, send, metaDelivery, waHook, settled, range };
}

export interface JourneyStory {
  metaId: number;
  whatsappId: number;
  leadId: string;
  conversationId: string;
}

/**
 * What tests 1 to 5 (journey.e2e-spec.ts, which asserts every step) leave, for the part that starts after them,
 * by the same requests in the same order: Meta, Google Ads and WhatsApp connected and tested; the Meta lead
 * (delivered twice) and the same person through Google Ads; the agent's work to CONVERTED with a call either
 * side of local midnight; on WhatsApp an inbound message, a delivered reply, a refused one, an approved
 * template, STOP, a refused template send and a bulk whose one recipient is skipped.
 */
export async function playStoryToStop(fx: JourneyFixture): Promise<JourneyStory> {
  const { t, wa, hooks, subA, admin, agent, justAfterMidnight, justBeforeMidnight } = fx;
  const { get, send, metaDelivery, waHook, settled } = journeyHelpers(() => fx);
  const ok = (res: { status: number; body: Body }, status: number, what: string): Body => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  // 1. connected and tested
  const meta = await createIntegration(t, subA, 'meta-lead-ads', META_CONFIG, 'Meta page');
  const google = await createIntegration(t, subA, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY }, 'Google');
  const whatsapp = await createIntegration(t, subA, 'whatsapp-cloud', WHATSAPP_CONFIG, 'WhatsApp');
  for (const id of [meta.id, google.id, whatsapp.id])
    ok(await send('post', `/api/integrations/${id}/test`, admin, {}), 200, `the test of ${id}`);
  // 2. the Meta lead, delivered twice
  const first = ok(await metaDelivery(), 200, 'the Meta delivery');
  await settledEvent(t, first.eventId as string);
  ok(await metaDelivery(), 200, 'the Meta delivery again');
  await settled();
  const leadId = (await get<Page<Body>>(`/api/leads?subAccountId=${subA}`)).items[0].id as string;
  // 3. the same person through Google Ads
  const body = googleLead(GOOGLE_KEY, 'g-lead-1', { name: 'Maria Souza', email: 'Maria.Souza@Example.com' });
  const res = ok(
    await t.http.post(new URL(google.webhookUrl).pathname).set('content-type', 'application/json').send(body),
    200,
    'the Google Ads delivery',
  );
  await settledEvent(t, res.eventId as string);
  // 4. the agent's work
  ok(
    await send('patch', `/api/leads/${leadId}`, agent, {
      status: 'CONTACTED',
      assignedUserId: AGENT_ID,
      assignedUserName: 'Ana Agent',
    }),
    200,
    'CONTACTED',
  );
  // a call just after local midnight counts today; one just before it counted yesterday
  for (const [outcome, occurredAt] of [
    ['ANSWERED', justAfterMidnight],
    ['NO_ANSWER', justBeforeMidnight],
  ]) {
    ok(
      await send('post', `/api/leads/${leadId}/activities`, agent, {
        type: 'CALL',
        outcome,
        userId: AGENT_ID,
        userName: 'Ana Agent',
        occurredAt,
        durationSeconds: 120,
      }),
      201,
      `the ${outcome} call`,
    );
  }
  for (const status of ['QUALIFIED', 'CONVERTED'])
    ok(await send('patch', `/api/leads/${leadId}`, agent, { status }), 200, status);
  // 5. WhatsApp: the inbound message, linked to the lead
  await waHook(hooks.inboundText({ from: WA_ID, name: 'Maria', text: 'Oi, quero um orçamento' }));
  await settled();
  const conversations = await get<Page<Body>>(`/api/whatsapp/conversations?subAccountId=${subA}`, agent);
  const conversationId = conversations.items[0].id as string;
  if (conversations.items[0].leadId === null)
    ok(await send('post', '/api/whatsapp/conversations/auto-link', agent, { subAccountId: subA }), 200, 'auto-link');
  // the reply, accepted and delivered
  const reply = ok(
    await send('post', '/api/whatsapp/messages', agent, {
      subAccountId: subA,
      leadId,
      text: 'Olá Maria! Ligamos em 5 minutos.',
    }),
    202,
    'the reply',
  );
  const sent = await waitFor(
    async () => wa.accepted().find((s) => s.bizOpaqueCallbackData === reply.id),
    20_000,
    'the reply at the fake',
  );
  // Meta's answer only accepts it (the wamid); `sent` and `delivered` arrive as status webhooks
  const outbound = () =>
    get<Page<Body>>(`/api/whatsapp/messages?subAccountId=${subA}&leadId=${leadId}&direction=outbound`, agent);
  await waitFor(async () => (await outbound()).items[0]?.wamid === sent.wamid, 20_000, 'the wamid stored');
  await waHook(hooks.statuses(wa.statusesFor(sent.wamid ?? '', 'delivered', Math.floor(Date.now() / 1000))));
  await settled();
  // the reply Meta refuses
  wa.failFor(WA_ID, 131026, 'sync');
  const undeliverable = ok(
    await send('post', '/api/whatsapp/messages', agent, { subAccountId: subA, leadId, text: 'Maria, você recebeu?' }),
    202,
    'the second reply',
  );
  await waitFor(
    async () => (await outbound()).items.find((m) => m.id === undeliverable.id)?.status === 'failed',
    20_000,
    'the refused reply failed',
  );
  // the approved template
  const template = ok(
    await send('post', '/api/whatsapp/templates', admin, {
      integrationId: whatsapp.id,
      name: 'journey_follow_up',
      language: 'pt_BR',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Oi {{1}}, novidades!', example: { body_text: [['Maria']] } }],
    }),
    201,
    'the template',
  );
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
  // the template send refused, and the bulk whose one recipient is skipped
  await send('post', '/api/whatsapp/messages', agent, {
    subAccountId: subA,
    leadId,
    template: { id: template.id },
    parameters: { 1: '{{lead.company}}' },
  });
  const bulk = ok(
    await send('post', '/api/whatsapp/bulk', admin, {
      subAccountId: subA,
      leadIds: [leadId],
      template: { id: template.id },
      parameters: { 1: 'Maria' },
    }),
    202,
    'the bulk',
  );
  await waitFor(
    async () => (await get(`/api/whatsapp/bulk/${String(bulk.id)}`)).status === 'completed',
    20_000,
    'the bulk job completed',
  );
  return { metaId: meta.id, whatsappId: whatsapp.id, leadId, conversationId };
}
