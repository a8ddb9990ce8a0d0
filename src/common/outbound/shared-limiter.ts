import { PgTokenBucket, RateLimitSpec } from '../rate-limit/pg-token-bucket';
import type { OutboundBudgetRepository } from './outbound-budget.repository';
import type { ObservedBudget, OutboundLimiter, ReleaseSlot } from './rate-limiter';

/** How long past its timeout a call may hold its token before a dead holder's token is given back. */
const HOLD_MARGIN_MS = 5_000;

/**
 * An outbound budget shared by every process of the deployment (issue 14): at most `limit` calls in
 * any window of `windowMs` between all of them, with the state in PostgreSQL (PgTokenBucket: a
 * call holds its token from its start until a window after it ends, so the provider, which counts a
 * call somewhere in between, never sees more than `limit` in a window). A pause the provider asked
 * for (Retry-After, a spent window or daily budget) holds back every process too.
 */
export class SharedWindowLimiter implements OutboundLimiter {
  private readonly spec: RateLimitSpec;
  private lastRemaining: number;

  constructor(
    private readonly key: string,
    readonly limit: number,
    readonly windowMs: number,
    timeoutMs: number,
    private readonly bucket: PgTokenBucket,
    private readonly budgets: OutboundBudgetRepository,
    private readonly onError: (err: unknown) => void,
  ) {
    if (limit < 1 || windowMs < 1) throw new Error('rate limit must be at least 1 call per window');
    // one lane: every call of an integration weighs the same, so nothing is held in reserve
    this.spec = { capacity: limit, windowMs, bulkReserve: 0, maxHoldMs: timeoutMs + HOLD_MARGIN_MS };
    this.lastRemaining = limit;
  }

  async acquire(): Promise<ReleaseSlot> {
    const token = await this.bucket.acquire(this.key, this.spec, 'priority');
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // a failed release costs capacity, never the limit: the token comes back after maxHold + window
      void this.bucket.release(token).catch(this.onError);
    };
  }

  async pauseUntil(epochMs: number): Promise<void> {
    await this.bucket.pause(this.key, new Date(epochMs));
  }

  pausedForMs(): Promise<number> {
    return this.budgets.pausedForMs(this.key);
  }

  async observe(budget: ObservedBudget): Promise<void> {
    this.lastRemaining = budget.remaining;
    await this.budgets.observe(this.key, budget.remaining, budget.resetAt === null ? null : new Date(budget.resetAt));
  }

  remaining(): number {
    return this.lastRemaining;
  }
}
