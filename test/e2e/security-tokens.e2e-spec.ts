/**
 * Issue 9 points 9 and 10: bearer tokens are checked for issuer and audience when configured, and may
 * not live beyond JWT_MAX_AGE_SECONDS (`exp - iat`; without `iat`, which API.md does not require,
 * `exp - now`); the public readiness
 * probe shows no database error text (security-health.e2e-spec.ts).
 */
import { sign, SignOptions } from 'jsonwebtoken';
import { createTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';

const CLAIMS = { sub: 'token-user', role: 'ADMIN', subAccountIds: [1] };
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function token(options: SignOptions & { iat?: number; exp?: number } = {}): string {
  const { iat, exp, ...rest } = options;
  const payload = { ...CLAIMS, ...(iat !== undefined ? { iat } : {}), ...(exp !== undefined ? { exp } : {}) };
  return sign(payload, TEST_JWT_SECRET, { algorithm: 'HS256', ...rest });
}

describe('security: bearer tokens with issuer, audience and a maximum age', () => {
  let t: TestApp;
  const me = (bearer: string) => t.http.get('/api/me').set('authorization', `Bearer ${bearer}`);

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        JWT_ISSUER: 'https://crm.example.test',
        JWT_AUDIENCE: 'integration-hub,hub-admin',
        JWT_MAX_AGE_SECONDS: '3600',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts the configured issuer and any configured audience, within the maximum age', async () => {
    const iss = { issuer: 'https://crm.example.test', expiresIn: 3600 };
    expect((await me(token({ ...iss, audience: 'integration-hub' }))).status).toBe(200);
    expect((await me(token({ ...iss, audience: ['other', 'hub-admin'] }))).status).toBe(200);
    // API.md requires exp only: a token without iat (jose's SignJWT sets none unless asked) is accepted
    const noIat = { issuer: 'https://crm.example.test', audience: 'integration-hub', noTimestamp: true };
    expect((await me(token({ ...noIat, exp: nowSeconds() + 600 }))).status).toBe(200);
  });

  it.each([
    ['no issuer', () => token({ audience: 'integration-hub', expiresIn: 600 })],
    ['another issuer', () => token({ issuer: 'https://evil.example', audience: 'integration-hub', expiresIn: 600 })],
    ['no audience', () => token({ issuer: 'https://crm.example.test', expiresIn: 600 })],
    ['another audience', () => token({ issuer: 'https://crm.example.test', audience: 'billing', expiresIn: 600 })],
    [
      'a lifetime one second over the maximum',
      () => token({ issuer: 'https://crm.example.test', audience: 'integration-hub', expiresIn: 3601 }),
    ],
    [
      'no iat and more time left than the maximum',
      () =>
        token({
          issuer: 'https://crm.example.test',
          audience: 'integration-hub',
          noTimestamp: true,
          exp: nowSeconds() + 3601 + 5,
        }),
    ],
    [
      'an iat an hour ahead (a lifetime stretched into the future)',
      () =>
        token({
          issuer: 'https://crm.example.test',
          audience: 'integration-hub',
          iat: nowSeconds() + 3600,
          exp: nowSeconds() + 7000,
        }),
    ],
  ])('refuses a token with %s (401)', async (_name, make) => {
    const res = await me(make());
    expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('security: token lifetime by default', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { APP_ROLE: 'api' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts tokens of up to 30 days (CRMs issue them for days) and refuses longer unless JWT_MAX_AGE_SECONDS says so', async () => {
    const me = (bearer: string) => t.http.get('/api/me').set('authorization', `Bearer ${bearer}`);
    expect((await me(token({ expiresIn: '7d' }))).status).toBe(200);
    expect((await me(token({ expiresIn: 30 * 24 * 3600 }))).status).toBe(200);
    expect((await me(token({ expiresIn: 30 * 24 * 3600 + 1 }))).status).toBe(401);
    expect((await me(token({ expiresIn: '365d' }))).status).toBe(401);
    expect((await me(token({ noTimestamp: true, exp: nowSeconds() + 365 * 24 * 3600 }))).status).toBe(401);
  });
});
