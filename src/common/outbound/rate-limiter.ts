/**
 * At most `limit` calls in any window of `windowMs` (a sliding log). A token bucket would let a
 * full bucket plus a window's refill through in one window, which the providers' own counters
 * (GoHighLevel: 100 per 10 s) would refuse; this never exceeds the configured rate in any window.
 */
export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private blockedUntil = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (limit < 1 || windowMs < 1) throw new Error('rate limit must be at least 1 call per window');
  }

  /** Resolves when a call may start; calls are admitted in arrival order. */
  acquire(): Promise<void> {
    const turn = this.chain.then(() => this.waitForSlot());
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  /** The provider said to wait (Retry-After, or remaining = 0 until a reset). */
  pauseUntil(epochMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, epochMs);
  }

  /** Calls left in the current window. */
  remaining(): number {
    this.evict(this.clock());
    return this.limit - this.stamps.length;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.evict(now);
      let waitMs = this.blockedUntil - now;
      if (this.stamps.length >= this.limit) waitMs = Math.max(waitMs, this.stamps[0] + this.windowMs - now);
      if (waitMs <= 0) {
        this.stamps.push(now);
        return;
      }
      await this.sleep(waitMs);
    }
  }

  private evict(now: number): void {
    while (this.stamps.length > 0 && this.stamps[0] <= now - this.windowMs) this.stamps.shift();
  }
}
