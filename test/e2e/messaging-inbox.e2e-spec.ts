// Issue 16 point 5 over HTTP: one inbox (GET /api/conversations, GET /api/messages) for WhatsApp, Messenger and
// Instagram, the channel filter, the contact as each channel knows it, and nothing of another sub-account.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const MESSENGER = { pageAccessToken: 'EAAG-inbox-token-1', appSecret: 'inbox-secret-1', verifyToken: 'inbox-verify-1' };
const INSTAGRAM = { accessToken: 'EAAG-inbox-ig-2', appSecret: 'inbox-secret-2', verifyToken: 'inbox-verify-2' };

describe('One inbox for WhatsApp, Messenger and Instagram', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let admin: string;
  let stranger: string;
  const ids: Record<string, string> = {};

  const conversation = async (
    subAccountId: number,
    integrationId: number,
    channel: string,
    contact: { key: string; waId?: string; phone?: string; name: string; username?: string },
    minutesAgo: number,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, user_id, phone,
         phone_normalized, profile_name, username, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, now() - make_interval(mins => $10), now() - make_interval(mins => $10), 1, now())
       RETURNING id::text`,
      [
        subAccountId,
        integrationId,
        channel,
        contact.key,
        contact.waId ?? null,
        channel === 'whatsapp' ? null : contact.key,
        contact.phone ?? null,
        contact.name,
        contact.username ?? null,
        minutesAgo,
      ],
    );
    const id = rows[0].id;
    await t.sql.query(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, direction, type, text, status,
         wamid, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, $4, 'inbound', 'text', $5, 'received', $6, now() - make_interval(mins => $7),
         now() - make_interval(mins => $7), now())`,
      [subAccountId, integrationId, id, channel, `hello on ${channel}`, `mid-${channel}-${id}`, minutesAgo],
    );
    return id;
  };

  beforeAll(async () => {
    t = await createTestApp();
    [sub, other] = [await createSubAccount(t, 'PRO', 'Inbox Co'), await createSubAccount(t, 'PRO', 'Other Co')];
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    stranger = `Bearer ${t.token('ADMIN', [other])}`;
    const wa = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const fb = await createIntegration(t, sub, 'facebook-messenger', { ...MESSENGER, pageId: '200000000000001' });
    const ig = await createIntegration(t, sub, 'instagram-direct', {
      ...INSTAGRAM,
      instagramAccountId: '17841400000000001',
      pageId: '200000000000002',
    });
    const foreign = await createIntegration(t, other, 'facebook-messenger', {
      ...MESSENGER,
      pageId: '200000000000003',
    });
    ids.whatsapp = await conversation(
      sub,
      wa.id,
      'whatsapp',
      { key: '5511987654321', waId: '5511987654321', phone: '+5511987654321', name: 'Wanda' },
      30,
    );
    ids.messenger = await conversation(sub, fb.id, 'messenger', { key: '6500000000000001', name: 'Mario' }, 20);
    ids.instagram = await conversation(
      sub,
      ig.id,
      'instagram',
      { key: '1090000000000001', name: 'Iris', username: 'iris.ig' },
      10,
    );
    ids.foreign = await conversation(other, foreign.id, 'messenger', { key: '6500000000000009', name: 'Foreign' }, 5);
  });
  afterAll(() => t.close());

  const get = (path: string, token = admin) => t.http.get(path).set('authorization', token);

  it('lists the three channels newest first, each contact as its channel knows it', async () => {
    const res = await get(`/api/conversations?subAccountId=${sub}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 50, total: 3 });
    expect(res.body.items.map((c: { channel: string }) => c.channel)).toEqual(['instagram', 'messenger', 'whatsapp']);
    const byChannel = Object.fromEntries(res.body.items.map((c: { channel: string }) => [c.channel, c]));
    expect(byChannel.whatsapp.contact).toEqual({
      waId: '5511987654321',
      userId: null,
      phone: '+5511987654321',
      profileName: 'Wanda',
      username: null,
    });
    // WhatsApp's contact keys, the channel's id instead of waId (API.md "Messaging channels")
    expect(byChannel.messenger.contact).toEqual({
      psid: '6500000000000001',
      userId: null,
      phone: null,
      profileName: 'Mario',
      username: null,
    });
    expect(byChannel.instagram.contact).toEqual({
      igsid: '1090000000000001',
      userId: null,
      phone: null,
      username: 'iris.ig',
      profileName: 'Iris',
    });
    expect(byChannel.messenger).toMatchObject({
      id: ids.messenger,
      subAccountId: sub,
      leadId: null,
      unread: 1,
      optedOut: false,
      windowOpenUntil: expect.any(String),
    });
  });

  it('filters by channel, linked and q; pages; rejects an unknown channel and a page over 200', async () => {
    const only = await get(`/api/conversations?channel=messenger`);
    expect(only.body.items.map((c: { id: string }) => c.id)).toEqual([ids.messenger]);
    expect((await get(`/api/conversations?q=iris`)).body.items.map((c: { id: string }) => c.id)).toEqual([
      ids.instagram,
    ]);
    expect((await get(`/api/conversations?linked=true`)).body.total).toBe(0);
    const page2 = await get(`/api/conversations?pageSize=2&page=2`);
    expect(page2.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(page2.body.items.map((c: { id: string }) => c.id)).toEqual([ids.whatsapp]);
    for (const bad of ['channel=sms', 'pageSize=201', 'linked=maybe', 'subAccountId=abc']) {
      const res = await get(`/api/conversations?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('GET /api/messages lists every channel, or one; the WhatsApp routes still show only WhatsApp', async () => {
    const all = await get(`/api/messages?subAccountId=${sub}`);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((m: { channel: string }) => m.channel)).toEqual(['instagram', 'messenger', 'whatsapp']);
    const ig = await get(`/api/messages?channel=instagram`);
    expect(ig.body.items).toEqual([
      expect.objectContaining({ channel: 'instagram', conversationId: ids.instagram, text: 'hello on instagram' }),
    ]);
    expect((await get(`/api/messages?conversationId=${ids.messenger}`)).body.items).toHaveLength(1);
    expect((await get(`/api/messages?channel=whatsapp&conversationId=${ids.messenger}`)).body.total).toBe(0);
    expect((await get('/api/messages?channel=telegram')).status).toBe(400);

    const wa = await get(`/api/whatsapp/conversations?subAccountId=${sub}`);
    expect(wa.body.items.map((c: { id: string }) => c.id)).toEqual([ids.whatsapp]);
    expect(wa.body.items[0].contact.waId).toBe('5511987654321');
    const waMessages = await get(`/api/whatsapp/messages?subAccountId=${sub}`);
    expect(waMessages.body.items.map((m: { channel: string }) => m.channel)).toEqual(['whatsapp']);
    // nor does a WhatsApp route open, link or capture another channel's conversation by its id
    expect((await get(`/api/whatsapp/conversations/${ids.messenger}`)).status).toBe(404);
    expect((await get(`/api/whatsapp/conversations/${ids.whatsapp}`)).status).toBe(200);
    const capture = await t.http
      .post(`/api/whatsapp/conversations/${ids.instagram}/capture-lead`)
      .set('authorization', admin)
      .send({});
    expect(capture.status).toBe(404);
    const unlink = await t.http.delete(`/api/whatsapp/conversations/${ids.messenger}/link`).set('authorization', admin);
    expect(unlink.status).toBe(404);
  });

  it('every role reads the inbox (AGENT included); no token is 401', async () => {
    const agent = `Bearer ${t.token('AGENT', [sub])}`;
    expect((await get('/api/conversations', agent)).body.total).toBe(3);
    expect((await get('/api/messages', agent)).body.total).toBe(3);
    expect((await t.http.get('/api/conversations')).status).toBe(401);
    expect((await t.http.get('/api/messages')).status).toBe(401);
  });

  it('a conversation in detail, linked and captured through the neutral routes keeps its channel', async () => {
    const detail = await get(`/api/conversations/${ids.messenger}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ channel: 'messenger', contact: { psid: '6500000000000001' }, lead: null });
    expect(detail.body.messages).toEqual([expect.objectContaining({ text: 'hello on messenger' })]);

    const captured = await t.http
      .post(`/api/conversations/${ids.instagram}/capture-lead`)
      .set('authorization', admin)
      .send({ email: 'iris@example.com' });
    expect(captured.status).toBe(201);
    expect(captured.body).toMatchObject({ fullName: 'Iris', email: 'iris@example.com' });
    const identity = await t.sql.query('SELECT key FROM lead_identities WHERE lead_id = $1 ORDER BY key', [
      captured.body.id,
    ]);
    expect(identity.rows.map((r: { key: string }) => r.key)).toContain('ext:instagram:1090000000000001');
    const again = await t.http
      .post(`/api/conversations/${ids.instagram}/capture-lead`)
      .set('authorization', admin)
      .send({});
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(captured.body.id);

    const linked = await t.http
      .post(`/api/conversations/${ids.messenger}/link`)
      .set('authorization', admin)
      .send({ leadId: captured.body.id });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({
      channel: 'messenger',
      leadId: captured.body.id,
      contact: { psid: '6500000000000001' },
    });
    expect((await get(`/api/conversations?linked=true&channel=messenger`)).body.total).toBe(1);
    expect((await get(`/api/messages?leadId=${captured.body.id}`)).body.total).toBe(2);
  });

  it("another sub-account's token sees nothing: 403 for the explicit sub-account, 404 for the records", async () => {
    const mine = await get('/api/conversations', stranger);
    expect(mine.body.items.map((c: { id: string }) => c.id)).toEqual([ids.foreign]);
    expect((await get('/api/messages', stranger)).body.total).toBe(1);
    for (const path of [
      `/api/conversations?subAccountId=${sub}`,
      `/api/messages?subAccountId=${sub}&channel=messenger`,
    ]) {
      const res = await get(path, stranger);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    const detail = await get(`/api/conversations/${ids.messenger}`, stranger);
    expect(detail.status).toBe(404);
    expect(detail.body.code).toBe('NOT_FOUND');
    expect((await get(`/api/messages?conversationId=${ids.messenger}`, stranger)).body.total).toBe(0);
    const link = await t.http
      .post(`/api/conversations/${ids.whatsapp}/link`)
      .set('authorization', stranger)
      .send({ leadId: '1' });
    expect(link.status).toBe(404);
    const capture = await t.http
      .post(`/api/conversations/${ids.messenger}/capture-lead`)
      .set('authorization', stranger)
      .send({});
    expect(capture.status).toBe(404);
    // the foreign conversation is untouched by the other tenant's reads
    expect((await get(`/api/conversations/${ids.foreign}`)).status).toBe(404);
  });
});
