/**
 * Time as code that waits sees it: what time it is, and a way to wait. Code takes one instead of
 * calling Date.now/setTimeout, so that specs can run it on virtual time (test/support/virtual-clock.ts).
 */
export interface Clock {
  // function-typed properties: they are passed around detached (`clock.now`), never called as methods
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Injection token for a Clock; providers fall back to systemClock when none is bound. */
export const CLOCK = Symbol('CLOCK');
