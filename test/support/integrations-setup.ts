// The app of the integrations spec (test/e2e/integrations*.e2e-spec.ts), one a part: on a fake Graph API and a
// fake GoHighLevel (both emptied before each test by reset()), with a MAX sub-account and its ADMIN.
import { createSubAccount } from './factories';
import { FakeServer } from './fake-server';
import { createTestApp, TestApp } from './test-app';

export interface IntegrationsFixture {
  t: TestApp;
  graph: FakeServer;
  ghl: FakeServer;
  sub: number;
  admin: string;
  /** Forgets the fakes' routes and requests (each part's beforeEach). */
  reset(): void;
  close(): Promise<void>;
}

export async function setupIntegrations(): Promise<IntegrationsFixture> {
  const graph = await FakeServer.start();
  const ghl = await FakeServer.start();
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await graph.close();
    await ghl.close();
  };
  try {
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, GHL_API_URL: ghl.url } });
    const sub = await createSubAccount(t, 'MAX');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const reset = () => {
      graph.reset();
      ghl.reset();
    };
    return { t, graph, ghl, sub, admin, reset, close };
  } catch (error) {
    await close();
    throw error;
  }
}
