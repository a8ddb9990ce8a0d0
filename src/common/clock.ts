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
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};

/** Injection token for a Clock; providers fall back to systemClock when none is bound. */
export const CLOCK = Symbol('CLOCK');
