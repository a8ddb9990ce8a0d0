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
});
