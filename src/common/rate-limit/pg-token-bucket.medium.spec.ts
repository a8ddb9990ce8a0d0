// Medium tier: the shared rate limit against a real PostgreSQL (a fresh database per file). The
// rules are checked with an injected clock; one test runs real concurrent clients on separate pools
// (as separate processes would) and checks the cap in every one-second window and the throughput.
import { Pool } from 'pg';
import { createTestDatabase, TestDatabase, testPool } from '../../../test/support/database';
import { FakeWhatsAppGraph } from '../../../test/support/fakes/whatsapp-graph';
import { PgTokenBucket, RateLimitSpec, RateLimitToken, TryAcquireResult } from './pg-token-bucket';

const T0 = Date.parse('2026-05-01T12:00:00.000Z');

function tokensOf(result: TryAcquireResult): RateLimitToken[] {
  if (!('tokens' in result)) throw new Error(`expected tokens, got retry in ${result.retryInMs} ms`);
  return result.tokens;
}

function retryOf(result: TryAcquireResult): number {
  if (!('retryInMs' in result)) throw new Error(`expected no token, got ${result.tokens.length}`);
  return result.retryInMs;
}

describe('PgTokenBucket (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let clock = T0;
  let bucket: PgTokenBucket;
  let key: string;
  let keys = 0;
  const at = (ms: number) => (clock = T0 + ms);

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url, 4);
    bucket = new PgTokenBucket(pool, { now: () => new Date(clock) });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });
  beforeEach(() => {
    key = `test:${++keys}`;
    at(0);
  });

  describe('the rules, on an injected clock', () => {
    const spec: RateLimitSpec = { capacity: 3, windowMs: 1000, horizonMs: 0, bulkReserve: 0 };

    it('hands out capacity tokens, then gives each back a window after its call ends', async () => {
      const first = tokensOf(await bucket.tryAcquire(key, spec, 'priority', 3));
      expect(first.map((t) => t.waitMs)).toEqual([0, 0, 0]);
      expect(retryOf(await bucket.tryAcquire(key, spec, 'priority'))).toBeGreaterThan(0);
      at(10);
      expect(await bucket.release(first)).toBe(3);
      at(1009);
      expect(retryOf(await bucket.tryAcquire(key, spec, 'priority'))).toBe(1);
      at(1010);
      expect(tokensOf(await bucket.tryAcquire(key, spec, 'priority', 5))).toHaveLength(3);
    });

    it('dates the window from when the call ended, not from when the release reached the database', async () => {
      const [token] = tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'));
      at(500);
      // the answer came 300 ms ago (the release waited for a connection meanwhile): free from 1,200, not 1,500
      expect(await bucket.release(token, true, performance.now() - 300)).toBe(1);
      at(1150);
      expect(retryOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'))).toBeGreaterThan(0);
      at(1201);
      const [late] = tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'));
      // never before the token's own start (1,201): an end dated before it counts from the start
      expect(await bucket.release(late, true, performance.now() - 60_000)).toBe(1);
      at(2200);
      expect(retryOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'))).toBeGreaterThan(0);
      at(2201);
      expect(tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'))).toHaveLength(1);
    });

    it('books a token that frees within the horizon, with the wait before the call may start', async () => {
      await bucket.release(tokensOf(await bucket.tryAcquire(key, spec, 'priority', 3)));
      at(950);
      const [early] = tokensOf(await bucket.tryAcquire(key, { ...spec, horizonMs: 100 }, 'priority'));
      expect(early.waitMs).toBe(50);
      expect(retryOf(await bucket.tryAcquire(key, { ...spec, horizonMs: 10 }, 'priority'))).toBe(40);
    });

    it("gives a dead holder's token back after maxHold plus a window", async () => {
      const held = { ...spec, capacity: 1, maxHoldMs: 5000 };
      tokensOf(await bucket.tryAcquire(key, held, 'priority'));
      at(5999);
      expect(retryOf(await bucket.tryAcquire(key, held, 'priority'))).toBeGreaterThan(0);
      at(6000);
      expect(tokensOf(await bucket.tryAcquire(key, held, 'priority'))).toHaveLength(1);
    });

    it('returns an unused token at once, and ignores a release whose lease was taken over', async () => {
      const one = { ...spec, capacity: 1, maxHoldMs: 0 };
      const [token] = tokensOf(await bucket.tryAcquire(key, one, 'priority'));
      expect(await bucket.release(token, false)).toBe(1);
      const [again] = tokensOf(await bucket.tryAcquire(key, one, 'priority'));
      at(1000); // maxHold 0: the lease lapsed a window after its start
      const [taken] = tokensOf(await bucket.tryAcquire(key, one, 'priority'));
      expect(await bucket.release(again)).toBe(0);
      expect(await bucket.release(taken)).toBe(1);
    });

    it('lets the bulk lane take tokens only beyond its reserve; the priority lane takes the reserve', async () => {
      const reserved = { ...spec, bulkReserve: 1 };
      expect(tokensOf(await bucket.tryAcquire(key, reserved, 'bulk', 5))).toHaveLength(2);
      expect(retryOf(await bucket.tryAcquire(key, reserved, 'bulk'))).toBeGreaterThan(0);
      expect(tokensOf(await bucket.tryAcquire(key, reserved, 'priority'))).toHaveLength(1);
    });

    it('keeps the bulk lane off the next tokens while a priority caller waits for one', async () => {
      const all = tokensOf(await bucket.tryAcquire(key, spec, 'bulk', 3));
      await bucket.release(all);
      at(500);
      const wait = retryOf(await bucket.tryAcquire(key, spec, 'priority'));
      expect(wait).toBe(500);
      at(1000); // tokens are back, but the priority caller has not polled yet
      expect(retryOf(await bucket.tryAcquire(key, spec, 'bulk'))).toBe(50);
      expect(tokensOf(await bucket.tryAcquire(key, spec, 'priority'))).toHaveLength(1);
      at(1050);
      expect(tokensOf(await bucket.tryAcquire(key, spec, 'bulk', 5))).toHaveLength(2);
    });

    it('pauses every lane until the time the provider asked for', async () => {
      tokensOf(await bucket.tryAcquire(key, spec, 'bulk'));
      await bucket.pause(key, new Date(T0 + 700));
      at(200);
      expect(retryOf(await bucket.tryAcquire(key, spec, 'priority'))).toBe(500);
      await bucket.pause(key, new Date(T0 + 300)); // an earlier pause does not shorten it
      expect(retryOf(await bucket.tryAcquire(key, spec, 'bulk'))).toBe(500);
      at(700);
      expect(tokensOf(await bucket.tryAcquire(key, spec, 'bulk'))).toHaveLength(1);
    });

    it('follows a capacity change; shrinking holds the rest back for the window in progress', async () => {
      await bucket.release(tokensOf(await bucket.tryAcquire(key, spec, 'priority', 2)));
      // 2 of 3 used now; shrink to 2: the free third token must not add a third call in this window
      expect(retryOf(await bucket.tryAcquire(key, { ...spec, capacity: 2 }, 'priority'))).toBe(1000);
      at(1000);
      expect(tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 2 }, 'priority', 5))).toHaveLength(2);
      expect(tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 4 }, 'priority', 5))).toHaveLength(2);
      expect(await bucket.snapshot(key)).toEqual({
        capacity: 4,
        windowMs: 1000,
        available: 0,
        held: 4,
        pausedUntil: null,
      });
    });

    it('keeps keys apart and refuses a nonsensical spec', async () => {
      tokensOf(await bucket.tryAcquire(key, { ...spec, capacity: 1 }, 'priority'));
      tokensOf(await bucket.tryAcquire(`${key}:other`, { ...spec, capacity: 1 }, 'priority'));
      expect(await bucket.snapshot('never-used')).toBeNull();
      await expect(bucket.tryAcquire(key, { capacity: 0, windowMs: 1000 }, 'bulk')).rejects.toThrow(/positive/);
    });

    it('serves the waiters of one process with one query for as many tokens as they need', async () => {
      const queries: string[] = [];
      const counting = new PgTokenBucket(
        { query: (text: string, values?: unknown[]) => (queries.push(text), pool.query(text, values)) },
        { now: () => new Date(clock) },
      );
      const tokens = await Promise.all([1, 2, 3].map(() => counting.acquire(key, spec, 'bulk')));
      expect(new Set(tokens.map((t) => t.slot)).size).toBe(3);
      expect(queries.filter((q) => q.includes('rate_limit_acquire'))).toHaveLength(1);
    });

    it('aborts a wait and gives an unused token back', async () => {
      const sleeps: number[] = [];
      const controller = new AbortController();
      const waiting = new PgTokenBucket(pool, {
        now: () => new Date(clock),
        sleep: async (ms) => {
          sleeps.push(ms);
          controller.abort();
        },
      });
      await bucket.release(tokensOf(await bucket.tryAcquire(key, spec, 'priority', 3)));
      at(990);
      await expect(waiting.acquire(key, { ...spec, horizonMs: 50 }, 'priority', controller.signal)).rejects.toThrow(
        /aborted/,
      );
      expect(sleeps).toEqual([10]);
      expect(tokensOf(await bucket.tryAcquire(key, { ...spec, horizonMs: 50 }, 'priority'))[0].waitMs).toBe(10);
    });
  });

  describe('several processes at once, on the real clock', () => {
    const RATE = 80;
    const WINDOW_MS = 1000;
    const RUN_MS = 4000;
    /**
     * The bucket schedules on PostgreSQL's clock (clock_timestamp(), the wall clock) and this test times the
     * calls on Node's monotonic clock: when the two move apart during a run the caller-side measurement is off
     * by that much (CI once saw 84 calls in a window with the closest reuse of a token at 996.29 ms, while the
     * fake Graph of the next test counted at most 80). Calls closer than a window less this slack count as
     * one window; a real defect (a token handed out twice, a reuse before its window) is far beyond it, and an
     * early timer is sleepAtLeast's own unit spec.
     */
    const CLOCK_SLACK_MS = 5;

    it(`never passes ${RATE} calls in any one-second window and reaches most of the rate`, async () => {
      // three "processes" (separate pools), four concurrent senders each, plus one priority sender
      const pools = [0, 1, 2].map(() => testPool(db.url, 4));
      const clients = pools.map((p) => new PgTokenBucket(p));
      const spec: RateLimitSpec = { capacity: RATE, windowMs: WINDOW_MS };
      const sharedKey = `whatsapp:number:${key}`;
      const calls: Array<{ at: number; lane: string; slot: number }> = [];
      const now = () => performance.timeOrigin + performance.now();
      let stopAt = Infinity;
      const sender = async (client: PgTokenBucket, lane: 'bulk' | 'priority', pauseMs = 0) => {
        while (calls.length === 0 || now() < stopAt) {
          const token = await client.acquire(sharedKey, spec, lane);
          const sentAt = now(); // the call "reaches the provider" after the wait and before the release
          if (calls.length === 0) stopAt = sentAt + RUN_MS;
          calls.push({ at: sentAt, lane, slot: token.slot });
          await client.release(token);
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        }
      };
      try {
        await Promise.all([
          ...clients.flatMap((client) => [0, 1, 2, 3].map(() => sender(client, 'bulk'))),
          sender(clients[0], 'priority', 150),
        ]);
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
      const times = calls.map((c) => c.at).sort((a, b) => a - b);
      let busiest = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[j] <= times[i] - (WINDOW_MS - CLOCK_SLACK_MS)) j++;
        busiest = Math.max(busiest, i - j + 1); // calls in the window that ends at times[i]
      }
      // the same token is never used again within a window of its last use (a millisecond less would
      // let 81 calls into one second, as a timer firing early once did on Node 24)
      const lastUse = new Map<number, number>();
      let closestReuse = Infinity;
      for (const call of [...calls].sort((a, b) => a.at - b.at)) {
        const last = lastUse.get(call.slot);
        if (last !== undefined) closestReuse = Math.min(closestReuse, call.at - last);
        lastUse.set(call.slot, call.at);
      }
      const inRun = times.filter((t) => t < times[0] + RUN_MS).length;
      const achieved = inRun / (RUN_MS / WINDOW_MS);
      console.log(
        `shared bucket: ${inRun} calls in ${RUN_MS} ms (${achieved.toFixed(1)}/s of ${RATE}), busiest window ${busiest}, ` +
          `priority calls ${calls.filter((c) => c.lane === 'priority').length}, closest reuse of a token ${closestReuse.toFixed(2)} ms`,
      );
      expect(busiest).toBeLessThanOrEqual(RATE);
      expect(closestReuse).toBeGreaterThanOrEqual(WINDOW_MS - CLOCK_SLACK_MS);
      // the 95 % target is bench/whatsapp-bulk's, on a quiet machine; here the bound only proves the bucket
      // does not hold calls back it could pass (a starved two-core CI machine reaches ~85–90 %)
      expect(achieved).toBeGreaterThanOrEqual(0.75 * RATE);
      expect(calls.some((c) => c.lane === 'priority')).toBe(true);
    });

    it('keeps a fake WhatsApp number that enforces 80/s from ever answering 130429, with no duplicate', async () => {
      const fake = await FakeWhatsAppGraph.start({ accessToken: 'token', messagesPerSecond: RATE });
      // enough senders that the bucket, not the senders' round trips, sets the pace on a busy machine
      const pools = [0, 1, 2].map(() => testPool(db.url, 5));
      const clients = pools.map((p) => new PgTokenBucket(p));
      const spec: RateLimitSpec = { capacity: RATE, windowMs: WINDOW_MS };
      const sharedKey = `whatsapp:number:fake:${key}`;
      const deadline = Date.now() + 3000;
      let next = 0;
      const sender = async (client: PgTokenBucket) => {
        while (Date.now() < deadline) {
          const to = `1650${String(5_000_000 + next++)}`;
          await client.withToken(sharedKey, spec, 'bulk', async () => {
            const res = await fetch(`${fake.url}/106540352242922/messages`, {
              method: 'POST',
              headers: { authorization: 'Bearer token', 'content-type': 'application/json' },
              body: JSON.stringify({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'hi' } }),
            });
            await res.arrayBuffer();
          });
        }
      };
      try {
        await Promise.all(clients.flatMap((client) => Array.from({ length: 10 }, () => sender(client))));
      } finally {
        await Promise.all(pools.map((p) => p.end()));
        await fake.close();
      }
      const histogram = fake.perSecond();
      console.log(
        `fake Graph saw per second: ${histogram.join(' ')}; busiest window ${fake.maxInAnyWindow(WINDOW_MS)}`,
      );
      expect(fake.sends.filter((s) => s.outcome !== 'accepted')).toEqual([]);
      expect(fake.maxInAnyWindow(WINDOW_MS)).toBeLessThanOrEqual(RATE);
      expect(fake.duplicates()).toEqual([]);
      // No throughput assertion here: a token comes back a window after its call ends, so each HTTP
      // call costs windowMs + its latency, and on a loaded machine that latency is the machine's, not the
      // limiter's (the test above shows the limiter alone reaching the full rate). Printed for the record.
      expect(histogram.length).toBeGreaterThanOrEqual(3);
    });
  });
});
