// The app, fakes and tenants of the attacks on the recent features (test/e2e/attacker-recent*.e2e-spec.ts): each
// part boots its own app with tenants A and B, their WhatsApp, GoHighLevel and Google integrations, and their tokens.
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from './factories';
import { FakeServer } from './fake-server';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { deliver, newWamid, WhatsAppWebhooks } from './fakes/whatsapp-webhooks';
import { countRows } from './security';
import { createTestApp, TestApp } from './test-app';
import { activate, waitFor } from './webhooks';

export const WABA_A = WHATSAPP_CONFIG.wabaId;
export const PHONE_A = WHATSAPP_CONFIG.phoneNumberId;
export const WABA_B = '102290129349999';
export const PHONE_B = '106540352249999';
export const CONTACT = '16505551234';

export type Json = Record<string, unknown>;

export interface AttackFixture {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  ghl: FakeServer;
  hooksA: WhatsAppWebhooks;
  hooksB: WhatsAppWebhooks;
  webhookUrl: string;
  subA: number;
  subB: number;
  waA: number;
  waB: number;
  ghlA: number;
  ghlB: number;
  googleA: { id: number; webhookUrl: string };
  adminA: string;
  managerA: string;
  agentA: string;
  adminB: string;
  close(): Promise<void>;
}

export async function setupAttackerRecent(): Promise<AttackFixture> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
    numbers: { [PHONE_A]: WABA_A, [PHONE_B]: WABA_B },
    pairLimit: null,
  });
  const ghl = await FakeServer.start();
  ghl.on('POST', '/calendars/events/block-slots', (req) => ({
    status: 201,
    body: { id: `block-${ghl.requests.length}`, ...(req.body as object) },
  }));
  const t = await createTestApp({
    env: { META_GRAPH_URL: fake.url, GHL_API_URL: ghl.url, WEBHOOK_CACHE_TTL_MS: '0', WEBHOOK_RETRY_UNIT_MS: '50' },
  });
  const subA = await createSubAccount(t, 'MAX', 'Tenant A');
  const subB = await createSubAccount(t, 'MAX', 'Tenant B');
  const waA = (await createIntegration(t, subA, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
  const waB = (
    await createIntegration(t, subB, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, phoneNumberId: PHONE_B, wabaId: WABA_B })
  ).id;
  const ghlA = (await createIntegration(t, subA, 'gohighlevel', GHL_CONFIG)).id;
  const ghlB = (await createIntegration(t, subB, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_TENANT_B' })).id;
  const googleA = await createIntegration(t, subA, 'google-ads-lead-forms', { googleKey: 'attack-google-key-01' });
  for (const [sub, id] of [
    [subA, waA],
    [subB, waB],
    [subA, ghlA],
    [subB, ghlB],
    [subA, googleA.id],
  ])
    await activate(t, sub, id);
  const adminA = `Bearer ${t.token('ADMIN', [subA])}`;
  const managerA = `Bearer ${t.token('MANAGER', [subA])}`;
  const agentA = `Bearer ${t.token('AGENT', [subA], 'agent-a')}`;
  const adminB = `Bearer ${t.token('ADMIN', [subB])}`;
  const hooksA = fake.webhooks(PHONE_A);
  const hooksB = fake.webhooks(PHONE_B);
  await t.app.listen(0, '127.0.0.1');
  const webhookUrl = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  return {
    t,
    fake,
    ghl,
    hooksA,
    hooksB,
    webhookUrl,
    subA,
    subB,
    waA,
    waB,
    ghlA,
    ghlB,
    googleA,
    adminA,
    managerA,
    agentA,
    adminB,
    close: async () => {
      await t.close();
      await fake.close();
      await ghl.close();
    },
  };
}

/** The request and webhook helpers of the parts, on the fixture their beforeAll set (read when called). */
export function attackHelpers(fx: () => AttackFixture) {
  const post = (path: string, token: string, body?: object | string) => {
    const req = fx().t.http.post(path).set('authorization', token);
    if (typeof body === 'string') return req.set('content-type', 'application/json').send(body);
    return body === undefined ? req : req.send(body);
  };
  const get = (path: string, token: string) => fx().t.http.get(path).set('authorization', token);
  const idle = () =>
    waitFor(
      async () =>
        (await countRows(fx().t, "webhook_events WHERE status IN ('PENDING','PROCESSING')")) === 0 &&
        (await countRows(fx().t, "messages WHERE direction = 'outbound' AND wamid IS NULL AND status = 'queued'")) ===
          0,
      20_000,
      'events processed and sends answered',
    );
  const received = async (hooks: WhatsAppWebhooks, payload: unknown): Promise<string> => {
    const res = await deliver(fx().webhookUrl, hooks.sign(payload));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { status: string; eventId: string };
    expect(body.status).toBe('received');
    return body.eventId;
  };
  /** A `messages` change on a number holding one message from the contact. */
  const inbound = (phoneNumberId: string, message: Json): Json => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: phoneNumberId === PHONE_A ? WABA_A : WABA_B,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: CONTACT }],
              messages: [
                { from: CONTACT, id: newWamid(), timestamp: String(Math.floor(Date.now() / 1000)), ...message },
              ],
            },
          },
        ],
      },
    ],
  });
  const storedMessage = async (wamid: string) =>
    (
      await fx().t.sql.query<{ reply_to_message_id: string | null; content: Json | null; text: string | null }>(
        'SELECT reply_to_message_id, content, text FROM messages WHERE wamid = $1',
        [wamid],
      )
    ).rows[0];
  const wamidOf = (payload: Json): string =>
    ((payload.entry as Json[])[0].changes as Json[]).map(
      (c) => (c.value as { messages: Json[] }).messages[0].id,
    )[0] as string;
  return { post, get, idle, received, inbound, storedMessage, wamidOf };
}

/**
 * B's contact writes and B answers (an outbound message of B's with Meta's wamid): what the inbound-kinds
 * attack leaves behind for the A's-token attack when both run in one app.
 */
export async function bAnswersItsContact(fx: AttackFixture): Promise<void> {
  const { post, idle, received, inbound } = attackHelpers(() => fx);
  await received(fx.hooksB, inbound(PHONE_B, { type: 'text', text: { body: 'hi B' } }));
  await idle();
  const sent = await post('/api/whatsapp/messages', fx.adminB, {
    subAccountId: fx.subB,
    to: `+${CONTACT}`,
    text: 'B here',
  });
  if (sent.status !== 202) throw new Error(`B's send answered ${sent.status}`);
  await waitFor(
    async () => {
      const row = await fx.t.sql.query<{ wamid: string | null }>('SELECT wamid FROM messages WHERE id = $1', [
        sent.body.id,
      ]);
      return row.rows[0]?.wamid ?? undefined;
    },
    20_000,
    "B's message sent",
  );
}
