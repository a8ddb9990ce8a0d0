import { generateKeyPairSync } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { signToken } from '../../src/common/auth/dev-token';
import { createTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';

describe('RS256 bearer tokens when JWT_PUBLIC_KEY is set', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_PUBLIC_KEY: publicPem } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a token signed with the private key and refuses HS256 tokens, even with the public key as secret', async () => {
    const good = signToken({ role: 'MANAGER', subAccountIds: [3], sub: 'rs-user' }, { privateKey: privatePem });
    const ok = await t.http.get('/api/me').set('authorization', `Bearer ${good}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sub: 'rs-user', role: 'MANAGER', subAccountIds: [3] });

    const hs = sign({ sub: 'x', role: 'SUPER_ADMIN', subAccountIds: [] }, TEST_JWT_SECRET, { expiresIn: 60 });
    expect((await t.http.get('/api/me').set('authorization', `Bearer ${hs}`)).status).toBe(401);
    // the classic confusion attack: HS256 with the RSA public key as the HMAC secret
    const confused = sign({ sub: 'x', role: 'SUPER_ADMIN', subAccountIds: [] }, publicPem, {
      algorithm: 'HS256',
      expiresIn: 60,
    });
    expect((await t.http.get('/api/me').set('authorization', `Bearer ${confused}`)).status).toBe(401);
  });
});
