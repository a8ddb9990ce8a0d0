// One customer's day told through the public API only, as the CRM frontend sees it: a Meta lead, the
// same person again through Google Ads, an agent working the lead to CONVERTED, the person writing on
// WhatsApp and opting out, then the day's analytics and a report. The modules are tested alone in
// their own specs; this one checks that they agree with each other (and with API.md) over one story,
// in a sub-account in America/Sao_Paulo next to a second sub-account whose records must stay apart.
// This part plays tests 1 to 5 (connections, the leads, the agent's work, WhatsApp); the day's figures, reports
// and B's isolation (6 to 8) are in journey-figures.e2e-spec.ts, on the same story played by its setup; the
// shared setup is in test/support/journey-setup.ts.
import { createIntegration, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { googleLead, settledEvent, waitFor } from '../support/webhooks';
import {
  AGENT_ID,
  Body,
  EMAIL,
  FORM_ID,
  GOOGLE_KEY,
  JourneyFixture,
  journeyHelpers,
  LEADGEN_ID,
  Page,
  setupJourney,
  WA_ID,
  WABA,
} from '../support/journey-setup';

describe('one customer’s day, end to end', () => {
  let fx: JourneyFixture;
  let t: TestApp;
  let wa: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let subA: number;
  let admin: string;
  let agent: string;
  let adminB: string;
  let justAfterMidnight: string;
  let justBeforeMidnight: string;
  let metaId: number;
  let googlePath: string;
  let whatsappId: number;
  let leadId = '';
  let conversationId = '';
  const { get, send, metaDelivery, waHook, settled } = journeyHelpers(() => fx);
  const lead = () => get<Body & { sourceTracking: Body; interactions: Body[] }>(`/api/leads/${leadId}`);

  beforeAll(async () => {
    fx = await setupJourney();
    ({ t, wa, hooks, subA, admin, agent, adminB, justAfterMidnight, justBeforeMidnight } = fx);
  });
  afterAll(() => fx?.close());

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
});
