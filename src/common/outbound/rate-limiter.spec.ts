import { ReleaseSlot, SlidingWindowLimiter } from './rate-limiter';

/** Time that only moves when the test says so: sleeps wait for `run`/`advance` instead of the wall clock. */
class VirtualTime {
  now = 1_000_000;
  readonly sleeps: number[] = [];
  private timers: Array<{ at: number; fire: () => void }> = [];

  readonly clock = (): number => this.now;
  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise((fire) => this.timers.push({ at: this.now + ms, fire }));
  };

  /** Fires timers in order up to `now + ms`, letting every promise settle in between. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      await settle();
      const next = this.timers.sort((a, b) => a.at - b.at)[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.at);
      next.fire();
    }
    this.now = until;
    await settle();
  }

  /** Until nothing is sleeping any more. */
  async run(): Promise<void> {
    await settle();
    while (this.timers.length > 0)
      await this.advance(Math.max(0, Math.min(...this.timers.map((t) => t.at)) - this.now));
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The most stamps that fall in one window [t, t + windowMs), over every t that is a stamp (where maxima start). */
function maxInAnyWindow(stamps: number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}

/** Deterministic "random" numbers, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function setup(limit: number, windowMs: number) {
  const time = new VirtualTime();
  const limiter = new SlidingWindowLimiter(limit, windowMs, time.clock, time.sleep);
  const stamps: number[] = [];
  const order: number[] = [];
  /** One call that finishes at once (or is held until `hold` resolves). */
  const call = (id: number, hold?: (release: ReleaseSlot) => void): Promise<void> =>
    limiter.acquire().then((release) => {
      stamps.push(time.now);
      order.push(id);
      if (hold) hold(release);
      else release();
    });
  return { time, limiter, stamps, order, call };
}

