// Inbound WhatsApp messages of every reply kind, through the signed webhook to the API: orders, Flow
// answers (nfm_reply), template quick-reply buttons, list and button replies, each stored with its
// type, words and structured data and linked to the message it answers; errors WhatsApp reports about
// the number itself (value.errors) and a failed status's error details, where an operator sees them.
// Payloads: the official examples in src/handlers/whatsapp-cloud/fixtures (see its README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, newWamid, statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor, eventsSettled } from '../support/webhooks';

const FIXTURES = join(__dirname, '../../src/handlers/whatsapp-cloud/fixtures');
const WABA = WHATSAPP_CONFIG.wabaId;
const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
const CONTACT = '16505551234';

interface Delivery {
  entry: Array<{ changes: Array<{ value: { messages?: Array<Record<string, unknown>> } }> }>;
}

/** An official example as a fresh message: its own wamid, sent now, answering `replyTo` when given. */
function official(name: string, replyTo?: string): { payload: Delivery; wamid: string } {
  const payload = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Delivery;
  const message = payload.entry[0].changes[0].value.messages?.[0];
  if (!message) throw new Error(`${name} holds no message`);
  const wamid = newWamid();
  message.id = wamid;
  message.timestamp = String(Math.floor(Date.now() / 1000));
  if (replyTo) message.context = { from: '15550783881', id: replyTo };
  return { payload, wamid };
}

