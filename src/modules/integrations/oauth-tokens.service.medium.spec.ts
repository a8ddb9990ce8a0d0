// Refreshes across processes: two application instances on one database share one refresh (advisory lock, token re-read after acquiring it), and a reconnect stored while a refresh runs is never overwritten by it.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../app.module';
import { ConfigModule } from '../../config/config.module';
import { FakeOAuthServer } from '../../../test/support/fakes/oauth-server';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { testConfig } from '../../../test/support/test-app';
import { IntegrationRow, IntegrationsRepository } from './integrations.repository';
import { OAuthTokensService, REAUTHORIZATION_MESSAGE } from './oauth-tokens.service';

describe('OAuthTokensService across processes', () => {
  let auth: FakeOAuthServer;
  let m: MediumApp;
  let other: INestApplicationContext;
  let env: Record<string, string>;

  beforeAll(async () => {
    auth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      rotate: true,
      accessTtl: 86399,
      tokenDelayMs: 150,
    });
    env = { GHL_CLIENT_ID: 'ghl-client', GHL_CLIENT_SECRET: 'ghl-secret', GHL_OAUTH_TOKEN_URL: `${auth.url}/token` };
    m = await createMediumApp(env);
    // a second "process": its own pool, its own in-process single flight
    other = await NestFactory.createApplicationContext(
      {
        module: AppModule,
        imports: [
          ConfigModule.forRoot(
            testConfig(m.db.url, { APP_ROLE: 'api', LOG_LEVEL: 'silent', DB_POOL_SIZE: '8', ...env }),
          ),
        ],
      },
      { logger: false },
    );
  });
  afterAll(async () => {
    await other.close();
    await m.close();
    await auth.close();
  });

  /** A GoHighLevel integration connected earlier whose access token has expired. */
  async function expiredConnection(): Promise<number> {
    return (await expiredIn()).integrationId;
  }

  async function expiredIn(): Promise<{ subAccountId: number; integrationId: number }> {
    const { subAccountId, integrationId } = await seedIntegration(m.sql, 'gohighlevel');
    const sealed = m.app.get(OAuthTokensService).seal(integrationId, {
      accessToken: 'at-expired',
      refreshToken: auth.grant('loc_1'),
      locationId: 'loc_1',
    });
    await m.sql.query(
      `UPDATE integrations SET oauth_provider = 'gohighlevel', oauth_tokens = $2, oauth_expires_at = now() - interval '1 minute' WHERE id = $1`,
      [integrationId, sealed],
    );
    return { subAccountId, integrationId };
  }

  async function rowIn(app: INestApplicationContext, id: number): Promise<IntegrationRow> {
    const row = await app.get(IntegrationsRepository).findForProcessing(id);
    if (!row) throw new Error('no row');
    return row;
  }

  it('ten callers in each of two processes on an expired rotating token: exactly one refresh, one new token for all', async () => {
    const id = await expiredConnection();
    const before = auth.tokenCalls('refresh_token');
    const apps = [m.app, other];
    const rows = await Promise.all(apps.map((app) => rowIn(app, id)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => apps[i % 2].get(OAuthTokensService).fresh(rows[i % 2])),
    );
    expect(auth.tokenCalls('refresh_token') - before).toBe(1);
    const service = m.app.get(OAuthTokensService);
    const tokens = new Set(results.map((r) => service.open(id, r.oauthTokens ?? '').accessToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^at-gohighlevel-/);
    // the rotated refresh token was stored: a later forced refresh (a 401) spends it successfully
    const stored = await rowIn(m.app, id);
    const renewed = await service.afterUnauthorized(stored);
    expect(service.open(id, renewed.oauthTokens ?? '').accessToken).not.toBe([...tokens][0]);
    expect(auth.tokenCalls('refresh_token') - before).toBe(2);
    expect((await rowIn(m.app, id)).status).toBe('active');
  });

  it('after a 401 seen by callers in both processes, one refresh: the late caller takes the token stored meanwhile', async () => {
    const id = await expiredConnection();
    const fresh = await m.app.get(OAuthTokensService).fresh(await rowIn(m.app, id));
    const before = auth.tokenCalls('refresh_token');
    const [a, b] = await Promise.all([
      m.app.get(OAuthTokensService).afterUnauthorized(fresh),
      other.get(OAuthTokensService).afterUnauthorized(fresh),
    ]);
    expect(auth.tokenCalls('refresh_token') - before).toBe(1);
    expect(a.oauthTokens).toBe(b.oauthTokens);
  });

  /**
   * The person connects again while a refresh of the old grant waits at the token endpoint: the OAuth
   * callback's write (IntegrationsRepository.mutate, as OAuthConnectService stores a new connection).
   */
  async function reconnect(subAccountId: number, id: number, accessToken: string): Promise<string> {
    const sealed = m.app
      .get(OAuthTokensService)
      .seal(id, { accessToken, refreshToken: auth.grant('loc_1'), locationId: 'loc_1' });
    const stored = await m.app.get(IntegrationsRepository).mutate(subAccountId, id, () => ({
      oauthProvider: 'gohighlevel',
      oauthTokens: sealed,
      oauthExpiresAt: new Date(Date.now() + 86_399_000),
      oauthRefreshedAt: new Date(),
      status: 'pending',
      errorMessage: null,
    }));
    if (!('updated' in stored)) throw new Error('reconnect: not stored');
    return sealed;
  }

  it('a reconnect that lands while a refresh of the old tokens runs is kept: the refresh result is dropped, its caller gets the new connection', async () => {
    const { subAccountId, integrationId: id } = await expiredIn();
    const service = m.app.get(OAuthTokensService);
    const hold = auth.holdNextRefresh();
    const refreshing = service.fresh(await rowIn(m.app, id));
    await hold.arrived;
    const reconnected = await reconnect(subAccountId, id, 'at-reconnected-1');
    hold.release();
    const used = await refreshing;
    // the refresh did answer new tokens, but they were the old grant's: not written over the reconnect
    const stored = await rowIn(m.app, id);
    expect(stored.oauthTokens).toBe(reconnected);
    expect(service.open(id, stored.oauthTokens ?? '').accessToken).toBe('at-reconnected-1');
    expect(stored.oauthExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(used.oauthTokens).toBe(reconnected);
  });

  it('a refresh refused (invalid_grant) after a reconnect landed does not drop the new connection', async () => {
    const { subAccountId, integrationId: id } = await expiredIn();
    const service = m.app.get(OAuthTokensService);
    const hold = auth.holdNextRefresh();
    const refreshing = service.fresh(await rowIn(m.app, id));
    await hold.arrived;
    const reconnected = await reconnect(subAccountId, id, 'at-reconnected-2');
    // the person's new consent replaced the old grant, which the provider now refuses
    auth.revokeAll = true;
    try {
      hold.release();
      const used = await refreshing;
      expect(used.oauthTokens).toBe(reconnected);
    } finally {
      auth.revokeAll = false;
    }
    const stored = await rowIn(other, id);
    expect(stored.oauthTokens).toBe(reconnected);
    expect(stored.errorMessage).toBeNull();
    expect(stored.status).toBe('pending');
  });

  it('a refresh refused (invalid_grant) while the same tokens were re-sealed (key rotation) still asks for a reconnect', async () => {
    const id = await expiredConnection();
    const service = m.app.get(OAuthTokensService);
    const hold = auth.holdNextRefresh();
    const refreshing = service.fresh(await rowIn(m.app, id));
    await hold.arrived;
    // what secrets:rotate does meanwhile: the same tokens, sealed again; and the person revoked the grant
    const sealed = (await rowIn(other, id)).oauthTokens;
    if (sealed === null) throw new Error('no tokens stored');
    await m.sql.query('UPDATE integrations SET oauth_tokens = $2 WHERE id = $1', [
      id,
      service.seal(id, service.open(id, sealed)),
    ]);
    auth.revokeAll = true;
    try {
      hold.release();
      await expect(refreshing).rejects.toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    } finally {
      auth.revokeAll = false;
    }
    const row = await rowIn(other, id);
    expect([row.status, row.errorMessage, row.oauthTokens]).toEqual(['error', REAUTHORIZATION_MESSAGE, null]);
  });

  it('invalid_grant: status error with REAUTHORIZATION_REQUIRED, tokens dropped, and no further calls', async () => {
    const id = await expiredConnection();
    await m.sql.query(`UPDATE integrations SET oauth_tokens = $2 WHERE id = $1`, [
      id,
      m.app
        .get(OAuthTokensService)
        .seal(id, { accessToken: 'at-dead', refreshToken: 'rt-revoked-by-the-person', locationId: 'loc_1' }),
    ]);
    const before = auth.tokenCalls('refresh_token');
    await expect(m.app.get(OAuthTokensService).fresh(await rowIn(m.app, id))).rejects.toMatchObject({
      code: 'REAUTHORIZATION_REQUIRED',
    });
    expect(auth.tokenCalls('refresh_token') - before).toBe(1);
    const row = await rowIn(other, id);
    expect(row.status).toBe('error');
    expect(row.errorMessage).toBe(REAUTHORIZATION_MESSAGE);
    expect(row.oauthTokens).toBeNull();
    await expect(other.get(OAuthTokensService).fresh(row)).rejects.toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expect(auth.tokenCalls('refresh_token') - before).toBe(1);
  });
});
