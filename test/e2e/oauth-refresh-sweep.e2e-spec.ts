// Tokens refreshed before they expire whether or not anything uses them (API.md "OAuth connections"),
// and grants that ran out shown as status error at once: the refresh sweep (OAuthRefreshSweep).
import { OAuthRefreshSweep } from '../../src/modules/integrations/oauth-refresh-sweep.processor';
import { OAuthTokensService } from '../../src/modules/integrations/oauth-tokens.service';
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { connectGhlOAuth } from '../support/oauth';
import { createTestApp, TestApp } from '../support/test-app';

const CRM = 'https://crm.example.test/integrations/connected';

interface OAuthColumns {
  status: string;
  error_message: string | null;
  oauth_tokens: string | null;
  oauth_expires_at: Date | null;
}

describe('OAuth connections: the refresh sweep', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  let sweep: OAuthRefreshSweep;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      rotate: true,
      accessTtl: 86399,
      onToken: (token, grant) => {
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    fakes.ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [] } }));
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
        META_APP_ID: '1234567890',
        META_APP_SECRET: 'meta-oauth-app-secret',
        // nothing answers here: the sweep must not ask Meta anything
        META_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/oauth/access_token',
        OAUTH_REFRESH_AHEAD_SECONDS: '300',
        OAUTH_REFRESH_SWEEP_MINUTES: '5',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Sweep');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    sweep = t.app.get(OAuthRefreshSweep);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), ghlAuth.close()]);
  });

  const connect = (locationId: string): Promise<number> => connectGhlOAuth(t, ghlAuth, sub, CRM, locationId);

  const expireIn = (id: number, minutes: number) =>
    t.sql.query(`UPDATE integrations SET oauth_expires_at = now() + $2 * interval '1 minute' WHERE id = $1`, [
      id,
      minutes,
    ]);
  const columns = async (id: number): Promise<OAuthColumns> =>
    (
      await t.sql.query<OAuthColumns>(
        'SELECT status::text AS status, error_message, oauth_tokens, oauth_expires_at FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('refreshes a token that expires before the sweep after next, used or not, once; a token not due is left alone', async () => {
    // 8 minutes: not due on use (5 minutes ahead), but the next sweep (5 minutes) might come too late
    const due = await connect('loc_SWEEP1');
    const notDue = await connect('loc_SWEEP2');
    await expireIn(due, 8);
    await expireIn(notDue, 60);
    const dueBefore = await columns(due);
    const notDueBefore = await columns(notDue);
    const calls = ghlAuth.tokenCalls('refresh_token');

    const result = await sweep.sweep();

    expect(ghlAuth.tokenCalls('refresh_token') - calls).toBe(1);
    expect(result).toEqual({ due: 1, refreshed: 1, reauthorizationRequired: 0, failed: 0 });
    const dueAfter = await columns(due);
    expect(dueAfter.status).toBe('active');
    expect(dueAfter.oauth_tokens).not.toBe(dueBefore.oauth_tokens);
    expect(dueAfter.oauth_expires_at?.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await columns(notDue)).toEqual(notDueBefore);

    // the next sweep finds nothing due: no token endpoint call
    expect(await sweep.sweep()).toEqual({ due: 0, refreshed: 0, reauthorizationRequired: 0, failed: 0 });
    expect(ghlAuth.tokenCalls('refresh_token') - calls).toBe(1);
    // the refreshed token works (the rotated refresh token was kept)
    expect((await t.http.get(`/api/integrations/${due}/ghl/calendars`).set('authorization', admin)).status).toBe(200);
  });

  it('a refresh the provider refuses (invalid_grant): status error with REAUTHORIZATION_REQUIRED, tokens dropped, no second try', async () => {
    const id = await connect('loc_SWEEP3');
    await expireIn(id, 3);
    ghlAuth.revokeAll = true;
    try {
      const calls = ghlAuth.tokenCalls('refresh_token');
      expect(await sweep.sweep()).toEqual({ due: 1, refreshed: 0, reauthorizationRequired: 1, failed: 0 });
      const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      expect(row.body.status).toBe('error');
      expect(row.body.errorMessage).toContain('REAUTHORIZATION_REQUIRED');
      expect((await columns(id)).oauth_tokens).toBeNull();
      // nothing left to refresh: the next sweep does not ask again
      expect((await sweep.sweep()).due).toBe(0);
      expect(ghlAuth.tokenCalls('refresh_token') - calls).toBe(1);
    } finally {
      ghlAuth.revokeAll = false;
    }
  });

  it('a Meta token (no refresh) is left alone while valid and stops the integration once it has run out, without calling Meta', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const sealed = t.app
      .get(OAuthTokensService)
      .seal(id, { accessToken: 'EAAG-page-token-from-oauth', userToken: 'EAAG-user-token', expiresAt: 'ignored' });
    await t.sql.query(
      `UPDATE integrations SET status = 'active', is_active = true, oauth_provider = 'meta', oauth_tokens = $2,
              oauth_expires_at = now() + interval '3 minutes' WHERE id = $1`,
      [id, sealed],
    );
    // due, but valid for three more minutes and unrefreshable: kept, nothing asked
    expect(await sweep.sweep()).toEqual({ due: 1, refreshed: 0, reauthorizationRequired: 0, failed: 0 });
    expect((await columns(id)).status).toBe('active');

    await expireIn(id, -1);
    expect(await sweep.sweep()).toEqual({ due: 1, refreshed: 0, reauthorizationRequired: 1, failed: 0 });
    const row = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(row.body.status).toBe('error');
    expect(row.body.errorMessage).toContain('REAUTHORIZATION_REQUIRED');
    expect((await columns(id)).oauth_tokens).toBeNull();
  });

  it('skips disconnected integrations and those whose tokens were erased', async () => {
    const id = await connect('loc_SWEEP4');
    await expireIn(id, 2);
    await t.sql.query(`UPDATE integrations SET status = 'disconnected' WHERE id = $1`, [id]);
    const calls = ghlAuth.tokenCalls('refresh_token');
    expect((await sweep.sweep()).due).toBe(0);
    expect(ghlAuth.tokenCalls('refresh_token')).toBe(calls);
  });

  it('is scheduled on worker processes at OAUTH_REFRESH_SWEEP_MINUTES', async () => {
    const stored = (app: TestApp) =>
      app.sql.query<{ cron: string }>("SELECT cron FROM pgboss.schedule WHERE name = 'oauth-refresh-sweep'");
    // the app above runs no crons (its tick at a five-minute boundary would sweep the tokens a test
    // expired on purpose); one that keeps this cron, on its own database, shows what production stores
    expect((await stored(t)).rows).toEqual([]);
    const scheduled = await createTestApp({
      env: { OAUTH_REFRESH_SWEEP_MINUTES: '5' },
      crons: ['oauth-refresh-sweep'],
    });
    try {
      expect((await stored(scheduled)).rows).toEqual([{ cron: '*/5 * * * *' }]);
    } finally {
      await scheduled.close();
    }
  });
});
