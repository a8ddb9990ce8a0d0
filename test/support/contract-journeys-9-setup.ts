// Shared setup of the contract-journeys-9-*.e2e-spec.ts parts (API.md journeys, audit 9): each part boots its
// own app on the fake Graph API and a fake SMTP server, listening for the fake's signed webhooks, with one
// sub-account on WHATSAPP_CONFIG's number (an approved template) and its manager and agent.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WHATSAPP_CONFIG } from './factories';
import { FakeSmtpServer } from './fake-smtp';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { deliver, WhatsAppWebhooks } from './fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from './test-app';
import { eventsSettled, waitFor } from './webhooks';
import { BulkSetup, whatsAppSetup } from './whatsapp-bulk';

export const WABA = WHATSAPP_CONFIG.wabaId;
export const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface Journeys9 {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  smtp: FakeSmtpServer;
  s: BulkSetup;
  hooks: WhatsAppWebhooks;
  manager: string;
  agent: string;
  post(path: string, token: string, body: object): ReturnType<TestApp['http']['post']>;
  get(path: string, token: string): ReturnType<TestApp['http']['get']>;
  /** Delivers a signed webhook to the app (200) and waits for its events to settle. */
  hook(delivery: ReturnType<WhatsAppWebhooks['sign']>): Promise<void>;
  /** The wamid of an outbound message once the worker has sent it. */
  wamidOf(messageId: string): Promise<string>;
  close(): Promise<void>;
}

export async function setupJourneys9(): Promise<Journeys9> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
    numbers: { [PHONE_ID]: WABA },
    pairLimit: null,
  });
  const smtp = await FakeSmtpServer.start();
  const storage = mkdtempSync(join(tmpdir(), 'hub-journeys-9-'));
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await fake.close();
    await smtp.stop();
    await rm(storage, { recursive: true, force: true });
  };
  try {
    const app = await createTestApp({
      env: {
        META_GRAPH_URL: fake.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        REPORT_STORAGE_DIR: storage,
        SMTP_URL: smtp.url(),
        MAIL_FROM: 'Hub Reports <reports@hub.example.test>',
      },
    });
    t = app;
    const s = await whatsAppSetup(app, fake);
    const manager = `Bearer ${app.token('MANAGER', [s.subAccountId])}`;
    const agent = `Bearer ${app.token('AGENT', [s.subAccountId], 'agent-9')}`;
    const hooks = fake.webhooks(PHONE_ID);
    await app.app.listen(0, '127.0.0.1');
    const url = `${await app.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
    return {
      t: app,
      fake,
      smtp,
      s,
      hooks,
      manager,
      agent,
      post: (path, token, body) => app.http.post(path).set('authorization', token).send(body),
      get: (path, token) => app.http.get(path).set('authorization', token),
      hook: async (delivery) => {
        const res = await deliver(url, delivery);
        expect(res.status).toBe(200);
        await eventsSettled(app);
      },
      wamidOf: (messageId) =>
        waitFor(
          async () =>
            (await app.sql.query<{ wamid: string | null }>('SELECT wamid FROM messages WHERE id = $1', [messageId]))
              .rows[0]?.wamid,
          20_000,
          `wamid of ${messageId}`,
        ),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
