import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeServer } from '../../../test/support/fake-server';
import { SteppingClock } from '../../../test/support/virtual-clock';
import { CircuitBreaker } from './circuit-breaker';
import { OutboundError, OutboundRequest } from './http-client';
import { OutboundHttpClientImpl, providerMessage, retryAfterMs, RetryPolicy } from './outbound-http.client';
import { ClientOptions, OutboundHttpFactory } from './outbound-http.factory';
import { SlidingWindowLimiter } from './rate-limiter';

// Waits (backoff, Retry-After) run on virtual time that the fake provider also stamps arrivals with:
// delays are measured exactly and cost nothing. Timeouts stay real (they are about sockets).
const time = new SteppingClock();
let server: FakeServer;
beforeAll(async () => {
  server = await FakeServer.start({ clock: time.now });
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

const FAST: Partial<RetryPolicy> = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 3_000 };

/** A client as the app makes them (factory), on the spec's virtual clock, with fast retries. */
function client(options: Partial<ClientOptions> = {}) {
  return new OutboundHttpFactory(time).forKey(`spec:${randomUUID()}`, {
    limit: 1000,
    timeoutMs: 2000,
    ...options,
    retry: { ...FAST, ...options.retry },
  });
}

/** A client whose backoff sleeps are recorded (and skipped), with a fixed "random" jitter. */
function recordingClient(retry: Partial<RetryPolicy>, random = 1) {
  const sleeps: number[] = [];
  const http = new OutboundHttpClientImpl({
    limiter: new SlidingWindowLimiter(1000, 1000),
    breaker: new CircuitBreaker(100),
    retry: { ...FAST, ...retry } as RetryPolicy,
    timeoutMs: 2000,
    sleep: async (ms) => void sleeps.push(ms),
    clock: time.now,
    random: () => random,
  });
  return { http, sleeps };
}

const failure = (promise: Promise<unknown>): Promise<OutboundError> =>
  promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (err: unknown) => {
      if (!(err instanceof OutboundError)) throw err;
      return err;
    },
  );

const get = (path: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url: `${server.url}${path}`,
  ...extra,
});

describe('OutboundHttpClient: requests and answers', () => {
  it('sends query, JSON body and headers, and parses the JSON answer', async () => {
    server.on('POST', '/things', (req) => ({
      status: 201,
      body: { got: req.body, q: req.query.get('page') },
      headers: { 'x-request-id': 'r1' },
    }));
    const res = await client().request({
      method: 'POST',
      url: `${server.url}/things`,
      query: { page: 2, skip: undefined },
      body: { a: 1 },
      headers: { 'X-Trace': 't' },
    });
    expect(res).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'x-request-id': 'r1' }),
      body: { got: { a: 1 }, q: '2' },
    });
    const [seen] = server.requests;
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers['x-trace']).toBe('t');
    expect([...seen.query.keys()]).toEqual(['page']);
  });

  it("lets a caller's Accept or Content-Type replace the default instead of joining it", async () => {
    server.on('PATCH', '/merge', () => ({ status: 204 }));
    await client().request({
      method: 'PATCH',
      url: `${server.url}/merge`,
      body: { a: 1 },
      headers: { Accept: 'text/csv', 'Content-Type': 'application/merge-patch+json' },
    });
    expect(server.requests[0].headers.accept).toBe('text/csv');
    expect(server.requests[0].headers['content-type']).toBe('application/merge-patch+json');
  });

  it('sends a form as application/x-www-form-urlencoded', async () => {
    server.on('POST', '/token', () => ({ status: 200, body: { access_token: 't' } }));
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'a.b+c/=', note: 'x y&z' };
    await client().request({ method: 'POST', url: `${server.url}/token`, form });
    const [seen] = server.requests;
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.rawBody).toBe(
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b%2Bc%2F%3D&note=x+y%26z',
    );
    expect(Object.fromEntries(new URLSearchParams(seen.rawBody))).toEqual(form);
  });

  it('refuses a request with both a JSON body and a form, without sending it', async () => {
    await expect(
      client().request({ method: 'POST', url: `${server.url}/token`, body: {}, form: { a: 'b' } }),
    ).rejects.toThrow('OutboundRequest takes a JSON body or a form, not both');
    expect(server.requests).toHaveLength(0);
  });

  it('parses JSON sent under another content type, and returns an empty answer as null', async () => {
    server.on('GET', '/empty', () => ({ status: 200 }));
    server.on('GET', '/mislabelled', () => ({
      status: 200,
      body: { a: 1 },
      headers: { 'content-type': 'text/javascript; charset=UTF-8' },
    }));
    expect((await client().request(get('/empty'))).body).toBeNull();
    expect((await client().request(get('/mislabelled'))).body).toEqual({ a: 1 });
  });
});

