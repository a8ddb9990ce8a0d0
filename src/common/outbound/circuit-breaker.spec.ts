import { randomUUID } from 'node:crypto';
import { FakeServer } from '../../../test/support/fake-server';
import { SteppingClock } from '../../../test/support/virtual-clock';
import { CircuitBreaker } from './circuit-breaker';
import { OutboundError, OutboundHttpClient, OutboundRequest } from './http-client';
import { ClientOptions, OutboundHttpFactory } from './outbound-http.factory';

describe('CircuitBreaker', () => {
  const setup = (threshold = 3, cooldownMs = 1000) => {
    const time = { now: 0 };
    return { time, breaker: new CircuitBreaker(threshold, cooldownMs, () => time.now) };
  };

  it('opens after `threshold` consecutive failures, and a success in between starts the count again', () => {
    const { breaker } = setup(3);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
  });

  it('lets exactly one trial through after the cooldown, and closes when it succeeds', () => {
    const { time, breaker } = setup(2, 1000);
    breaker.failure();
    breaker.failure();
    time.now = 999;
    expect(breaker.allow()).toBe(false);
    time.now = 1000;
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false); // the trial is in flight
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    breaker.failure(); // and the count starts from zero
    expect(breaker.state).toBe('closed');
  });

  it('re-opens for a whole cooldown when the trial fails', () => {
    const { time, breaker } = setup(2, 1000);
    breaker.failure();
    breaker.failure();
    time.now = 1500;
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    time.now = 2499;
    expect(breaker.allow()).toBe(false);
    time.now = 2500;
    expect(breaker.allow()).toBe(true);
  });

  it('refuses a threshold or cooldown that cannot work', () => {
    expect(() => new CircuitBreaker(0)).toThrow('circuit breaker threshold must be at least 1');
    expect(() => new CircuitBreaker(1, -1)).toThrow('circuit breaker cooldown must not be negative');
  });
});

