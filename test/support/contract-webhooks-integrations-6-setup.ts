// Shared setup of the contract-webhooks-integrations-6-*.e2e-spec.ts parts (API.md webhooks and integrations,
// audit 6): each part boots its own app on the provider fakes, with the providers' fixtures and helpers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from './factories';
import { ProviderFakes } from './provider-fakes';
import { auth } from './security';
import { createTestApp, TestApp } from './test-app';

export type Json = Record<string, unknown>;

/**
 * The providers' fixtures as the handlers keep them (src/handlers/<handler>/fixtures: the shared fixtures
 * copied unchanged, see each folder's README), named here by the shared folder's provider names. The
 * shared folder itself is outside the repository, so a clean checkout (CI) does not have it.
 */
const HANDLER_OF: Record<string, string> = {
  whatsapp: 'whatsapp-cloud',
  linkedin: 'linkedin-lead-gen',
  'google-ads': 'google-ads-lead-forms',
};
export const fixture = (path: string): string => {
  const [provider, file] = path.split('/');
  return readFileSync(
    join(__dirname, '../../src/handlers', HANDLER_OF[provider] ?? provider, 'fixtures', file),
    'utf8',
  );
};
export const GENERIC = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };
export const LINKEDIN = {
  organizationId: '5509810',
  clientId: '86abc',
  clientSecret: 'li-client-secret-4321',
  accessToken: 'AQV-linkedin-token-1234',
};

export interface WebhooksAudit6 {
  t: TestApp;
  fakes: ProviderFakes;
  sub: number;
  admin: string;
  close(): Promise<void>;
}

/** The app on the provider fakes (a page, a number, a location, an organization) and a MAX sub-account. */
export async function startWebhooksAudit6(): Promise<WebhooksAudit6> {
  const fakes = await ProviderFakes.start();
  fakes
    .page(META_CONFIG.pageAccessToken, META_CONFIG.pageId)
    .number(WHATSAPP_CONFIG.accessToken, WHATSAPP_CONFIG.phoneNumberId, WHATSAPP_CONFIG.wabaId)
    .location(GHL_CONFIG.privateIntegrationToken, GHL_CONFIG.locationId)
    .organization(LINKEDIN.accessToken, LINKEDIN.organizationId);
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await fakes.close();
  };
  try {
    t = await createTestApp({
      env: {
        ...fakes.env,
        WEBHOOK_MAX_BYTES: '4096',
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '20',
      },
    });
  } catch (err) {
    await fakes.close();
    throw err;
  }
  const sub = await createSubAccount(t, 'MAX', 'Audit Six');
  return { t, fakes, sub, admin: auth(t, 'ADMIN', [sub]), close };
}

export function expectReceivedThenDuplicate(
  first: { status: number; body: Json },
  second: { status: number; body: Json },
) {
  expect([first.status, first.body.status, typeof first.body.eventId]).toEqual([200, 'received', 'string']);
  expect([second.status, second.body.status, second.body.eventId]).toEqual([200, 'duplicate', first.body.eventId]);
}

/** Helpers over the part's app, read when called (after its beforeAll). */
export function webhooksAudit6Helpers(get: () => WebhooksAudit6) {
  /** Creates an integration and passes its connection test through the documented route. */
  async function connected(
    template: string,
    config: Json,
  ): Promise<{ id: number; webhookUrl: string; webhookSecret: string }> {
    const { t, sub, admin } = get();
    const created = await createIntegration(t, sub, template, config);
    const test = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect([template, test.status, test.body.success]).toEqual([template, 200, true]);
    return created;
  }

  function post(path: string, body: string, headers: Record<string, string>) {
    let req = get().t.http.post(path).set('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(body);
  }
  return { connected, post };
}
