import { OutboundError } from '../common/outbound/http-client';
import { isTokenRefused, PermanentEventError } from './integration-handler';

describe('isTokenRefused', () => {
  it('a 401 refuses the token, also as the cause of a handler error', () => {
    const refused = new OutboundError('auth', 'HTTP 401', 401, { message: 'Invalid JWT' });
    expect(isTokenRefused(refused)).toBe(true);
    expect(isTokenRefused(new PermanentEventError('lead read failed', { cause: refused }))).toBe(true);
  });

  it("Graph's code 190 refuses the token whatever the HTTP status", () => {
    const body = { error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } };
    expect(isTokenRefused(new OutboundError('client', 'HTTP 400', 400, body))).toBe(true);
  });

  it('a 403 (missing scope or role) does not: a refresh would spend a single-use refresh token for nothing', () => {
    const forbidden = new OutboundError('auth', 'HTTP 403', 403, {
      statusCode: 403,
      message: 'not authorized for this scope',
    });
    expect(isTokenRefused(forbidden)).toBe(false);
    expect(isTokenRefused(new OutboundError('client', 'HTTP 400', 400, { error: { code: 100 } }))).toBe(false);
    expect(isTokenRefused(new Error('boom'))).toBe(false);
  });
});