describe('OutboundHttpClient behind the circuit breaker', () => {
  // the cooldown passes on virtual time: `wait` moves the clock instead of sleeping
  const time = new SteppingClock();
  let server: FakeServer;
  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  const COOLDOWN = 150;
  const client = (
    options: Partial<ClientOptions> = {},
    key = `spec:${randomUUID()}`,
    factory = new OutboundHttpFactory(time),
  ): OutboundHttpClient =>
    factory.forKey(key, {
      limit: 1000,
      timeoutMs: 1000,
      circuit: { threshold: 3, cooldownMs: COOLDOWN },
      ...options,
      retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000, ...options.retry },
    });
  const get = (path: string): OutboundRequest => ({ method: 'GET', url: `${server.url}${path}` });
  const outcome = (promise: Promise<unknown>): Promise<string> =>
    promise.then(
      () => 'ok',
      (err: unknown) => {
        if (err instanceof OutboundError) return err.kind;
        throw err;
      },
    );
  const failure = (promise: Promise<unknown>): Promise<OutboundError> =>
    promise.then(
      () => {
        throw new Error('expected the request to fail');
      },
      (err: unknown) => {
        if (err instanceof OutboundError) return err;
        throw err;
      },
    );
  const wait = async (ms: number): Promise<void> => time.advance(ms);

  it("fails fast with 'circuit_open' after `threshold` server errors, without reaching the provider", async () => {
    server.on('GET', '/down', () => ({ status: 503, body: { error: { message: 'Service Unavailable' } } }));
    const http = client();
    for (let i = 0; i < 3; i++) expect(await outcome(http.request(get('/down')))).toBe('server');
    const err = await failure(http.request(get('/down')));
    expect(err).toMatchObject({
      kind: 'circuit_open',
      message: 'GET /down: provider unavailable (circuit open after repeated failures)',
    });
    expect(err.transient).toBe(true);
    expect(await outcome(http.request(get('/other')))).toBe('circuit_open'); // the whole provider, not one path
    expect(server.requests).toHaveLength(3);
  });

  it('lets exactly one trial through after the cooldown, and its success closes the circuit', async () => {
    let healthy = false;
    server.on('GET', '/svc', () => (healthy ? { status: 200, body: {}, delayMs: 40 } : { status: 500, body: {} }));
    const http = client();
    for (let i = 0; i < 3; i++) await outcome(http.request(get('/svc')));
    healthy = true;
    expect(await outcome(http.request(get('/svc')))).toBe('circuit_open');
    expect(server.requests).toHaveLength(3);
    await wait(COOLDOWN + 10);
    // five calls at once in half-open: one trial goes out (slowly), the others are refused meanwhile
    const results = await Promise.all(Array.from({ length: 5 }, () => outcome(http.request(get('/svc')))));
    expect(results.sort()).toEqual(['circuit_open', 'circuit_open', 'circuit_open', 'circuit_open', 'ok']);
    expect(server.requests).toHaveLength(4);
    // closed again: everything goes through
    expect(await Promise.all(Array.from({ length: 3 }, () => outcome(http.request(get('/svc')))))).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    expect(server.requests).toHaveLength(7);
  });

  it('re-opens for another cooldown when the trial fails', async () => {
    server.on('GET', '/down', () => ({ status: 502, body: 'Bad Gateway' }));
    const http = client();
    for (let i = 0; i < 3; i++) await outcome(http.request(get('/down')));
    await wait(COOLDOWN + 10);
    expect(await outcome(http.request(get('/down')))).toBe('server'); // the trial
    expect(await outcome(http.request(get('/down')))).toBe('circuit_open');
    expect(server.requests).toHaveLength(4);
    await wait(COOLDOWN + 10);
    expect(await outcome(http.request(get('/down')))).toBe('server');
    expect(server.requests).toHaveLength(5);
  });

  it('keeps the half-open trial for a call that is sent, not one refused before sending', async () => {
    let healthy = false;
    server.on('POST', '/svc', () => (healthy ? { status: 200, body: {} } : { status: 500, body: {} }));
    const http = client();
    const post = (body: unknown): OutboundRequest => ({ method: 'POST', url: `${server.url}/svc`, body });
    for (let i = 0; i < 3; i++) await outcome(http.request(post({})));
    healthy = true;
    await wait(COOLDOWN + 10);
    await expect(http.request(post({ n: BigInt(1) }))).rejects.toThrow(TypeError); // cannot be serialized
    await expect(http.request({ ...post(undefined), form: { a: 'b' }, body: {} })).rejects.toThrow('not both');
    expect(await outcome(http.request(post({})))).toBe('ok');
    expect(server.requests).toHaveLength(4);
  });

  it('stops retrying a call once the failures open the circuit during its retries', async () => {
    server.on('GET', '/down', () => ({ status: 500, body: {} }));
    const http = client({ retry: { maxRetries: 5 } });
    const err = await failure(http.request(get('/down')));
    expect(err).toMatchObject({ kind: 'circuit_open', status: 500 });
    expect(server.requests).toHaveLength(3);
  });

  it('counts timeouts and refused connections as failures', async () => {
    server.on('GET', '/slow', () => ({ status: 200, body: {}, delayMs: 200 }));
    const slow = client({ timeoutMs: 30 });
    for (let i = 0; i < 3; i++) expect(await outcome(slow.request(get('/slow')))).toBe('timeout');
    expect(await outcome(slow.request(get('/slow')))).toBe('circuit_open');
    expect(server.count('GET', '/slow')).toBe(3);

    const refused = client();
    for (let i = 0; i < 3; i++)
      expect(await outcome(refused.request({ method: 'GET', url: 'http://127.0.0.1:9/x' }))).toBe('network');
    expect(await outcome(refused.request({ method: 'GET', url: 'http://127.0.0.1:9/x' }))).toBe('circuit_open');
  });

  it('does not count answers that prove the provider is up (4xx, 401/403, 429), and they reset the count', async () => {
    const statuses = [500, 500, 400, 500, 500, 401, 500, 500, 429, 500, 500, 404];
    let i = 0;
    server.on('GET', '/mixed', () => ({ status: statuses[i++], body: {} }));
    const http = client();
    const kinds: string[] = [];
    for (let n = 0; n < statuses.length; n++) kinds.push(await outcome(http.request(get('/mixed'))));
    expect(kinds).not.toContain('circuit_open');
    expect(server.requests).toHaveLength(statuses.length);
  });

  it('shares one breaker between the clients of a key, and opens after 5 failures by default', async () => {
    server.on('GET', '/down', () => ({ status: 503, body: {} }));
    const factory = new OutboundHttpFactory(time);
    const retry = { maxRetries: 0 };
    const a = factory.forKey('spec:shared', { limit: 10, retry });
    const b = factory.forKey('spec:shared', { limit: 20, windowMs: 1000, retry });
    expect(a).not.toBe(b);
    for (let n = 0; n < 5; n++) expect(await outcome((n % 2 ? a : b).request(get('/down')))).toBe('server');
    expect(await outcome(a.request(get('/down')))).toBe('circuit_open');
    expect(await outcome(b.request(get('/down')))).toBe('circuit_open');
    expect(server.requests).toHaveLength(5);
  });
});
