// Issue 12 over HTTP against the fake Graph API: templates in step with Meta, sends inside the rules,
// statuses that never regress, inbound messages in conversations linked to leads, opt-outs, analytics,
// roles and tenant isolation on every WhatsApp route.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { WhatsApp12, startWhatsApp12, whatsApp12Helpers, nowSeconds } from '../support/whatsapp-issue12-setup';

describe('WhatsApp (issue 12)', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let sub: number;
  let other: number;
  let admin: string;
  let agent: string;
  let stranger: string;
  const { post, get, hook, message, processed } = whatsApp12Helpers(() => w);

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, fake, hooks, sub, other, admin, agent, stranger } = w);
  });
  afterAll(() => w?.close());

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
});
