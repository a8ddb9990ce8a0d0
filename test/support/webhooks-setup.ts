// Shared setup of the webhooks-*.e2e-spec.ts parts (signed webhook ingestion and processing): each part boots
// its own app on a fake Graph API, with one sub-account holding an active Google Ads lead-form integration
// and an active Meta Lead Ads one (fast retries: 3 attempts, 200 ms backoff unit).
import { createIntegration, createSubAccount, META_CONFIG } from './factories';
import { FakeServer } from './fake-server';
import { createTestApp, TestApp } from './test-app';
import { activate } from './webhooks';

export const GOOGLE_KEY = 'google-key-abcdef-123456';

export interface WebhooksFixture {
  t: TestApp;
  graph: FakeServer;
  sub: number;
  admin: string;
  google: { id: number; path: string };
  meta: { id: number };
  close(): Promise<void>;
}

export async function setupWebhooks(): Promise<WebhooksFixture> {
  const graph = await FakeServer.start();
  const t = await createTestApp({
    env: {
      META_GRAPH_URL: graph.url,
      WEBHOOK_RETRY_UNIT_MS: '200',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_CACHE_TTL_MS: '0',
      OUTBOUND_CIRCUIT_COOLDOWN_MS: '300',
    },
  });
  const sub = await createSubAccount(t, 'MAX');
  const admin = `Bearer ${t.token('ADMIN', [sub])}`;
  const g = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
  await activate(t, sub, g.id);
  const google = { id: g.id, path: new URL(g.webhookUrl).pathname };
  const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
  await activate(t, sub, meta.id);
  return {
    t,
    graph,
    sub,
    admin,
    google,
    meta,
    close: async () => {
      await t.close();
      await graph.close();
    },
  };
}
