// Shared setup of the fuzz-provider-answers-leads and fuzz-provider-answers-whatsapp-templates e2e parts
// (the first fuzz of what provider APIs answer while an event is processed): each part boots its own app on
// fake Graph and LinkedIn servers, with one sub-account holding active Meta Lead Ads, LinkedIn, WhatsApp
// Cloud and generic-webhook integrations, and events failed at their first attempt.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from './factories';
import { FakeServer } from './fake-server';
import { createTestApp, TestApp } from './test-app';
import { activate, settledEvent } from './webhooks';

export const META = {
  pageId: '153125381133',
  appSecret: 'fuzz2-meta-secret',
  pageAccessToken: 'EAAG-fuzz2-meta',
  verifyToken: 'v3',
};
export const LINKEDIN = {
  organizationId: '1234567',
  clientId: 'li-app',
  clientSecret: 'fuzz2-li-secret',
  accessToken: 'AQV-fuzz2',
};
export const FORM_ID = '777';

export interface Fuzz2 {
  t: TestApp;
  graph: FakeServer;
  linkedin: FakeServer;
  sub: number;
  metaId: number;
  whatsappId: number;
  linkedinPath: string;
  generic: { path: string; secret: string };
  /** Status and error of an event once processed (attempts left out: the cases compare the two). */
  settled(eventId: string): Promise<{ status: string; last_error: string | null }>;
  close(): Promise<void>;
}

export async function setupFuzz2(): Promise<Fuzz2> {
  const graph = await FakeServer.start();
  const linkedin = await FakeServer.start();
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await graph.close();
    await linkedin.close();
  };
  try {
    const app = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        LINKEDIN_API_URL: linkedin.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_MAX_ATTEMPTS: '1',
      },
    });
    t = app;
    const sub = await createSubAccount(app, 'MAX');
    const meta = await createIntegration(app, sub, 'meta-lead-ads', META);
    const li = await createIntegration(app, sub, 'linkedin-lead-gen', LINKEDIN);
    const whatsapp = await createIntegration(app, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const gen = await createIntegration(app, sub, 'generic-webhook', {
      mapping: { email: '/email', company: '/company', tags: '/tags' },
      externalIdPointer: '/id',
      customAnswersPointer: '/answers',
    });
    for (const i of [meta, li, whatsapp, gen]) await activate(app, sub, i.id);
    graph.on('GET', `/${FORM_ID}`, () => ({ status: 200, body: { id: FORM_ID, questions: [] } }));
    linkedin.on('GET', /^\/rest\/leadForms\//, () => ({ status: 404, body: { status: 404, message: 'Not found' } }));
    return {
      t: app,
      graph,
      linkedin,
      sub,
      metaId: meta.id,
      whatsappId: whatsapp.id,
      linkedinPath: new URL(li.webhookUrl).pathname,
      generic: { path: new URL(gen.webhookUrl).pathname, secret: gen.webhookSecret },
      settled: async (eventId) => {
        const { status, last_error } = await settledEvent(app, eventId);
        return { status, last_error };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
