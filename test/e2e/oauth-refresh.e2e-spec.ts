// OAuth tokens that keep working: refreshed ahead of expiry, once for many concurrent callers, and stopped for good on invalid_grant.
import { createSubAccount } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { connectGhlOAuth } from '../support/oauth';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const CRM = 'https://crm.example.test/integrations/connected';

describe('OAuth connections: refresh', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const live = new Set<string>();
  /** GoHighLevel answers 403 (a scope the app was not granted) to every token while set. */
  let forbidden = false;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      rotate: true,
      accessTtl: 86399,
      tokenDelayMs: 100,
      onToken: (token, grant) => {
        live.add(token);
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    // GoHighLevel answers 401 to a token it does not know
    fakes.ghl.on('GET', '/calendars/', (req) =>
      forbidden
        ? { status: 403, body: { statusCode: 403, message: 'The token is not authorized for this scope.' } }
        : live.has(String(req.headers.authorization).replace(/^Bearer /, ''))
          ? { status: 200, body: { calendars: [{ id: 'cal1', name: 'Consultations' }] } }
          : { status: 401, body: { statusCode: 401, message: 'Invalid JWT' } },
    );
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
        DB_POOL_SIZE: '10',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Refresh');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), ghlAuth.close()]);
  });

  const connect = (locationId: string): Promise<number> => connectGhlOAuth(t, ghlAuth, sub, CRM, locationId);

  const expire = (id: number) =>
    t.sql.query(`UPDATE integrations SET oauth_expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
  const calendars = (id: number) => t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', admin);

  it('20 concurrent calls on an expired GoHighLevel token: exactly one refresh, all 20 succeed, the connection stays intact', async () => {
    const id = await connect('loc_REFRESH1');
    await expire(id);
    const before = ghlAuth.tokenCalls('refresh_token');
    const answers = await Promise.all(Array.from({ length: 20 }, () => calendars(id)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    // all 20 used the one new token
    const used = new Set(
      fakes.ghl.requests
        .filter((r) => r.path === '/calendars/')
        .slice(-20)
        .map((r) => r.headers.authorization),
    );
    expect(used.size).toBe(1);
    // the rotated refresh token was kept: the next expiry refreshes again without invalid_grant
    await expire(id);
    expect((await calendars(id)).status).toBe(200);
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(2);
    const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(row.body.status).toBe('active');
    const stored = await t.sql.query<{ oauth_expires_at: Date }>(
      'SELECT oauth_expires_at FROM integrations WHERE id = $1',
      [id],
    );
    expect(stored.rows[0].oauth_expires_at.getTime()).toBeGreaterThan(Date.now());
  });

  it('a 401 to a token that is not due yet (revoked upstream) during a sync: one refresh, the page again, the run succeeds', async () => {
    const id = await connect('loc_REFRESH5');
    fakes.ghl.on('POST', '/contacts/search', (req) =>
      live.has(String(req.headers.authorization).replace(/^Bearer /, ''))
        ? { status: 200, body: { contacts: [], total: 0 } }
        : { status: 401, body: { statusCode: 401, message: 'Invalid JWT' } },
    );
    // GoHighLevel no longer accepts the stored access token, though it has not expired
    const before = ghlAuth.tokenCalls('refresh_token');
    for (const token of [...live]) live.delete(token);
    const started = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    const run = await waitFor(
      async () => {
        const row = (await t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]))
          .rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      30_000,
      'sync run',
    );
    expect(run).toEqual({ status: 'SUCCEEDED', error: null });
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
  });

  it('passthrough: a 401 to a token that is not due (revoked upstream): exactly one refresh, the call succeeds with the new token', async () => {
    const id = await connect('loc_REFRESH6');
    for (const token of [...live]) live.delete(token);
    const before = ghlAuth.tokenCalls('refresh_token');
    const apiBefore = fakes.ghl.count('GET', '/calendars/');
    const res = await calendars(id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([expect.objectContaining({ id: 'cal1' })]);
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    // the refused call and its one retry
    expect(fakes.ghl.count('GET', '/calendars/') - apiBefore).toBe(2);
    const [refused, retried] = fakes.ghl.requests.filter((r) => r.path === '/calendars/').slice(-2);
    expect(retried.headers.authorization).not.toBe(refused.headers.authorization);
    expect(live.has(String(retried.headers.authorization).replace(/^Bearer /, ''))).toBe(true);
    // and the new token is what later calls use: no second refresh
    expect((await calendars(id)).status).toBe(200);
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
  });

  it('passthrough: 20 concurrent calls refused with 401 (token revoked upstream): exactly one refresh, all 20 succeed', async () => {
    const id = await connect('loc_REFRESH7');
    for (const token of [...live]) live.delete(token);
    const before = ghlAuth.tokenCalls('refresh_token');
    const answers = await Promise.all(Array.from({ length: 20 }, () => calendars(id)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(row.body.status).toBe('active');
  });

  it('passthrough: a 401 whose refresh is refused (invalid_grant): 409 REAUTHORIZATION_REQUIRED, status error, no further calls', async () => {
    const id = await connect('loc_REFRESH8');
    for (const token of [...live]) live.delete(token);
    ghlAuth.revokeAll = true;
    try {
      const before = ghlAuth.tokenCalls('refresh_token');
      const apiBefore = fakes.ghl.count('GET', '/calendars/');
      const refused = await calendars(id);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REAUTHORIZATION_REQUIRED');
      const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      expect(row.body).toMatchObject({
        status: 'error',
        errorMessage: expect.stringContaining('REAUTHORIZATION_REQUIRED'),
      });
      expect((await calendars(id)).status).toBe(409);
      // the one refused call, no retry with the dead token, and nothing after the grant was refused
      expect(fakes.ghl.count('GET', '/calendars/') - apiBefore).toBe(1);
      expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
    } finally {
      ghlAuth.revokeAll = false;
    }
  });

  it('a token far from expiry is used as it is (no refresh)', async () => {
    const id = await connect('loc_REFRESH2');
    const before = ghlAuth.tokenCalls('refresh_token');
    expect((await calendars(id)).status).toBe(200);
    expect(ghlAuth.tokenCalls('refresh_token')).toBe(before);
  });

  it('invalid_grant: status error with REAUTHORIZATION_REQUIRED, and no further calls to anyone', async () => {
    const id = await connect('loc_REFRESH3');
    await expire(id);
    ghlAuth.revokeAll = true;
    try {
      const before = ghlAuth.tokenCalls('refresh_token');
      const apiBefore = fakes.ghl.count('GET', '/calendars/');
      const refused = await calendars(id);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REAUTHORIZATION_REQUIRED');
      const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      expect(row.body.status).toBe('error');
      expect(row.body.errorMessage).toContain('REAUTHORIZATION_REQUIRED');
      const again = await calendars(id);
      expect(again.status).toBe(409);
      const test = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
      expect(test.status).toBe(422);
      expect(test.body.success).toBe(false);
      expect(ghlAuth.tokenCalls('refresh_token') - before).toBe(1);
      expect(fakes.ghl.count('GET', '/calendars/')).toBe(apiBefore);
    } finally {
      ghlAuth.revokeAll = false;
    }
  });

  it('reconnecting after a refused grant makes the integration active again', async () => {
    const id = await connect('loc_REFRESH4');
    await expire(id);
    ghlAuth.revokeAll = true;
    expect((await calendars(id)).status).toBe(409);
    ghlAuth.revokeAll = false;
    const start = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    const back = await t.http.get(ghlAuth.consent(start.body.authorizationUrl, { locationId: 'loc_REFRESH4' }).path);
    expect(new URL(back.headers.location).searchParams.get('status')).toBe('active');
    expect((await calendars(id)).status).toBe(200);
  });

  it('a 403 (a scope the app lacks) is no refused token: no refresh, the single-use refresh token is not spent', async () => {
    const id = await connect('loc_REFRESH9');
    const before = ghlAuth.tokenCalls('refresh_token');
    const apiBefore = fakes.ghl.count('GET', '/calendars/');
    forbidden = true;
    try {
      expect((await calendars(id)).status).not.toBe(200);
      expect((await calendars(id)).status).not.toBe(200);
    } finally {
      forbidden = false;
    }
    // each call once, no retry, and no refresh
    expect(fakes.ghl.count('GET', '/calendars/') - apiBefore).toBe(2);
    expect(ghlAuth.tokenCalls('refresh_token')).toBe(before);
    expect((await calendars(id)).status).toBe(200);
    expect(ghlAuth.tokenCalls('refresh_token')).toBe(before);
  });

  it('a token pasted over an OAuth connection replaces it: the OAuth tokens are erased and the pasted one is used', async () => {
    const id = await connect('loc_REFRESH10');
    const pasted = 'pit-pasted-REFRESH10';
    live.add(pasted);
    fakes.location(pasted, 'loc_REFRESH10');
    const patched = await t.http
      .patch(`/api/integrations/${id}`)
      .set('authorization', admin)
      .send({ config: { privateIntegrationToken: pasted } });
    expect(patched.status).toBe(200);
    const stored = await t.sql.query(
      'SELECT oauth_provider, oauth_tokens, oauth_expires_at, oauth_grant_key FROM integrations WHERE id = $1',
      [id],
    );
    expect(stored.rows[0]).toEqual({
      oauth_provider: null,
      oauth_tokens: null,
      oauth_expires_at: null,
      oauth_grant_key: null,
    });
    const test = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(test.status).toBe(200);
    const lastRead = fakes.ghl.requests.filter((r) => r.path === '/locations/loc_REFRESH10').at(-1);
    expect(lastRead?.headers.authorization).toBe(`Bearer ${pasted}`);
    expect((await calendars(id)).status).toBe(200);
    expect(fakes.ghl.requests.filter((r) => r.path === '/calendars/').at(-1)?.headers.authorization).toBe(
      `Bearer ${pasted}`,
    );
  });
});
