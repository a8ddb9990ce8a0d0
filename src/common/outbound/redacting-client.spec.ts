import { OutboundError, OutboundHttpClient, OutboundRequest } from './http-client';
import { redactingSecrets } from './redacting-client';

const call: OutboundRequest = { method: 'GET', url: 'https://provider.test/me' };

function failingWith(err: Error): OutboundHttpClient {
  return {
    request: () => Promise.reject(err),
    rateLimit: () => ({ remaining: 7, resetAt: null }),
  };
}

describe('a client that keeps the integration secrets out of its errors', () => {
  const secrets = ['client-secret-123', 'refresh-token-456', 'short'];

  it('redacts every secret from the message and the body, keeping the rest of the error', async () => {
    const err = new OutboundError(
      'client',
      'GET /me answered 400: client-secret-123 is not refresh-token-456',
      400,
      { error: { message: 'bad client-secret-123', list: ['refresh-token-456', 3] } },
      1_000,
      { 'x-id': 'a' },
    );
    const client = redactingSecrets(failingWith(err), secrets);
    const thrown = await client.request(call).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(OutboundError);
    expect(thrown).toMatchObject({
      kind: 'client',
      message: 'GET /me answered 400: [redacted] is not [redacted]',
      status: 400,
      body: { error: { message: 'bad [redacted]', list: ['[redacted]', 3] } },
      retryAfterMs: 1_000,
      headers: { 'x-id': 'a' },
    });
  });

  it('leaves values shorter than 8 characters, answers and other errors as they are', async () => {
    const err = new OutboundError('server', 'GET /me answered 500: short', 500);
    await expect(redactingSecrets(failingWith(err), secrets).request(call)).rejects.toThrow(
      'GET /me answered 500: short',
    );
    const other = new TypeError('boom client-secret-123');
    await expect(redactingSecrets(failingWith(other), secrets).request(call)).rejects.toBe(other);
    const ok: OutboundHttpClient = {
      request: () => Promise.resolve({ status: 200, headers: {}, body: { echo: 'client-secret-123' } }),
      rateLimit: () => ({ remaining: 1, resetAt: null }),
    };
    const wrapped = redactingSecrets(ok, secrets);
    await expect(wrapped.request(call)).resolves.toEqual({
      status: 200,
      headers: {},
      body: { echo: 'client-secret-123' },
    });
    expect(wrapped.rateLimit()).toEqual({ remaining: 1, resetAt: null });
    expect(redactingSecrets(ok, ['short'])).toBe(ok);
  });
});
