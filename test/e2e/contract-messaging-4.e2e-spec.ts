// A black-box probe of API.md "WhatsApp" and "Messaging channels", read as the CRM frontend reads it and
// as a token of another sub-account would try it: the contact of every channel in WhatsApp's shape,
// bulk pause / resume / cancel answering a repeat with 200, and the ids, codes and filters of the routes.
// Conversations and messages are seeded in SQL (as messaging-inbox does); everything else goes over HTTP.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { BulkSetup, seedLead, whatsAppSetup } from '../support/whatsapp-bulk';

const MESSENGER = { pageAccessToken: 'EAAG-audit4-token-1', appSecret: 'audit4-secret-1', verifyToken: 'audit4-v-1' };
const INSTAGRAM = { accessToken: 'EAAG-audit4-ig-2', appSecret: 'audit4-secret-2', verifyToken: 'audit4-v-2' };

type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';

describe('API.md contract: WhatsApp and messaging channels (audit 4, black box)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let foreignSub: number;
  let leadId: string;
  const conv: Record<'whatsapp' | 'messenger' | 'instagram', string> = { whatsapp: '', messenger: '', instagram: '' };

  const bearer = (role: Role, subs: number[] = [sub], user?: string) => `Bearer ${t.token(role, subs, user)}`;
  const get = (path: string, token = bearer('AGENT')) => t.http.get(path).set('authorization', token);
  const post = (path: string, body: object = {}, token = bearer('MANAGER')) =>
    t.http.post(path).set('authorization', token).send(body);

  const conversation = async (
    integrationId: number,
    channel: 'whatsapp' | 'messenger' | 'instagram',
    contact: { key: string; name: string; username?: string },
    minutesAgo: number,
  ): Promise<string> => {
    const wa = channel === 'whatsapp';
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, user_id, phone,
         phone_normalized, profile_name, username, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, now() - make_interval(mins => $10),
         now() - make_interval(mins => $10), 1, now())
       RETURNING id::text`,
      [
        sub,
        integrationId,
        channel,
        contact.key,
        wa ? contact.key : null,
        wa ? null : contact.key,
        wa ? `+${contact.key}` : null,
        contact.name,
        contact.username ?? null,
        minutesAgo,
      ],
    );
    await t.sql.query(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, direction, type, text, status,
         wamid, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, $4, 'inbound', 'text', 'hello', 'received', $5, now() - make_interval(mins => $6),
         now() - make_interval(mins => $6), now())`,
      [sub, integrationId, rows[0].id, channel, `mid-${channel}-${rows[0].id}`, minutesAgo],
    );
    return rows[0].id;
  };

  /** A bulk send scheduled an hour ahead (it stays queued until an action moves it). */
  const scheduledBulk = async (): Promise<string> => {
    const res = await post('/api/whatsapp/bulk', {
      subAccountId: sub,
      leadIds: [leadId],
      template: { id: s.templateId },
      parameters: { '1': 'x' },
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    if (res.status !== 202) throw new Error(`bulk: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    s = await whatsAppSetup(t, fake);
    sub = s.subAccountId;
    foreignSub = await createSubAccount(t, 'PRO', 'Audit4 Foreign');
    const fb = await createIntegration(t, sub, 'facebook-messenger', { ...MESSENGER, pageId: '200000000000041' });
    const ig = await createIntegration(t, sub, 'instagram-direct', {
      ...INSTAGRAM,
      instagramAccountId: '17841400000000041',
      pageId: '200000000000042',
    });
    leadId = await seedLead(t.sql, sub, '+14155550141', 'Bulk Lead');
    conv.whatsapp = await conversation(s.integrationId, 'whatsapp', { key: '14155550142', name: 'Wanda' }, 30);
    conv.messenger = await conversation(fb.id, 'messenger', { key: '6500000000000041', name: 'Mario' }, 20);
    conv.instagram = await conversation(
      ig.id,
      'instagram',
      { key: '1090000000000041', name: 'Iris', username: 'iris.ig' },
      10,
    );
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  describe('Messenger and Instagram contacts have the WhatsApp contact keys (API.md "Messaging channels")', () => {
    const messengerContact = {
      psid: '6500000000000041',
      userId: null,
      phone: null,
      profileName: 'Mario',
      username: null,
    };
    const instagramContact = {
      igsid: '1090000000000041',
      username: 'iris.ig',
      userId: null,
      phone: null,
      profileName: 'Iris',
    };

    it('GET /api/conversations', async () => {
      const res = await get(`/api/conversations?subAccountId=${sub}`);
      expect(res.status).toBe(200);
      const byChannel = Object.fromEntries(
        (res.body.items as Array<{ channel: string; contact: object }>).map((c) => [c.channel, c.contact]),
      );
      expect(byChannel.messenger).toEqual(messengerContact);
      expect(byChannel.instagram).toEqual(instagramContact);
      expect(byChannel.whatsapp).toMatchObject({ waId: '14155550142', userId: null, phone: '+14155550142' });
    });

    it('GET /api/conversations/:id', async () => {
      const messenger = await get(`/api/conversations/${conv.messenger}`);
      expect([messenger.status, messenger.body.channel]).toEqual([200, 'messenger']);
      expect(messenger.body.contact).toEqual(messengerContact);
      const instagram = await get(`/api/conversations/${conv.instagram}`);
      expect(instagram.body.contact).toEqual(instagramContact);
    });

    it('POST /api/conversations/:id/link answers the conversation with the same contact', async () => {
      const lead = await seedLead(t.sql, sub, null, 'Mario Lead');
      const linked = await post(`/api/conversations/${conv.messenger}/link`, { leadId: lead }, bearer('AGENT'));
      expect(linked.status).toBe(200);
      expect(linked.body).toMatchObject({ id: conv.messenger, channel: 'messenger', leadId: lead });
      expect(linked.body.contact).toEqual(messengerContact);
    });
  });

  describe('bulk pause / resume / cancel (API.md: each answers 200)', () => {
    it('a repeated pause, resume or cancel answers 200 with the bulk as it is, and changes nothing', async () => {
      const id = await scheduledBulk();
      const action = (name: string) => post(`/api/whatsapp/bulk/${id}/${name}`);
      const paused = await action('pause');
      expect([paused.status, paused.body.status]).toEqual([200, 'paused']);
      const again = await action('pause');
      expect([again.status, again.body.code, again.body.status, again.body.id]).toEqual([200, undefined, 'paused', id]);
      const resumed = await action('resume');
      expect([resumed.status, resumed.body.status]).toEqual([200, 'queued']);
      const resumedAgain = await action('resume');
      expect([resumedAgain.status, resumedAgain.body.status]).toEqual([200, 'queued']);
      const cancelled = await action('cancel');
      expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
      const cancelledAgain = await action('cancel');
      expect([cancelledAgain.status, cancelledAgain.body.status]).toEqual([200, 'cancelled']);
      expect(cancelledAgain.body.counts).toEqual(cancelled.body.counts);
      // nothing a cancelled bulk can be paused or resumed into
      for (const name of ['pause', 'resume']) {
        const res = await action(name);
        expect([name, res.status, res.body.code]).toEqual([name, 409, 'CONFLICT']);
        expect(res.body.message).toContain('cancelled');
      }
      expect((await get(`/api/whatsapp/bulk/${id}`, bearer('MANAGER'))).body.status).toBe('cancelled');
    });

    it('a completed bulk: pause, resume and cancel are 409 CONFLICT naming its state', async () => {
      const id = await scheduledBulk();
      await post(`/api/whatsapp/bulk/${id}/pause`);
      await t.sql.query(
        `UPDATE whatsapp_bulk_jobs SET status = 'completed', completed_at = now() WHERE id = $1::bigint`,
        [id],
      );
      for (const name of ['pause', 'resume', 'cancel']) {
        const res = await post(`/api/whatsapp/bulk/${id}/${name}`);
        expect([name, res.status, res.body.code]).toEqual([name, 409, 'CONFLICT']);
        expect(res.body.message).toContain('completed');
      }
    });

    it("another sub-account's token: 404 for every action, and the bulk does not move", async () => {
      const id = await scheduledBulk();
      const stranger = bearer('ADMIN', [foreignSub]);
      for (const name of ['pause', 'resume', 'cancel']) {
        const res = await post(`/api/whatsapp/bulk/${id}/${name}`, {}, stranger);
        expect([name, res.status, res.body.code]).toEqual([name, 404, 'NOT_FOUND']);
      }
      expect((await get(`/api/whatsapp/bulk/${id}`, bearer('MANAGER'))).body.status).toBe('queued');
    });
  });

  describe('the rest of the messaging routes, as API.md lists them', () => {
    // WhatsApp's q matches waId; the psid / igsid that take its place must match too
    it('GET /api/conversations?q= finds a Messenger contact by psid and an Instagram one by igsid', async () => {
      const ids = async (q: string) =>
        ((await get(`/api/conversations?subAccountId=${sub}&q=${q}`)).body.items as Array<{ id: string }>).map(
          (c) => c.id,
        );
      expect(await ids('6500000000000041')).toEqual([conv.messenger]);
      expect(await ids(encodeURIComponent(' 6500000000000041 '))).toEqual([conv.messenger]);
      expect(await ids('1090000000000041')).toEqual([conv.instagram]);
    });

    // q is text to find: as a LIKE pattern, % matched every conversation and template
    it('q takes % and _ as characters: conversations and WhatsApp templates', async () => {
      const conversations = await get(`/api/conversations?subAccountId=${sub}&q=${encodeURIComponent('%')}`);
      expect([conversations.status, conversations.body.total]).toEqual([200, 0]);
      const waConversations = await get(`/api/whatsapp/conversations?subAccountId=${sub}&q=_`);
      expect([waConversations.status, waConversations.body.total]).toEqual([200, 0]);
      const all = await get(`/api/whatsapp/templates?subAccountId=${sub}`);
      expect(all.body.total).toBeGreaterThan(0);
      const templates = await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${encodeURIComponent('%')}`);
      expect([templates.status, templates.body.total]).toEqual([200, 0]);
    });

    it('single sends: the 202 bodies, LEAD_HAS_NO_PHONE and WINDOW_CLOSED; a conversation of another channel is 404', async () => {
      const agent = bearer('AGENT', [sub], 'agent-probe');
      const ok = await post(
        '/api/messages',
        { subAccountId: sub, channel: 'whatsapp', conversationId: conv.whatsapp, text: 'hi' },
        agent,
      );
      expect([ok.status, ok.body]).toEqual([
        202,
        { id: expect.any(String), status: 'queued', conversationId: conv.whatsapp, channel: 'whatsapp', tag: null },
      ]);
      const noPhone = await seedLead(t.sql, sub, null, 'No Phone');
      const np = await post(
        '/api/messages',
        { subAccountId: sub, channel: 'whatsapp', leadId: noPhone, text: 'hi' },
        agent,
      );
      expect([np.status, np.body.code]).toEqual([422, 'LEAD_HAS_NO_PHONE']);
      const wrong = await post(
        '/api/messages',
        { subAccountId: sub, channel: 'instagram', conversationId: conv.messenger, text: 'hi' },
        agent,
      );
      expect([wrong.status, wrong.body.code]).toEqual([404, 'NOT_FOUND']);
      const cold = await post('/api/whatsapp/messages', { subAccountId: sub, to: '+14155550199', text: 'hi' }, agent);
      expect([cold.status, cold.body.code]).toEqual([422, 'WINDOW_CLOSED']);
      const wa = await post('/api/whatsapp/messages', { subAccountId: sub, to: '+14155550142', text: 'hi' }, agent);
      expect([wa.status, wa.body]).toEqual([
        202,
        { id: expect.any(String), status: 'queued', conversationId: conv.whatsapp },
      ]);
      const byName = await post(
        '/api/whatsapp/messages',
        {
          subAccountId: sub,
          to: '+14155550142',
          template: { name: 'nope', language: 'en_US' },
          parameters: { '1': 'x' },
        },
        agent,
      );
      expect([byName.status, byName.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it("POST /api/whatsapp/messages: replyToMessageId must be a message of the recipient's own conversation (404 otherwise, as POST /api/messages)", async () => {
      const agent = bearer('AGENT', [sub], 'agent-reply');
      const other = await conversation(s.integrationId, 'whatsapp', { key: '14155550143', name: 'Otto' }, 50);
      const message = async (conversationId: string): Promise<string> =>
        (
          await t.sql.query<{ id: string }>(
            `SELECT id::text AS id FROM messages WHERE conversation_id = $1::bigint AND direction = 'inbound' LIMIT 1`,
            [conversationId],
          )
        ).rows[0].id;
      const send = (replyToMessageId: string) =>
        post('/api/whatsapp/messages', { subAccountId: sub, to: '+14155550142', text: 're', replyToMessageId }, agent);
      const foreign = await send(await message(other));
      expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
      const own = await send(await message(conv.whatsapp));
      expect([own.status, own.body.conversationId]).toEqual([202, conv.whatsapp]);
      const listed = await get(
        `/api/whatsapp/messages?subAccountId=${sub}&conversationId=${conv.whatsapp}&direction=outbound`,
      );
      expect(listed.body.items).toContainEqual(
        expect.objectContaining({ id: own.body.id, replyToMessageId: await message(conv.whatsapp) }),
      );
    });

    it('GET /api/messages?channel=messenger: that channel only, ids as strings', async () => {
      const res = await get(`/api/messages?subAccountId=${sub}&channel=messenger`);
      expect(res.body.items[0]).toMatchObject({
        channel: 'messenger',
        conversationId: conv.messenger,
        id: expect.any(String),
      });
    });

    it('POST /api/conversations/:id/capture-lead on Instagram: 201, then 200 with the same lead', async () => {
      const a = await post(`/api/conversations/${conv.instagram}/capture-lead`, {}, bearer('AGENT'));
      const b = await post(`/api/conversations/${conv.instagram}/capture-lead`, {}, bearer('AGENT'));
      expect([a.status, b.status, b.body.id]).toEqual([201, 200, a.body.id]);
      expect(typeof a.body.id).toBe('string');
    });

    it('POST /api/whatsapp/bulk: 202 with recipients and every skip reason counted; GET lists pages', async () => {
      const noPhone = await seedLead(t.sql, sub, null, 'No Phone B');
      const res = await post('/api/whatsapp/bulk', {
        subAccountId: sub,
        leadIds: [leadId, noPhone],
        text: 'hello',
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect([res.status, res.body]).toEqual([
        202,
        {
          id: expect.any(String),
          status: 'queued',
          recipients: 0,
          skipped: { noPhone: 1, optedOut: 0, duplicatePhone: 0, windowClosed: 1 },
        },
      ]);
      const list = await get(`/api/whatsapp/bulk?subAccountId=${sub}`, bearer('MANAGER'));
      expect(list.body).toMatchObject({ page: 1, pageSize: 50 });
    });

    it('GET /api/whatsapp/analytics: an unreadable or reversed range is 400 VALIDATION_FAILED', async () => {
      const res = await get(`/api/whatsapp/analytics?subAccountId=${sub}&from=banana`, bearer('MANAGER'));
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const rev = await get(
        `/api/whatsapp/analytics?subAccountId=${sub}&from=2026-02-01&to=2026-01-01`,
        bearer('MANAGER'),
      );
      expect([rev.status, rev.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it("opt-outs: another sub-account's subAccountId is 403; an entry made by waId carries its phone", async () => {
      const res = await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, bearer('ADMIN', [foreignSub]));
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      const created = await post('/api/whatsapp/opt-outs', {
        subAccountId: sub,
        waId: '14155550177',
        scope: 'marketing',
      });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual([
        'createdAt',
        'id',
        'phone',
        'scope',
        'source',
        'subAccountId',
        'waId',
      ]);
      expect(created.body.phone).toBe('+14155550177');
    });
  });
});
