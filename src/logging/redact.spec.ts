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
    class Request {
      rawBody = Buffer.alloc(1024 * 1024);
    }
    const request = new Request();
    const started = Date.now();
    const out = redactDeep({ body: Buffer.alloc(1024 * 1024), req: request }) as Record<string, unknown>;
    expect(Date.now() - started).toBeLessThan(50);
    expect(out.body).toBe('[1048576 bytes]');
    expect(out.req).toBe(request);
  });

  it('survives cycles by bounding depth', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => redactDeep(a)).not.toThrow();
  });
});
