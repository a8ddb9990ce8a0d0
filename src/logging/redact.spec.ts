import { REDACTED, redactDeep } from './redact';

describe('redactDeep', () => {
  it('redacts secret-looking keys at any depth and keeps the rest', () => {
    const input = {
      headers: { authorization: 'Bearer abc', cookie: 'a=b', 'x-request-id': 'r1' },
      config: {
        pageId: '123',
        appSecret: 's1',
        nested: [{ accessToken: 't1', apiKey: 'k1', api_key: 'k2', password: 'p' }],
      },
      webhookSecret: 'w',
    };
    expect(redactDeep(input)).toEqual({
      headers: { authorization: REDACTED, cookie: REDACTED, 'x-request-id': 'r1' },
      config: {
        pageId: '123',
        appSecret: REDACTED,
        nested: [{ accessToken: REDACTED, apiKey: REDACTED, api_key: REDACTED, password: REDACTED }],
      },
      webhookSecret: REDACTED,
    });
  });

  it('summarises binary data and leaves class instances to their serializers (no byte-by-byte walk)', () => {
    // anything that walked into these objects would read a trap and throw
    const trap = {
      enumerable: true,
      get: (): never => {
        throw new Error('walked into');
      },
    };
    class Request {
      rawBody = Buffer.alloc(1024 * 1024);
    }
    const request = new Request();
    Object.defineProperty(request, 'trap', trap);
    const body = Buffer.alloc(1024 * 1024);
    Object.defineProperty(body, 'trap', trap);
    const out = redactDeep({ body, req: request }) as Record<string, unknown>;
    expect(out.body).toBe('[1048576 bytes]');
    expect(out.req).toBe(request);
  });

  it('survives cycles by bounding depth', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => redactDeep(a)).not.toThrow();
  });
});
