// Shared setup of the whatsapp-issue12-*.e2e-spec.ts parts (issue 12 over HTTP against the fake Graph API): each part
// boots its own app listening for the fake's webhooks, with a sub-account, its active number and a stranger.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from './factories';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { deliver, WhatsAppWebhooks } from './fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from './test-app';
import { activate, eventsSettled } from './webhooks';

export const WABA = WHATSAPP_CONFIG.wabaId;
export const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export const BODY = {
  type: 'BODY',
  text: 'Hi {{1}}, your order {{2}} shipped',
  example: { body_text: [['Ana', 'A-1']] },
};

export interface WhatsApp12 {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  hooks: WhatsAppWebhooks;
  url: string;
  sub: number;
  other: number;
  integrationId: number;
  admin: string;
  agent: string;
  stranger: string;
  close(): Promise<void>;
}

export async function startWhatsApp12(): Promise<WhatsApp12> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
    numbers: { [PHONE_ID]: WABA },
    pairLimit: null,
  });
  const t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
  const close = async () => {
    await t.close();
    await fake.close();
  };
  const sub = await createSubAccount(t, 'MAX', 'WhatsApp Co');
  const other = await createSubAccount(t, 'MAX', 'Other Co');
  const integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
  await activate(t, sub, integrationId);
  const admin = `Bearer ${t.token('ADMIN', [sub])}`;
  const agent = `Bearer ${t.token('AGENT', [sub], 'agent-1')}`;
  const stranger = `Bearer ${t.token('ADMIN', [other])}`;
  const hooks = fake.webhooks(PHONE_ID);
  await t.app.listen(0, '127.0.0.1');
  const url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  return { t, fake, hooks, url, sub, other, integrationId, admin, agent, stranger, close };
}

/** Request helpers over the part's app, read when called (after its beforeAll). */
export function whatsApp12Helpers(w: () => WhatsApp12) {
  const post = (path: string, token: string, body: object) =>
    w().t.http.post(path).set('authorization', token).send(body);
  const get = (path: string, token: string) => w().t.http.get(path).set('authorization', token);
  const hook = async (delivery: ReturnType<WhatsAppWebhooks['statuses']>) => {
    const res = await deliver(w().url, delivery);
    expect(res.status).toBe(200);
  };
  const message = async (id: string) =>
    (await w().t.sql.query('SELECT * FROM messages WHERE id = $1', [id])).rows[0] as Record<string, unknown>;
  const processed = () => eventsSettled(w().t);
  return { post, get, hook, message, processed };
}
