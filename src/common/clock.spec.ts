import { systemClock } from './clock';

describe('systemClock', () => {
  it('waits without keeping the process alive (a job abandoned at shutdown cannot hold a process open)', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const long = systemClock.sleep(60_000);
    expect(timers()).toBe(before); // an unref'd timer is not among the resources keeping the loop alive
    void long;
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
  });
});
