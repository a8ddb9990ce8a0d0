// The "Connect with …" flows end to end against fake authorisation servers on 127.0.0.1 (API.md "OAuth connections").
import { createHmac } from 'node:crypto';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import { metaLeadgen, metaSignature } from '../support/webhooks';

const CRM = 'https://crm.example.test/integrations/connected';
const META_APP_SECRET = 'meta-app-secret-oauth-1';
const WHATSAPP_PHONE = '106540352249001';

describe('OAuth connections: connect flows', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let ga: FakeServer;
  let ghlAuth: FakeOAuthServer;
  let googleAuth: FakeOAuthServer;
  let linkedinAuth: FakeOAuthServer;
  let metaAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const issued: string[] = [];
  /** The Facebook person whose consent comes next (their app-scoped id answers GET /me). */
  let metaPerson = 'fb-person-1';

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
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
          fakes.pageAdmin(token, page, META_APP_SECRET, metaPerson);
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
    sub = await createSubAccount(t, 'MAX', 'OAuth');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([
      fakes.close(),
      ga.close(),
      ghlAuth.close(),
      googleAuth.close(),
      linkedinAuth.close(),
      metaAuth.close(),
    ]);
  });

  async function start(id: number, redirectUri = CRM): Promise<string> {
    const res = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['authorizationUrl']);
    return res.body.authorizationUrl as string;
  }

  function outcome(location: string | undefined): URLSearchParams {
    expect(location).toBeDefined();
    const url = new URL(String(location));
    expect(url.origin + url.pathname).toBe(CRM);
    return url.searchParams;
  }

  async function integration(id: number): Promise<Record<string, unknown>> {
    const res = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    return res.body as Record<string, unknown>;
  }

  it('GoHighLevel: location token exchanged server-side, stored sealed, tested, and the CRM told "active"', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_OAUTH1' });
    const authorizationUrl = await start(id);
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('redirect_uri')).toBe('https://hub.example.test/api/oauth/callback/gohighlevel');
    expect(url.searchParams.get('scope')).toContain('contacts.readonly');
    expect(url.searchParams.get('code_challenge')).toBeNull();

    const { path } = ghlAuth.consent(authorizationUrl, { locationId: 'loc_OAUTH1' });
    const back = await t.http.get(path);
    expect(back.status).toBe(302);
    const params = outcome(back.headers.location);
    expect(params.get('integrationId')).toBe(String(id));
    expect(params.get('status')).toBe('active');

    const body = await integration(id);
    expect(body.status).toBe('active');
    expect(body.isActive).toBe(true);
    const stored = await t.sql.query<{ oauth_tokens: string; oauth_provider: string }>(
      'SELECT oauth_tokens, oauth_provider FROM integrations WHERE id = $1',
      [id],
    );
    expect(stored.rows[0].oauth_provider).toBe('gohighlevel');
    expect(stored.rows[0].oauth_tokens).toMatch(/^enc:v2:/);
    // the exchange carried the code, the client secret and user_type=Location as a form
    const exchange = ghlAuth.server.requests.find((r) => r.path === '/token');
    const form = new URLSearchParams(exchange?.rawBody);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('user_type')).toBe('Location');
    expect(exchange?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    // the connection test read the location with the new token
    expect(fakes.ghl.count('GET', '/locations/loc_OAUTH1')).toBeGreaterThan(0);
    for (const token of issued) {
      expect(JSON.stringify(body)).not.toContain(token);
      expect(stored.rows[0].oauth_tokens).not.toContain(token);
      expect(t.logs()).not.toContain(token);
    }
  });

  it('refuses a replayed, forged, expired or other-provider state with 400', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_OAUTH2' });
    const first = ghlAuth.consent(await start(id), { locationId: 'loc_OAUTH2' });
    expect((await t.http.get(first.path)).status).toBe(302);
    const replay = await t.http.get(first.path);
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('VALIDATION_FAILED');

    const forged = new URL(first.path, 'https://hub.example.test');
    const [nonce, signature] = String(forged.searchParams.get('state')).split('.');
    forged.searchParams.set('state', `${nonce.slice(0, -2)}AA.${signature}`);
    expect((await t.http.get(forged.pathname + forged.search)).status).toBe(400);
    expect((await t.http.get('/api/oauth/callback/gohighlevel?code=x&state=not-a-state')).status).toBe(400);
    expect((await t.http.get('/api/oauth/callback/gohighlevel?code=x')).status).toBe(400);

    // a state issued for GoHighLevel does not open another provider's callback
    const other = ghlAuth.consent(await start(id), { locationId: 'loc_OAUTH2' });
    const crossed = await t.http.get(other.path.replace('/gohighlevel?', '/google?'));
    expect(crossed.status).toBe(400);

    const late = ghlAuth.consent(await start(id), { locationId: 'loc_OAUTH2' });
    await t.sql.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second'`);
    const expired = await t.http.get(late.path);
    expect(expired.status).toBe(400);
    expect(expired.body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/api/oauth/callback/nosuch?code=x&state=y')).status).toBe(404);
  });

  it('starts only for admins of the sub-account, for handlers with OAuth, towards allow-listed redirects', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_OAUTH3' });
    const outside = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: 'https://evil.example.test/integrations/connected' });
    expect(outside.status).toBe(400);
    expect(outside.body.code).toBe('VALIDATION_FAILED');
    const lookalike = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: 'https://crm.example.test@evil.example.test/integrations/connected' });
    expect(lookalike.status).toBe(400);
    const manager = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', `Bearer ${t.token('MANAGER', [sub])}`)
      .send({ redirectUri: CRM });
    expect(manager.status).toBe(403);
    const otherSub = await createSubAccount(t, 'PRO', 'Other');
    const stranger = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', `Bearer ${t.token('ADMIN', [otherSub])}`)
      .send({ redirectUri: CRM });
    expect(stranger.status).toBe(404);
    const extra = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM, scope: 'everything' });
    expect(extra.status).toBe(400);
    const generic = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
    });
    const noOAuth = await t.http
      .post(`/api/integrations/${generic.id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    expect(noOAuth.status).toBe(400);
  });

  it('GoHighLevel: an install on another location than the configured one ends in status=error', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_OAUTH4' });
    const { path } = ghlAuth.consent(await start(id), { locationId: 'loc_SOMEONE_ELSE' });
    const back = await t.http.get(path);
    expect(back.status).toBe(302);
    const params = outcome(back.headers.location);
    expect(params.get('status')).toBe('error');
    expect(params.get('code')).toBe('INVALID_CREDENTIALS');
    const body = await integration(id);
    expect(body.status).toBe('error');
    const stored = await t.sql.query('SELECT oauth_tokens FROM integrations WHERE id = $1', [id]);
    expect(stored.rows[0].oauth_tokens).toBeNull();
  });

  it('a person who declines consent is sent back with status=error', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_OAUTH5' });
    const state = new URL(await start(id)).searchParams.get('state') ?? '';
    const back = await t.http.get(
      `/api/oauth/callback/gohighlevel?error=access_denied&state=${encodeURIComponent(state)}`,
    );
    expect(back.status).toBe(302);
    expect(outcome(back.headers.location).get('status')).toBe('error');
  });

  it('Google: offline access with PKCE (S256); the verifier reaches the token endpoint; disconnect revokes', async () => {
    const { id } = await createIntegration(t, sub, 'google-analytics', { propertyId: '424242' });
    const authorizationUrl = await start(id);
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // openid: the id_token's sub names the person, so a disconnect can tell a grant other integrations still use
    expect(url.searchParams.get('scope')).toBe('https://www.googleapis.com/auth/analytics.readonly openid');

    const { path } = googleAuth.consent(authorizationUrl);
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    const exchange = new URLSearchParams(googleAuth.server.requests.find((r) => r.path === '/token')?.rawBody);
    expect(exchange.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const disconnected = await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin);
    expect(disconnected.status).toBe(200);
    expect(googleAuth.revoked).toHaveLength(1);
    expect(googleAuth.revoked[0]).toMatch(/^rt-google-/);
    const stored = await t.sql.query('SELECT oauth_tokens FROM integrations WHERE id = $1', [id]);
    expect(stored.rows[0].oauth_tokens).toBeNull();
  });

  it('Google: deleting an OAuth-connected integration revokes its grant, as a disconnect does', async () => {
    const { id } = await createIntegration(t, sub, 'google-analytics', { propertyId: '414141' });
    googleAuth.person = 'google-person-deleted';
    const back = await t.http.get(googleAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    const revoked = googleAuth.revoked.length;
    const deleted = await t.http.delete(`/api/integrations/${id}`).set('authorization', admin);
    expect(deleted.status).toBe(204);
    expect(googleAuth.revoked.length).toBe(revoked + 1);
    expect(googleAuth.revoked.at(-1)).toMatch(/^rt-google-/);
    expect((await t.http.get(`/api/integrations/${id}`).set('authorization', admin)).status).toBe(404);
  });

  it('Google: a PKCE verifier that does not match is refused by the provider (status=error)', async () => {
    const { id } = await createIntegration(t, sub, 'google-analytics', { propertyId: '434343' });
    const authorizationUrl = new URL(await start(id));
    // the code was issued for another challenge: the hub's verifier cannot match it
    authorizationUrl.searchParams.set('code_challenge', 'A'.repeat(43));
    const { path } = googleAuth.consent(authorizationUrl.toString());
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('error');
    expect(outcome(back.headers.location).get('code')).toBe('INVALID_CREDENTIALS');
  });

  it('LinkedIn: three-legged flow with the lead-sync and reporting scopes; disconnect revokes', async () => {
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: '5551234',
      clientId: 'li-client',
      clientSecret: 'li-webhook-secret',
    });
    const authorizationUrl = await start(id);
    const scopes = (new URL(authorizationUrl).searchParams.get('scope') ?? '').split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['r_marketing_leadgen_automation', 'r_ads_reporting']));
    const { path } = linkedinAuth.consent(authorizationUrl);
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin).expect(200);
    expect(linkedinAuth.revoked).toHaveLength(1);
  });

  it('Meta: code → user token → long-lived token → page token (appsecret_proof), tested against the page', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '777000111',
      appSecret: META_APP_SECRET,
      verifyToken: 'verify-oauth-1',
    });
    const authorizationUrl = await start(id);
    expect(new URL(authorizationUrl).searchParams.get('scope')).toContain('leads_retrieval');
    const { path } = metaAuth.consent(authorizationUrl);
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    expect(metaAuth.tokenCalls()).toBe(2); // the code, then fb_exchange_token
    const pageRead = fakes.graph.requests.find((r) => r.query.get('fields') === 'access_token');
    expect(pageRead?.query.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
    const body = await integration(id);
    expect(body.status).toBe('active');
    expect((body.config as Record<string, unknown>).pageAccessToken).toBeUndefined();
  });

  it("WhatsApp without META_WHATSAPP_CONFIG_ID: Facebook Login with the WhatsApp scopes, the person's long-lived token with its expiry, the WABA subscribed with it, unsubscribed and revoked on disconnect", async () => {
    metaPerson = 'fb-person-whatsapp';
    const { id } = await createIntegration(t, sub, 'whatsapp-cloud', {
      phoneNumberId: WHATSAPP_PHONE,
      wabaId: '102290129349001',
      verifyToken: 'verify-oauth-wa',
    });
    const authorizationUrl = new URL(await start(id));
    expect(authorizationUrl.searchParams.get('scope')).toBe(
      'whatsapp_business_management,whatsapp_business_messaging,business_management',
    );
    expect(authorizationUrl.searchParams.has('config_id')).toBe(false);
    const before = metaAuth.tokenCalls();
    const back = await t.http.get(metaAuth.consent(authorizationUrl.toString()).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    expect(metaAuth.tokenCalls() - before).toBe(2); // the code, then fb_exchange_token
    const stored = await t.sql.query<{ oauth_expires_at: Date | null }>(
      'SELECT oauth_expires_at FROM integrations WHERE id = $1',
      [id],
    );
    // the long-lived user token's ~60 days (the fake answers 5183944 s)
    expect(stored.rows[0].oauth_expires_at?.getTime()).toBeGreaterThan(Date.now() + 59 * 86_400_000);
    // Meta delivers a WABA's webhooks only to apps subscribed to it: subscribed with the person's token
    const subscriptions = fakes.graph.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/subscribed_apps'),
    );
    expect(subscriptions.map((r) => r.path)).toEqual(['/102290129349001/subscribed_apps']);
    const token = String(subscriptions[0].headers.authorization).replace(/^Bearer /, '');
    expect(issued).toContain(token);
    expect(subscriptions[0].query.get('appsecret_proof')).toBe(
      createHmac('sha256', META_APP_SECRET).update(token).digest('hex'),
    );
    const revokes = () =>
      fakes.graph.requests.filter((r) => r.method === 'DELETE' && r.path === '/me/permissions').length;
    const revoked = revokes();
    const from = fakes.graph.requests.length;
    await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(revoked + 1);
    // the app unsubscribed from the WABA with the same token, before the revocation ends that token
    const made = fakes.graph.requests.slice(from).filter((r) => r.method === 'DELETE');
    expect(made.map((r) => r.path)).toEqual(['/102290129349001/subscribed_apps', '/me/permissions']);
    expect(made[0].headers.authorization).toBe(`Bearer ${token}`);
    expect(made[0].query.get('appsecret_proof')).toBe(
      createHmac('sha256', META_APP_SECRET).update(token).digest('hex'),
    );
  });

  it('Meta: a person without access to the configured page ends in status=error', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '888000222',
      appSecret: META_APP_SECRET,
      verifyToken: 'verify-oauth-2',
    });
    const { path } = metaAuth.consent(await start(id));
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('error');
  });

  it('Meta Lead Ads connected through the hub app needs no pasted app secret: META_APP_SECRET verifies its deliveries, never stored or returned', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '777000333',
      verifyToken: 'verify-oauth-3',
    });
    // not connected yet and nothing pasted: the test names what OAuth (or a person) must fill
    const early = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(early.status).toBe(422);
    expect(JSON.stringify(early.body)).toContain('/appSecret');
    metaPerson = 'fb-person-3';
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    // the page read was proven with the hub's secret, which stays in the environment
    const stored = await t.sql.query<{ config: Record<string, unknown> }>(
      'SELECT config FROM integrations WHERE id = $1',
      [id],
    );
    expect(stored.rows[0].config.appSecret).toBeUndefined();
    expect(JSON.stringify(await integration(id))).not.toContain(META_APP_SECRET);
    const delivery = metaLeadgen('777000333', ['7303001']);
    const accepted = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(delivery, META_APP_SECRET))
      .send(delivery);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('received');
    const forged = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(delivery, 'some-other-app-secret'))
      .send(delivery);
    expect(forged.status).toBe(401);
    expect(t.logs()).not.toContain(META_APP_SECRET);
  });

  it('LinkedIn connected through the hub app: client id and secret come from the environment (webhook challenge answered with them)', async () => {
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', { organizationId: '5551234' });
    const back = await t.http.get(linkedinAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    const body = await integration(id);
    expect(body.status).toBe('active');
    expect(JSON.stringify(body)).not.toContain('li-secret');
    const challengeCode = '6c1e4f2a-7d1b-4c5e-9b1a-2f3e4d5c6b7a';
    const challenge = await t.http.get(
      `/api/webhooks/linkedin-lead-gen?challengeCode=${challengeCode}&applicationId=li-client`,
    );
    expect(challenge.status).toBe(200);
    expect(challenge.body).toEqual({
      challengeCode,
      challengeResponse: createHmac('sha256', 'li-secret').update(challengeCode).digest('hex'),
    });
    await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin).expect(200);
  });

  it("Google: disconnecting one of two integrations the same person connected keeps the person's grant; the last one revokes it", async () => {
    googleAuth.person = 'google-person-shared';
    const ids: number[] = [];
    for (const propertyId of ['515151', '525252']) {
      const { id } = await createIntegration(t, sub, 'google-analytics', { propertyId });
      const back = await t.http.get(googleAuth.consent(await start(id)).path);
      expect(outcome(back.headers.location).get('status')).toBe('active');
      ids.push(id);
    }
    // someone else's grant is no reason to keep this one
    googleAuth.person = 'google-person-other';
    const { id: other } = await createIntegration(t, sub, 'google-analytics', { propertyId: '535353' });
    expect(
      outcome((await t.http.get(googleAuth.consent(await start(other)).path)).headers.location).get('status'),
    ).toBe('active');
    const revoked = googleAuth.revoked.length;
    await t.http.post(`/api/integrations/${ids[0]}/disconnect`).set('authorization', admin).expect(200);
    expect(googleAuth.revoked.length).toBe(revoked); // ids[1] still lives on the person's grant
    await t.http.post(`/api/integrations/${ids[1]}/disconnect`).set('authorization', admin).expect(200);
    expect(googleAuth.revoked.length).toBe(revoked + 1);
    await t.http.post(`/api/integrations/${other}/disconnect`).set('authorization', admin).expect(200);
    expect(googleAuth.revoked.length).toBe(revoked + 2);
    // and nothing that identifies a grant is stored in the clear
    const keys = await t.sql.query<{ oauth_grant_key: string | null }>(
      'SELECT oauth_grant_key FROM integrations WHERE id = ANY($1)',
      [[...ids, other]],
    );
    for (const row of keys.rows) expect(row.oauth_grant_key ?? '').not.toContain('google-person');
  });

  it('Meta: DELETE /me/permissions only when no other live integration was connected by the same person', async () => {
    const revokes = () =>
      fakes.graph.requests.filter((r) => r.method === 'DELETE' && r.path === '/me/permissions').length;
    metaPerson = 'fb-person-5';
    const ids: number[] = [];
    for (const [pageId, verifyToken] of [
      ['777000444', 'verify-oauth-4'],
      ['777000555', 'verify-oauth-5'],
    ]) {
      const { id } = await createIntegration(t, sub, 'meta-lead-ads', { pageId, verifyToken });
      const back = await t.http.get(metaAuth.consent(await start(id)).path);
      expect(outcome(back.headers.location).get('status')).toBe('active');
      ids.push(id);
    }
    const before = revokes();
    await t.http.post(`/api/integrations/${ids[0]}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(before);
    await t.http.post(`/api/integrations/${ids[1]}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(before + 1);
  });
});
