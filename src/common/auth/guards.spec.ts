import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { sign, verify } from 'jsonwebtoken';
import { RolesGuard, unauthenticatedMessage } from './guards';

const SECRET = 'a-development-secret-of-32-characters!';

/** The error jsonwebtoken gives passport-jwt for this token, as passport-jwt verifies it. */
function verifyError(token: string, options: { audience?: string } = {}): unknown {
  try {
    verify(token, SECRET, { algorithms: ['HS256'], ...options });
  } catch (err) {
    return err;
  }
  throw new Error('the token verified');
}

describe('unauthenticatedMessage', () => {
  it('says how to send a token when there is none', () => {
    expect(unauthenticatedMessage(null, new Error('No auth token'))).toMatch(/Authorization: Bearer <JWT>/);
  });

  it('says the token expired', () => {
    const expired = sign({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 10 }, SECRET);
    expect(unauthenticatedMessage(null, verifyError(expired))).toBe('The bearer token has expired: get a new one');
  });

  it('says a token signed with another secret does not verify', () => {
    const other = sign({ sub: 'u' }, 'another-secret-of-at-least-32-characters', { expiresIn: 60 });
    expect(unauthenticatedMessage(null, verifyError(other))).toMatch(/signed with another key/);
  });

  it('names the claims and the lifetime limit when the claims were refused, and never quotes the configuration', () => {
    expect(unauthenticatedMessage(null, undefined)).toMatch(/JWT_MAX_AGE_SECONDS/);
    const token = sign({ sub: 'u' }, SECRET, { expiresIn: 60, audience: 'someone-else' });
    const message = unauthenticatedMessage(null, verifyError(token, { audience: 'hub-audience' }));
    expect(message).toBe("The bearer token's iss or aud is not this server's");
    expect(unauthenticatedMessage(null, verifyError('not.a.jwt'))).not.toMatch(/malformed|hub-audience/);
  });
});

describe('RolesGuard', () => {
  it("names the caller's role and the roles the route needs", () => {
    const reflector = { getAllAndOverride: () => ['SUPER_ADMIN'] } as unknown as Reflector;
    const request = { user: { sub: 'a', role: 'ADMIN', subAccountIds: [1] } };
    const context = {
      getHandler: () => undefined,
      getClass: () => undefined,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    expect(() => new RolesGuard(reflector).canActivate(context)).toThrow(
      'Your role (ADMIN) may not use this route; it needs SUPER_ADMIN',
    );
  });
});
