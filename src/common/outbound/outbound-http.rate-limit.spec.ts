import { randomUUID } from 'node:crypto';
import { FakeServer } from '../../../test/support/fake-server';
import { SteppingClock } from '../../../test/support/virtual-clock';
import { OutboundError, OutboundHttpClient } from './http-client';
import { ClientOptions, OutboundHttpFactory } from './outbound-http.factory';

// Virtual time: the client waits on it and the fake provider stamps arrivals with it, so every
// window and pause below is measured exactly and costs no wall-clock time.
const time = new SteppingClock();
let server: FakeServer;
beforeAll(async () => {
  server = await FakeServer.start({ clock: time.now });
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

function client(
  options: Partial<ClientOptions> & { limit: number },
  factory = new OutboundHttpFactory(time),
  key = `spec:${randomUUID()}`,
): OutboundHttpClient {
  return factory.forKey(key, {
    timeoutMs: 2000,
    ...options,
    retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000, ...options.retry },
  });
}

/** The most requests the provider received in one window [t, t + windowMs), over every t that is a request's arrival. */
function maxInAnyWindow(stamps: number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}

const arrivals = (): number[] => server.requests.map((r) => r.at);

describe('OutboundHttpClient: the configured rate as the provider counts it', () => {
  it('never lets more than `limit` requests arrive in any window when 100 are issued at once', async () => {
    server.on('GET', '/items', () => ({ status: 200, body: { ok: true } }));
    const http = client({ limit: 10, windowMs: 100 });
    const started = time.now();
    const sleptBefore = time.sleeps.length;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => http.request({ method: 'GET', url: `${server.url}/items`, query: { i } })),
    );
    expect(server.requests).toHaveLength(100);
    expect(maxInAnyWindow(arrivals(), 100)).toBeLessThanOrEqual(10);
    expect(time.now() - started).toBeGreaterThanOrEqual(9 * 100); // ten full windows: the limit is not bypassed
    // nor slower than the rate allows: no wait is ever longer than until the first slot frees
    // (how many waits there are depends on how fast the local answers come back, in real time)
    expect(Math.max(...time.sleeps.slice(sleptBefore))).toBeLessThanOrEqual(100);
  });

  it('keeps the rate with slow and failing answers, retries and sequential callers sharing the budget', async () => {
    let n = 0;
    server.on('GET', '/mixed', () => {
      n += 1;
      if (n % 7 === 0) return { status: 503, body: { message: 'try again' } }; // retried: the retry counts too
      return { status: 200, body: {}, delayMs: (n * 13) % 40 };
    });
    const factory = new OutboundHttpFactory(time);
    const key = `spec:${randomUUID()}`;
    const http = client({ limit: 6, windowMs: 100 }, factory, key);
    const sameKey = factory.forKey(key, { limit: 6, windowMs: 100 });
    expect(sameKey).toBe(http); // one budget per key and rate in this process
    const url = `${server.url}/mixed`;
    const burst = Promise.all(Array.from({ length: 30 }, () => http.request({ method: 'GET', url })));
    const sequential = (async () => {
      for (let i = 0; i < 10; i++) await sameKey.request({ method: 'GET', url });
    })();
    await Promise.all([burst, sequential]);
    expect(server.requests.length).toBeGreaterThan(40);
    expect(maxInAnyWindow(arrivals(), 100)).toBeLessThanOrEqual(6);
  });
});

