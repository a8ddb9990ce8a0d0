// Audit 26 of API.md "Messaging channels (Instagram Direct, Facebook Messenger)": the channel-neutral
// routes probed as a contract test would (bad input is a clear 4xx, another tenant sees nothing, a
// provider's garbage never a 5xx, its retries applied once), for what the earlier audits left open.
import { createIntegration } from '../support/factories';
import { TestApp } from '../support/test-app';
import {
  connectMessenger,
  MessagingFixture,
  messagingHelpers,
  MESSENGER_CONFIG,
  PAGE,
  setupMessagingChannels,
} from '../support/messaging-channels-setup';
import { activate, eventsSettled, metaSignature, waitFor } from '../support/webhooks';
import { startWhatsApp12, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

type Channel = 'messenger' | 'instagram';
type Conversation = {
  id: string;
  channel: string;
  contact: Record<string, unknown>;
  leadId: string | null;
  unread: number;
  optedOut: boolean;
};

const MIN = 60_000;

describe('contract audit 26: messaging channels', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let sub: number;
  let other: number;
  let admin: string;
  let agent: string;
  let stranger: string;
  const { get, post } = whatsApp12Helpers(() => w);

  const page = {
    pageId: '104620417302626',
    pageAccessToken: 'EAAG-audit26',
    appSecret: 'audit26-secret',
    verifyToken: 'v26',
  };
  const instagram = {
    instagramAccountId: '17841405822322626',
    pageId: '134895793792626',
    accessToken: 'EAAG-audit26-ig',
    appSecret: 'audit26-ig-secret',
    verifyToken: 'v26ig',
  };
  const account = {
    messenger: { provider: 'facebook-messenger', object: 'page', id: page.pageId, secret: page.appSecret },
    instagram: {
      provider: 'instagram-direct',
      object: 'instagram',
      id: instagram.instagramAccountId,
      secret: instagram.appSecret,
    },
  } as const;

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, sub, other, admin, agent, stranger } = w);
    await activate(t, sub, (await createIntegration(t, sub, 'facebook-messenger', page)).id);
    await activate(t, sub, (await createIntegration(t, sub, 'instagram-direct', instagram)).id);
  });
  afterAll(() => w?.close());

  const signed = (channel: Channel, body: string, secret: string = account[channel].secret) =>
    t.http
      .post(`/api/webhooks/${account[channel].provider}`)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);
  const deliver = async (channel: Channel, ...items: object[]): Promise<void> => {
    const a = account[channel];
    const body = JSON.stringify({ object: a.object, entry: [{ id: a.id, time: Date.now(), messaging: items }] });
    const res = await signed(channel, body);
    expect(res.status).toBe(200);
    await eventsSettled(t);
  };
  const wrote = (channel: Channel, person: string, mid: string, text = 'hello', ms = Date.now() - MIN) => ({
    sender: { id: person },
    recipient: { id: account[channel].id },
    timestamp: ms,
    message: { mid, text },
  });
  const conversationOf = async (channel: Channel, person: string): Promise<Conversation> => {
    const res = await get(`/api/conversations?subAccountId=${sub}&channel=${channel}&q=${person}`, agent);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0] as Conversation;
  };
  const count = async (sql: string, params: unknown[]): Promise<number> =>
    (await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;

  it('POST /api/messages: unknown fields, both or neither of conversationId/leadId, bad ids are 400; nothing stored', async () => {
    const person = '6543210926000001';
    await deliver('messenger', wrote('messenger', person, 'm_a26_in_1'));
    const c = await conversationOf('messenger', person);
    const before = await count('messages WHERE conversation_id = $1', [c.id]);
    const base = { subAccountId: sub, channel: 'messenger', text: 'Hi' };
    for (const body of [
      { ...base, conversationId: c.id, foo: 1 },
      { ...base, conversationId: c.id, tag: 'HUMAN_AGENT' },
      { ...base, conversationId: c.id, leadId: '1' },
      { ...base },
      { ...base, conversationId: 'abc' },
      { ...base, conversationId: c.id, text: '' },
      { ...base, conversationId: c.id, channel: 'telegram' },
      { ...base, conversationId: c.id, channel: undefined },
      { ...base, conversationId: c.id, replyToMessageId: 'not-a-uuid' },
      { ...base, conversationId: c.id, text: 'x'.repeat(2001) },
      { ...base, conversationId: c.id, subAccountId: 'abc' },
    ]) {
      const res = await post('/api/messages', agent, body);
      expect({ body: Object.keys(body), status: res.status, code: res.body.code }).toEqual({
        body: Object.keys(body),
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect(await count('messages WHERE conversation_id = $1', [c.id])).toBe(before);
    // the same body without the faults is accepted
    const ok = await post('/api/messages', agent, { ...base, conversationId: c.id });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'queued', conversationId: c.id, channel: 'messenger' });
    expect(typeof ok.body.id).toBe('string');
  });

  it('Messenger: a person who wrote STOP is 422 RECIPIENT_OPTED_OUT, and their conversation says optedOut', async () => {
    const person = '6543210926000002';
    await deliver('messenger', wrote('messenger', person, 'm_a26_stop_1', 'STOP'));
    const c = await conversationOf('messenger', person);
    expect(c.optedOut).toBe(true);
    const res = await post('/api/messages', agent, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: c.id,
      text: 'Are you there?',
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('RECIPIENT_OPTED_OUT');
    expect(await count("messages WHERE conversation_id = $1 AND direction = 'outbound'", [c.id])).toBe(0);
  });

  it('capture-lead then POST /api/messages by leadId answers that lead on the channel asked for', async () => {
    const person = '1092310262600001';
    await deliver('instagram', wrote('instagram', person, 'm_a26_ig_lead_1'));
    const c = await conversationOf('instagram', person);
    expect(c.contact).toMatchObject({ igsid: person });
    expect(c.contact).not.toHaveProperty('waId');
    expect(c.contact).toHaveProperty('username');
    // an inbound message already makes the person a lead: capture answers 200 with that lead (201 when none)
    const captured = await post(`/api/conversations/${c.id}/capture-lead`, agent, { fullName: 'Ig Person' });
    expect(captured.status).toBe(c.leadId === null ? 201 : 200);
    const leadId = captured.body.id as string;
    expect(typeof leadId).toBe('string');
    if (c.leadId !== null) expect(leadId).toBe(c.leadId);
    const again = await post(`/api/conversations/${c.id}/capture-lead`, agent, { fullName: 'Ig Person' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(leadId);

    const sent = await post('/api/messages', agent, { subAccountId: sub, channel: 'instagram', leadId, text: 'Hi!' });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'queued', conversationId: c.id, channel: 'instagram' });
    // the lead has no Messenger conversation
    const none = await post('/api/messages', agent, { subAccountId: sub, channel: 'messenger', leadId, text: 'Hi!' });
    expect(none.status).toBe(404);

    const list = await get(`/api/messages?subAccountId=${sub}&channel=instagram&leadId=${leadId}`, agent);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(1);
    for (const m of list.body.items as { conversationId: string; leadId: string | null }[])
      expect(m.conversationId).toBe(c.id);
    const wrong = await get(`/api/messages?subAccountId=${sub}&channel=messenger&leadId=${leadId}`, agent);
    expect(wrong.status).toBe(200);
    expect(wrong.body.items).toEqual([]);
  });

  it('another tenant: 404 for the conversation, its link, its capture and a send to it; 403 for our sub-account', async () => {
    const person = '6543210926000003';
    await deliver('messenger', wrote('messenger', person, 'm_a26_tenant_1'));
    const c = await conversationOf('messenger', person);
    const theirLead = await post('/api/leads', stranger, { subAccountId: other, fullName: 'Theirs' });
    expect(theirLead.status).toBe(201);
    const ourLead = await post('/api/leads', admin, { subAccountId: sub, fullName: 'Ours' });
    expect(ourLead.status).toBe(201);

    expect((await get(`/api/conversations/${c.id}`, stranger)).status).toBe(404);
    expect((await post(`/api/conversations/${c.id}/link`, stranger, { leadId: theirLead.body.id })).status).toBe(404);
    expect((await post(`/api/conversations/${c.id}/capture-lead`, stranger, {})).status).toBe(404);
    const send = await post('/api/messages', stranger, {
      subAccountId: other,
      channel: 'messenger',
      conversationId: c.id,
      text: 'hi',
    });
    expect(send.status).toBe(404);
    const ours = await post('/api/messages', stranger, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: c.id,
      text: 'hi',
    });
    expect(ours.status).toBe(403);
    expect((await get(`/api/conversations?subAccountId=${sub}`, stranger)).status).toBe(403);
    expect((await get(`/api/messages?subAccountId=${sub}&channel=messenger`, stranger)).status).toBe(403);
    // our agent may not link our conversation to the other tenant's lead
    const cross = await post(`/api/conversations/${c.id}/link`, agent, { leadId: theirLead.body.id });
    expect(cross.status).toBe(404);
    expect((await conversationOf('messenger', person)).leadId).toBe(c.leadId);
    // bad bodies and ids
    expect((await post(`/api/conversations/${c.id}/link`, agent, {})).status).toBe(400);
    expect((await post(`/api/conversations/${c.id}/link`, agent, { leadId: ourLead.body.id, x: 1 })).status).toBe(400);
    expect((await get('/api/conversations/abc', agent)).status).toBe(400);
    const linked = await post(`/api/conversations/${c.id}/link`, agent, { leadId: ourLead.body.id });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ id: c.id, channel: 'messenger', leadId: ourLead.body.id });
    expect(linked.body.contact).toMatchObject({ psid: person });
    expect(linked.body.contact).not.toHaveProperty('waId');
  });

  it('GET filters: bad channel, linked or pageSize are 400; linked narrows; the page shape', async () => {
    for (const q of ['channel=telegram', 'channel=WhatsApp', 'linked=maybe', 'pageSize=0', 'pageSize=201', 'page=0']) {
      for (const route of ['/api/conversations', '/api/messages']) {
        if (route === '/api/messages' && q.startsWith('linked')) continue;
        const res = await get(`${route}?subAccountId=${sub}&${q}`, agent);
        expect({ route, q, status: res.status }).toEqual({ route, q, status: 400 });
      }
    }
    const res = await get(`/api/conversations?subAccountId=${sub}&channel=messenger&linked=false`, agent);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({ items: expect.any(Array), page: 1, pageSize: 50, total: expect.any(Number) }),
    );
    for (const c of res.body.items as Conversation[]) {
      expect(c.channel).toBe('messenger');
      expect(c.leadId).toBeNull();
    }
    const linked = await get(`/api/conversations?subAccountId=${sub}&linked=true`, agent);
    expect(linked.status).toBe(200);
    for (const c of linked.body.items as Conversation[]) expect(c.leadId).not.toBeNull();
  });

  it('webhooks: a message delivered twice in one delivery and again later is stored once, unread 1', async () => {
    const person = '6543210926000004';
    const item = wrote('messenger', person, 'm_a26_dup_1', 'twice');
    await deliver('messenger', item, item);
    await deliver('messenger', item);
    const c = await conversationOf('messenger', person);
    expect(c.unread).toBe(1);
    expect(await count('messages WHERE conversation_id = $1', [c.id])).toBe(1);
  });

  it('webhooks: garbage is never a 5xx; a bad signature is refused; nothing is stored from it', async () => {
    const before = await count('messages WHERE channel IN ($1, $2)', ['messenger', 'instagram']);
    const id = account.messenger.id;
    const bodies = [
      'not json',
      '[]',
      'null',
      '{}',
      JSON.stringify({ object: 'page', entry: 'x' }),
      JSON.stringify({ object: 'page', entry: [null, 5, 'x'] }),
      JSON.stringify({ object: 'page', entry: [{ id, messaging: 'x' }] }),
      JSON.stringify({ object: 'page', entry: [{ id, messaging: [null, 1, { sender: 5 }, { message: 'x' }] }] }),
      JSON.stringify({
        object: 'page',
        entry: [{ id, messaging: [{ sender: { id: {} }, recipient: { id }, timestamp: 'soon', message: { mid: 5 } }] }],
      }),
      JSON.stringify({ object: 'page', entry: [{ id: '999999999', messaging: [wrote('messenger', '1', 'm_x')] }] }),
    ];
    for (const body of bodies) {
      const res = await signed('messenger', body);
      expect({ body, status: res.status < 500 }).toEqual({ body, status: true });
    }
    const forged = await signed(
      'instagram',
      JSON.stringify({
        object: 'instagram',
        entry: [{ id: account.instagram.id, messaging: [wrote('instagram', '7', 'm_f')] }],
      }),
      'wrong-secret',
    );
    expect([401, 403]).toContain(forged.status);
    await eventsSettled(t);
    expect(await count('messages WHERE channel IN ($1, $2)', ['messenger', 'instagram'])).toBe(before);
  });

  it('webhooks: an echo of the page is outbound, not unread; a read receipt marks it read', async () => {
    const person = '6543210926000005';
    await deliver('messenger', wrote('messenger', person, 'm_a26_echo_in', 'hi', Date.now() - 5 * MIN));
    await deliver('messenger', {
      sender: { id: page.pageId },
      recipient: { id: person },
      timestamp: Date.now() - 4 * MIN,
      message: { mid: 'm_a26_echo_out', is_echo: true, text: 'Sent from the inbox' },
    });
    const c = await conversationOf('messenger', person);
    expect(c.unread).toBe(1);
    await deliver('messenger', {
      sender: { id: person },
      recipient: { id: page.pageId },
      timestamp: Date.now() - 2 * MIN,
      read: { watermark: Date.now() - 2 * MIN },
    });
    const list = await get(`/api/messages?subAccountId=${sub}&conversationId=${c.id}`, agent);
    expect(list.status).toBe(200);
    const echo = (
      list.body.items as { wamid: string; direction: string; status: string; readAt: string | null }[]
    ).find((m) => m.wamid === 'm_a26_echo_out');
    expect(echo).toMatchObject({ direction: 'outbound', status: 'read' });
    expect(echo?.readAt).not.toBeNull();
  });

  it('Messenger: START after STOP makes the person reachable again', async () => {
    const person = '6543210926000006';
    await deliver('messenger', wrote('messenger', person, 'm_a26_stop_2', 'STOP', Date.now() - 3 * MIN));
    await deliver('messenger', wrote('messenger', person, 'm_a26_start_2', 'START', Date.now() - 2 * MIN));
    const c = await conversationOf('messenger', person);
    expect(c.optedOut).toBe(false);
    const res = await post('/api/messages', agent, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: c.id,
      text: 'Welcome back',
    });
    expect(res.status).toBe(202);
  });

  it('Instagram: text up to 1000 UTF-8 bytes is accepted, 1001 is 400; replyToMessageId of another conversation is 404', async () => {
    const person = '1092310262600002';
    const elsewhere = '1092310262600003';
    await deliver('instagram', wrote('instagram', person, 'm_a26_ig_len_1'));
    await deliver('instagram', wrote('instagram', elsewhere, 'm_a26_ig_len_2'));
    const c = await conversationOf('instagram', person);
    const d = await conversationOf('instagram', elsewhere);
    const send = (extra: object) =>
      post('/api/messages', agent, {
        subAccountId: sub,
        channel: 'instagram',
        conversationId: c.id,
        text: 'ok',
        ...extra,
      });
    expect((await send({ text: 'é'.repeat(500) })).status).toBe(202);
    const long = await send({ text: 'é'.repeat(500) + 'a' });
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('VALIDATION_FAILED');
    const theirs = await get(`/api/messages?subAccountId=${sub}&conversationId=${d.id}`, agent);
    const mine = await get(`/api/messages?subAccountId=${sub}&conversationId=${c.id}&direction=inbound`, agent);
    expect(theirs.body.items.length).toBeGreaterThan(0);
    for (const m of theirs.body.items as { channel: string; conversationId: string }[])
      expect(m).toMatchObject({ channel: 'instagram', conversationId: d.id });
    const foreign = await send({ replyToMessageId: theirs.body.items[0].id });
    expect(foreign.status).toBe(404);
    const answered = await send({ replyToMessageId: mine.body.items[0].id });
    expect(answered.status).toBe(202);
    // the detail: its channel, its messages, paging back; a bad `before` is 400
    const detail = await get(`/api/conversations/${c.id}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: c.id, channel: 'instagram' });
    expect(detail.body.contact).toMatchObject({ igsid: person });
    expect(detail.body.messages.length).toBeGreaterThanOrEqual(1);
    expect((await get(`/api/conversations/${c.id}?before=nope`, agent)).status).toBe(400);
    expect((await get(`/api/messages?subAccountId=${sub}&conversationId=abc`, agent)).status).toBe(400);
  });

  it('a conversation whose integration was switched off: POST /api/messages is 409 INTEGRATION_NOT_ACTIVE, nothing stored', async () => {
    const person = '6543210926000007';
    await deliver('messenger', wrote('messenger', person, 'm_a26_off_1'));
    const c = await conversationOf('messenger', person);
    await t.sql.query(
      "UPDATE integrations SET is_active = false WHERE handler = 'facebook-messenger' AND sub_account_id = $1",
      [sub],
    );
    try {
      const res = await post('/api/messages', agent, {
        subAccountId: sub,
        channel: 'messenger',
        conversationId: c.id,
        text: 'hi',
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('INTEGRATION_NOT_ACTIVE');
      expect(await count("messages WHERE conversation_id = $1 AND direction = 'outbound'", [c.id])).toBe(0);
    } finally {
      await t.sql.query(
        "UPDATE integrations SET is_active = true WHERE handler = 'facebook-messenger' AND sub_account_id = $1",
        [sub],
      );
    }
  });

  // failed before: a text of only spaces, tabs or line breaks passed @MinLength(1) and was queued (202) as a
  // message with nothing in it, to be refused by Meta after the 202 or shown to the person as an empty bubble;
  // the hub refuses blank names the same way (@Matches(/\S/)).
  it('POST /api/messages: a blank text (only whitespace) is 400 VALIDATION_FAILED on every channel, nothing stored', async () => {
    const person = '6543210926000008';
    await deliver('messenger', wrote('messenger', person, 'm_a26_ws_1'));
    const c = await conversationOf('messenger', person);
    const before = await count("messages WHERE direction = 'outbound'", []);
    for (const channel of ['messenger', 'instagram', 'whatsapp'])
      for (const text of [' ', '   ', '\n\t \r\n']) {
        const res = await post('/api/messages', agent, { subAccountId: sub, channel, conversationId: c.id, text });
        expect({ channel, text, status: res.status, code: res.body.code }).toEqual({
          channel,
          text,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    expect(await count("messages WHERE direction = 'outbound'", [])).toBe(before);
    // text with words around its spaces is sent as written
    const ok = await post('/api/messages', agent, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: c.id,
      text: '  hi there  ',
    });
    expect(ok.status).toBe(202);
  });

  // Meta's message_edits field (developers.facebook.com/documentation/business-messaging/messenger-platform/
  // webhooks/webhook-events/message-edits): a person edits a message they sent; `num_edit` counts the edits
  it('webhooks: a message_edit replaces the message text, the latest edit wins, nothing new or unread', async () => {
    const person = '6543210926000010';
    await deliver('messenger', wrote('messenger', person, 'm_a26_edit_1', 'first words', Date.now() - 3 * MIN));
    const c = await conversationOf('messenger', person);
    const edit = (text: string, numEdit: number, ago: number) =>
      deliver('messenger', {
        sender: { id: person },
        recipient: { id: page.pageId },
        timestamp: Date.now() - ago,
        message_edit: { mid: 'm_a26_edit_1', text, num_edit: numEdit },
      });
    const stored = async () =>
      (await get(`/api/messages?subAccountId=${sub}&channel=messenger&conversationId=${c.id}`, agent)).body.items;
    await edit('second words', 2, MIN);
    // the first edit, delivered late (and twice): the later one stands
    await edit('in between', 1, 2 * MIN);
    await edit('in between', 1, 2 * MIN);
    const items = await stored();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ wamid: 'm_a26_edit_1', direction: 'inbound', text: 'second words' });
    expect(await count("webhook_events WHERE status = 'FAILED'", [])).toBe(0);
    expect((await conversationOf('messenger', person)).unread).toBe(c.unread);
    // another person's edit of this message (a mid is not a secret) changes nothing
    await deliver('messenger', {
      sender: { id: '6543210926000098' },
      recipient: { id: page.pageId },
      timestamp: Date.now(),
      message_edit: { mid: 'm_a26_edit_1', text: 'hijacked', num_edit: 5 },
    });
    expect((await stored())[0].text).toBe('second words');
    // an edit of a message the hub never received starts nothing
    await deliver('messenger', {
      sender: { id: '6543210926000099' },
      recipient: { id: page.pageId },
      timestamp: Date.now(),
      message_edit: { mid: 'm_a26_edit_unknown', text: 'ghost', num_edit: 1 },
    });
    expect(await count("messages WHERE wamid = 'm_a26_edit_unknown'", [])).toBe(0);
    expect(await count("webhook_events WHERE status = 'FAILED'", [])).toBe(0);
  });

  // Meta does not order its deliveries: a message_edit may be processed before the message it edits. It
  // was dropped (the message kept its first words); it is held and applied when the message arrives. The
  // lead's interaction reads as the message does.
  it('webhooks: an edit processed before its message is applied when the message arrives; the interaction follows', async () => {
    const person = '6543210926000012';
    const intruder = '6543210926000013';
    const edit = (from: string, mid: string, text: string, numEdit: number, ago: number) =>
      deliver('messenger', {
        sender: { id: from },
        recipient: { id: page.pageId },
        timestamp: Date.now() - ago,
        message_edit: { mid, text, num_edit: numEdit },
      });
    const interactions = async (leadId: string) =>
      ((await get(`/api/leads/${leadId}`, agent)).body.interactions as Array<{ body: string }>).map((i) => i.body);

    await edit(person, 'm_a26_early_1', 'fixed words', 2, MIN);
    await edit(person, 'm_a26_early_1', 'in between', 1, 2 * MIN);
    // another person naming the same mid (a mid is not a secret) is held apart and never applies
    await edit(intruder, 'm_a26_early_1', 'hijacked', 9, 0);
    expect(await count("messages WHERE wamid = 'm_a26_early_1'", [])).toBe(0);
    await deliver('messenger', wrote('messenger', person, 'm_a26_early_1', 'frist words', Date.now() - 3 * MIN));

    const c = await conversationOf('messenger', person);
    const items = (await get(`/api/messages?subAccountId=${sub}&channel=messenger&conversationId=${c.id}`, agent)).body
      .items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ wamid: 'm_a26_early_1', text: 'fixed words' });
    const stored = await t.sql.query<{ content: { edit: Record<string, unknown> } }>(
      "SELECT content FROM messages WHERE wamid = 'm_a26_early_1'",
    );
    expect(stored.rows[0].content.edit).toMatchObject({ count: 2, originalText: 'frist words' });
    expect(c.leadId).not.toBeNull();
    expect(await interactions(String(c.leadId))).toEqual(['fixed words']);
    // nothing is left held for this message, and the processing failed nothing
    expect(await count("messaging_held_actions WHERE mid = 'm_a26_early_1'", [])).toBe(0);
    expect(await count("webhook_events WHERE status = 'FAILED'", [])).toBe(0);

    // an edit after the message moves the interaction too; a late older one moves neither
    await edit(person, 'm_a26_early_1', 'final words', 3, 0);
    await edit(person, 'm_a26_early_1', 'stale words', 1, 5 * MIN);
    expect(
      (await get(`/api/messages?subAccountId=${sub}&channel=messenger&conversationId=${c.id}`, agent)).body.items[0]
        .text,
    ).toBe('final words');
    expect(await interactions(String(c.leadId))).toEqual(['final words']);
  });

  // the same for message_reactions: a reaction to the page's message processed before its echo, or to the
  // person's own message before that message, was dropped. Another person's reaction never applies.
  it('webhooks: a reaction processed before the message it reacts to is applied when the message arrives', async () => {
    const person = '6543210926000014';
    const react = (from: string, mid: string, emoji: string, ago: number, action = 'react') =>
      deliver('messenger', {
        sender: { id: from },
        recipient: { id: page.pageId },
        timestamp: Date.now() - ago,
        reaction: { mid, action, ...(action === 'react' ? { reaction: 'other', emoji } : {}) },
      });
    await react(person, 'm_a26_react_echo', '👍', MIN);
    await react(person, 'm_a26_react_own', '😮', MIN);
    await react(person, 'm_a26_react_own', '😢', 2 * MIN); // older: the 😮 stands
    await react('6543210926000015', 'm_a26_react_own', '💀', 0); // not this person's message
    await deliver('messenger', {
      sender: { id: page.pageId },
      recipient: { id: person },
      timestamp: Date.now() - 3 * MIN,
      message: { mid: 'm_a26_react_echo', is_echo: true, text: 'Our offer' },
    });
    await deliver('messenger', wrote('messenger', person, 'm_a26_react_own', 'wow', Date.now() - 3 * MIN));
    const reactionOf = async (mid: string) =>
      (
        await t.sql.query<{ content: { reaction?: { emoji?: string } } | null }>(
          'SELECT content FROM messages WHERE wamid = $1',
          [mid],
        )
      ).rows[0]?.content?.reaction?.emoji;
    expect(await reactionOf('m_a26_react_echo')).toBe('👍');
    expect(await reactionOf('m_a26_react_own')).toBe('😮');
    expect(await count("messaging_held_actions WHERE mid LIKE 'm_a26_react_%'", [])).toBe(0);
    // the other person's reaction to a message that is there changes nothing either
    await react('6543210926000015', 'm_a26_react_own', '💀', 0);
    expect(await reactionOf('m_a26_react_own')).toBe('😮');
    // a removal made before the held reaction arrived late stays a removal
    await react(person, 'm_a26_react_echo', '', 0, 'unreact');
    await react(person, 'm_a26_react_echo', '🔥', 30_000);
    expect(await reactionOf('m_a26_react_echo')).toBeUndefined();
  });

  it('GET /api/messages and the detail: a Messenger message in the WhatsApp shape plus channel; unknown ids', async () => {
    const person = '6543210926000011';
    await deliver('messenger', wrote('messenger', person, 'm_a26_p2_1', 'hey'));
    const c = await conversationOf('messenger', person);
    const msgs = await get(`/api/messages?subAccountId=${sub}&channel=messenger&conversationId=${c.id}`, agent);
    expect(msgs.status).toBe(200);
    expect(msgs.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
    expect(msgs.body.items[0]).toMatchObject({
      id: expect.any(String),
      conversationId: c.id,
      leadId: c.leadId,
      integrationId: expect.any(Number),
      channel: 'messenger',
      direction: 'inbound',
      type: 'text',
      text: 'hey',
      status: 'received',
      wamid: 'm_a26_p2_1',
      sentBy: null,
      sentAt: null,
      receivedAt: expect.any(String),
    });
    const detail = await get(`/api/conversations/${c.id}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body.messages.map((m: { wamid: string }) => m.wamid)).toEqual(['m_a26_p2_1']);
    if (c.leadId !== null)
      expect(detail.body.lead).toMatchObject({ id: c.leadId, sourceTracking: expect.objectContaining({}) });
    expect((await get('/api/conversations/999999999', agent)).status).toBe(404);
    const none = await get(`/api/messages?subAccountId=${sub}&conversationId=999999999`, agent);
    expect(none.status).toBe(200);
    expect(none.body.items).toEqual([]);
  });
});

