// A rate limit shared by every process of the deployment, its state in PostgreSQL (tables
// rate_limit_buckets/rate_limit_tokens and the rate_limit_* functions of migration
// `shared_rate_limits`, which explains the algorithm). At most `capacity` calls in ANY window of
// `windowMs`, as the provider counts them, and two lanes: `priority` (agent replies, single sends)
// and `bulk` (campaigns), which leaves `bulkReserve` tokens and yields to waiting priority callers.
//
//   const limits = new PgTokenBucket(pool);                 // a `pg` Pool (or anything with query())
//   const spec = { capacity: 80, windowMs: 1000 };          // WhatsApp: messagesPerSecond per number
//   await limits.withToken(`whatsapp:number:${phoneNumberId}`, spec, 'bulk', () => graph.send(...));
//   // or by hand: const token = await limits.acquire(key, spec, 'priority'); try { call } finally { await limits.release(token) }
//   await limits.pause(key, Date.now() + 1000);              // the provider said 130429 / Retry-After
//
// The call must end (or be aborted) within `maxHoldMs` of its start: a token whose holder died is
// given back after maxHoldMs + windowMs, so a longer call could overlap the next holder's window.
import type { QueryResultRow } from 'pg';
import { sleepAtLeast } from '../clock';

export type RateLimitLane = 'priority' | 'bulk';

export interface RateLimitSpec {
  /** Calls allowed in any window. */
  capacity: number;
  windowMs: number;
  /** Tokens the bulk lane leaves free for the priority lane (default 1). */
  bulkReserve?: number;
  /** How far ahead a caller may book the next token, so waiting overlaps the database round trip (default min(100, windowMs / 4)). */
  horizonMs?: number;
  /** Longest a call may hold its token (default 30 s; keep the HTTP timeout below it). */
  maxHoldMs?: number;
}

/** A token taken for one call. */
export interface RateLimitToken {
  key: string;
  slot: number;
  lease: string;
  /** Start the call no earlier than this many ms after the answer arrived. */
  waitMs: number;
}

export type TryAcquireResult = { tokens: RateLimitToken[] } | { retryInMs: number };

export interface BucketSnapshot {
  capacity: number;
  windowMs: number;
  /** Tokens that could be taken right now. */
  available: number;
  /** Tokens held by calls in progress. */
  held: number;
  pausedUntil: Date | null;
}

/** A `pg` Pool, PoolClient or Client. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface PgTokenBucketOptions {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Tests only: the time the database functions use instead of the server's clock. */
  now?: () => Date;
}

export class RateLimitAbortedError extends Error {
  constructor(key: string) {
    super(`waiting for a ${key} rate-limit token was aborted`);
    this.name = 'RateLimitAbortedError';
  }
}

const DEFAULT_MAX_HOLD_MS = 30_000;

/** Real time, never shorter than asked (a token's start time is a lower bound); keeps the process alive. */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepAtLeast(ms, { signal, ref: true });
}

function checkSpec(spec: RateLimitSpec): Required<RateLimitSpec> {
  const { capacity, windowMs } = spec;
  if (!Number.isInteger(capacity) || capacity < 1 || !Number.isInteger(windowMs) || windowMs < 1)
    throw new Error('a rate limit needs a positive integer capacity and window');
  return {
    capacity,
    windowMs,
    bulkReserve: Math.max(0, Math.min(capacity - 1, spec.bulkReserve ?? 1)),
    horizonMs: Math.max(0, Math.round(spec.horizonMs ?? Math.min(100, windowMs / 4))),
    maxHoldMs: Math.max(0, Math.round(spec.maxHoldMs ?? DEFAULT_MAX_HOLD_MS)),
  };
}

interface Waiter {
  spec: RateLimitSpec;
  signal?: AbortSignal;
  resolve(token: RateLimitToken): void;
  reject(error: unknown): void;
}

interface WaitQueue {
  waiters: Waiter[];
  pumping: boolean;
}

/** Most tokens one poll asks for. */
const MAX_BATCH = 100;

export class PgTokenBucket {
  private readonly sleep: NonNullable<PgTokenBucketOptions['sleep']>;
  private readonly queues = new Map<string, WaitQueue>();

