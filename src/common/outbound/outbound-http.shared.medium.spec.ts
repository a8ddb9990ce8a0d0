// Medium tier: an integration's outbound budget shared by several processes through PostgreSQL.
// Each "process" is a factory on its own pool; the fake provider stamps arrivals, and the cap must
// hold in every window between all of them, and a pause or a spent budget one of them hears of must
// hold the others back.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createTestDatabase, TestDatabase, testPool } from '../../../test/support/database';
import { FakeServer } from '../../../test/support/fake-server';
import { systemClock } from '../clock';
import { OutboundError } from './http-client';
import { OutboundBudgetRepository } from './outbound-budget.repository';
import { ClientOptions, OutboundHttpFactory } from './outbound-http.factory';

/** The most arrivals in one window [t, t + windowMs), over every t that is an arrival. */
function maxInAnyWindow(stamps: number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}

describe('OutboundHttpFactory with the shared budget (PostgreSQL)', () => {
  let db: TestDatabase;
  let server: FakeServer;
  const pools: Pool[] = [];
  let key: string;

  /** A "process": its own pool and factory, as separate API and worker processes have. */
  const processOf = (): OutboundHttpFactory => {
    const pool = testPool(db.url, 3);
    pools.push(pool);
    return new OutboundHttpFactory(systemClock, new OutboundBudgetRepository(pool));
  };
  const options = (extra: Partial<ClientOptions> = {}): ClientOptions => ({
    limit: 5,
    windowMs: 500,
    timeoutMs: 2000,
    retry: { maxRetries: 0, maxRetryAfterMs: 2000 },
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await FakeServer.start();
  });
  beforeEach(() => {
    key = `integration:${randomUUID()}`;
    server.reset();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await server.close();
    await db.drop();
  });

  it('never lets the provider see more than the limit in any window, between three processes', async () => {
    server.on('GET', '/items', () => ({ status: 200, body: { ok: true }, delayMs: 20 }));
    const clients = [processOf(), processOf(), processOf()].map((f) => f.forKey(key, options()));
    await Promise.all(
      clients.flatMap((http, p) =>
        Array.from({ length: 8 }, (_, i) =>
          http.request({ method: 'GET', url: `${server.url}/items`, query: { p, i } }),
        ),
      ),
    );
    const arrivals = server.requests.map((r) => r.at);
    expect(arrivals).toHaveLength(24);
    // each process alone would allow 5 per window, 15 between three: the shared budget allows 5
    expect(maxInAnyWindow(arrivals, 500)).toBeLessThanOrEqual(5);
  });

  it("holds every process back when one hears Retry-After, and reports the pause in every process's state", async () => {
    server.on('GET', '/busy', () => ({
      status: 429,
      body: { message: 'slow down' },
      headers: { 'retry-after': '3600' },
    }));
    const [a, b] = [processOf(), processOf()];
    const first = await a
      .forKey(key, options())
      .request({ method: 'GET', url: `${server.url}/busy` })
      .catch((e: unknown) => e);
    expect(first).toMatchObject({ kind: 'rate_limited', status: 429 });
    const second = await b
      .forKey(key, options())
      .request({ method: 'GET', url: `${server.url}/busy` })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(OutboundError);
    expect(second).toMatchObject({ kind: 'rate_limited', message: expect.stringContaining('asked to wait') });
    expect(server.count('GET', '/busy')).toBe(1); // the second process never called
    const state = await b.state(key);
    expect(state?.remaining).toBe(0);
    expect(Date.parse(state?.resetAt ?? '')).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it("shares GoHighLevel's spent daily budget, and the provider's remaining count, with every process", async () => {
    let daily = '50';
    server.on('GET', '/contacts', () => ({
      status: 200,
      body: {},
      headers: { 'x-ratelimit-remaining': '42', 'x-ratelimit-daily-remaining': daily },
    }));
    const [a, b, health] = [processOf(), processOf(), processOf()];
    expect(await health.state(key)).toBeUndefined(); // no call yet
    await a.forKey(key, options()).request({ method: 'GET', url: `${server.url}/contacts` });
    expect(await health.state(key)).toEqual({ remaining: 42, resetAt: null });

    daily = '0';
    await a.forKey(key, options()).request({ method: 'GET', url: `${server.url}/contacts` });
    const refused = await b
      .forKey(key, options())
      .request({ method: 'GET', url: `${server.url}/contacts` })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'rate_limited' });
    expect(server.count('GET', '/contacts')).toBe(2);
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(await health.state(key)).toEqual({ remaining: 0, resetAt: new Date(midnight).toISOString() });
  });

  it("keeps a 'local' client's limit in its own process, with no shared state in the database", async () => {
    server.on('GET', '/local', () => ({ status: 200, body: {} }));
    const [a, health] = [processOf(), processOf()];
    const http = a.forKey(key, options({ scope: 'local' }));
    const started = Date.now();
    await Promise.all(Array.from({ length: 7 }, () => http.request({ method: 'GET', url: `${server.url}/local` })));
    // 5 per 500 ms in this process: the last two waited for the window
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(
      maxInAnyWindow(
        server.requests.map((r) => r.at),
        500,
      ),
    ).toBeLessThanOrEqual(5);
    const sql = testPool(db.url, 1);
    pools.push(sql);
    const rows = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limit_buckets WHERE key = $1', [
      `outbound:${key}`,
    ]);
    expect(rows.rows[0].n).toBe(0);
    expect(await health.state(key)).toBeUndefined();
  });

  it('reports the tokens free now, and when the budget is whole again, when the provider sends no budget headers', async () => {
    server.on('GET', '/plain', () => ({ status: 200, body: {} }));
    const [a, health] = [processOf(), processOf()];
    const http = a.forKey(key, options({ windowMs: 60_000 }));
    const before = Date.now();
    await http.request({ method: 'GET', url: `${server.url}/plain` });
    await http.request({ method: 'GET', url: `${server.url}/plain` });
    const after = Date.now();
    // the budget is whole again a window after the second call (audit 10: resetAt was null while 3 of 5 were left)
    const state = await health.state(key);
    expect(state?.remaining).toBe(3);
    const resetAt = Date.parse(state?.resetAt ?? '');
    expect(resetAt).toBeGreaterThanOrEqual(before + 60_000 - 1000);
    expect(resetAt).toBeLessThanOrEqual(after + 60_000 + 1000);
  });
});
