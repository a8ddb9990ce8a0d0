// Issue 16 point 5, "opt-outs apply per channel", over HTTP: a Messenger STOP stops Messenger sends to that person
// (422 RECIPIENT_OPTED_OUT, Meta never called) and nothing on WhatsApp; a WhatsApp opt-out stops nothing on Messenger.
import { activate, messengerText, metaSignature, waitFor } from '../support/webhooks';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';

const PAGE = '104620412399999';
const PSID = '6543210900000001';
const CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-optout-token-7171',
  appSecret: 'optout-app-secret',
  verifyToken: 'optout-verify',
};
const PHONE = '+14155550123';

describe('Opt-outs per channel', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let messengerId: number;
  let mid = 0;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'PRO', 'Opt-out Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    messengerId = (await createIntegration(t, sub, 'facebook-messenger', CONFIG)).id;
    graph.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Opt-out Page' } }));
    graph.on('GET', `/${PSID}`, () => ({ status: 200, body: { first_name: 'Olga', last_name: 'Out', id: PSID } }));
    graph.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: PSID, message_id: `m_out_${graph.requests.length}` },
    }));
    const tested = await t.http.post(`/api/integrations/${messengerId}/test`).set('authorization', admin);
    expect(tested.body.success).toBe(true);
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  /** The person writes `text` to the page now; resolves once the event is processed. */
  const writes = async (text: string) => {
    mid += 1;
    const body = messengerText(PAGE, PSID, `m_in_${mid}`, text);
    const deliver = () =>
      t.http
        .post('/api/webhooks/facebook-messenger')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, CONFIG.appSecret))
        .send(body);
    expect((await deliver()).status).toBe(200);
    await waitFor(async () => {
      const { rows } = await t.sql.query<{ status: string }>(
        'SELECT status FROM webhook_events WHERE external_id = $1',
        [`m_in_${mid}`],
      );
      return rows[0]?.status === 'PROCESSED' ? true : undefined;
    });
    return deliver;
  };
  const reply = (text: string) =>
    t.http
      .post('/api/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, channel: 'messenger', leadId, text });
  const optOutRows = async () =>
    (
      await t.sql.query<{ channel: string; contact_key: string | null; phone: string | null; source: string }>(
        'SELECT channel, contact_key, phone, source FROM whatsapp_opt_outs WHERE sub_account_id = $1 ORDER BY id',
        [sub],
      )
    ).rows;
  const sendsToMeta = () => graph.requests.filter((r) => r.method === 'POST').length;
  let leadId: string;

  it('a WhatsApp opt-out of the same person does not stop a Messenger reply', async () => {
    await writes('Hi, is the offer still on?');
    leadId = (
      await t.sql.query<{ lead_id: string }>('SELECT lead_id::text FROM conversations WHERE contact_key = $1', [PSID])
    ).rows[0].lead_id;
    // the same person's phone is on WhatsApp's opt-out list
    await t.sql.query('UPDATE leads SET phone = $2 WHERE id = $1::bigint', [leadId, PHONE]);
    const waOptOut = await t.http
      .post('/api/whatsapp/opt-outs')
      .set('authorization', admin)
      .send({ subAccountId: sub, phone: PHONE, scope: 'all' });
    expect(waOptOut.status).toBe(201);
    const ok = await reply('Yes, until Friday');
    expect(ok.status).toBe(202);
    // the messaging-send job calls Meta once
    await waitFor(async () => (sendsToMeta() === 1 ? true : undefined));
  });

  it('a sentence containing a keyword is no opt-out; STOP alone is, for Messenger only; START undoes it', async () => {
    await writes('please stop calling me at work, message here');
    expect((await reply('Noted')).status).toBe(202);

    const deliverAgain = await writes('STOP');
    expect(await optOutRows()).toEqual([
      { channel: 'whatsapp', contact_key: null, phone: PHONE, source: 'manual' },
      { channel: 'messenger', contact_key: PSID, phone: null, source: 'keyword' },
    ]);
    await waitFor(async () => (sendsToMeta() === 2 ? true : undefined));
    const before = sendsToMeta();
    const refused = await reply('Are you sure?');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ statusCode: 422, code: 'RECIPIENT_OPTED_OUT' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sendsToMeta()).toBe(before);
    // a redelivery of the STOP changes nothing
    expect((await deliverAgain()).body.status).toBe('duplicate');
    expect(await optOutRows()).toHaveLength(2);

    // the inbox shows it on the Messenger conversation; WhatsApp's opt-out list shows only WhatsApp's entry
    const inbox = await t.http.get('/api/conversations?channel=messenger').set('authorization', admin);
    expect(inbox.body.items[0]).toMatchObject({ optedOut: true, optOutScope: 'all' });
    const waList = await t.http.get(`/api/whatsapp/opt-outs?subAccountId=${sub}`).set('authorization', admin);
    expect(waList.body.items.map((o: { phone: string }) => o.phone)).toEqual([PHONE]);

    await writes('Start');
    expect((await optOutRows()).map((r) => r.channel)).toEqual(['whatsapp']);
    expect((await reply('Welcome back')).status).toBe(202);
  });

  it('a Messenger opt-out does not stop WhatsApp: the same lead is still sendable there', async () => {
    await writes('stop!');
    const wa = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    await activate(t, sub, wa.id);
    // the person's WhatsApp number wrote an hour ago (window open); their lead gets that phone
    const waPhone = '+14155550999';
    await t.sql.query(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         lead_id, last_inbound_at, last_message_at, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, $4, $4, $5::bigint, now() - interval '1 hour', now() - interval '1 hour', now())`,
      [sub, wa.id, waPhone.slice(1), waPhone, leadId],
    );
    await t.sql.query('UPDATE leads SET phone = $2 WHERE id = $1::bigint', [leadId, waPhone]);
    expect((await reply('Still there?')).body.code).toBe('RECIPIENT_OPTED_OUT');
    // WhatsApp's own opt-out still holds on WhatsApp
    const waRefused = await t.http.post('/api/whatsapp/messages').set('authorization', admin).send({
      subAccountId: sub,
      integrationId: wa.id,
      to: PHONE,
      text: 'Hello?',
    });
    expect(waRefused.body.code).toBe('RECIPIENT_OPTED_OUT');
    const onWhatsApp = await t.http
      .post('/api/whatsapp/messages')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationId: wa.id, leadId, text: 'Hello on WhatsApp' });
    expect(onWhatsApp.status).toBe(202);
    expect(onWhatsApp.body).toMatchObject({ status: 'queued' });
  });
});
