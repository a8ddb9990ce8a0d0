import { calendarInstantMs, isCalendarDay } from './instant';

describe('calendarInstantMs', () => {
  it.each([
    ['2026-12-02T10:00:00+01:00', Date.UTC(2026, 11, 2, 9)],
    ['2026-12-02T10:00+01:00', Date.UTC(2026, 11, 2, 9)],
    ['2026-12-02T10:00Z', Date.UTC(2026, 11, 2, 10)],
    ['2026-12-02T10:00:00.250Z', Date.UTC(2026, 11, 2, 10, 0, 0, 250)],
    ['1900-01-01T00:00:00Z', Date.UTC(1900, 0, 1)],
    ['9999-12-31T23:59:59Z', Date.UTC(9999, 11, 31, 23, 59, 59)],
  ])('reads %s', (value, ms) => {
    expect(calendarInstantMs(value)).toBe(ms);
  });

  it.each([
    '0000-01-01T10:00:00Z',
    '1899-12-31T23:59:59Z',
    '1900-01-01T00:30+01:00',
    '9999-12-31T23:00:00-05:00',
    '2026-02-30T10:00:00Z',
    '2026-12-02T24:00:00Z',
    '2026-12-02T10:00:60Z',
    '2026-12-02T10:00+24:00',
    '2026-12-02T10:00',
    '2026-12-02T10Z',
    '2026-12-02',
    'tomorrow',
    '',
    1796130000000,
    null,
  ])('refuses %p', (value) => {
    expect(calendarInstantMs(value)).toBeUndefined();
  });
});

describe('isCalendarDay', () => {
  it('takes days that exist from 1900 through 9999', () => {
    expect(['2026-12-02', '2028-02-29', '1900-01-01', '9999-12-31'].map(isCalendarDay)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['9999-99-99', '2026-02-30', '2027-02-29', '0000-01-01', '1899-12-31', 'traceId', '2026-1-1'].map(isCalendarDay),
    ).toEqual([false, false, false, false, false, false, false]);
  });
});