describe('OutboundHttpClient: X-RateLimit-* headers', () => {
  it('pauses the next call until X-RateLimit-Interval-Milliseconds passes when X-RateLimit-Remaining is 0', async () => {
    let calls = 0;
    server.on('GET', '/contacts', () => {
      calls += 1;
      const remaining = calls === 1 ? '0' : '99';
      return {
        status: 200,
        body: {},
        headers: {
          'x-ratelimit-remaining': remaining,
          'x-ratelimit-max': '100',
          'x-ratelimit-interval-milliseconds': '300',
        },
      };
    });
    const http = client({ limit: 100, windowMs: 10_000 });
    await http.request({ method: 'GET', url: `${server.url}/contacts` });
    const seen = time.now();
    const state = http.rateLimit();
    expect(state.remaining).toBe(0);
    expect(Date.parse(state.resetAt ?? '')).toBe(seen + 300);
    await http.request({ method: 'GET', url: `${server.url}/contacts` });
    const [first, second] = arrivals();
    expect(second - first).toBe(300); // exactly the interval the provider asked for
    expect(http.rateLimit().remaining).toBe(99);
  });

  it('does not pause while calls remain, and reads X-RateLimit-Reset as seconds from now', async () => {
    server.on('GET', '/budget', () => ({
      status: 200,
      body: {},
      headers: { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '30' },
    }));
    const http = client({ limit: 100 });
    await http.request({ method: 'GET', url: `${server.url}/budget` });
    const sleptBefore = time.sleeps.length;
    await http.request({ method: 'GET', url: `${server.url}/budget` });
    const seen = time.now();
    const [first, second] = arrivals();
    expect(second - first).toBe(0);
    expect(time.sleeps).toHaveLength(sleptBefore); // no pause at all
    const { remaining, resetAt } = http.rateLimit();
    expect(remaining).toBe(5);
    expect(Date.parse(resetAt ?? '')).toBe(seen + 30_000);
  });

  it('reads X-RateLimit-Reset as an epoch time, and fails fast when that is further than maxRetryAfterMs', async () => {
    const reset = Math.floor(time.now() / 1000) + 3600;
    server.on('GET', '/daily', () => ({
      status: 200,
      body: {},
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    }));
    const http = client({ limit: 100 });
    await http.request({ method: 'GET', url: `${server.url}/daily` });
    expect(http.rateLimit()).toEqual({ remaining: 0, resetAt: new Date(reset * 1000).toISOString() });
    const err = await http.request({ method: 'GET', url: `${server.url}/daily` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect(err).toMatchObject({
      kind: 'rate_limited',
      message: expect.stringContaining('GET /daily: the provider asked to wait'),
    });
    expect((err as OutboundError).retryAfterMs).toBeGreaterThan(3_500_000);
    expect(server.count('GET', '/daily')).toBe(1);
  });

  it("stops calling until the next UTC day when GoHighLevel's daily budget is spent", async () => {
    server.on('GET', '/contacts', () => ({
      status: 200,
      body: {},
      headers: { 'x-ratelimit-remaining': '99', 'x-ratelimit-daily-remaining': '0' },
    }));
    const http = client({ limit: 100 });
    await http.request({ method: 'GET', url: `${server.url}/contacts` });
    const now = new Date(time.now());
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(http.rateLimit()).toEqual({ remaining: 0, resetAt: new Date(midnight).toISOString() });
    const err = await http.request({ method: 'GET', url: `${server.url}/contacts` }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rate_limited' });
    expect(server.count('GET', '/contacts')).toBe(1);
  });

  it('ignores a reset a Date cannot hold instead of failing the call', async () => {
    server.on('GET', '/odd', () => ({
      status: 200,
      body: { ok: true },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1e300' },
    }));
    const http = client({ limit: 100 });
    expect((await http.request({ method: 'GET', url: `${server.url}/odd` })).body).toEqual({ ok: true });
    expect(http.rateLimit()).toEqual({ remaining: 0, resetAt: null });
    await http.request({ method: 'GET', url: `${server.url}/odd` }); // and no pause for ever
    expect(server.count('GET', '/odd')).toBe(2);
  });

  it.each(['99999999', String(Math.floor(Date.now() / 1000) + 10 * 365 * 86_400)])(
    'ignores an X-RateLimit-Reset of %s (years away) instead of stopping every call until then',
    async (reset) => {
      server.on('GET', '/far', () => ({
        status: 200,
        body: { ok: true },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      }));
      const http = client({ limit: 100 });
      await http.request({ method: 'GET', url: `${server.url}/far` });
      expect(http.rateLimit()).toEqual({ remaining: 0, resetAt: null });
      expect((await http.request({ method: 'GET', url: `${server.url}/far` })).body).toEqual({ ok: true });
      expect(server.count('GET', '/far')).toBe(2);
    },
  );

  it("reports the limiter's own budget until the provider sends headers", async () => {
    server.on('GET', '/plain', () => ({ status: 200, body: {} }));
    const factory = new OutboundHttpFactory(time);
    const http = client({ limit: 7, windowMs: 60_000 }, factory, 'spec:plain');
    expect(http.rateLimit()).toEqual({ remaining: 7, resetAt: null });
    await http.request({ method: 'GET', url: `${server.url}/plain` });
    await http.request({ method: 'GET', url: `${server.url}/plain` });
    expect(http.rateLimit()).toEqual({ remaining: 5, resetAt: null });
    expect(factory.peek('spec:plain')).toEqual({ remaining: 5, resetAt: null });
    expect(factory.peek('spec:other')).toBeUndefined();
  });
});
