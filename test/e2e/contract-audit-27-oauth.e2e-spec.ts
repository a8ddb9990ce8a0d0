// Audit 27, OAuth across processes (API.md "OAuth connections": tokens are refreshed before they
// expire, one refresh at a time per integration across every process; a refused refresh
// (invalid_grant) sets status "error" with REAUTHORIZATION_REQUIRED). Two API processes on one
// database, as DESIGN.md deploys them; GoHighLevel rotates its refresh token on every refresh, so a
// second refresh with the spent one would be refused and the connection lost.
import { createHash } from 'node:crypto';
import { OAuthRefreshSweep } from '../../src/modules/integrations/oauth-refresh-sweep.processor';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { connectGhlOAuth } from '../support/oauth';
import { createTestApp, TestApp } from '../support/test-app';

const CRM = 'https://crm.example.test/integrations/connected';

describe('contract audit 27: OAuth refresh across processes', () => {
  let a: TestApp;
  let b: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let googleAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const live = new Set<string>();

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client-27',
      clientSecret: 'ghl-secret-27',
      rotate: true,
      accessTtl: 86399,
      // slow enough that every caller of both processes arrives while the refresh is in flight
      tokenDelayMs: 300,
      onToken: (token, grant) => {
        live.add(token);
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    googleAuth = await FakeOAuthServer.start({
      flavour: 'google',
      clientId: 'google-client-27',
      clientSecret: 'google-secret-27',
    });
    fakes.ghl.on('GET', '/calendars/', (req) =>
      live.has(String(req.headers.authorization).replace(/^Bearer /, ''))
        ? { status: 200, body: { calendars: [{ id: 'cal1', name: 'Consultations' }] } }
        : { status: 401, body: { statusCode: 401, message: 'Invalid JWT' } },
    );
    const env = {
      ...fakes.env,
      OAUTH_REDIRECT_ALLOWLIST: CRM,
      GHL_CLIENT_ID: 'ghl-client-27',
      GHL_CLIENT_SECRET: 'ghl-secret-27',
      GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
      GOOGLE_CLIENT_ID: 'google-client-27',
      GOOGLE_CLIENT_SECRET: 'google-secret-27',
      GOOGLE_OAUTH_AUTHORIZE_URL: `${googleAuth.url}/authorize`,
      GOOGLE_OAUTH_TOKEN_URL: `${googleAuth.url}/token`,
      GOOGLE_OAUTH_REVOKE_URL: `${googleAuth.url}/revoke`,
      OAUTH_REFRESH_AHEAD_SECONDS: '300',
      DB_POOL_SIZE: '10',
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, db: a.db });
    sub = await createSubAccount(a, 'MAX', 'OAuth audit 27');
    admin = `Bearer ${a.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await Promise.all([fakes.close(), ghlAuth.close(), googleAuth.close()]);
  });

  const connect = (locationId: string): Promise<number> => connectGhlOAuth(a, ghlAuth, sub, CRM, locationId);
  const expire = (id: number) =>
    a.sql.query(`UPDATE integrations SET oauth_expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
  const calendars = (t: TestApp, id: number) =>
    t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', admin);
  /** 8 calls on each process at once. */
  const both = (id: number) =>
    Promise.all([a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b].map((t) => calendars(t, id)));

  it('an expired token used by both processes at once: exactly one refresh, every call succeeds with the new token', async () => {
    const id = await connect('loc_AUDIT27_1');
    await expire(id);
    const before = ghlAuth.tokenCalls('refresh_token');
    const answers = await both(id);
    expect(answers.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    const used = new Set(
      fakes.ghl.requests
        .filter((r) => r.path === '/calendars/')
        .slice(-16)
        .map((r) => r.headers.authorization),
    );
    expect(used.size).toBe(1);
    // the rotated refresh token was kept by whichever process refreshed: the next expiry refreshes again
    await expire(id);
    expect((await calendars(b, id)).status).toBe(200);
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(2);
  });

  it('the refresh sweep running on both processes at once refreshes a due token once', async () => {
    const id = await connect('loc_AUDIT27_2');
    await a.sql.query(`UPDATE integrations SET oauth_expires_at = now() + interval '1 minute' WHERE id = $1`, [id]);
    const before = ghlAuth.tokenCalls('refresh_token');
    const [ra, rb] = await Promise.all([a.app.get(OAuthRefreshSweep).sweep(), b.app.get(OAuthRefreshSweep).sweep()]);
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    expect(ra.failed + rb.failed + ra.reauthorizationRequired + rb.reauthorizationRequired).toBe(0);
    const row = (
      await a.sql.query<{ status: string; expires: Date }>(
        'SELECT status::text AS status, oauth_expires_at AS expires FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];
    expect(row.status).toBe('active');
    expect(row.expires.getTime()).toBeGreaterThan(Date.now() + 3600_000);
    expect((await calendars(b, id)).status).toBe(200);
  });

  it('a refused refresh (invalid_grant) seen by both processes: one token call, every caller 409 REAUTHORIZATION_REQUIRED, status error', async () => {
    const id = await connect('loc_AUDIT27_3');
    await expire(id);
    const before = ghlAuth.tokenCalls('refresh_token');
    ghlAuth.revokeAll = true;
    try {
      const answers = await both(id);
      expect(answers.map((r) => [r.status, r.body.code])).toEqual(Array(16).fill([409, 'REAUTHORIZATION_REQUIRED']));
      expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
      const row = await a.http.get(`/api/integrations/${id}`).set('authorization', admin);
      expect(row.body).toMatchObject({
        status: 'error',
        errorMessage: expect.stringContaining('REAUTHORIZATION_REQUIRED'),
      });
      // nothing secret in what the callers were told
      for (const r of answers) expect(JSON.stringify(r.body)).not.toMatch(/rt-gohighlevel|ghl-secret-27|access_token/);
      // later calls on either process ask nobody
      const calls = fakes.ghl.count('GET', '/calendars/');
      expect((await calendars(b, id)).status).toBe(409);
      expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
      expect(fakes.ghl.count('GET', '/calendars/')).toBe(calls);
    } finally {
      ghlAuth.revokeAll = false;
    }
  });

  it('PKCE (Google): S256 challenge of a fresh high-entropy verifier per start; the state is single-use on either process', async () => {
    const { id } = await createIntegration(a, sub, 'google-analytics', { propertyId: '272727' });
    const start = async () => {
      const res = await a.http
        .post(`/api/integrations/${id}/oauth/start`)
        .set('authorization', admin)
        .send({ redirectUri: CRM });
      expect(res.status).toBe(200);
      return new URL(res.body.authorizationUrl as string);
    };
    const first = await start();
    const second = await start();
    expect(first.searchParams.get('code_challenge_method')).toBe('S256');
    const challenge = first.searchParams.get('code_challenge');
    // RFC 7636 4.2: BASE64URL(SHA256(verifier)), 43 characters, no padding
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.searchParams.get('code_challenge')).not.toBe(challenge);
    expect(first.searchParams.get('state')).not.toBe(second.searchParams.get('state'));

    const consent = googleAuth.consent(first.toString());
    const done = await b.http.get(consent.path);
    expect(done.status).toBe(302);
    const back = new URL(done.headers.location);
    expect(back.origin + back.pathname).toBe(CRM);
    expect(back.searchParams.get('integrationId')).toBe(String(id));
    // the verifier sent with the code matches the challenge (RFC 7636 4.1: 43–128 unreserved characters)
    const exchange = googleAuth.server.requests.filter((r) => r.path === '/token').at(-1);
    const verifier = new URLSearchParams(exchange?.rawBody).get('code_verifier') ?? '';
    expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    // the verifier never travels in the browser's URLs
    expect(first.toString()).not.toContain(verifier);
    expect(done.headers.location).not.toContain(verifier);

    // the same state again, on the other process: refused, nothing exchanged
    const exchanges = googleAuth.tokenCalls('authorization_code');
    const replay = await a.http.get(consent.path);
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    expect(googleAuth.tokenCalls('authorization_code')).toBe(exchanges);
  });
});
