import { DEADLOCK_ATTEMPTS, isDeadlock, retryDeadlocks } from './deadlock-retry';

const deadlock = (): Error => Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('retryDeadlocks', () => {
  it('knows a deadlock from pg and from Prisma, and nothing else', () => {
    expect(isDeadlock(deadlock())).toBe(true);
    expect(isDeadlock({ code: 'P2034' })).toBe(true);
    expect(isDeadlock(Object.assign(new Error('duplicate'), { code: '23505' }))).toBe(false);
    expect(isDeadlock(new Error('deadlock detected'))).toBe(false);
    expect(isDeadlock(null)).toBe(false);
  });

  it("runs the deadlock's victim again until it succeeds", async () => {
    let calls = 0;
    const result = await retryDeadlocks(async () => {
      calls += 1;
      if (calls < 3) throw deadlock();
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up after its attempts, and never retries another error', async () => {
    let calls = 0;
    await expect(
      retryDeadlocks(async () => {
        calls += 1;
        throw deadlock();
      }),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(DEADLOCK_ATTEMPTS);
    calls = 0;
    await expect(
      retryDeadlocks(async () => {
        calls += 1;
        throw new Error('no such table');
      }),
    ).rejects.toThrow('no such table');
    expect(calls).toBe(1);
  });
});
