import { createdToBound } from './date-range';

describe('createdToBound', () => {
  it('takes a bare date as the last instant of that UTC day', () => {
    expect(createdToBound('2026-03-09').toISOString()).toBe('2026-03-09T23:59:59.999Z');
    expect(createdToBound('2024-02-28').toISOString()).toBe('2024-02-28T23:59:59.999Z');
    expect(createdToBound('2024-12-31').toISOString()).toBe('2024-12-31T23:59:59.999Z');
  });

  it('takes a timestamp exactly as given', () => {
    expect(createdToBound('2026-03-09T10:15:00Z').toISOString()).toBe('2026-03-09T10:15:00.000Z');
    expect(createdToBound('2026-03-09T10:15:00+02:00').toISOString()).toBe('2026-03-09T08:15:00.000Z');
  });
});
