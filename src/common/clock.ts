/**
 * Time as code that waits sees it: what time it is, and a way to wait. Code takes one instead of
 * calling Date.now/setTimeout, so that specs can run it on virtual time (test/support/virtual-clock.ts).
 */
export interface Clock {
  // function-typed properties: they are passed around detached (`clock.now`), never called as methods
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Wall-clock time. Its waits (retry backoff, Retry-After, a rate limiter's turn) never keep a process
 * alive on their own: a job still waiting when its application has been closed (pg-boss gave up on
 * it after the graceful-stop timeout; its lease hands it to another worker) must not hold the process
 * open for up to a minute — in a test run that is a Jest worker that "failed to exit gracefully".
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleepAtLeast(ms),
};

export interface SleepOptions {
  /** Ends the wait at once. */
  signal?: AbortSignal;
  /** Keep the process alive while waiting (default: the wait never holds it open on its own, as systemClock's). */
  ref?: boolean;
}

/**
 * Resolves once `ms` have passed on the monotonic clock (performance.now), or at once when `signal`
 * aborts. A timer alone may fire up to a millisecond early: its expiry is counted from the event
 * loop's clock in whole milliseconds. A rate limiter's turn must never start early (a token reused a
 * window after its release and a millisecond early makes 81 calls in one second of an 80/s limit), so
 * a timer that wakes before the deadline is set again for the rest.
 */
export function sleepAtLeast(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal, ref = false } = options;
  const deadline = performance.now() + Math.max(0, ms);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let timer: NodeJS.Timeout;
    // no wait at all still yields to the event loop once, as setTimeout(0) does (a polling loop relies on it)
    const arm = (): void => {
      timer = setTimeout(wake, Math.max(0, Math.ceil(deadline - performance.now())));
      if (!ref) timer.unref();
    };
    function wake(): void {
      if (!signal?.aborted && performance.now() < deadline) return arm();
      done();
    }
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}

/** Injection token for a Clock; providers fall back to systemClock when none is bound. */
export const CLOCK = Symbol('CLOCK');
