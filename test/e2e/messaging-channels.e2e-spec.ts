// Issue 16 over HTTP: Messenger and Instagram integrations connect, route, verify and reach leads through the webhook pipeline.
// This part holds Messenger (connection, a delivery of every event, receipts, POST /api/messages, the page's
// owner); Instagram is in messaging-channels-instagram.e2e-spec.ts, auto-linking by a shared e-mail or phone in
// messaging-channels-auto-link.e2e-spec.ts; the shared setup in test/support/messaging-channels-setup.ts.
import { createIntegration } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import { messengerText, waitFor } from '../support/webhooks';
import {
  itemsOf,
  MessagingFixture,
  messagingHelpers,
  MESSENGER_CONFIG,
  PAGE,
  PSID,
  setupMessagingChannels,
} from '../support/messaging-channels-setup';

describe('Messenger and Instagram channels over HTTP', () => {
  let fx: MessagingFixture;
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let other: number;
  let admin: string;
  const { deliver, events, settled, leadOf } = messagingHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupMessagingChannels();
    ({ t, graph, sub, other, admin } = fx);
  });
  afterAll(() => fx?.close());

  it('Messenger: seeded template, page proven by its token, every event of a delivery applied once', async () => {
    const integration = await createIntegration(t, sub, 'facebook-messenger', MESSENGER_CONFIG);
    expect(integration.body.config).toMatchObject({ pageId: PAGE, pageAccessToken: { secret: true, last4: '5151' } });
    graph.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Acme Dental' } }));
    graph.on('GET', `/${PSID}`, () => ({ status: 200, body: { first_name: 'Ana', last_name: 'Lima', id: PSID } }));
    const test = await t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', admin);
    expect(test.body).toEqual({ success: true, message: 'Connected to the Messenger inbox of page Acme Dental' });

    // one delivery: an ad referral, a text message, the page's echo and a read receipt
    const delivery = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: 1458692752478,
          messaging: [
            ...itemsOf('facebook-messenger/fixtures/referral-ad.json'),
            ...itemsOf('facebook-messenger/fixtures/message-text-quick-reply.json'),
          ],
        },
        {
          id: PAGE,
          time: 1458692752479,
          messaging: [
            ...itemsOf('facebook-messenger/fixtures/message-echo.json').map((item) => ({
              ...(item as object),
              message: { ...(item as { message: object }).message, mid: 'm_echo_1' },
            })),
            ...itemsOf('facebook-messenger/fixtures/read.json'),
          ],
        },
      ],
    });
    const res = await deliver('facebook-messenger', delivery, MESSENGER_CONFIG.appSecret);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'received', eventIds: expect.any(Array) });
    expect(res.body.eventIds).toHaveLength(4);
    const rows = await settled(integration.id, 4);
    expect(rows.map((r) => r.event_type)).toEqual(['referral', 'message', 'echo', 'read']);

    const leadId = await leadOf(sub, 'messenger', PSID);
    expect(leadId).toBeDefined();
    const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
    expect(lead.status).toBe(200);
    // the referral's touch carries the ad (the message's touch, processed in any order, has none)
    expect(lead.body.sourceTracking.sources).toContainEqual(
      expect.objectContaining({
        platform: 'messenger',
        adId: '23851234567890123',
        details: expect.objectContaining({ ref: 'spring-offer', referralSource: 'ADS' }),
      }),
    );
    const interactions = lead.body.interactions as Array<{ direction: string; body: string }>;
    expect(interactions.map((i) => [i.direction, i.body]).sort()).toEqual([
      ['inbound', 'hello, world!'],
      ['outbound', 'hello, world!'],
    ]);

    // one conversation per (page, PSID), named once from the User Profile API, linked to the lead
    const conversations = await t.sql.query(
      `SELECT channel, contact_key, profile_name, lead_id::text, unread_count, last_inbound_at, referral->>'adId' AS ad
       FROM conversations WHERE integration_id = $1`,
      [integration.id],
    );
    expect(conversations.rows).toEqual([
      {
        channel: 'messenger',
        contact_key: PSID,
        profile_name: 'Ana Lima',
        lead_id: leadId,
        unread_count: 1,
        last_inbound_at: new Date(1458692752478),
        ad: '23851234567890123',
      },
    ]);
    expect(lead.body.fullName).toBe('Ana Lima');
    expect(graph.requests.filter((r) => r.path === `/${PSID}`)).toHaveLength(1);
    // the inbound message and the page's echo (outbound, sent); the read watermark moved the echo forward
    const messages = await t.sql.query(
      'SELECT direction, type, text, status, wamid, lead_id::text, read_at IS NOT NULL AS read FROM messages WHERE integration_id = $1 ORDER BY direction',
      [integration.id],
    );
    expect(messages.rows).toEqual([
      {
        direction: 'inbound',
        type: 'text',
        text: 'hello, world!',
        status: 'received',
        wamid: 'mid.1457764197618:41d102a3e1ae206a38',
        lead_id: leadId,
        read: false,
      },
      {
        direction: 'outbound',
        type: 'text',
        text: 'hello, world!',
        status: 'read',
        wamid: 'm_echo_1',
        lead_id: leadId,
        read: true,
      },
    ]);

    // a redelivery is a no-op
    const again = await deliver('facebook-messenger', delivery, MESSENGER_CONFIG.appSecret);
    expect(again.body.status).toBe('duplicate');
    expect(await events(integration.id)).toHaveLength(4);

    // wrong signature, unknown page: 401, nothing stored
    expect((await deliver('facebook-messenger', delivery, 'not-the-secret')).status).toBe(401);
    const stranger = delivery.split(PAGE).join('100000000000999');
    expect((await deliver('facebook-messenger', stranger, MESSENGER_CONFIG.appSecret)).status).toBe(401);
    expect(await events(integration.id)).toHaveLength(4);
  });

  it('Messenger: receipts apply in any order and only move a message forward', async () => {
    const integrationId = Number(
      (await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE handler = 'facebook-messenger'")).rows[0]
        .id,
    );
    const PERSON = '7000000000000001';
    const item = (extra: object, timestamp: number) => ({
      sender: { id: PERSON },
      recipient: { id: PAGE },
      timestamp,
      ...extra,
    });
    const send = async (items: object[], before: number) => {
      const body = JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: 1, messaging: items }] });
      expect((await deliver('facebook-messenger', body, MESSENGER_CONFIG.appSecret)).status).toBe(200);
      await settled(integrationId, before + items.length);
    };
    const status = async () =>
      (await t.sql.query<{ status: string }>("SELECT status FROM messages WHERE wamid = 'm_page_2'")).rows[0]?.status;
    const before = (await events(integrationId)).length;
    // the person wrote, then read everything up to T=2000 … before the page's message (sent at 1500) is recorded
    await send(
      [item({ message: { mid: 'm_person_1', text: 'hi' } }, 1000), item({ read: { watermark: 2000 } }, 2100)],
      before,
    );
    const echo = {
      sender: { id: PAGE },
      recipient: { id: PERSON },
      timestamp: 1500,
      message: { mid: 'm_page_2', is_echo: true, text: 'hello' },
    };
    await send([echo], before + 2);
    expect(await status()).toBe('read');
    // an older delivery watermark arriving late changes nothing
    await send([item({ delivery: { watermark: 1600 } }, 1700)], before + 3);
    expect(await status()).toBe('read');
  });

  it('POST /api/messages: RESPONSE inside 24 h, HUMAN_AGENT when allowed, 422 WINDOW_CLOSED otherwise', async () => {
    const integrationId = Number(
      (await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE handler = 'facebook-messenger'")).rows[0]
        .id,
    );
    const before = (await events(integrationId)).length;
    const send = (body: object, token = admin) => t.http.post('/api/messages').set('authorization', token).send(body);
    const sentAs = (id: string, mid: string) =>
      waitFor(async () =>
        (await t.sql.query("SELECT 1 FROM messages WHERE id = $1 AND wamid = $2 AND status = 'sent'", [id, mid]))
          .rowCount
          ? true
          : undefined,
      );
    const conversationOf = async (psid: string) =>
      (await t.sql.query<{ id: string }>('SELECT id::text FROM conversations WHERE contact_key = $1', [psid])).rows[0]
        .id;

    // the fixture person last wrote in 2016: closed, and Meta is never called
    const old = await conversationOf(PSID);
    const closed = await send({ subAccountId: sub, channel: 'messenger', conversationId: old, text: 'Hello?' });
    expect(closed.status).toBe(422);
    expect(closed.body.code).toBe('WINDOW_CLOSED');
    expect(graph.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    // a person who writes now: a plain response
    const NOW_PSID = '7000000000000002';
    const inbound = messengerText(PAGE, NOW_PSID, 'm_now_1', 'Price?');
    expect((await deliver('facebook-messenger', inbound, MESSENGER_CONFIG.appSecret)).status).toBe(200);
    await settled(integrationId, before + 1);
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: NOW_PSID, message_id: 'm_sent_1' },
    }));
    const leadId = await leadOf(sub, 'messenger', NOW_PSID);
    const ok = await send({ subAccountId: sub, channel: 'messenger', leadId, text: 'It is 40 EUR' });
    expect(ok.status).toBe(202);
    // queued (202) and sent by the messaging-send job
    expect(ok.body).toMatchObject({ status: 'queued', channel: 'messenger', tag: null });
    await sentAs(ok.body.id, 'm_sent_1');
    expect(graph.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { recipient: { id: NOW_PSID }, messaging_type: 'RESPONSE', message: { text: 'It is 40 EUR' } },
    ]);
    // the page's echo of that send is the same message, not a second one
    const echo = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: Date.now(),
          messaging: [
            {
              sender: { id: PAGE },
              recipient: { id: NOW_PSID },
              timestamp: Date.now(),
              message: { mid: 'm_sent_1', is_echo: true, text: 'It is 40 EUR' },
            },
          ],
        },
      ],
    });
    await deliver('facebook-messenger', echo, MESSENGER_CONFIG.appSecret);
    await settled(integrationId, before + 2);
    const rows = await t.sql.query('SELECT id::text, status, sent_by FROM messages WHERE wamid = $1', ['m_sent_1']);
    expect(rows.rows).toEqual([{ id: ok.body.id, status: 'sent', sent_by: expect.any(String) }]);

    // three days later: closed without the human agent permission, a HUMAN_AGENT message with it
    await t.sql.query("UPDATE conversations SET last_inbound_at = now() - interval '3 days' WHERE contact_key = $1", [
      NOW_PSID,
    ]);
    const late = await send({ subAccountId: sub, channel: 'messenger', leadId, text: 'Still interested?' });
    expect(late.body.code).toBe('WINDOW_CLOSED');
    const patched = await t.http
      .patch(`/api/integrations/${integrationId}`)
      .set('authorization', admin)
      .send({ config: { humanAgentTag: true } });
    expect(patched.status).toBe(200);
    expect(
      (await t.http.post(`/api/integrations/${integrationId}/test`).set('authorization', admin)).body.success,
    ).toBe(true);
    const tagged = await send({ subAccountId: sub, channel: 'messenger', leadId, text: 'Still interested?' });
    expect(tagged.status).toBe(202);
    expect(tagged.body).toMatchObject({ status: 'queued', tag: 'HUMAN_AGENT' });
    await waitFor(async () =>
      (await t.sql.query("SELECT 1 FROM messages WHERE id = $1 AND status = 'sent'", [tagged.body.id])).rowCount
        ? true
        : undefined,
    );
    expect(graph.requests.filter((r) => r.method === 'POST').at(-1)?.body).toMatchObject({
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
    });

    // another sub-account: 403 for the explicit sub-account, 404 for the conversation through its own
    const stranger = `Bearer ${t.token('ADMIN', [other])}`;
    expect((await send({ subAccountId: sub, channel: 'messenger', leadId, text: 'x' }, stranger)).status).toBe(403);
    const foreign = await send({ subAccountId: other, channel: 'messenger', conversationId: old, text: 'x' }, stranger);
    expect(foreign.status).toBe(404);
  });

  it('Messenger: a page belongs to one sub-account; another sub-account claiming it gets 409 ROUTING_KEY_TAKEN', async () => {
    const res = await t.http
      .post('/api/integrations')
      .set('authorization', `Bearer ${t.token('ADMIN', [other])}`)
      .send({
        subAccountId: other,
        integrationTemplateId: (
          await t.sql.query<{ id: number }>("SELECT id FROM integration_templates WHERE name = 'facebook-messenger'")
        ).rows[0].id,
        name: 'Stolen page',
        config: { ...MESSENGER_CONFIG, pageAccessToken: 'EAAG-other-token' },
      });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ROUTING_KEY_TAKEN');
  });
});
