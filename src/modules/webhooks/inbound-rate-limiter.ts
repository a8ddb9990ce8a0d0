/**
 * Per-key request budgets for inbound webhooks (per source IP, per integration): a fixed one-minute
 * window per key, in process memory. Returns the seconds to wait when the budget is spent.
 */
export class InboundRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly limitPerMinute: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** null when allowed; otherwise the Retry-After in seconds. */
  hit(key: string): number | null {
    const now = this.clock();
    this.sweep(now);
    const window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      this.windows.set(key, { start: now, count: 1 });
      return null;
    }
    window.count += 1;
    if (window.count <= this.limitPerMinute) return null;
    return Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (now - window.start >= 60_000) this.windows.delete(key);
  }
}