describe('SlidingWindowLimiter', () => {
  it('admits 250 concurrent calls at most 20 per 200 ms in every sliding window, saturating it, in arrival order', async () => {
    const { time, stamps, order, call } = setup(20, 200);
    const start = time.now;
    const all = Promise.all(Array.from({ length: 250 }, (_, i) => call(i)));
    await time.run();
    await all;
    expect(stamps).toHaveLength(250);
    expect(maxInAnyWindow(stamps, 200)).toBe(20);
    expect(order).toEqual(Array.from({ length: 250 }, (_, i) => i));
    // 13 batches of 20 (the last one of 10), one window apart: nothing slower than the rate
    expect(time.now - start).toBe(12 * 200);
    expect(new Set(stamps).size).toBe(13);
  });

  it('never exceeds the limit in any window for irregular bursts arriving at random times', async () => {
    const { time, stamps, call } = setup(20, 200);
    const random = seeded(42);
    let id = 0;
    for (let round = 0; round < 40; round++) {
      await time.advance(Math.floor(random() * 150));
      const burst = Array.from({ length: 1 + Math.floor(random() * 15) }, () => call(id++));
      if (random() < 0.5) {
        await time.run(); // sometimes the next burst only comes once this one is through
        await Promise.all(burst);
      }
    }
    await time.run();
    expect(stamps).toHaveLength(id);
    expect(id).toBeGreaterThan(250);
    expect(maxInAnyWindow(stamps, 200)).toBeLessThanOrEqual(20);
    // every window boundary is a stamp's own: check them all, not only the maxima
    for (const t of stamps) expect(stamps.filter((s) => s >= t && s < t + 200).length).toBeLessThanOrEqual(20);
  });

  it('frees a slot exactly one window after the call started when it finished at once', async () => {
    const { time, stamps, call } = setup(2, 100);
    const start = time.now;
    const calls = [call(0), call(1), call(2)];
    await time.run();
    await Promise.all(calls);
    expect(stamps.map((s) => s - start)).toEqual([0, 0, 100]);
    expect(time.sleeps).toEqual([100]);
  });

  it('keeps a slot taken while its call is in flight, and frees it one window after the release', async () => {
    const { time, limiter, stamps, call } = setup(2, 100);
    const start = time.now;
    const releases: ReleaseSlot[] = [];
    const held = (release: ReleaseSlot) => void releases.push(release);
    let thirdIn = false;
    const calls = [call(0, held), call(1, held), call(2).then(() => (thirdIn = true))];
    await time.advance(1_000);
    expect(thirdIn).toBe(false); // both slots are still in flight after ten windows
    expect(limiter.remaining()).toBe(0);
    releases[1]();
    releases[1](); // releasing twice changes nothing
    await time.advance(99);
    expect(thirdIn).toBe(false);
    await time.advance(1);
    expect(thirdIn).toBe(true);
    await Promise.all(calls);
    expect(stamps.map((s) => s - start)).toEqual([0, 0, 1_100]);
  });

  it('holds every slot in the window between its start and one window after its release', async () => {
    const { time, stamps, call } = setup(5, 100);
    const random = seeded(7);
    const spans: Array<{ start: number; end: number }> = [];
    const hold = (release: ReleaseSlot) => {
      const span = { start: time.now, end: Infinity };
      spans.push(span);
      void time.sleep(Math.floor(random() * 80)).then(() => {
        span.end = time.now;
        release();
      });
    };
    const calls = Array.from({ length: 60 }, (_, i) => call(i, hold));
    await time.run();
    await Promise.all(calls);
    expect(stamps).toHaveLength(60);
    // Whatever moment in its span the provider saw each call, no window holds more than 5: at each
    // start, fewer than 5 earlier calls may have ended less than a window before it.
    for (const span of spans) {
      const overlapping = spans.filter((s) => s.start <= span.start && s.end > span.start - 100);
      expect(overlapping.length).toBeLessThanOrEqual(5);
    }
  });

  it('waits out pauseUntil before the next call, keeps the later of two pauses and reports it', async () => {
    const { time, limiter, stamps, call } = setup(10, 100);
    const start = time.now;
    await Promise.all([call(0), time.run()]);
    void limiter.pauseUntil(start + 500);
    void limiter.pauseUntil(start + 200); // an earlier pause does not shorten it
    expect(limiter.pausedForMsNow()).toBe(500);
    const second = call(1);
    await time.advance(499);
    expect(stamps).toHaveLength(1);
    await time.advance(1);
    await second;
    expect(stamps.map((s) => s - start)).toEqual([0, 500]);
    expect(limiter.pausedForMsNow()).toBe(0);
  });

  it('extends the wait of a call already waiting when a pause arrives meanwhile', async () => {
    const { time, limiter, stamps, call } = setup(1, 100);
    const start = time.now;
    const calls = [call(0), call(1)];
    await time.advance(50); // call 1 sleeps until start + 100 for the window
    void limiter.pauseUntil(start + 400);
    await time.run();
    await Promise.all(calls);
    expect(stamps.map((s) => s - start)).toEqual([0, 400]);
  });

  it('reports the calls left in the current window', async () => {
    const { time, limiter, call } = setup(3, 100);
    expect(limiter.remaining()).toBe(3);
    await Promise.all([call(0), call(1), time.run()]);
    expect(limiter.remaining()).toBe(1);
    await time.advance(100);
    expect(limiter.remaining()).toBe(3);
  });

  it('refuses a limit below one call per window', () => {
    expect(() => new SlidingWindowLimiter(0, 1000)).toThrow('rate limit must be at least 1 call per window');
    expect(() => new SlidingWindowLimiter(10, 0)).toThrow('rate limit must be at least 1 call per window');
  });

  it('defaults to the process clock and timers (Date.now, setTimeout), run here on fake timers', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const limiter = new SlidingWindowLimiter(5, 50);
      const stamps: number[] = [];
      const all = Promise.all(
        Array.from({ length: 22 }, () => limiter.acquire().then((release) => (stamps.push(Date.now()), release()))),
      );
      await jest.advanceTimersByTimeAsync(1_000);
      await all;
      expect(stamps).toHaveLength(22);
      expect(maxInAnyWindow(stamps, 50)).toBeLessThanOrEqual(5);
      expect(Math.max(...stamps) - 1_000_000).toBeGreaterThanOrEqual(4 * 50);
    } finally {
      jest.useRealTimers();
    }
  });
});
