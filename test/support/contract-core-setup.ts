// The app and fixtures of the contract-core probe (test/e2e/contract-core-*.e2e-spec.ts): each part boots
// its own app with the same sub-accounts, integrations, lead and GoHighLevel fake routes.
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from './factories';
import { FakeServer } from './fake-server';
import { auth } from './security';
import { createTestApp, TestApp } from './test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from './webhooks';

export type Method = 'get' | 'post' | 'patch' | 'delete';

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export interface ContractCoreFixture {
  t: TestApp;
  ghl: FakeServer;
  graph: FakeServer;
  sub: number;
  other: number;
  ghlId: number;
  metaId: number;
  leadId: string;
  su: string;
  admin: string;
  close(): Promise<void>;
}

export async function setupContractCore(): Promise<ContractCoreFixture> {
  const ghl = await FakeServer.start();
  const graph = await FakeServer.start();
  const t = await createTestApp({
    env: { GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' },
  });
  const sub = await createSubAccount(t, 'MAX', 'Contract Co');
  const other = await createSubAccount(t, 'MAX', 'Other Co');
  const su = auth(t, 'SUPER_ADMIN');
  const admin = auth(t, 'ADMIN', [sub]);
  const ghlId = (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
  const metaId = (await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG)).id;
  await activate(t, sub, metaId);
  const lead = await t.http
    .post('/api/leads')
    .set('authorization', admin)
    .send({ subAccountId: sub, fullName: 'Probe Lead', email: 'probe@example.org', phone: '+14155550123' });
  const leadId = lead.body.id as string;
  ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [] } }));
  ghl.on('GET', /^\/calendars\/[^/]+\/free-slots$/, () => ({ status: 200, body: {} }));
  ghl.on('POST', '/calendars/events/block-slots', () => ({ status: 201, body: { id: 'block1' } }));
  ghl.on('POST', '/contacts/upsert', () => ({ status: 200, body: { contact: { id: 'ghl-contact-1' }, new: true } }));
  ghl.on('GET', `/locations/${GHL_CONFIG.locationId}`, () => ({
    status: 200,
    body: { location: { id: GHL_CONFIG.locationId, name: 'HQ' } },
  }));
  ghl.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: [], total: 0 } }));
  return {
    t,
    ghl,
    graph,
    sub,
    other,
    ghlId,
    metaId,
    leadId,
    su,
    admin,
    close: async () => {
      await t.close();
      await ghl.close();
      await graph.close();
    },
  };
}

/**
 * What the Conventions section's id test leaves behind for the Integrations section's list shapes: one
 * signed Meta leadgen delivery (a webhook event) and one GoHighLevel sync (a sync run, waited for).
 */
export async function deliverAndSync(fx: ContractCoreFixture): Promise<void> {
  const body = metaLeadgen(META_CONFIG.pageId, ['ids-1']);
  const delivery = await fx.t.http
    .post('/api/webhooks/meta-lead-ads')
    .set('content-type', 'application/json')
    .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
    .send(body);
  if (delivery.status !== 200) throw new Error(`Meta delivery answered ${delivery.status}`);
  const sync = await fx.t.http.post(`/api/integrations/${fx.ghlId}/sync`).set('authorization', fx.admin);
  if (sync.status !== 202) throw new Error(`sync answered ${sync.status}`);
  await waitFor(
    async () => {
      const runs = await fx.t.http.get(`/api/integrations/${fx.ghlId}/sync-runs`).set('authorization', fx.admin);
      return runs.body.total > 0;
    },
    20_000,
    'a sync run',
  );
}
