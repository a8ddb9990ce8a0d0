import { claimsToUser } from './jwt.strategy';

const NOW = 1_800_000_000;
const policy = { maxAgeSeconds: 24 * 3600, nowSeconds: NOW };
const claims = (extra: Record<string, unknown>) => ({ sub: 'u1', role: 'ADMIN', subAccountIds: [2], ...extra });

describe('claimsToUser', () => {
  it('accepts a token with iat and exp within the maximum age', () => {
    expect(claimsToUser(claims({ iat: NOW - 10, exp: NOW + 3600 }), policy)).toEqual({
      sub: 'u1',
      role: 'ADMIN',
      subAccountIds: [2],
    });
    expect(claimsToUser(claims({ iat: NOW, exp: NOW + 24 * 3600 }), policy)).not.toBeNull();
  });

  it('accepts a token without iat (API.md requires exp only) while what is left of it is within the maximum', () => {
    expect(claimsToUser(claims({ exp: NOW + 60 }), policy)).not.toBeNull();
    expect(claimsToUser(claims({ exp: NOW + 24 * 3600 }), policy)).not.toBeNull();
    expect(claimsToUser(claims({ exp: NOW + 24 * 3600 + 1 }), policy)).toBeNull();
  });

  it.each([
    ['no iat and a year left', { exp: NOW + 365 * 24 * 3600 }],
    ['a null iat', { iat: null, exp: NOW + 60 }],
    ['a string iat', { iat: String(NOW), exp: NOW + 60 }],
    ['no exp', { iat: NOW }],
    ['a lifetime one second over the maximum', { iat: NOW, exp: NOW + 24 * 3600 + 1 }],
    ['a year of lifetime', { iat: NOW, exp: NOW + 365 * 24 * 3600 }],
    ['an iat beyond the clock skew', { iat: NOW + 61, exp: NOW + 120 }],
    ['an infinite exp', { iat: NOW, exp: Number.POSITIVE_INFINITY }],
  ])('refuses %s', (_name, extra) => {
    expect(claimsToUser(claims(extra), policy)).toBeNull();
  });

  it('tolerates an iat up to a minute ahead (issuer clocks run a little fast)', () => {
    expect(claimsToUser(claims({ iat: NOW + 60, exp: NOW + 600 }), policy)).not.toBeNull();
  });
});
