import { setTimeout as realDelay } from 'node:timers/promises';
import { sleepAtLeast, systemClock } from './clock';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('systemClock', () => {
  it('waits without keeping the process alive (a job abandoned at shutdown cannot hold a process open)', async () => {
    const before = timers();
    const long = systemClock.sleep(60_000);
    expect(timers()).toBe(before); // an unref'd timer is not among the resources keeping the loop alive
    void long;
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
  });
});

describe('sleepAtLeast', () => {
  afterEach(() => jest.restoreAllMocks());

  it('never resolves before its deadline on the monotonic clock, even when its timer fires early', async () => {
    // performance.now() held half a millisecond short of the deadline plays a timer that fires early
    let now = 1_000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
    let resolved = false;
    const wait = sleepAtLeast(10).then(() => (resolved = true));
    now = 1_009.5;
    await realDelay(40); // the first timer (10 ms) and several re-armed ones (1 ms) have fired by now
    expect(resolved).toBe(false);
    now = 1_010;
    await realDelay(10);
    expect(resolved).toBe(true);
    await wait;
  });

  it('ends at once when its signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const wait = sleepAtLeast(60_000, { signal: controller.signal });
    controller.abort();
    await wait;
    await sleepAtLeast(1_000, { signal: controller.signal }); // already aborted
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('yields to the event loop once for no wait at all, as setTimeout(0) does (polling loops rely on it)', async () => {
    for (const ms of [0, -5]) {
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      await sleepAtLeast(ms);
      expect(timerRan).toBe(true);
    }
  });

  it('keeps the process alive only when asked (ref)', async () => {
    const before = timers();
    const controller = new AbortController();
    const held = sleepAtLeast(60_000, { signal: controller.signal, ref: true });
    expect(timers()).toBe(before + 1);
    const unheld = sleepAtLeast(60_000, { signal: controller.signal });
    expect(timers()).toBe(before + 1);
    controller.abort();
    await Promise.all([held, unheld]);
    expect(timers()).toBe(before);
  });
});
