/**
 * Stops calling a provider that failed every recent call: after `threshold` consecutive failures the
 * circuit opens for `cooldownMs`; then one trial call is let through (half-open) and its result
 * closes or re-opens it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(threshold >= 1)) throw new Error('circuit breaker threshold must be at least 1');
    if (!(cooldownMs >= 0)) throw new Error('circuit breaker cooldown must not be negative');
  }

  /** Whether a call may go out now. */
  allow(): boolean {
    if (this.openedAt === null) return true;
    if (this.clock() - this.openedAt < this.cooldownMs || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.trialInFlight || this.failures >= this.threshold) this.openedAt = this.clock();
    this.trialInFlight = false;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === null) return 'closed';
    return this.clock() - this.openedAt < this.cooldownMs ? 'open' : 'half-open';
  }
}