// Meta delivers the page's echo of a Send API call on its own schedule: it may arrive before the Send API's
// answer names the message. The echo and our queued row are still one message.
describe('contract audit 26: an echo that overtakes the send', () => {
  let fx: MessagingFixture;
  const { deliver, leadOf } = messagingHelpers(() => fx);
  beforeAll(async () => {
    fx = await setupMessagingChannels();
  });
  afterAll(() => fx?.close());

  it('the echo processed before the Send API answered is the same message, sent once, stored once', async () => {
    const { t, graph, sub, admin } = fx;
    const integration = await connectMessenger(fx);
    await activate(t, sub, integration.id);
    const person = '6543210926000099';
    const item = (message: object, from: string, to: string) =>
      JSON.stringify({
        object: 'page',
        entry: [
          {
            id: PAGE,
            time: Date.now(),
            messaging: [{ sender: { id: from }, recipient: { id: to }, timestamp: Date.now(), message }],
          },
        ],
      });
    expect(
      (
        await deliver(
          'facebook-messenger',
          item({ mid: 'm_a26_race_in', text: 'Price?' }, person, PAGE),
          MESSENGER_CONFIG.appSecret,
        )
      ).status,
    ).toBe(200);
    await eventsSettled(t);
    const leadId = await leadOf(sub, 'messenger', person);
    expect(leadId).toBeDefined();
    let echoed = 0;
    graph.on('POST', `/${PAGE}/messages`, async () => {
      const res = await deliver(
        'facebook-messenger',
        item({ mid: 'm_a26_race_out', is_echo: true, text: 'It is 40 EUR' }, PAGE, person),
        MESSENGER_CONFIG.appSecret,
      );
      echoed = res.status;
      await waitFor(
        async () =>
          (
            await t.sql.query(
              "SELECT 1 FROM webhook_events WHERE external_id LIKE '%m_a26_race_out%' AND status = 'PROCESSED'",
            )
          ).rowCount
            ? true
            : undefined,
        10_000,
        'the echo processed',
      ).catch(() => undefined);
      return { status: 200, body: { recipient_id: person, message_id: 'm_a26_race_out' } };
    });
    const sent = await t.http
      .post('/api/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, channel: 'messenger', leadId, text: 'It is 40 EUR' });
    expect(sent.status).toBe(202);
    await waitFor(
      async () =>
        (await t.sql.query("SELECT 1 FROM messages WHERE id = $1 AND status <> 'queued'", [sent.body.id])).rowCount
          ? true
          : undefined,
      20_000,
      'the send answered',
    );
    await eventsSettled(t);
    expect(echoed).toBe(200);
    const rows = await t.sql.query(
      "SELECT id::text, status, wamid FROM messages WHERE direction = 'outbound' AND conversation_id = $1::bigint",
      [sent.body.conversationId],
    );
    expect(rows.rows).toEqual([{ id: sent.body.id, status: 'sent', wamid: 'm_a26_race_out' }]);
    expect(graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
