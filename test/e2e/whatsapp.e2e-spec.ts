// Issue 12 over HTTP against the fake Graph API: templates in step with Meta, sends inside the rules,
// statuses that never regress, inbound messages in conversations linked to leads, opt-outs, analytics,
// roles and tenant isolation on every WhatsApp route.
import { WhatsAppStatusService } from '../../src/modules/whatsapp/whatsapp-status.service';
import { MessagesRepository } from '../../src/modules/whatsapp/messages.repository';
import { WhatsAppNumbersService } from '../../src/modules/whatsapp/whatsapp-numbers.service';
import { WhatsAppSendService } from '../../src/modules/whatsapp/whatsapp-send.service';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, newWamid, statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor, eventsSettled } from '../support/webhooks';

const WABA = WHATSAPP_CONFIG.wabaId;
const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('WhatsApp (issue 12)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let url: string;
  let sub: number;
  let other: number;
  let integrationId: number;
  let admin: string;
  let agent: string;
  let stranger: string;

  const post = (path: string, token: string, body: object) => t.http.post(path).set('authorization', token).send(body);
  const get = (path: string, token: string) => t.http.get(path).set('authorization', token);
  const hook = async (delivery: ReturnType<WhatsAppWebhooks['statuses']>) => {
    const res = await deliver(url, delivery);
    expect(res.status).toBe(200);
  };
  const message = async (id: string) =>
    (await t.sql.query('SELECT * FROM messages WHERE id = $1', [id])).rows[0] as Record<string, unknown>;
  const processed = () => eventsSettled(t);

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [PHONE_ID]: WABA },
      pairLimit: null,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    url = `${t.app.getHttpServer() ? '' : ''}`;
    sub = await createSubAccount(t, 'MAX', 'WhatsApp Co');
    other = await createSubAccount(t, 'MAX', 'Other Co');
    integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    await activate(t, sub, integrationId);
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'agent-1')}`;
    stranger = `Bearer ${t.token('ADMIN', [other])}`;
    hooks = fake.webhooks(PHONE_ID);
    await t.app.listen(0, '127.0.0.1');
    url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const BODY = {
    type: 'BODY',
    text: 'Hi {{1}}, your order {{2}} shipped',
    example: { body_text: [['Ana', 'A-1']] },
  };

  it('template: created PENDING at Meta, refused until approved by webhook, parameters checked before Meta', async () => {
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId,
      name: 'order_shipped',
      language: 'en_US',
      category: 'UTILITY',
      components: [BODY],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'order_shipped', status: 'PENDING', parameterFormat: 'POSITIONAL' });
    expect(created.body.variables).toEqual([
      { component: 'BODY', key: '1', example: 'Ana' },
      { component: 'BODY', key: '2', example: 'A-1' },
    ]);
    const stored = fake.templates.find(WABA, 'order_shipped', 'en_US');
    expect(stored?.status).toBe('PENDING');
    // agents see only approved templates
    expect((await get('/api/whatsapp/templates', agent)).body.total).toBe(0);
    expect((await post('/api/whatsapp/templates', agent, { integrationId })).status).toBe(403);

    const send = {
      subAccountId: sub,
      to: '+14155550100',
      template: { id: created.body.id },
      parameters: { 1: 'Ana', 2: 'X' },
    };
    const refused = await post('/api/whatsapp/messages', agent, send);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('TEMPLATE_NOT_APPROVED');

    fake.templates.setStatus(WABA, 'order_shipped', 'en_US', 'APPROVED');
    await hook(
      hooks.templateStatus({
        event: 'APPROVED',
        templateId: stored?.id ?? '',
        name: 'order_shipped',
        language: 'en_US',
        time: nowSeconds(),
      }),
    );
    await waitFor(
      async () => (await get('/api/whatsapp/templates', agent)).body.items[0]?.status === 'APPROVED',
      20_000,
      'template approved by webhook',
    );

    const mismatch = await post('/api/whatsapp/messages', agent, { ...send, parameters: { 1: 'Ana' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.code).toBe('TEMPLATE_PARAMETERS_INVALID');
    // each problem in the shape every 400 uses: { field, messages[] }
    expect(mismatch.body.details.length).toBeGreaterThan(0);
    for (const d of mismatch.body.details)
      expect(d).toEqual({ field: expect.any(String), messages: [expect.any(String)] });
    const neither = await post('/api/whatsapp/messages', agent, { subAccountId: sub, to: '+14155550111' });
    expect(neither.status).toBe(400);
    expect(neither.body.details).toEqual([{ field: 'text', messages: ['text or template'] }]);
    expect(fake.sends).toHaveLength(0);

    const ok = await post('/api/whatsapp/messages', agent, send);
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'queued' });
    const sent = await waitFor(
      async () => fake.accepted().find((s) => s.bizOpaqueCallbackData === ok.body.id),
      20_000,
      'send',
    );
    expect(sent.template).toBe('order_shipped');
    await waitFor(async () => (await message(ok.body.id)).wamid === sent.wamid, 20_000, 'wamid stored');
  });

  it('free text only inside the 24-hour window', async () => {
    const closed = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550111',
      text: 'hello',
    });
    expect(closed.status).toBe(422);
    expect(closed.body.code).toBe('WINDOW_CLOSED');
    // a contact who wrote 25 hours ago is outside the window too
    await hook(hooks.inboundText({ from: '14155550122', text: 'old', timestamp: nowSeconds() - 25 * 3600 }));
    await processed();
    expect(
      (await post('/api/whatsapp/messages', agent, { subAccountId: sub, to: '+14155550122', text: 'hi' })).body.code,
    ).toBe('WINDOW_CLOSED');
    await hook(hooks.inboundText({ from: '14155550111', name: 'Bob', text: 'hi there' }));
    await processed();
    const open = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550111',
      text: 'hello Bob',
    });
    expect(open.status).toBe(202);
    await waitFor(
      async () => fake.accepted().some((s) => s.bizOpaqueCallbackData === open.body.id),
      20_000,
      'text sent',
    );
  });

  it('a lead without a phone is refused with LEAD_HAS_NO_PHONE before anything is written or sent', async () => {
    const lead = await post('/api/leads', admin, {
      subAccountId: sub,
      fullName: 'No Phone',
      email: 'nophone@example.org',
    });
    expect(lead.status).toBe(201);
    const sentBefore = fake.sends.length;
    const messagesBefore = (await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n as number;
    for (const body of [
      { subAccountId: sub, leadId: lead.body.id as string, text: 'hello' },
      { subAccountId: sub, leadId: lead.body.id as string, template: { name: 'order_update', language: 'en_US' } },
    ]) {
      const res = await post('/api/whatsapp/messages', agent, body);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ statusCode: 422, code: 'LEAD_HAS_NO_PHONE' });
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(messagesBefore);
    expect(fake.sends.length).toBe(sentBefore);
  });

  it('POST /api/whatsapp/messages: a field sent as null is a 400 before anything is written or sent', async () => {
    await hook(hooks.inboundText({ from: '14155550155', name: 'Nul', text: 'hello?' }));
    await processed();
    const sentBefore = fake.sends.length;
    const messagesBefore = (await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n as number;
    const base = { subAccountId: sub, to: '+14155550155' };
    for (const body of [
      { ...base, text: null },
      { ...base, template: null },
      { ...base, text: 'hi', template: null },
      { ...base, text: 'hi', parameters: null },
      { ...base, text: 'hi', integrationId: null },
      { ...base, text: 'hi', replyToMessageId: null },
      { subAccountId: sub, to: null, text: 'hi' },
    ]) {
      const res = await post('/api/whatsapp/messages', agent, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(messagesBefore);
    expect(fake.sends.length).toBe(sentBefore);
  });

  it('GET /api/whatsapp/messages: a date as `to` includes that whole day', async () => {
    await hook(hooks.inboundText({ from: '14155550166', name: 'Day', text: 'today' }));
    await processed();
    const conversation = (
      await t.sql.query<{ id: string }>("SELECT id::text FROM conversations WHERE wa_id = '14155550166'")
    ).rows[0].id;
    const { rows } = await t.sql.query<{ day: string }>(
      "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM messages WHERE conversation_id = $1",
      [conversation],
    );
    const day = rows[0].day;
    for (const query of [`from=${day}&to=${day}`, `to=${day}`]) {
      const res = await get(`/api/whatsapp/messages?conversationId=${conversation}&${query}`, agent);
      expect({ query, status: res.status, total: res.body.total }).toEqual({ query, status: 200, total: 1 });
    }
    const before = await get(`/api/whatsapp/messages?conversationId=${conversation}&to=2000-01-01`, agent);
    expect(before.body.total).toBe(0);
    // the channel-neutral list reads `to` the same way
    const neutral = await get(`/api/messages?conversationId=${conversation}&from=${day}&to=${day}`, agent);
    expect(neutral.body.total).toBe(1);
  });

  // ISO 8601 forms a JavaScript Date cannot read (basic, week, ordinal) and days that do not exist
  it('GET /api/whatsapp/messages and /api/messages: a from/to that names no readable day is 400 naming it, never 500', async () => {
    for (const path of ['/api/whatsapp/messages', '/api/messages'])
      for (const field of ['from', 'to'])
        for (const value of ['20261201', '2026-W48', '2026-335', '2026-02-30', '2026-02-30T10:00:00Z']) {
          const res = await get(`${path}?subAccountId=${sub}&${field}=${value}`, agent);
          expect({ path, field, value, status: res.status, code: res.body.code }).toEqual({
            path,
            field,
            value,
            status: 400,
            code: 'VALIDATION_FAILED',
          });
          expect(res.body.details).toEqual([expect.objectContaining({ field })]);
        }
  });

  it('POST /api/messages with channel whatsapp is the WhatsApp single send: window, opt-out, reply context, 202', async () => {
    await hook(hooks.inboundText({ from: '14155550144', name: 'Nia', text: 'are you open?' }));
    await processed();
    const conversation = (
      await t.sql.query<{ id: string }>("SELECT id::text FROM conversations WHERE wa_id = '14155550144'")
    ).rows[0].id;
    const inbound = (
      await t.sql.query<{ id: string; wamid: string }>(
        "SELECT id::text, wamid FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        [conversation],
      )
    ).rows[0];
    const send = (body: object, token = agent) =>
      post('/api/messages', token, { subAccountId: sub, channel: 'whatsapp', ...body });

    const res = await send({ conversationId: conversation, text: 'until 8 pm', replyToMessageId: inbound.id });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      conversationId: conversation,
      channel: 'whatsapp',
      tag: null,
    });
    const sent = await waitFor(
      async () => fake.accepted().find((s) => s.bizOpaqueCallbackData === res.body.id),
      20_000,
      'text sent',
    );
    expect(sent.to).toContain('14155550144');
    expect(await message(res.body.id)).toMatchObject({
      channel: 'whatsapp',
      text: 'until 8 pm',
      reply_to_message_id: inbound.id,
      context_wamid: inbound.wamid,
      sent_by: 'agent-1',
    });
    // the channel-neutral list shows it as the WhatsApp list does
    const listed = await get(`/api/messages?conversationId=${conversation}&channel=whatsapp&direction=outbound`, agent);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: res.body.id, channel: 'whatsapp', replyToMessageId: inbound.id }),
    ]);
    // by lead: the lead's WhatsApp conversation
    const lead = await t.sql.query<{ id: string }>(
      "INSERT INTO leads (sub_account_id, full_name, phone, updated_at) VALUES ($1, 'Nia', '+14155550144', now()) RETURNING id::text",
      [sub],
    );
    await t.sql.query('UPDATE conversations SET lead_id = $1 WHERE id = $2', [lead.rows[0].id, conversation]);
    const byLead = await send({ leadId: lead.rows[0].id, text: 'see you' });
    // WhatsApp's own limit (4096 characters) through the channel-neutral route too, not Messenger's 2000
    const long = await send({ conversationId: conversation, text: 'y'.repeat(4096) });
    expect(long.status).toBe(202);
    const over = await send({ conversationId: conversation, text: 'y'.repeat(4097) });
    expect([over.status, over.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(byLead.status).toBe(202);
    expect(byLead.body.conversationId).toBe(conversation);

    // a message of another conversation is not one to reply to
    const elsewhere = (
      await t.sql.query<{ id: string }>(
        "SELECT m.id::text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.sub_account_id = $1 AND c.id <> $2 AND m.direction = 'inbound' LIMIT 1",
        [sub, conversation],
      )
    ).rows[0].id;
    const wrongReply = await send({ conversationId: conversation, text: 'x', replyToMessageId: elsewhere });
    expect(wrongReply.status).toBe(404);

    // the WhatsApp rules: 25 hours after the contact wrote, free text is WINDOW_CLOSED
    await t.sql.query("UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1", [
      conversation,
    ]);
    const closed = await send({ conversationId: conversation, text: 'still there?' });
    expect(closed.status).toBe(422);
    expect(closed.body.code).toBe('WINDOW_CLOSED');
    await t.sql.query('UPDATE conversations SET last_inbound_at = now() WHERE id = $1', [conversation]);
    const optOut = await post('/api/whatsapp/opt-outs', admin, {
      subAccountId: sub,
      waId: '14155550144',
      scope: 'all',
    });
    expect(optOut.status).toBe(201);
    const optedOut = await send({ conversationId: conversation, text: 'hello?' });
    expect(optedOut.status).toBe(422);
    expect(optedOut.body.code).toBe('RECIPIENT_OPTED_OUT');
    const removed = await t.http.delete(`/api/whatsapp/opt-outs/${optOut.body.id}`).set('authorization', admin);
    expect(removed.status).toBe(204);

    // another sub-account: 403 for the explicit sub-account, 404 for this conversation through its own
    expect((await send({ conversationId: conversation, text: 'x' }, stranger)).status).toBe(403);
    const foreign = await post('/api/messages', stranger, {
      subAccountId: other,
      channel: 'whatsapp',
      conversationId: conversation,
      text: 'x',
    });
    expect(foreign.status).toBe(404);
  });

  it('statuses out of order and duplicated never regress; pricing stored; failed is final', async () => {
    await hook(hooks.inboundText({ from: '14155550133', text: 'yo' }));
    await processed();
    const res = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550133',
      text: 'status test',
    });
    expect(res.status).toBe(202);
    const row = await waitFor(async () => {
      const m = await message(res.body.id);
      return m.wamid ? m : undefined;
    });
    const wamid = String(row.wamid);
    const at = nowSeconds();
    await hook(hooks.statuses([statusOf(wamid, 'read', { timestamp: at + 2 })]));
    await hook(
      hooks.statuses([
        statusOf(wamid, 'sent', { timestamp: at, pricingCategory: 'service' }),
        statusOf(wamid, 'delivered', { timestamp: at + 1 }),
      ]),
    );
    await hook(hooks.statuses([statusOf(wamid, 'sent', { timestamp: at, pricingCategory: 'service' })]));
    await hook(
      hooks.statuses([statusOf(wamid, 'failed', { timestamp: at + 3, errors: [{ code: 131026, title: 'x' }] })]),
    );
    await processed();
    const after = await message(res.body.id);
    expect(after.status).toBe('read');
    expect((after.read_at as Date).getTime()).toBe((at + 2) * 1000);
    expect((after.delivered_at as Date).getTime()).toBe((at + 1) * 1000);
    expect((after.sent_at as Date).getTime()).toBe(at * 1000);
    expect(after.pricing_category).toBe('service');
    const listed = await get(
      `/api/whatsapp/messages?subAccountId=${sub}&conversationId=${String(row.conversation_id)}`,
      agent,
    );
    expect(listed.body.items[0]).toMatchObject({ id: res.body.id, status: 'read', pricing: { category: 'service' } });
  });

  it('a status for a wamid not known yet is kept and applied when the message gets it', async () => {
    const wamid = newWamid();
    const at = nowSeconds();
    await hook(
      hooks.statuses([statusOf(wamid, 'delivered', { timestamp: at + 1 }), statusOf(wamid, 'sent', { timestamp: at })]),
    );
    await processed();
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_orphan_statuses WHERE wamid = $1', [wamid])).rows[0]
        .n,
    ).toBe(2);
    // the send's answer arrives now (the code path of a worker whose answer came after the webhook)
    const number = await t.app.get(WhatsAppNumbersService).resolve(sub);
    const { messageId } = await t.app.get(WhatsAppSendService).createOutbound({
      number,
      phone: '+14155550144',
      leadId: null,
      text: 'late answer',
      lane: 'agent',
      sentBy: null,
    });
    const repo = t.app.get(MessagesRepository);
    const row = await repo.update(messageId, { wamid, sendState: 'accepted' });
    await t.app.get(WhatsAppStatusService).applyOrphans(row);
    const after = await message(messageId);
    expect(after.status).toBe('delivered');
    expect((after.sent_at as Date).getTime()).toBe(at * 1000);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_orphan_statuses WHERE wamid = $1', [wamid])).rows[0]
        .n,
    ).toBe(0);
  });

  it('STOP opts out (a marketing template is refused with RECIPIENT_OPTED_OUT), START undoes it; user_preferences stops marketing only', async () => {
    fake.templates.add(WABA, {
      name: 'promo',
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Sale!' }],
    });
    fake.templates.add(WABA, {
      name: 'receipt',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Thanks' }],
    });
    const sync = await post('/api/whatsapp/templates/sync', admin, { integrationId });
    expect(sync.status).toBe(202);
    await waitFor(
      async () => (await get('/api/whatsapp/templates?q=promo', agent)).body.total === 1,
      20_000,
      'reconcile',
    );

    const promo = { subAccountId: sub, to: '+5511987650001', template: { name: 'promo', language: 'en_US' } };
    const receipt = { subAccountId: sub, to: '+5511987650001', template: { name: 'receipt', language: 'en_US' } };
    // Brazil: WhatsApp knows this contact without the ninth digit
    await hook(hooks.inboundText({ from: '551187650001', text: 'STOP' }));
    await processed();
    const refused = await post('/api/whatsapp/messages', agent, promo);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('RECIPIENT_OPTED_OUT');
    const optOuts = await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin);
    expect(optOuts.body.items[0]).toMatchObject({ waId: '551187650001', scope: 'all', source: 'keyword' });

    await hook(hooks.inboundText({ from: '551187650001', text: 'start' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).status).toBe(202);

    await hook(hooks.userPreferences({ waId: '551187650001', value: 'stop' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).body.code).toBe('RECIPIENT_OPTED_OUT');
    expect((await post('/api/whatsapp/messages', agent, receipt)).status).toBe(202);
    await hook(hooks.userPreferences({ waId: '551187650001', value: 'resume' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).status).toBe(202);
  });

  it('131050 from Meta fails the message with its code and adds a marketing opt-out', async () => {
    fake.failFor('+14155550155', 131050, 'sync');
    const res = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550155',
      template: { name: 'promo', language: 'en_US' },
    });
    expect(res.status).toBe(202);
    const failed = await waitFor(async () => {
      const m = await message(res.body.id);
      return m.status === 'failed' ? m : undefined;
    });
    expect(failed.error_code).toBe(131050);
    const list = await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin);
    expect(
      list.body.items.some(
        (o: { phone: string; source: string }) => o.phone === '+14155550155' && o.source === 'error_131050',
      ),
    ).toBe(true);
  });

  it('inbound messages: auto-linked to the lead with the same phone (ninth digit), capture-lead, link, auto-link, timeline', async () => {
    const lead = await t.sql.query<{ id: string }>(
      "INSERT INTO leads (sub_account_id, full_name, phone, updated_at) VALUES ($1, 'Ana Lima', '+5521987654321', now()) RETURNING id::text",
      [sub],
    );
    const leadId = lead.rows[0].id;
    await t.sql.query(
      "INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, 'phone:+5521987654321', $2)",
      [sub, leadId],
    );
    // wa_id without the ninth digit still finds Ana; an image is recorded by media id and mime type
    await hook(
      hooks.inbound(
        { waId: '552187654321', name: 'Ana' },
        {
          timestamp: String(nowSeconds()),
          type: 'image',
          image: { id: 'media-1', mime_type: 'image/jpeg', caption: 'look' },
        },
      ),
    );
    await hook(hooks.inboundText({ from: '14155550166', name: 'Carla', text: 'hello' }));
    await hook(
      hooks.inbound(
        { waId: '14155550177', name: 'Dan' },
        {
          timestamp: String(nowSeconds()),
          type: 'text',
          text: { body: 'from the ad' },
          referral: {
            source_url: 'https://fb.me/x',
            source_id: '120000001',
            source_type: 'ad',
            headline: 'Spring sale',
            ctwa_clid: 'clid-1',
          },
        },
      ),
    );
    await processed();
    const list = await get(`/api/whatsapp/conversations?subAccountId=${sub}`, agent);
    const ana = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '552187654321');
    expect(ana.leadId).toBe(leadId);
    const detail = await get(`/api/whatsapp/conversations/${ana.id}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body.lead).toMatchObject({ id: leadId, fullName: 'Ana Lima' });
    expect(detail.body.messages[0]).toMatchObject({
      type: 'image',
      media: { id: 'media-1', mimeType: 'image/jpeg', caption: 'look' },
    });
    const leadDetail = await get(`/api/leads/${leadId}`, agent);
    expect(
      leadDetail.body.interactions.some(
        (i: { channel: string; direction: string }) => i.channel === 'whatsapp' && i.direction === 'inbound',
      ),
    ).toBe(true);

    const carla = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '14155550166');
    expect(carla.leadId).toBeNull();
    const linked = await post(`/api/whatsapp/conversations/${carla.id}/link`, agent, { leadId });
    expect(linked.status).toBe(200);
    expect(linked.body.leadId).toBe(leadId);
    const unlinked = await t.http.delete(`/api/whatsapp/conversations/${carla.id}/link`).set('authorization', agent);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.leadId).toBeNull();

    const dan = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '14155550177');
    const captured = await post(`/api/whatsapp/conversations/${dan.id}/capture-lead`, agent, {
      email: 'dan@example.com',
    });
    expect(captured.status).toBe(201);
    expect(captured.body).toMatchObject({ fullName: 'Dan', email: 'dan@example.com', phone: '+14155550177' });
    const sources = await t.sql.query(
      'SELECT platform, ad_id, campaign_name, details FROM lead_sources WHERE lead_id = $1',
      [captured.body.id],
    );
    expect(sources.rows[0]).toMatchObject({ platform: 'whatsapp', ad_id: '120000001', campaign_name: 'Spring sale' });
    expect(sources.rows[0].details).toMatchObject({ ctwaClid: 'clid-1' });
    const again = await post(`/api/whatsapp/conversations/${dan.id}/capture-lead`, agent, {});
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(captured.body.id);

    // Carla's lead appears later: auto-link finds it
    const carlaLead = await t.sql.query<{ id: string }>(
      "INSERT INTO leads (sub_account_id, full_name, phone, updated_at) VALUES ($1, 'Carla', '+14155550166', now()) RETURNING id::text",
      [sub],
    );
    await t.sql.query(
      "INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, 'phone:+14155550166', $2)",
      [sub, carlaLead.rows[0].id],
    );
    const auto = await post('/api/whatsapp/conversations/auto-link', agent, { subAccountId: sub });
    expect(auto.status).toBe(200);
    expect(auto.body.linked).toBeGreaterThanOrEqual(1);
    expect((await get(`/api/whatsapp/conversations/${carla.id}`, agent)).body.leadId).toBe(carlaLead.rows[0].id);
  });

  it('analytics counts sends, statuses, inbound, conversations and opt-outs', async () => {
    const res = await get(`/api/whatsapp/analytics?subAccountId=${sub}`, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ byPricingCategory: { service: expect.any(Number) } });
    expect(res.body.read).toBeGreaterThanOrEqual(1);
    expect(res.body.failed).toBeGreaterThanOrEqual(1);
    expect(res.body.inbound).toBeGreaterThanOrEqual(5);
    expect(res.body.optOuts).toBeGreaterThanOrEqual(1);
    expect(res.body.linkedConversations).toBeGreaterThanOrEqual(2);
    expect(res.body.byTemplate.some((x: { name: string }) => x.name === 'order_shipped')).toBe(true);
    expect((await get(`/api/whatsapp/analytics?subAccountId=${sub}`, agent)).status).toBe(403);
  });

  it("analytics reads dates as whole days in the sub-account's time zone, as the analytics routes do", async () => {
    const kolkata = await createSubAccount(t, 'MAX', 'Kolkata Co');
    const owner = `Bearer ${t.token('ADMIN', [kolkata])}`;
    const zone = await t.http
      .patch(`/api/sub-accounts/${kolkata}`)
      .set('authorization', owner)
      .send({ timezone: 'Asia/Kolkata' });
    expect(zone.status).toBe(200);
    const res = await get(`/api/whatsapp/analytics?subAccountId=${kolkata}&from=2026-01-10&to=2026-01-11`, owner);
    expect(res.status).toBe(200);
    expect([res.body.from, res.body.to]).toEqual(['2026-01-09T18:30:00.000Z', '2026-01-11T18:29:59.999Z']);
    // the default is the last 30 local days, today included
    const recent = await get(`/api/whatsapp/analytics?subAccountId=${kolkata}`, owner);
    expect(Date.parse(recent.body.to) - Date.parse(recent.body.from) + 1).toBe(30 * 86_400_000);
    expect(recent.body.from.endsWith('T18:30:00.000Z')).toBe(true);
    // an instant without its offset means different things per zone: refused
    expect((await get(`/api/whatsapp/analytics?subAccountId=${kolkata}&from=2026-01-10T10:00`, owner)).status).toBe(
      400,
    );
  });

  it('tenant isolation and roles on every route', async () => {
    const conv = (await get(`/api/whatsapp/conversations?subAccountId=${sub}`, admin)).body.items[0];
    const tpl = (await get(`/api/whatsapp/templates?subAccountId=${sub}`, admin)).body.items[0];
    const opt = (await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin)).body.items[0];
    // a valid token for another sub-account: 404 for records, 403 for an explicit subAccountId, never data
    expect((await get(`/api/whatsapp/conversations/${conv.id}`, stranger)).status).toBe(404);
    expect((await post(`/api/whatsapp/conversations/${conv.id}/link`, stranger, { leadId: '1' })).status).toBe(404);
    expect(
      (await t.http.delete(`/api/whatsapp/conversations/${conv.id}/link`).set('authorization', stranger)).status,
    ).toBe(404);
    expect((await post(`/api/whatsapp/conversations/${conv.id}/capture-lead`, stranger, {})).status).toBe(404);
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', stranger)).status).toBe(404);
    expect((await t.http.delete(`/api/whatsapp/opt-outs/${opt.id}`).set('authorization', stranger)).status).toBe(404);
    expect((await post('/api/whatsapp/templates/sync', stranger, { integrationId })).status).toBe(404);
    expect(
      (
        await post('/api/whatsapp/templates', stranger, {
          integrationId,
          name: 'x_y',
          language: 'en',
          category: 'UTILITY',
          components: [BODY],
        })
      ).status,
    ).toBe(404);
    for (const path of ['conversations', 'messages', 'templates', 'opt-outs', 'analytics'])
      expect((await get(`/api/whatsapp/${path}?subAccountId=${sub}`, stranger)).status).toBe(403);
    expect(
      (await post('/api/whatsapp/messages', stranger, { subAccountId: sub, to: '+14155550111', text: 'x' })).status,
    ).toBe(403);
    expect((await post('/api/whatsapp/conversations/auto-link', stranger, { subAccountId: sub })).status).toBe(403);
    expect(
      (await post('/api/whatsapp/opt-outs', stranger, { subAccountId: sub, waId: '14155550100', scope: 'all' })).status,
    ).toBe(403);
    // lists without a subAccountId show only the caller's own
    for (const path of ['conversations', 'messages', 'templates', 'opt-outs'])
      expect((await get(`/api/whatsapp/${path}`, stranger)).body.total).toBe(0);
    // roles: agents may not manage templates or opt-outs
    expect((await post('/api/whatsapp/templates/sync', agent, { integrationId })).status).toBe(403);
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', agent)).status).toBe(403);
    expect((await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, agent)).status).toBe(403);
    expect(
      (await post('/api/whatsapp/opt-outs', agent, { subAccountId: sub, waId: '14155550100', scope: 'all' })).status,
    ).toBe(403);
  });

  it('template create: an unknown field inside a component, an example or a button is 400, never stored or sent to Meta', async () => {
    const base = { integrationId, language: 'en_US', category: 'UTILITY' };
    const buttons = { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'OK' }] };
    const cases: Array<[string, object[], string]> = [
      ['typo_body', [{ ...BODY, txet: 'Hi' }], 'components[0].txet'],
      [
        'typo_example',
        [{ ...BODY, example: { body_text: [['Ana', 'A-1']], bodytext: [['x']] } }],
        'components[0].example.bodytext',
      ],
      ['typo_footer', [BODY, { type: 'FOOTER', text: 'Thanks', colour: 'red' }], 'components[1].colour'],
      ['typo_header', [{ type: 'HEADER', format: 'TEXT', text: 'Hi', size: 2 }, BODY], 'components[0].size'],
      [
        'typo_button',
        [BODY, { ...buttons, buttons: [{ type: 'QUICK_REPLY', text: 'OK', url: 'https://x.example' }] }],
        'components[1].buttons[0].url',
      ],
      ['typo_buttons', [BODY, { ...buttons, layout: 'row' }], 'components[1].layout'],
    ];
    for (const [name, components, path] of cases) {
      const res = await post('/api/whatsapp/templates', admin, { ...base, name, components });
      expect({ name, status: res.status, code: res.body.code }).toEqual({
        name,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: path })]));
      expect(fake.templates.find(WABA, name, 'en_US')).toBeUndefined();
    }
    expect((await get(`/api/whatsapp/templates?subAccountId=${sub}&q=typo_`, admin)).body.total).toBe(0);
    // every field Meta defines for these components is still taken
    const full = await post('/api/whatsapp/templates', admin, {
      ...base,
      name: 'all_fields',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1'] } },
        BODY,
        { type: 'FOOTER', text: 'Thanks' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Track', url: 'https://x.example/t/{{1}}', example: ['https://x.example/t/A-1'] },
            { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+14155550100' },
          ],
        },
      ],
    });
    expect(full.status).toBe(201);
  });

  it('manual opt-outs and template delete go through', async () => {
    const created = await post('/api/whatsapp/opt-outs', admin, {
      subAccountId: sub,
      phone: '+14155550199',
      scope: 'marketing',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ phone: '+14155550199', scope: 'marketing', source: 'manual' });
    expect((await t.http.delete(`/api/whatsapp/opt-outs/${created.body.id}`).set('authorization', admin)).status).toBe(
      204,
    );
    const tpl = (await get(`/api/whatsapp/templates?q=receipt`, admin)).body.items[0];
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', admin)).status).toBe(204);
    expect(fake.templates.find(WABA, 'receipt', 'en_US')).toBeUndefined();
  });
});
