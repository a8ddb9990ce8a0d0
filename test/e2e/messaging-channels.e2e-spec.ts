// Issue 16 over HTTP: Messenger and Instagram integrations connect, route, verify and reach leads through the webhook pipeline.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { messengerText, metaSignature, waitFor } from '../support/webhooks';

const HANDLERS = join(__dirname, '../../src/handlers');
const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(HANDLERS, path), 'utf8')) as Record<string, unknown>;
const PAGE = '104620412345678';
const PSID = '6543210987654321';
const IGID = '17841405822304914';
const IG_PAGE = '134895793791914';
const IGSID = '1092310252982105';
const MESSENGER_CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-messenger-token-5151',
  appSecret: 'messenger-app-secret-1',
  verifyToken: 'messenger-verify-1',
};
const INSTAGRAM_CONFIG = {
  instagramAccountId: IGID,
  pageId: IG_PAGE,
  accessToken: 'EAAG-instagram-token-6262',
  appSecret: 'instagram-app-secret-1',
  verifyToken: 'instagram-verify-1',
};
type Entry = { id: string; time: number; messaging: unknown[] };
const itemsOf = (path: string): unknown[] => (fixture(path).entry as Entry[])[0].messaging;

describe('Messenger and Instagram channels over HTTP', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let other: number;
  let admin: string;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    [sub, other] = [await createSubAccount(t, 'PRO', 'Messaging Co'), await createSubAccount(t, 'PRO', 'Other Co')];
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  const deliver = (provider: string, body: string, secret: string) =>
    t.http
      .post(`/api/webhooks/${provider}`)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);
  const events = async (integrationId: number) =>
    (
      await t.sql.query<{ event_type: string; status: string; external_id: string }>(
        'SELECT event_type, status, external_id FROM webhook_events WHERE integration_id = $1 ORDER BY id',
        [integrationId],
      )
    ).rows;
  const settled = (integrationId: number, count: number) =>
    waitFor(async () => {
      const rows = await events(integrationId);
      if (rows.some((r) => r.status === 'FAILED')) throw new Error('an event failed');
      return rows.length >= count && rows.every((r) => r.status === 'PROCESSED') ? rows : undefined;
    });
  const leadOf = async (subAccountId: number, platform: string, externalId: string) =>
    (
      await t.sql.query<{ lead_id: string }>(
        'SELECT lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
        [subAccountId, `ext:${platform}:${externalId}`],
      )
    ).rows[0]?.lead_id;

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

  it('Instagram: routed by the Instagram account, proven through the connected page, story mention to a lead', async () => {
    const integration = await createIntegration(t, sub, 'instagram-direct', INSTAGRAM_CONFIG);
    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: IG_PAGE, name: 'Acme', instagram_business_account: { id: '17840000000000001' } },
    }));
    const wrong = await t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', admin);
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });

    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: IG_PAGE, name: 'Acme', instagram_business_account: { id: IGID, username: 'acme.dental' } },
    }));
    const test = await t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', admin);
    expect(test.body).toEqual({ success: true, message: 'Connected to Instagram account @acme.dental' });
    // a test that failed first leaves the integration switched off until someone switches it on
    const on = await t.http
      .patch(`/api/integrations/${integration.id}`)
      .set('authorization', admin)
      .send({ isActive: true });
    expect(on.status).toBe(200);

    graph.on('GET', `/${IGSID}`, () => ({ status: 200, body: { name: 'Ana Lima', username: 'ana.lima', id: IGSID } }));
    const body = JSON.stringify(fixture('instagram-direct/fixtures/story-mention.json'));
    const res = await deliver('instagram-direct', body, INSTAGRAM_CONFIG.appSecret);
    expect(res.body).toMatchObject({ status: 'received' });
    await settled(integration.id, 1);
    const leadId = await leadOf(sub, 'instagram', IGSID);
    const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
    expect(lead.body.interactions).toEqual([
      expect.objectContaining({ channel: 'instagram', direction: 'inbound', body: '[story mention]' }),
    ]);
    const message = await t.sql.query(
      `SELECT m.channel, m.type, m.content->'story'->>'kind' AS story, c.contact_key, c.username
       FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.integration_id = $1`,
      [integration.id],
    );
    expect(message.rows).toEqual([
      { channel: 'instagram', type: 'story_mention', story: 'mention', contact_key: IGSID, username: 'ana.lima' },
    ]);
    // another sub-account's valid token never sees it
    const foreign = await t.http
      .get(`/api/leads/${leadId}`)
      .set('authorization', `Bearer ${t.token('ADMIN', [other])}`);
    expect(foreign.status).toBe(404);
  });

  it('Instagram: an account belongs to one sub-account; another sub-account claiming it gets 409 ROUTING_KEY_TAKEN', async () => {
    const templateId = (
      await t.sql.query<{ id: number }>("SELECT id FROM integration_templates WHERE name = 'instagram-direct'")
    ).rows[0].id;
    const res = await t.http
      .post('/api/integrations')
      .set('authorization', `Bearer ${t.token('ADMIN', [other])}`)
      .send({
        subAccountId: other,
        integrationTemplateId: templateId,
        name: 'Stolen account',
        // the same Instagram account behind another page and token is still the same routing key
        config: { ...INSTAGRAM_CONFIG, pageId: '100000000000777', accessToken: 'EAAG-other-ig-token' },
      });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ROUTING_KEY_TAKEN');
    const owners = await t.sql.query(
      "SELECT sub_account_id FROM integrations WHERE handler = 'instagram-direct' ORDER BY id",
    );
    expect(owners.rows).toEqual([{ sub_account_id: sub }]);
  });

  it('Instagram unsend: the message loses its words (and the lead interaction too); redelivered or early, no change', async () => {
    const integrationId = Number(
      (await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE handler = 'instagram-direct'")).rows[0].id,
    );
    const before = (await events(integrationId)).length;
    const text = JSON.stringify(fixture('instagram-direct/fixtures/message-text.json'));
    const unsend = JSON.stringify(fixture('instagram-direct/fixtures/message-deleted.ASSEMBLED.json'));
    const mid = (itemsOf('instagram-direct/fixtures/message-text.json')[0] as { message: { mid: string } }).message.mid;
    const row = async (wamid: string) =>
      (
        await t.sql.query(
          "SELECT type, text, COALESCE(content ? 'deleted', false) AS deleted FROM messages WHERE integration_id = $1 AND wamid = $2",
          [integrationId, wamid],
        )
      ).rows;
    expect((await deliver('instagram-direct', text, INSTAGRAM_CONFIG.appSecret)).status).toBe(200);
    await settled(integrationId, before + 1);
    expect(await row(mid)).toEqual([{ type: 'text', text: 'Hi! Is the spring offer still on?', deleted: false }]);

    expect((await deliver('instagram-direct', unsend, INSTAGRAM_CONFIG.appSecret)).body.status).toBe('received');
    await settled(integrationId, before + 2);
    expect(await row(mid)).toEqual([{ type: 'text', text: null, deleted: true }]);
    const bodies = await t.sql.query('SELECT body FROM lead_interactions WHERE external_message_id = $1', [mid]);
    expect(bodies.rows).toEqual([{ body: '[message unsent]' }]);
    // the same unsend again is a duplicate delivery
    expect((await deliver('instagram-direct', unsend, INSTAGRAM_CONFIG.appSecret)).body.status).toBe('duplicate');

    // reordered: the unsend of a message processed before the message itself; the message stays deleted
    const late = 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OmxhdGUZD';
    const withMid = (body: string, extra: object) =>
      JSON.stringify({
        ...JSON.parse(body),
        entry: [
          {
            id: IGID,
            time: 1569262500000,
            messaging: [
              {
                sender: { id: IGSID },
                recipient: { id: IGID },
                timestamp: 1569262500000,
                message: { mid: late, ...extra },
              },
            ],
          },
        ],
      });
    await deliver('instagram-direct', withMid(unsend, { is_deleted: true }), INSTAGRAM_CONFIG.appSecret);
    await settled(integrationId, before + 3);
    await deliver('instagram-direct', withMid(text, { text: 'regret this' }), INSTAGRAM_CONFIG.appSecret);
    await settled(integrationId, before + 4);
    expect(await row(late)).toEqual([{ type: 'unsent', text: null, deleted: true }]);
    const lateBodies = await t.sql.query('SELECT body FROM lead_interactions WHERE external_message_id = $1', [late]);
    expect(lateBodies.rows).toEqual([{ body: '[message unsent]' }]);
  });

  it('auto-link by a shared e-mail or phone: the conversation joins the lead known by it, in its own sub-account only', async () => {
    const integrationId = Number(
      (await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE handler = 'facebook-messenger'")).rows[0]
        .id,
    );
    let count = (await events(integrationId)).length;
    const lead = async (subAccountId: number, name: string, email: string | null, phone: string | null) => {
      const { rows } = await t.sql.query<{ id: string }>(
        'INSERT INTO leads (sub_account_id, full_name, email, phone, updated_at) VALUES ($1, $2, $3, $4, now()) RETURNING id::text',
        [subAccountId, name, email, phone],
      );
      const keys = [...(email ? [`email:${email}`] : []), ...(phone ? [`phone:${phone}`] : [])];
      for (const key of keys)
        await t.sql.query('INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, $2, $3)', [
          subAccountId,
          key,
          rows[0].id,
        ]);
      return rows[0].id;
    };
    const message = (psid: string, mid: string, text: string, quickReply?: string) =>
      messengerText(PAGE, psid, mid, text, quickReply);
    const apply = async (body: string) => {
      expect((await deliver('facebook-messenger', body, MESSENGER_CONFIG.appSecret)).status).toBe(200);
      count += 1;
      await settled(integrationId, count);
    };
    const conversationOf = async (psid: string) =>
      (
        await t.sql.query<{ id: string; lead_id: string | null; link_source: string | null }>(
          'SELECT id::text, lead_id::text, link_source FROM conversations WHERE integration_id = $1 AND contact_key = $2',
          [integrationId, psid],
        )
      ).rows[0];
    const interactionLead = async (mid: string) =>
      (
        await t.sql.query<{ lead_id: string }>(
          'SELECT lead_id::text FROM lead_interactions WHERE external_message_id = $1',
          [mid],
        )
      ).rows.map((r) => r.lead_id);
    const ana = await lead(sub, 'Ana Lima', 'ana.lima@example.com', null);
    const caio = await lead(sub, 'Caio', null, '+14155550188');
    const foreign = await lead(other, 'Bruno elsewhere', 'bruno@example.com', '+14155550199');

    // a person writes (their own lead), then taps the user_email quick reply: Ana's e-mail
    const P1 = '7100000000000001';
    await apply(message(P1, 'm_al_1', 'hi'));
    const own = await leadOf(sub, 'messenger', P1);
    expect((await conversationOf(P1)).lead_id).toBe(own);
    const tapped = JSON.stringify(
      fixture('facebook-messenger/fixtures/message-quick-reply-email.ASSEMBLED.json'),
    ).replace(`"id":"${PSID}"`, `"id":"${P1}"`);
    await apply(tapped);
    expect(await conversationOf(P1)).toMatchObject({ lead_id: ana, link_source: 'auto' });
    expect(await leadOf(sub, 'messenger', P1)).toBe(ana);
    const rows = await t.sql.query<{ lead_id: string }>(
      'SELECT DISTINCT lead_id::text FROM messages WHERE conversation_id = $1',
      [(await conversationOf(P1)).id],
    );
    expect(rows.rows).toEqual([{ lead_id: ana }]);
    expect(await interactionLead('m_quick_reply_email_1')).toEqual([ana]);
    // and what the person writes next
    await apply(message(P1, 'm_al_3', 'thanks'));
    expect(await interactionLead('m_al_3')).toEqual([ana]);
    const conversation = await t.http
      .get(`/api/conversations/${(await conversationOf(P1)).id}`)
      .set('authorization', admin);
    expect(conversation.body).toMatchObject({ channel: 'messenger', leadId: ana });

    // a first message that is only a phone number: linked to Caio from the start, no lead of its own
    const P2 = '7100000000000002';
    await apply(message(P2, 'm_al_4', '+1 (415) 555-0188'));
    expect((await conversationOf(P2)).lead_id).toBe(caio);
    expect(await leadOf(sub, 'messenger', P2)).toBe(caio);

    // the same e-mail or phone known only in another sub-account links nothing there
    const P3 = '7100000000000003';
    await apply(message(P3, 'm_al_5', 'hello'));
    const ownP3 = await leadOf(sub, 'messenger', P3);
    await apply(message(P3, 'm_al_6', 'bruno@example.com', 'bruno@example.com'));
    await apply(message(P3, 'm_al_7', '+1 415 555 0199'));
    expect((await conversationOf(P3)).lead_id).toBe(ownP3);
    expect(ownP3).not.toBe(foreign);
    expect(await interactionLead('m_al_6')).toEqual([ownP3]);
    const otherKeys = await t.sql.query('SELECT key FROM lead_identities WHERE sub_account_id = $1 ORDER BY key', [
      other,
    ]);
    expect(otherKeys.rows).toEqual([{ key: 'email:bruno@example.com' }, { key: 'phone:+14155550199' }]);

    // a person's manual link stands against what the contact types afterwards
    const linked = await t.http
      .post(`/api/conversations/${(await conversationOf(P3)).id}/link`)
      .set('authorization', admin)
      .send({ leadId: caio });
    expect(linked.status).toBe(200);
    await apply(message(P3, 'm_al_8', 'ana.lima@example.com', 'ana.lima@example.com'));
    expect(await conversationOf(P3)).toMatchObject({ lead_id: caio, link_source: 'manual' });
  });
});
