import { systemClock } from '../clock';

/** Ends a call's hold on its slot; the slot frees `windowMs` later. Idempotent. */
export type ReleaseSlot = () => void;

/** What the provider last said about its budget (X-RateLimit-* headers). */
export interface ObservedBudget {
  remaining: number;
  resetAt: number | null;
}

/**
 * An integration's outbound budget as the client uses it: in this process only
 * ({@link SlidingWindowLimiter}, for specs and one-off clients) or shared by every process of the
 * deployment through PostgreSQL (`SharedWindowLimiter`).
 */
export interface OutboundLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Resolves when a call may start, with the function that ends its hold on the slot. */
  acquire(): Promise<ReleaseSlot>;
  /** The provider said to wait (Retry-After, a spent window or daily budget): no call before then. */
  pauseUntil(epochMs: number): Promise<void>;
  /** How long calls are held back by such a pause (0 when none). */
  pausedForMs(): Promise<number>;
  /** Remembers what the provider said about its budget (for the integration's health). */
  observe(budget: ObservedBudget): Promise<void>;
  /** Calls left in the current window as this process last knew it (the shared state: the factory's `state`). */
  remaining(): number;
}

interface Slot {
  /** When the call finished; null while it is in flight. */
  end: number | null;
}

/**
 * At most `limit` calls in any window of `windowMs` (a sliding log). A token bucket would let a
 * full bucket plus a window's refill through in one window, which the providers' own counters
 * (GoHighLevel: 100 per 10 s) would refuse; this never exceeds the configured rate in any window.
 *
 * A slot is held from the call's start until `windowMs` after its release: the provider counts a
 * call when it arrives, somewhere between the two, and a call that was slow to get there (a new
 * connection, a busy event loop) must not let the next one arrive inside its window.
 */
export class SlidingWindowLimiter implements OutboundLimiter {
  private slots: Slot[] = [];
  private blockedUntil = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private observed: ObservedBudget | undefined;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: () => number = systemClock.now,
    private readonly sleep: (ms: number) => Promise<void> = systemClock.sleep,
  ) {
    if (limit < 1 || windowMs < 1) throw new Error('rate limit must be at least 1 call per window');
  }

  /**
   * Resolves when a call may start, with the function to call once it has finished (answered,
   * failed or timed out); until then the slot stays taken. Calls are admitted in arrival order.
   */
  acquire(): Promise<ReleaseSlot> {
    const turn = this.chain.then(() => this.waitForSlot());
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  /** The provider said to wait (Retry-After, or remaining = 0 until a reset). */
  pauseUntil(epochMs: number): Promise<void> {
    this.blockedUntil = Math.max(this.blockedUntil, epochMs);
    return Promise.resolve();
  }

  /** How long calls are held back by a pause the provider asked for (0 when none). */
  pausedForMs(): Promise<number> {
    return Promise.resolve(this.pausedForMsNow());
  }

  pausedForMsNow(): number {
    return Math.max(0, this.blockedUntil - this.clock());
  }

  observe(budget: ObservedBudget): Promise<void> {
    this.observed = budget;
    return Promise.resolve();
  }

  /** The budget as last seen in this process: the provider's count when it gave one, else our own. */
  state(): { remaining: number; resetAt: number | null } {
    const now = this.clock();
    if (this.blockedUntil > now) return { remaining: 0, resetAt: this.blockedUntil };
    if (this.observed && (this.observed.resetAt === null || this.observed.resetAt > now)) return this.observed;
    return { remaining: this.remaining(), resetAt: null };
  }

  /** Calls left in the current window. */
  remaining(): number {
    this.evict(this.clock());
    return this.limit - this.slots.length;
  }

  private async waitForSlot(): Promise<ReleaseSlot> {
    for (;;) {
      const now = this.clock();
      this.evict(now);
      let waitMs = this.blockedUntil - now;
      if (this.slots.length >= this.limit) waitMs = Math.max(waitMs, this.firstFreeAt() - now);
      if (waitMs <= 0) return this.take();
      if (waitMs === Infinity) await new Promise<void>((resolve) => (this.wake = resolve));
      else await this.sleep(waitMs);
    }
  }

  private take(): ReleaseSlot {
    const slot: Slot = { end: null };
    this.slots.push(slot);
    return () => {
      if (slot.end !== null) return;
      slot.end = this.clock();
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    };
  }

  /** When the earliest finished slot leaves the window; Infinity while every slot is in flight. */
  private firstFreeAt(): number {
    let first = Infinity;
    for (const slot of this.slots) if (slot.end !== null) first = Math.min(first, slot.end + this.windowMs);
    return first;
  }

  private evict(now: number): void {
    if (this.slots.some((s) => s.end !== null && s.end <= now - this.windowMs)) {
      this.slots = this.slots.filter((s) => s.end === null || s.end > now - this.windowMs);
    }
  }
}
