// Shared setup of the contract-journeys-8-*.e2e-spec.ts parts (API.md journeys, audit 8): each part boots its
// own app on the provider fakes (Graph as the Messenger, Instagram and ad-account tokens see it) and Meta's OAuth.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from './factories';
import type { FakeRequest } from './fake-server';
import { FakeOAuthServer } from './fakes/oauth-server';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';
import { metaSignature } from './webhooks';

export const HANDLERS = join(__dirname, '../../src/handlers');
export const CRM = 'https://crm.example.test/integrations/connected';
export const META_APP_SECRET = 'meta-app-secret-journeys-8';
export const PAGE = '104620412300008';
export const PSID = '6543210987000008';
export const IGID = '17841405822300008';
export const IG_PAGE = '134895793700008';
export const IGSID = '1092310252900008';
export const MESSENGER_CONFIG = {
  pageId: PAGE,
  pageAccessToken: 'EAAG-messenger-token-j8m1',
  appSecret: 'messenger-app-secret-j8',
  verifyToken: 'messenger-verify-j8',
};
export const INSTAGRAM_CONFIG = {
  instagramAccountId: IGID,
  pageId: IG_PAGE,
  accessToken: 'EAAG-instagram-token-j8i1',
  appSecret: 'instagram-app-secret-j8',
  verifyToken: 'instagram-verify-j8',
};
export const AD_ACCOUNT = '900000000008';
export const CAMPAIGN = '23851000000000808';
export const today = new Date().toISOString().slice(0, 10);

export interface Journeys8 {
  t: TestApp;
  fakes: ProviderFakes;
  metaAuth: FakeOAuthServer;
  sub: number;
  other: number;
  admin: string;
  attacker: string;
  /** the access tokens Meta's authorisation server issued */
  issued: Set<string>;
  close(): Promise<void>;
}

export async function startJourneys8(): Promise<Journeys8> {
  const issued = new Set<string>();
  const fakes = await ProviderFakes.start();
  const metaAuth = await FakeOAuthServer.start({
    flavour: 'meta',
    clientId: 'meta-app-j8',
    clientSecret: META_APP_SECRET,
    onToken: (token) => {
      issued.add(token);
      fakes.pageAdmin(token, '777000888', META_APP_SECRET, 'fb-person-j8');
    },
  });
  const tokenOf = (req: FakeRequest): string =>
    req.query.get('access_token') ?? String(req.headers.authorization ?? '').replace(/^Bearer /, '');
  // Graph as each channel's token sees it: the page behind the Messenger token, the page and its
  // Instagram account behind the Instagram token; the people's profiles
  fakes.graph.on('GET', '/me', (req) => {
    if (tokenOf(req) === MESSENGER_CONFIG.pageAccessToken)
      return { status: 200, body: { id: PAGE, name: 'Journey Dental' } };
    if (tokenOf(req) === INSTAGRAM_CONFIG.accessToken)
      return {
        status: 200,
        body: { id: IG_PAGE, name: 'Journey', instagram_business_account: { id: IGID, username: 'journey.dental' } },
      };
    return { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } };
  });
  fakes.graph.on('GET', `/${PSID}`, () => ({
    status: 200,
    body: { first_name: 'Rui', last_name: 'Costa', id: PSID },
  }));
  fakes.graph.on('GET', `/${IGSID}`, () => ({
    status: 200,
    body: { name: 'Ines Sa', username: 'ines.sa', id: IGSID },
  }));
  // the ad account, read only with a token the authorisation server issued
  fakes.graph.on('GET', `/act_${AD_ACCOUNT}`, (req) =>
    issued.has(tokenOf(req))
      ? {
          status: 200,
          body: { id: `act_${AD_ACCOUNT}`, name: 'Journey Ads', currency: 'EUR', timezone_name: 'UTC' },
        }
      : { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } },
  );
  fakes.graph.on('GET', `/act_${AD_ACCOUNT}/insights`, (req) =>
    issued.has(tokenOf(req))
      ? {
          status: 200,
          body: {
            data: [
              {
                campaign_id: CAMPAIGN,
                campaign_name: 'Journey leads',
                adset_id: '23851000000000809',
                adset_name: 'Lookalike',
                ad_id: '23851000000000810',
                ad_name: 'Journey ad',
                spend: '12.50',
                impressions: '1000',
                clicks: '20',
                account_currency: 'EUR',
                date_start: today,
                date_stop: today,
              },
            ],
            paging: { cursors: { before: 'a', after: 'a' } },
          },
        }
      : { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } },
  );
  const t = await createTestApp({
    env: {
      ...fakes.env,
      WEBHOOK_CACHE_TTL_MS: '0',
      OAUTH_REDIRECT_ALLOWLIST: CRM,
      META_APP_ID: 'meta-app-j8',
      META_APP_SECRET,
      META_OAUTH_TOKEN_URL: `${metaAuth.url}/oauth/access_token`,
      REPORT_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'hub-journeys-8-')),
    },
  });
  const sub = await createSubAccount(t, 'MAX', 'Journey Co');
  const other = await createSubAccount(t, 'MAX', 'Attacker Co');
  const admin = `Bearer ${t.token('ADMIN', [sub])}`;
  const attacker = `Bearer ${t.token('ADMIN', [other])}`;
  const close = async () => {
    await t.close();
    await Promise.all([fakes.close(), metaAuth.close()]);
  };
  return { t, fakes, metaAuth, sub, other, admin, attacker, issued, close };
}

/** Helpers over the part's app, read when called (after its beforeAll). */
export function journeys8Helpers(get: () => Journeys8) {
  const deliver = (provider: string, body: string, secret: string) =>
    get()
      .t.http.post(`/api/webhooks/${provider}`)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);
  const testIntegration = async (id: number) => {
    const { t, admin } = get();
    const res = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
  };
  return { deliver, testIntegration };
}
