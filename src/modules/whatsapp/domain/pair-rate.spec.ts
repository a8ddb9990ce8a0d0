import { DEFAULT_PAIR_LIMIT, pairRecipient, pairRefused, PairState, takePair } from './pair-rate';

describe('pair rate (GCRA)', () => {
  const limit = { intervalMs: 6000, burst: 3 };
  const fresh: PairState = { tat: null, blockedUntil: null };

  it('allows a burst, then one send per interval', () => {
    let state = fresh;
    const now = 1_000_000;
    for (let i = 0; i < 3; i++) {
      const d = takePair(state, now, limit);
      if (!d.allowed) throw new Error(`send ${i} refused`);
      state = d.next;
    }
    expect(takePair(state, now, limit)).toEqual({ allowed: false, waitMs: 6000 });
    expect(takePair(state, now + 5999, limit).allowed).toBe(false);
    const later = takePair(state, now + 6000, limit);
    expect(later.allowed).toBe(true);
  });

  it('a pair left alone is full again (no credit beyond the burst)', () => {
    const d = takePair({ tat: 0, blockedUntil: null }, 10_000_000, limit);
    expect(d).toEqual({ allowed: true, next: { tat: 10_006_000, blockedUntil: null } });
  });

  it('131056 empties the pair and blocks it for the back-off, never less than one interval', () => {
    const now = 5_000_000;
    const refused = pairRefused(fresh, now, 1000, limit);
    expect(refused.blockedUntil).toBe(now + 1000);
    expect(takePair(refused, now + 1000, limit)).toEqual({ allowed: false, waitMs: 5000 });
    expect(takePair(refused, now + 6000, limit).allowed).toBe(true);
    const long = pairRefused(fresh, now, 64_000, limit);
    expect(takePair(long, now + 10_000, limit)).toEqual({ allowed: false, waitMs: 54_000 });
  });

  it("defaults to Meta's 1 per 6 s with a burst of 45; wa_id and E.164 name the same pair", () => {
    expect(DEFAULT_PAIR_LIMIT).toEqual({ intervalMs: 6000, burst: 45 });
    expect(pairRecipient('+5511987654321')).toBe(pairRecipient('5511987654321'));
  });
});
