import type { Clock } from '../../src/common/clock';

/**
 * Virtual time for specs that also do real I/O (a local fake provider): the clock moves only when
 * the code under test sleeps, by exactly what it asked for, so a wait costs no wall-clock time and a
 * delay measured on this clock (e.g. by FakeServer's arrival stamps) is exact. Concurrent sleeps
 * each move it forward, so time only ever runs ahead of what the code asked for, never behind.
 */
export class SteppingClock implements Clock {
  /** Every sleep requested, in order. */
  readonly sleeps: number[] = [];

  constructor(private current = Date.UTC(2026, 0, 5, 12, 0, 0)) {}

  readonly now = (): number => this.current;

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    // whole milliseconds, as timers fire
    this.current += Math.max(0, Math.ceil(ms));
    // let other callbacks run, as a real timer would
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  advance(ms: number): void {
    this.current += ms;
  }
}
