// Part of the Messenger and Instagram channels over HTTP (header in messaging-channels.e2e-spec.ts): a Messenger
// conversation auto-linked by a shared e-mail or phone, on the Messenger connection the first part's first test
// makes (made here by the setup, test/support/messaging-channels-setup.ts).
import { TestApp } from '../support/test-app';
import { messengerText } from '../support/webhooks';
import {
  connectMessenger,
  fixture,
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
  let sub: number;
  let other: number;
  let admin: string;
  const { deliver, events, settled, leadOf } = messagingHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupMessagingChannels();
    ({ t, sub, other, admin } = fx);
    // the Messenger integration messaging-channels.e2e-spec.ts connects in its first test
    await connectMessenger(fx);
  });
  afterAll(() => fx?.close());

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
