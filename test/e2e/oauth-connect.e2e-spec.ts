// The "Connect with …" flows end to end against fake authorisation servers on 127.0.0.1 (API.md "OAuth connections").
// This part holds GoHighLevel and the state, redirect and role checks every flow shares; Google and LinkedIn are
// in oauth-connect-google-linkedin.e2e-spec.ts, Meta and WhatsApp in oauth-connect-meta.e2e-spec.ts; the shared
// setup in test/support/oauth-connect-setup.ts.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { TestApp } from '../support/test-app';
import { CRM, OAuthConnectFixture, oauthHelpers, outcome, setupOAuthConnect } from '../support/oauth-connect-setup';

describe('OAuth connections: connect flows', () => {
  let fx: OAuthConnectFixture;
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  let issued: string[];
  const { start, integration } = oauthHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupOAuthConnect();
    ({ t, fakes, ghlAuth, sub, admin, issued } = fx);
  });
  afterAll(() => fx?.close());

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
});