describe('OutboundHttpClient: timeouts and network errors', () => {
  it("classifies an answer slower than timeoutMs as 'timeout', not 'network'", async () => {
    // the timeout leaves a loaded machine time to deliver the request before it fires (the server counts it)
    server.on('GET', '/slow', () => ({ status: 200, body: {}, delayMs: 1000 }));
    const err = await failure(client({ timeoutMs: 200 }).request(get('/slow', { retry: false })));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /slow: timed out');
    expect(err.transient).toBe(true);
    expect(server.count('GET', '/slow')).toBe(1);
  });

  it('uses the per-request timeoutMs and retries timeouts', async () => {
    server.on('GET', '/slow', () => ({ status: 200, body: {}, delayMs: 1000 }));
    const err = await failure(client({ timeoutMs: 5_000 }).request(get('/slow', { timeoutMs: 200 })));
    expect(err.kind).toBe('timeout');
    expect(server.count('GET', '/slow')).toBe(3);
  });

  it("classifies a body that stops arriving within the timeout as 'timeout'", async () => {
    const stalling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // and never the rest
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = stalling.address() as AddressInfo;
      const err = await failure(
        client({ timeoutMs: 100 }).request({ method: 'GET', url: `http://127.0.0.1:${port}/stall`, retry: false }),
      );
      expect(err.kind).toBe('timeout');
      expect(err.message).toBe('GET /stall: timed out reading the answer');
    } finally {
      stalling.closeAllConnections();
      await new Promise<void>((resolve) => stalling.close(() => resolve()));
    }
  });

  it('never follows a redirect: the call does not reach where it points, and the error says why', async () => {
    server.on('GET', '/moved', () => ({ status: 301, headers: { location: `${server.url}/elsewhere` }, body: {} }));
    server.on('GET', '/elsewhere', () => ({ status: 200, body: { reached: true } }));
    const err = await failure(client().request(get('/moved', { retry: false })));
    expect(err.message).toBe('GET /moved: answered a redirect, which is not followed');
    expect(server.count('GET', '/elsewhere')).toBe(0);
  });

  it("classifies a refused connection as 'network' and retries it", async () => {
    const err = await failure(client().request({ method: 'GET', url: 'http://127.0.0.1:9/nothing' }));
    expect(err.kind).toBe('network');
    expect(err.message).toBe('GET /nothing: could not connect');
  });
});

