// Shared setup of the fuzz-provider-answers-2-*.e2e-spec.ts parts (the second fuzz of what provider APIs
// answer): each part boots its own app on fake Graph, LinkedIn and GoHighLevel servers, with one sub-account
// and an active integration of each kind; the parts re-activate them after each test.
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from './factories';
import { FakeReply, FakeServer } from './fake-server';
import { createTestApp, TestApp } from './test-app';
import { activate, waitFor } from './webhooks';

export const META = {
  pageId: '153125381133',
  appSecret: 'fuzz3-meta-secret',
  pageAccessToken: 'EAAG-fuzz3',
  verifyToken: 'v3',
};
export const LINKEDIN = {
  organizationId: '1234567',
  ownerType: 'sponsoredAccount',
  clientId: 'li-app',
  clientSecret: 'fuzz3-li-secret',
  accessToken: 'AQV-fuzz3',
};
export const FACEBOOK_ADS = { adAccountId: '4242', accessToken: 'EAAG-fuzz3-ads' };
export const FORM_ID = '777';
export const HTML: FakeReply = {
  status: 200,
  raw: '<html>502 Bad Gateway</html>',
  headers: { 'content-type': 'text/html' },
};
export const EMPTY: FakeReply = { status: 200, raw: '' };
export const NOT_PAGES: Array<[string, FakeReply]> = [
  ['an HTML page', HTML],
  ['an empty body', EMPTY],
  ['an object without the list', { status: 200, body: {} }],
];

export interface Fuzz3 {
  t: TestApp;
  graph: FakeServer;
  linkedin: FakeServer;
  ghl: FakeServer;
  sub: number;
  admin: string;
  ids: { meta: number; linkedin: number; whatsapp: number; ads: number; ghl: number };
  /** Every integration active again (an afterEach of each part). */
  reactivate(): Promise<void>;
  /** The log lines of unhandled errors. */
  unhandled(): string[];
  integration(id: number): Promise<{ status: string; error_message: string | null }>;
  /** A sync of the integration, to its end: status, error and how many records it read. */
  sync(id: number): Promise<{ status: string; error: string | null; fetched: number }>;
  close(): Promise<void>;
}

export async function setupFuzz3(): Promise<Fuzz3> {
  const [graph, linkedin, ghl] = await Promise.all([FakeServer.start(), FakeServer.start(), FakeServer.start()]);
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await Promise.all([graph.close(), linkedin.close(), ghl.close()]);
  };
  try {
    const app = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        LINKEDIN_API_URL: linkedin.url,
        GHL_API_URL: ghl.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_RETRY_UNIT_MS: '20',
        OUTBOUND_CIRCUIT_THRESHOLD: '1000',
      },
    });
    t = app;
    const sub = await createSubAccount(app, 'MAX', 'Fuzz 3');
    const admin = `Bearer ${app.token('ADMIN', [sub])}`;
    const ids = { meta: 0, linkedin: 0, whatsapp: 0, ads: 0, ghl: 0 };
    ids.meta = (await createIntegration(app, sub, 'meta-lead-ads', META)).id;
    ids.linkedin = (await createIntegration(app, sub, 'linkedin-lead-gen', LINKEDIN)).id;
    ids.whatsapp = (await createIntegration(app, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    ids.ads = (await createIntegration(app, sub, 'facebook-ads', FACEBOOK_ADS)).id;
    ids.ghl = (await createIntegration(app, sub, 'gohighlevel', GHL_CONFIG)).id;
    const reactivate = async () => {
      for (const id of Object.values(ids)) await activate(app, sub, id);
    };
    await reactivate();
    graph.on('GET', `/${FORM_ID}`, () => ({ status: 200, body: { id: FORM_ID, questions: [] } }));
    graph.on('GET', `/${META.pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: FORM_ID }] } }));
    graph.on('GET', `/act_${FACEBOOK_ADS.adAccountId}`, () => ({ status: 200, body: { timezone_name: 'UTC' } }));
    return {
      t: app,
      graph,
      linkedin,
      ghl,
      sub,
      admin,
      ids,
      reactivate,
      unhandled: () =>
        app
          .logs()
          .split('\n')
          .filter((line) => line.includes('"unhandled error"')),
      integration: async (id) =>
        (await app.sql.query('SELECT status, error_message FROM integrations WHERE id = $1', [id])).rows[0] as {
          status: string;
          error_message: string | null;
        },
      sync: async (id) => {
        const started = await app.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
        expect(started.status).toBe(202);
        return waitFor(
          async () => {
            const row = (
              await app.sql.query<{ status: string; error: string | null; fetched: number }>(
                'SELECT status, error, fetched FROM sync_runs WHERE id = $1',
                [started.body.runId],
              )
            ).rows[0];
            return row && row.status !== 'RUNNING' ? row : undefined;
          },
          20_000,
          'sync run',
        );
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
