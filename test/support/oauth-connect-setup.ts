// The app of the "Connect with …" flows (test/e2e/oauth-connect*.e2e-spec.ts), one a part: the provider fakes
// and a fake Google Analytics API, a fake authorisation server per provider (GoHighLevel, Google, LinkedIn, Meta),
// every token they issued, a MAX sub-account and its ADMIN; and the helpers the parts share.
import { createSubAccount } from './factories';
import { FakeServer } from './fake-server';
import { FakeOAuthServer } from './fakes/oauth-server';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';

export const CRM = 'https://crm.example.test/integrations/connected';
export const META_APP_SECRET = 'meta-app-secret-oauth-1';
export const WHATSAPP_PHONE = '106540352249001';

export interface OAuthConnectFixture {
  t: TestApp;
  fakes: ProviderFakes;
  ga: FakeServer;
  ghlAuth: FakeOAuthServer;
  googleAuth: FakeOAuthServer;
  linkedinAuth: FakeOAuthServer;
  metaAuth: FakeOAuthServer;
  sub: number;
  admin: string;
  /** Every token the authorisation servers issued, in order. */
  issued: string[];
  close(): Promise<void>;
}

/** `metaPerson`: the Facebook person whose consent comes next (their app-scoped id answers GET /me), read at each consent. */
export async function setupOAuthConnect(metaPerson: () => string = () => 'fb-person-1'): Promise<OAuthConnectFixture> {
  const issued: string[] = [];
  let ga: FakeServer | undefined;
  let ghlAuth: FakeOAuthServer | undefined;
  let googleAuth: FakeOAuthServer | undefined;
  let linkedinAuth: FakeOAuthServer | undefined;
  let metaAuth: FakeOAuthServer | undefined;
  let t: TestApp | undefined;
  const fakes = await ProviderFakes.start();
  const close = async () => {
    await t?.close();
    await Promise.all([
      fakes.close(),
      ga?.close(),
      ghlAuth?.close(),
      googleAuth?.close(),
      linkedinAuth?.close(),
      metaAuth?.close(),
    ]);
  };
  try {
    ga = await FakeServer.start();
    const gaTokens = new Set<string>();
    ga.on('GET', /^\/v1beta\/properties\/\d+\/metadata$/, (req) =>
      gaTokens.has(String(req.headers.authorization).replace(/^Bearer /, ''))
        ? { status: 200, body: { name: 'properties/1/metadata' } }
        : { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } },
    );
    ghlAuth = await FakeOAuthServer.start({
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
    googleAuth = await FakeOAuthServer.start({
      flavour: 'google',
      clientId: 'google-client',
      clientSecret: 'google-secret',
      onToken: (token) => {
        issued.push(token);
        gaTokens.add(token);
      },
    });
    linkedinAuth = await FakeOAuthServer.start({
      flavour: 'linkedin',
      clientId: 'li-client',
      clientSecret: 'li-secret',
      accessTtl: 5_184_000,
      onToken: (token) => {
        issued.push(token);
        fakes.organization(token, '5551234');
      },
    });
    metaAuth = await FakeOAuthServer.start({
      flavour: 'meta',
      clientId: 'meta-app',
      clientSecret: META_APP_SECRET,
      onToken: (token) => {
        issued.push(token);
        for (const page of ['777000111', '777000333', '777000444', '777000555'])
          fakes.pageAdmin(token, page, META_APP_SECRET, metaPerson());
        fakes.number(token, WHATSAPP_PHONE);
      },
    });
    // Graph's subscribed_apps edge (WhatsApp), subscribe and unsubscribe: accepted for a token this
    // test's authorisation server issued
    for (const method of ['POST', 'DELETE'])
      fakes.graph.on(method, /^\/\d+\/subscribed_apps$/, (req) =>
        issued.includes(String(req.headers.authorization ?? '').replace(/^Bearer /, ''))
          ? { status: 200, body: { success: true } }
          : { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } },
      );
    t = await createTestApp({
      env: {
        ...fakes.env,
        GOOGLE_ANALYTICS_API_URL: ga.url,
        OAUTH_REDIRECT_ALLOWLIST: `${CRM},https://crm.example.test/other`,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
        GOOGLE_CLIENT_ID: 'google-client',
        GOOGLE_CLIENT_SECRET: 'google-secret',
        GOOGLE_OAUTH_TOKEN_URL: `${googleAuth.url}/token`,
        GOOGLE_OAUTH_REVOKE_URL: `${googleAuth.url}/revoke`,
        LINKEDIN_CLIENT_ID: 'li-client',
        LINKEDIN_CLIENT_SECRET: 'li-secret',
        LINKEDIN_OAUTH_TOKEN_URL: `${linkedinAuth.url}/token`,
        LINKEDIN_OAUTH_REVOKE_URL: `${linkedinAuth.url}/revoke`,
        META_APP_ID: 'meta-app',
        META_APP_SECRET,
        META_OAUTH_TOKEN_URL: `${metaAuth.url}/oauth/access_token`,
      },
    });
    const sub = await createSubAccount(t, 'MAX', 'OAuth');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    return { t, fakes, ga, ghlAuth, googleAuth, linkedinAuth, metaAuth, sub, admin, issued, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The request helpers of the parts, on the fixture their beforeAll set (read when called). */
export function oauthHelpers(fx: () => OAuthConnectFixture) {
  async function start(id: number, redirectUri = CRM): Promise<string> {
    const res = await fx()
      .t.http.post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', fx().admin)
      .send({ redirectUri });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['authorizationUrl']);
    return res.body.authorizationUrl as string;
  }

  async function integration(id: number): Promise<Record<string, unknown>> {
    const res = await fx().t.http.get(`/api/integrations/${id}`).set('authorization', fx().admin);
    return res.body as Record<string, unknown>;
  }
  return { start, integration };
}

/** Where the callback sent the person back: the CRM's URL, its query parameters. */
export function outcome(location: string | undefined): URLSearchParams {
  expect(location).toBeDefined();
  const url = new URL(String(location));
  expect(url.origin + url.pathname).toBe(CRM);
  return url.searchParams;
}