describe('WhatsApp inbound reply kinds and reported errors (signed webhook → API)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let url: string;
  let sub: number;
  let integrationId: number;
  let agent: string;
  let admin: string;

  const get = (path: string, token = agent) => t.http.get(path).set('authorization', token);
  const received = async (payload: unknown) => {
    const res = await deliver(url, hooks.sign(payload));
    expect(res.status).toBe(200);
    return JSON.parse(res.body) as { status: string; eventId: string | null };
  };
  const processed = () => eventsSettled(t);
  const byWamid = async (wamid: string) => {
    const list = await get(`/api/whatsapp/messages?subAccountId=${sub}&direction=inbound&pageSize=200`);
    expect(list.status).toBe(200);
    return (list.body.items as Array<Record<string, unknown>>).find((m) => m.wamid === wamid);
  };

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [PHONE_ID]: WABA },
      pairLimit: null,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Reply Kinds Co');
    integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    await activate(t, sub, integrationId);
    agent = `Bearer ${t.token('AGENT', [sub], 'agent-1')}`;
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    hooks = fake.webhooks(PHONE_ID);
    await t.app.listen(0, '127.0.0.1');
    url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** One of our messages to the contact, with the wamid Meta gave it. */
  async function sent(text: string): Promise<{ id: string; wamid: string }> {
    const res = await t.http
      .post('/api/whatsapp/messages')
      .set('authorization', agent)
      .send({ subAccountId: sub, to: `+${CONTACT}`, text });
    expect(res.status).toBe(202);
    const wamid = await waitFor(async () => {
      const row = await t.sql.query<{ wamid: string | null }>('SELECT wamid FROM messages WHERE id = $1', [
        res.body.id,
      ]);
      return row.rows[0]?.wamid ?? undefined;
    });
    return { id: res.body.id as string, wamid };
  }

  it('stores orders, Flow answers and replies with their type, words and data, linked to what they answer', async () => {
    // the contact writes first: the window for our free-form messages opens
    await received(JSON.parse(hooks.inboundText({ from: CONTACT, name: 'Sheena Nelson', text: 'hi' }).rawBody));
    await processed();
    const menu = await sent('Pick a delivery option');
    const survey = await sent('Tell us about your project');

    const order = official('inbound-order.openapi-example.json');
    const flow = official('inbound-interactive-nfm-reply.ASSEMBLED.json', survey.wamid);
    const list = official('inbound-interactive-list-reply.openapi-example.json', menu.wamid);
    const button = official('inbound-interactive-button-reply.openapi-example.json', menu.wamid);
    // a reply to a message this hub never sent is kept, unlinked
    const stranger = official('inbound-interactive-button-reply.openapi-example.json', 'wamid.NOT-OURS');
    for (const m of [order, flow, list, button, stranger]) expect((await received(m.payload)).status).toBe('received');
    await processed();

    expect(await byWamid(order.wamid)).toMatchObject({
      type: 'order',
      text: 'Order: 2 × di9ozbzfi4 @ 30 USD, 1 × nqryix03ez @ 25 USD',
      status: 'received',
      content: {
        catalogId: '194836987003835',
        productItems: [
          { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
          { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 25, currency: 'USD' },
        ],
      },
      replyToMessageId: null,
    });
    expect(await byWamid(flow.wamid)).toMatchObject({
      type: 'interactive',
      text: 'Sent',
      content: {
        kind: 'nfm_reply',
        name: 'flow',
        flowToken: 'lead-form-7',
        responseJson:
          '{"flow_token": "lead-form-7", "product_interest": "solar panels", "best_time_to_call": "morning"}',
      },
      replyToMessageId: survey.id,
    });
    expect(await byWamid(list.wamid)).toMatchObject({
      type: 'interactive',
      text: 'Priority Mail Express',
      content: { kind: 'list_reply', id: 'priority_express', description: 'Next Day to 2 Days' },
      replyToMessageId: menu.id,
    });
    expect(await byWamid(button.wamid)).toMatchObject({
      type: 'interactive',
      text: 'Cancel',
      content: { kind: 'button_reply', id: 'cancel-button' },
      replyToMessageId: menu.id,
    });
    expect(await byWamid(stranger.wamid)).toMatchObject({ text: 'Cancel', replyToMessageId: null });

    // a template's quick-reply button, last: its "Unsubscribe" is also an opt-out keyword
    const quick = official('inbound-button.openapi-example.json', menu.wamid);
    await received(quick.payload);
    await processed();
    expect(await byWamid(quick.wamid)).toMatchObject({
      type: 'button',
      text: 'Unsubscribe',
      content: { payload: 'Unsubscribe', text: 'Unsubscribe' },
      replyToMessageId: menu.id,
    });
  });

  it("keeps WhatsApp's errors about the number on the event, and a failed status's details on the message", async () => {
    const payload = JSON.parse(readFileSync(join(FIXTURES, 'errors-value-level-130429.json'), 'utf8')) as unknown;
    const first = await received(payload);
    expect(first.status).toBe('received');
    expect(first.eventId).toEqual(expect.any(String));
    // Meta retries the same delivery: a duplicate, not a second report
    expect(await received(payload)).toEqual({ status: 'duplicate', eventId: first.eventId });
    await processed();
    const events = await get(`/api/integrations/${integrationId}/events?pageSize=200`, admin);
    expect(events.status).toBe(200);
    expect((events.body.items as Array<{ id: string }>).find((e) => e.id === first.eventId)).toMatchObject({
      eventType: 'errors',
      status: 'PROCESSED',
      lastError:
        '130429 Rate limit hit: Message failed to send because there were too many messages sent from this phone number in a short period of time',
    });

    // a status's errors[].error_data.details (fixtures/status-failed-131049.json) reach the message
    await t.sql.query('DELETE FROM whatsapp_opt_outs WHERE sub_account_id = $1', [sub]);
    const ours = await sent('A marketing offer');
    const failed = statusOf(ours.wamid, 'failed', {
      timestamp: Math.floor(Date.now() / 1000),
      recipientId: CONTACT,
      errors: [
        {
          code: 131049,
          title: 'This message was not delivered to maintain healthy ecosystem engagement.',
          details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
        },
      ],
    });
    await deliver(url, hooks.statuses([failed]));
    await processed();
    const message = await get(`/api/whatsapp/messages?subAccountId=${sub}&direction=outbound&pageSize=200`);
    expect((message.body.items as Array<{ id: string }>).find((m) => m.id === ours.id)).toMatchObject({
      status: 'failed',
      error: {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
        details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
      },
    });
  });
});
