// Part of the "Connect with …" flows (header in oauth-connect.e2e-spec.ts): Google (PKCE, revocation on disconnect
// and delete, a grant two integrations share) and LinkedIn (three-legged, and through the hub app).
import { createHmac } from 'node:crypto';
import { createIntegration } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { TestApp } from '../support/test-app';
import { OAuthConnectFixture, oauthHelpers, outcome, setupOAuthConnect } from '../support/oauth-connect-setup';

describe('OAuth connections: connect flows', () => {
  let fx: OAuthConnectFixture;
  let t: TestApp;
  let googleAuth: FakeOAuthServer;
  let linkedinAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const { start, integration } = oauthHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupOAuthConnect();
    ({ t, googleAuth, linkedinAuth, sub, admin } = fx);
  });
  afterAll(() => fx?.close());

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
});
