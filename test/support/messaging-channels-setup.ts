// The app of the Messenger and Instagram channels over HTTP (test/e2e/messaging-channels*.e2e-spec.ts), one a
// part: on a fake Graph API, with two PRO sub-accounts and the first one's ADMIN; the providers' fixtures, the
// request and event helpers the parts share, and the Messenger connection the first part makes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, CreatedIntegration, createSubAccount } from './factories';
import { FakeServer } from './fake-server';
import { createTestApp, TestApp } from './test-app';
import { metaSignature, waitFor } from './webhooks';

const HANDLERS = join(__dirname, '../../src/handlers');
export const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(HANDLERS, path), 'utf8')) as Record<string, unknown>;
export const PAGE = '104620412345678';
export const PSID = '6543210987654321';
export const IGID = '17841405822304914';
export const IG_PAGE = '134895793791914';
export const IGSID = '1092310252982105';
export const MESSENGER_CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-messenger-token-5151',
  appSecret: 'messenger-app-secret-1',
  verifyToken: 'messenger-verify-1',
};
export const INSTAGRAM_CONFIG = {
  instagramAccountId: IGID,
  pageId: IG_PAGE,
  accessToken: 'EAAG-instagram-token-6262',
  appSecret: 'instagram-app-secret-1',
  verifyToken: 'instagram-verify-1',
};
type Entry = { id: string; time: number; messaging: unknown[] };
export const itemsOf = (path: string): unknown[] => (fixture(path).entry as Entry[])[0].messaging;

export interface MessagingFixture {
  t: TestApp;
  graph: FakeServer;
  sub: number;
  other: number;
  admin: string;
  close(): Promise<void>;
}

export async function setupMessagingChannels(): Promise<MessagingFixture> {
  const graph = await FakeServer.start();
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await graph.close();
  };
  try {
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    const [sub, other] = [
      await createSubAccount(t, 'PRO', 'Messaging Co'),
      await createSubAccount(t, 'PRO', 'Other Co'),
    ];
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    return { t, graph, sub, other, admin, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The webhook and event helpers of the parts, on the fixture their beforeAll set (read when called). */
export function messagingHelpers(fx: () => MessagingFixture) {
  const deliver = (provider: string, body: string, secret: string) =>
    fx()
      .t.http.post(`/api/webhooks/${provider}`)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);
  const events = async (integrationId: number) =>
    (
      await fx().t.sql.query<{ event_type: string; status: string; external_id: string }>(
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
      await fx().t.sql.query<{ lead_id: string }>(
        'SELECT lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
        [subAccountId, `ext:${platform}:${externalId}`],
      )
    ).rows[0]?.lead_id;
  return { deliver, events, settled, leadOf };
}

/**
 * The Messenger integration of the sub-account for PAGE, connected as the first part's first test connects it
 * (its connection test passed against the fake page), for the part that starts after it.
 */
export async function connectMessenger(fx: MessagingFixture): Promise<CreatedIntegration> {
  const integration = await createIntegration(fx.t, fx.sub, 'facebook-messenger', MESSENGER_CONFIG);
  fx.graph.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Acme Dental' } }));
  const test = await fx.t.http.post(`/api/integrations/${integration.id}/test`).set('authorization', fx.admin);
  if (test.body.success !== true) throw new Error(`the Messenger test answered ${JSON.stringify(test.body)}`);
  return integration;
}
