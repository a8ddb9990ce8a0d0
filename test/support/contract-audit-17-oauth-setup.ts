// The app of audit 17 (OAuth connections and ad spend): the provider fakes, a fake GoHighLevel authorisation
// server behind a token-endpoint stand-in that can answer refreshes as a broken provider would, a fake Meta
// authorisation server and an ad account Graph answers for while its token is live, Google's token endpoint
// and a Google Ads account read with the tokens it issued, a MAX sub-account and its ADMIN.
import { createSubAccount } from './factories';
import { FakeReply, FakeRequest, FakeServer } from './fake-server';
import { FakeOAuthServer } from './fakes/oauth-server';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';

export const AUDIT17_CRM = 'https://crm.example.test/integrations/connected';
export const AUDIT17_AD_ACCOUNT = '170017001';
/** The Google Ads account (customer id without dashes) the fake answers for. */
export const AUDIT17_GOOGLE_CUSTOMER = '1700170017';
const META_APP_SECRET = 'meta-app-secret-audit-17';

export interface Audit17OAuthFixture {
  t: TestApp;
  fakes: ProviderFakes;
  ghlAuth: FakeOAuthServer;
  metaAuth: FakeOAuthServer;
  /** Meta user tokens Graph accepts (issued by metaAuth; delete one to revoke it at Meta). */
  metaLive: Set<string>;
  googleAuth: FakeOAuthServer;
  sub: number;
  admin: string;
  /** Every GoHighLevel token issued, in order. */
  issued: string[];
  /** While set, every refresh_token grant at GoHighLevel's token endpoint is answered this instead. */
  refreshAnswer(reply: FakeReply | null): void;
  close(): Promise<void>;
}

export async function setupAudit17OAuth(): Promise<Audit17OAuthFixture> {
  const issued: string[] = [];
  let broken: FakeReply | null = null;
  let t: TestApp | undefined;
  let ghlAuth: FakeOAuthServer | undefined;
  let metaAuth: FakeOAuthServer | undefined;
  let googleAuth: FakeOAuthServer | undefined;
  let googleAds: FakeServer | undefined;
  let tokens: FakeServer | undefined;
  const fakes = await ProviderFakes.start();
  const close = async () => {
    await t?.close();
    await Promise.all([
      fakes.close(),
      ghlAuth?.close(),
      metaAuth?.close(),
      googleAuth?.close(),
      googleAds?.close(),
      tokens?.close(),
    ]);
  };
  try {
    const auth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      rotate: true,
      accessTtl: 86399,
      onToken: (token, grant) => {
        issued.push(token);
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    ghlAuth = auth;
    // the token endpoint the app calls: GoHighLevel's fake, unless a refresh is to be answered otherwise
    tokens = await FakeServer.start();
    tokens.on('POST', '/token', async (req) => {
      if (broken && new URLSearchParams(req.rawBody).get('grant_type') === 'refresh_token') return broken;
      const res = await fetch(`${auth.url}/token`, {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type']) },
        body: req.rawBody,
      });
      return { status: res.status, raw: await res.text() };
    });
    fakes.ghl.on('GET', '/calendars/', (req) =>
      issued.includes(String(req.headers.authorization).replace(/^Bearer /, ''))
        ? { status: 200, body: { calendars: [{ id: 'cal1', name: 'Consultations' }] } }
        : { status: 401, body: { statusCode: 401, message: 'Invalid JWT' } },
    );
    const metaLive = new Set<string>();
    const meta = await FakeOAuthServer.start({
      flavour: 'meta',
      clientId: 'meta-app-a17',
      clientSecret: META_APP_SECRET,
      onToken: (token) => {
        metaLive.add(token);
        fakes.pageAdmin(token, '170017999', META_APP_SECRET, 'fb-person-a17');
      },
    });
    metaAuth = meta;
    // the ad account as Graph answers it: only to a live token (190, as Graph answers a revoked one)
    const live = (req: FakeRequest): boolean =>
      metaLive.has(req.query.get('access_token') ?? String(req.headers.authorization).replace(/^Bearer /, ''));
    const refused = { status: 400, body: { error: { message: 'Error validating access token', code: 190 } } };
    fakes.graph.on('GET', `/act_${AUDIT17_AD_ACCOUNT}`, (req) =>
      live(req)
        ? {
            status: 200,
            body: { id: `act_${AUDIT17_AD_ACCOUNT}`, name: 'A17 Ads', currency: 'EUR', timezone_name: 'UTC' },
          }
        : refused,
    );
    fakes.graph.on('GET', `/act_${AUDIT17_AD_ACCOUNT}/insights`, (req) =>
      live(req) ? { status: 200, body: { data: [], paging: {} } } : refused,
    );
    const googleLive = new Set<string>();
    const google = await FakeOAuthServer.start({
      flavour: 'google',
      clientId: 'gads-client-a17',
      clientSecret: 'gads-secret-a17',
      onToken: (token) => googleLive.add(token),
    });
    googleAuth = google;
    const ads = await FakeServer.start();
    googleAds = ads;
    ads.on('POST', `/v26/customers/${AUDIT17_GOOGLE_CUSTOMER}/googleAds:search`, (req) => {
      if (!googleLive.has(String(req.headers.authorization).replace(/^Bearer /, '')))
        return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
      const { query } = req.body as { query: string };
      return /FROM customer$/.test(query)
        ? { status: 200, body: { results: [{ customer: { id: AUDIT17_GOOGLE_CUSTOMER, currencyCode: 'EUR' } }] } }
        : { status: 200, body: { results: [] } };
    });
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: AUDIT17_CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${tokens.url}/token`,
        META_APP_ID: 'meta-app-a17',
        META_APP_SECRET,
        META_OAUTH_TOKEN_URL: `${meta.url}/oauth/access_token`,
        GOOGLE_ADS_API_URL: `${ads.url}/v26`,
        GOOGLE_OAUTH_TOKEN_URL: `${google.url}/token`,
      },
    });
    const sub = await createSubAccount(t, 'MAX', 'Audit 17 OAuth');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    return {
      t,
      fakes,
      ghlAuth: auth,
      metaAuth: meta,
      metaLive,
      googleAuth: google,
      sub,
      admin,
      issued,
      refreshAnswer: (reply) => (broken = reply),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