  constructor(
    private readonly db: Queryable,
    private readonly options: PgTokenBucketOptions = {},
  ) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** One round trip: up to `count` tokens (each with its wait), or how long to wait before asking again. */
  async tryAcquire(key: string, spec: RateLimitSpec, lane: RateLimitLane, count = 1): Promise<TryAcquireResult> {
    const s = checkSpec(spec);
    const { rows } = await this.db.query<{
      slot: number | null;
      lease: string | null;
      wait_ms: number | null;
      retry_ms: number | null;
    }>('SELECT slot, lease, wait_ms, retry_ms FROM rate_limit_acquire($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      key,
      s.capacity,
      s.windowMs,
      count,
      lane === 'priority',
      s.bulkReserve,
      s.horizonMs,
      s.maxHoldMs,
      this.options.now?.() ?? null,
    ]);
    const tokens = rows
      .filter((r) => r.slot !== null && r.lease !== null)
      .map((r) => ({ key, slot: r.slot ?? 0, lease: r.lease ?? '', waitMs: r.wait_ms ?? 0 }));
    if (tokens.length > 0) return { tokens };
    return { retryInMs: Math.max(1, rows[0]?.retry_ms ?? s.windowMs) };
  }

  /**
   * Waits for a token and for its start time: when this resolves the call may go out. Release the
   * token when the call has ended (answered, failed or timed out), or use {@link withToken}.
   * Callers of one process waiting on the same key and lane share one polling loop, which asks for
   * as many tokens as there are waiters: the database sees one poller per process, not per caller.
   */
  async acquire(key: string, spec: RateLimitSpec, lane: RateLimitLane, signal?: AbortSignal): Promise<RateLimitToken> {
    const token = await this.book(key, spec, lane, signal);
    if (token.waitMs > 0) await this.sleep(token.waitMs, signal);
    if (signal?.aborted) {
      await this.release(token, false);
      throw new RateLimitAbortedError(key);
    }
    return token;
  }

  /**
   * A token as soon as one is booked, before its start time: the call may go out no earlier than
   * `waitMs` after this resolves. For callers with work to do before the call (a ledger write) that
   * should overlap the wait instead of lengthening the token's hold; they wait the rest themselves.
   */
  book(key: string, spec: RateLimitSpec, lane: RateLimitLane, signal?: AbortSignal): Promise<RateLimitToken> {
    checkSpec(spec);
    if (signal?.aborted) return Promise.reject(new RateLimitAbortedError(key));
    return new Promise<RateLimitToken>((resolve, reject) => {
      const id = `${lane}\u0000${key}`;
      const queue = this.queues.get(id) ?? { waiters: [], pumping: false };
      this.queues.set(id, queue);
      queue.waiters.push({ spec, signal, resolve, reject });
      if (!queue.pumping) {
        queue.pumping = true;
        // start on the next microtask, so that callers arriving in the same tick share the first query
        queueMicrotask(() => void this.pump(id, key, lane, queue));
      }
    });
  }

  /** The shared polling loop of one key and lane in this process. */
  private async pump(id: string, key: string, lane: RateLimitLane, queue: WaitQueue): Promise<void> {
    try {
      for (;;) {
        queue.waiters = queue.waiters.filter((w) => {
          if (w.signal?.aborted) w.reject(new RateLimitAbortedError(key));
          return !w.signal?.aborted;
        });
        if (queue.waiters.length === 0) break;
        let result: TryAcquireResult;
        try {
          result = await this.tryAcquire(key, queue.waiters[0].spec, lane, Math.min(queue.waiters.length, MAX_BATCH));
        } catch (err) {
          for (const waiter of queue.waiters.splice(0)) waiter.reject(err);
          break;
        }
        if ('retryInMs' in result) {
          await this.sleep(result.retryInMs);
          continue;
        }
        for (const token of result.tokens) {
          const waiter = queue.waiters.shift();
          if (waiter) waiter.resolve(token);
          else await this.release(token, false);
        }
      }
    } finally {
      queue.pumping = queue.waiters.length > 0;
      if (queue.pumping) queueMicrotask(() => void this.pump(id, key, lane, queue));
      else this.queues.delete(id);
    }
  }

  /**
   * Gives tokens back: `used` (the call went out) → free again a window after the call ended; unused
   * → free at once. `endedAt` (a `performance.now()` reading taken when the answer came) dates the end:
   * without it the end is when the release reaches the database, so a wait for a pool connection would
   * lengthen the token's hold and lower the rate the key achieves (capacity / (window + hold)).
   */
  async release(tokens: RateLimitToken | readonly RateLimitToken[], used = true, endedAt?: number): Promise<number> {
    const list = Array.isArray(tokens) ? (tokens as readonly RateLimitToken[]) : [tokens as RateLimitToken];
    if (list.length === 0) return 0;
    const released = new Map<string, RateLimitToken[]>();
    for (const token of list) released.set(token.key, [...(released.get(token.key) ?? []), token]);
    let count = 0;
    for (const [key, group] of released) {
      const endedAgoMs = endedAt === undefined ? 0 : Math.max(0, Math.floor(performance.now() - endedAt));
      const { rows } = await this.db.query<{ released: number }>(
        'SELECT rate_limit_release($1, $2::integer[], $3::uuid[], $4, $5, $6) AS released',
        [key, group.map((t) => t.slot), group.map((t) => t.lease), used, this.options.now?.() ?? null, endedAgoMs],
      );
      count += rows[0]?.released ?? 0;
    }
    return count;
  }

  /** Acquire, run the call, release (as used, whether it succeeded or threw). */
  async withToken<T>(
    key: string,
    spec: RateLimitSpec,
    lane: RateLimitLane,
    call: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const token = await this.acquire(key, spec, lane, signal);
    try {
      return await call();
    } finally {
      await this.release(token);
    }
  }

  /** No token for anyone on this key until then (the provider asked us to wait). */
  async pause(key: string, until: Date): Promise<void> {
    await this.db.query('SELECT rate_limit_pause($1, $2)', [key, until]);
  }

  /** The bucket as the database holds it (for health endpoints); null before its first use. */
  async snapshot(key: string): Promise<BucketSnapshot | null> {
    const { rows } = await this.db.query<{
      capacity: number;
      window_ms: number;
      paused_until: Date | null;
      available: string;
      held: string;
    }>(
      `SELECT b.capacity, b.window_ms, b.paused_until,
              count(*) FILTER (WHERE t.lease IS NULL AND t.free_at <= n.now) AS available,
              count(*) FILTER (WHERE t.lease IS NOT NULL) AS held
       FROM rate_limit_buckets b
       CROSS JOIN (SELECT COALESCE($2::timestamptz, statement_timestamp()) AS now) n
       LEFT JOIN rate_limit_tokens t ON t.key = b.key
       WHERE b.key = $1
       GROUP BY b.capacity, b.window_ms, b.paused_until`,
      [key, this.options.now?.() ?? null],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      capacity: row.capacity,
      windowMs: row.window_ms,
      available: Number(row.available),
      held: Number(row.held),
      pausedUntil: row.paused_until,
    };
  }
}