describe('OutboundHttpClient: retries', () => {
  it.each([
    [
      'Meta',
      { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1 } },
      'An unknown error has occurred.',
    ],
    ['GoHighLevel', { statusCode: 503, message: 'Service temporarily unavailable' }, 'Service temporarily unavailable'],
  ])("retries a 5xx up to maxRetries, then fails 'server' with the %s message", async (_provider, body, message) => {
    server.on('GET', '/flaky', () => ({ status: 503, body }));
    const { http, sleeps } = recordingClient({ maxRetries: 3, baseDelayMs: 100, maxDelayMs: 10_000 });
    const err = await failure(http.request(get('/flaky')));
    expect(err).toMatchObject({ kind: 'server', status: 503, body, message: `GET /flaky answered 503: ${message}` });
    expect(server.count('GET', '/flaky')).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]); // exponential, at the top of the jitter range
  });

  it('jitters the backoff between half and all of the exponential delay, capped at maxDelayMs', async () => {
    server.on('GET', '/flaky', () => ({ status: 500, body: {} }));
    const low = recordingClient({ maxRetries: 4, baseDelayMs: 100, maxDelayMs: 300 }, 0);
    await failure(low.http.request(get('/flaky')));
    expect(low.sleeps).toEqual([50, 100, 150, 150]);
    const high = recordingClient({ maxRetries: 4, baseDelayMs: 100, maxDelayMs: 300 }, 1);
    await failure(high.http.request(get('/flaky')));
    expect(high.sleeps).toEqual([100, 200, 300, 300]);
  });

  it("succeeds when a retry does, and waits between attempts on the client's clock", async () => {
    let calls = 0;
    server.on('GET', '/flaky', () =>
      ++calls < 3 ? { status: 502, body: 'bad gateway' } : { status: 200, body: { ok: true } },
    );
    const res = await client({ retry: { baseDelayMs: 40, maxDelayMs: 1000 } }).request(get('/flaky'));
    expect(res.body).toEqual({ ok: true });
    const [a, b, c] = server.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(20); // 40 ms jittered down to half at most
    expect(b - a).toBeLessThanOrEqual(40);
    expect(c - b).toBeGreaterThanOrEqual(40);
    expect(c - b).toBeLessThanOrEqual(80);
  });

  it.each([401, 403])("fails %i as 'auth' after exactly one request", async (status) => {
    server.on('GET', '/me', () => ({ status, body: { error: { message: 'Invalid OAuth access token.' } } }));
    const err = await failure(client().request(get('/me')));
    expect(err).toMatchObject({
      kind: 'auth',
      status,
      message: `GET /me answered ${status}: Invalid OAuth access token.`,
    });
    expect(err.transient).toBe(false);
    expect(server.count('GET', '/me')).toBe(1);
  });

  it.each([400, 404, 409, 422])("fails %i as 'client' without retrying", async (status) => {
    server.on('POST', '/leads', () => ({ status, body: { message: ['email must be an email', 'name is required'] } }));
    const err = await failure(client().request({ method: 'POST', url: `${server.url}/leads`, body: {} }));
    expect(err).toMatchObject({
      kind: 'client',
      status,
      message: `POST /leads answered ${status}: email must be an email; name is required`,
    });
    expect(err.transient).toBe(false);
    expect(server.count('POST', '/leads')).toBe(1);
  });

  it('makes exactly one attempt with retry: false', async () => {
    server.on('POST', '/send', () => ({ status: 503, body: { message: 'down' } }));
    const err = await failure(client().request({ method: 'POST', url: `${server.url}/send`, body: {}, retry: false }));
    expect(err.kind).toBe('server');
    expect(server.count('POST', '/send')).toBe(1);
  });

  it('honours Retry-After in seconds on a 429 (measured at the provider)', async () => {
    let calls = 0;
    server.on('GET', '/limited', () =>
      ++calls === 1
        ? { status: 429, body: { message: 'Too many requests' }, headers: { 'retry-after': '1' } }
        : { status: 200, body: {} },
    );
    await client().request(get('/limited'));
    const [first, second] = server.requests.map((r) => r.at);
    expect(second - first).toBe(1_000);
  });

  it('honours Retry-After as an HTTP date on a 429 (measured at the provider)', async () => {
    let calls = 0;
    let retryAt = 0;
    server.on('GET', '/limited', () => {
      if (++calls > 1) return { status: 200, body: {} };
      retryAt = (Math.floor(time.now() / 1000) + 2) * 1000; // HTTP dates have whole seconds: 1–2 s from now
      return { status: 429, body: {}, headers: { 'retry-after': new Date(retryAt).toUTCString() } };
    });
    await client().request(get('/limited'));
    const [first, second] = server.requests.map((r) => r.at);
    expect(second).toBe(retryAt);
    expect(second - first).toBeGreaterThan(1_000);
  });

  it("fails 'rate_limited' after the retries when 429s keep coming", async () => {
    server.on('GET', '/limited', () => ({
      status: 429,
      body: { error: { message: 'User request limit reached' } },
      headers: { 'retry-after': '0' },
    }));
    const err = await failure(client().request(get('/limited')));
    expect(err).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 0,
      message: 'GET /limited answered 429: User request limit reached',
    });
    expect(err.transient).toBe(true);
    expect(server.count('GET', '/limited')).toBe(3);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs, and fails later calls at once', async () => {
    server.on('GET', '/limited', () => ({ status: 429, body: {}, headers: { 'retry-after': '3600' } }));
    const http = client();
    const sleptBefore = time.sleeps.length;
    const err = await failure(http.request(get('/limited')));
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(server.count('GET', '/limited')).toBe(1);
    // the provider asked for an hour: the next call says so instead of hanging for it
    const next = await failure(http.request(get('/limited')));
    expect(next.kind).toBe('rate_limited');
    expect(next.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(next.message).toBe('GET /limited: the provider asked to wait 3600 s');
    expect(server.count('GET', '/limited')).toBe(1);
    expect(time.sleeps).toHaveLength(sleptBefore); // nothing was waited out
  });

  it('does not wait out a 503 Retry-After longer than maxRetryAfterMs either', async () => {
    server.on('GET', '/maintenance', () => ({ status: 503, body: {}, headers: { 'retry-after': '120' } }));
    const err = await failure(client().request(get('/maintenance')));
    expect(err).toMatchObject({ kind: 'server', retryAfterMs: 120_000 });
    expect(server.count('GET', '/maintenance')).toBe(1);
  });
});

// RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds (1*DIGIT). Date.parse read "-5", "1"
// and " 7 " as dates in 2001, so a negative or garbled value made the client retry at once.
describe('retryAfterMs (Retry-After)', () => {
  const NOW = Date.parse('2026-12-04T12:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 30 ', 30_000],
    ['Fri, 04 Dec 2026 12:02:00 GMT', 120_000],
    ['Friday, 04-Dec-26 12:00:30 GMT', 30_000],
    ['Fri Dec  4 12:00:10 2026', 10_000],
    ['Thu, 03 Dec 2026 12:00:00 GMT', 0],
    ['99999999999999999999999', 24 * 3600_000],
  ])('reads %j as %d ms', (value, ms) => {
    expect(retryAfterMs(value, NOW)).toBe(ms);
  });
  it.each(['-5', '-1', '1.5', '1e3', '0x10', 'soon', '', 'Fri, 99 Foo 2026 GMT', '5 garbage'])(
    'ignores %j (the backoff decides)',
    (value) => {
      expect(retryAfterMs(value, NOW)).toBeUndefined();
    },
  );

  it('backs off on a negative Retry-After instead of retrying at once', async () => {
    const { http, sleeps } = recordingClient({ baseDelayMs: 500, maxDelayMs: 500 });
    server.on('GET', '/negative', () => ({ status: 429, body: {}, headers: { 'retry-after': '-5' } }));
    const err = await failure(http.request(get('/negative')));
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: undefined });
    expect(sleeps).toEqual([500, 500]);
  });
});

describe('OutboundHttpClient: throttling answers that are not 429 (throttled)', () => {
  const throttled = (answer: { body: unknown }) =>
    (answer.body as { error?: { code?: number } }).error?.code === 17 ? { waitMs: 120_000 } : undefined;

  it('handles a recognized 400 as a 429: rate_limited, and the wait it names holds later calls back', async () => {
    server.on('GET', '/throttled', () => ({
      status: 400,
      body: { error: { message: 'User request limit', code: 17 } },
    }));
    const http = client();
    const err = await failure(http.request(get('/throttled', { throttled })));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 400, retryAfterMs: 120_000 });
    expect(err.transient).toBe(true);
    const next = await failure(http.request(get('/throttled', { throttled })));
    expect(next.message).toBe('GET /throttled: the provider asked to wait 120 s');
    expect(server.count('GET', '/throttled')).toBe(1);
  });

  it('leaves a 400 it does not recognize a client error, not retried', async () => {
    server.on('GET', '/invalid', () => ({ status: 400, body: { error: { message: 'Invalid parameter', code: 100 } } }));
    const err = await failure(client().request(get('/invalid', { throttled })));
    expect(err).toMatchObject({ kind: 'client', status: 400 });
    expect(server.count('GET', '/invalid')).toBe(1);
  });
});

