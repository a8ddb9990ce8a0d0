// The app of "concurrent requests from the CRM" (test/e2e/concurrency*.e2e-spec.ts), one a part: on a fake
// WhatsApp Graph API (META_GRAPH_URL), with a PRO sub-account and its ADMIN.
import { createSubAccount, WHATSAPP_CONFIG } from './factories';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { createTestApp, TestApp } from './test-app';

export interface ConcurrencyFixture {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  sub: number;
  admin: string;
  close(): Promise<void>;
}

export async function setupConcurrency(): Promise<ConcurrencyFixture> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
  });
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await fake.close();
  };
  try {
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    const sub = await createSubAccount(t, 'PRO', 'Race Co');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    return { t, fake, sub, admin, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The answers' statuses, sorted. */
export const statuses = (responses: ReadonlyArray<{ status: number }>): number[] =>
  responses.map((r) => r.status).sort();