describe('OutboundHttpClient: secrets in the query', () => {
  it('never puts the query string in an error message, even when the provider echoes the URL', async () => {
    server.on('GET', '/me', (req) => ({
      status: 400,
      body: {
        error: { message: `Bad request for ${req.path}?access_token=${req.query.get('access_token')}&fields=id` },
      },
    }));
    server.on('GET', '/down', () => ({ status: 500, body: 'failed: GET /down?access_token=SECRET-TOKEN-123' }));
    server.on('GET', '/slow', () => ({ status: 200, delayMs: 300 }));
    const http = client({ timeoutMs: 50 });
    const errors = [
      await failure(http.request(get('/me', { query: { access_token: 'SECRET-TOKEN-123', fields: 'id' } }))),
      await failure(http.request(get('/me?access_token=SECRET-TOKEN-123'))),
      await failure(http.request(get('/down', { query: { access_token: 'SECRET-TOKEN-123' }, retry: false }))),
      await failure(http.request(get('/slow', { query: { access_token: 'SECRET-TOKEN-123' }, retry: false }))),
      await failure(
        http.request({
          method: 'GET',
          url: 'http://127.0.0.1:9/x',
          query: { access_token: 'SECRET-TOKEN-123' },
          retry: false,
        }),
      ),
    ];
    expect(errors.map((e) => e.kind)).toEqual(['client', 'client', 'server', 'timeout', 'network']);
    for (const err of errors) {
      expect(err.message).not.toContain('SECRET');
      expect(err.message).not.toContain('access_token=S');
    }
    expect(errors[0].message).toBe(
      'GET /me answered 400: Bad request for /me?access_token=[redacted]&fields=[redacted]',
    );
    expect(server.requests[0].query.get('access_token')).toBe('SECRET-TOKEN-123');
  });

  // Graph answers a bad token with the token itself ("Malformed access token EAA…", code 190), and the
  // error's parsed body is what handlers store as a message's or an event's error (graphErrorOf); a
  // credential in a header other than Authorization (Google Ads' developer-token) was not redacted at all.
  it('keeps the credentials a call carried out of the error body and message, whatever header or field carried them', async () => {
    server.on('POST', '/messages', (req) => ({
      status: 400,
      body: {
        error: {
          message: `Malformed access token ${String(req.headers.authorization).slice(7)}`,
          code: 190,
          error_data: { details: `developer token ${String(req.headers['developer-token'])} not approved` },
        },
        echoed: [req.body, { secret: `client_secret=${new URLSearchParams(String(req.body)).get('client_secret')}` }],
      },
    }));
    const err = await failure(
      client().request({
        method: 'POST',
        url: `${server.url}/messages`,
        headers: { authorization: 'Bearer EAAGmalformedTOKEN42', 'developer-token': 'DEV-TOKEN-0123456789' },
        form: { client_secret: 'CLIENT-SECRET-987654', grant_type: 'refresh_token' },
        retry: false,
      }),
    );
    const seen = JSON.stringify(err.body) + err.message;
    for (const secret of ['EAAGmalformedTOKEN42', 'DEV-TOKEN-0123456789', 'CLIENT-SECRET-987654'])
      expect(seen).not.toContain(secret);
    expect(err.body).toEqual({
      error: {
        message: 'Malformed access token [redacted]',
        code: 190,
        error_data: { details: 'developer token [redacted] not approved' },
      },
      echoed: ['client_secret=[redacted]&grant_type=refresh_token', { secret: 'client_secret=[redacted]' }],
    });
    expect(err.message).toBe('POST /messages answered 400: Malformed access token [redacted]');
    // the provider got them as sent
    expect(server.requests[0].headers['developer-token']).toBe('DEV-TOKEN-0123456789');
  });
});

describe('providerMessage', () => {
  it.each([
    [{ error: { message: 'Meta says no', code: 190 } }, 'Meta says no'],
    [{ message: 'GHL says no' }, 'GHL says no'],
    [{ message: ['a', 'b'] }, 'a; b'],
    [{ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, 'invalid_grant: Invalid JWT Signature.'],
    [{ error: 'invalid_client' }, 'invalid_client'],
    ['', undefined],
    [null, undefined],
    [{ other: 1 }, undefined],
  ])('reads %j as %j', (body, message) => {
    expect(providerMessage(body)).toBe(message);
  });

  it('cuts a long message at 300 characters', () => {
    expect(providerMessage('x'.repeat(500))).toBe('x'.repeat(300));
    expect(providerMessage({ error: { message: 'y'.repeat(500) } })).toBe('y'.repeat(300));
  });
});
