// Plain calendar arithmetic: strict parsing, month clamping, ISO weeks at year boundaries.
import {
  addDays,
  addMonths,
  daysBetween,
  formatCivilDate,
  fromEpochDay,
  isoWeekday,
  isoWeekKey,
  parseCivilDate,
  parseIsoWeekKey,
  parseMonthKey,
  startOfIsoWeek,
  toEpochDay,
} from './civil-date';

const d = (text: string) => {
  const date = parseCivilDate(text);
  if (!date) throw new Error(`bad test date ${text}`);
  return date;
};

describe('civil dates', () => {
  it('parses only real calendar dates in YYYY-MM-DD form', () => {
    expect(parseCivilDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    for (const bad of [
      '2023-02-29',
      '2024-02-30',
      '2024-13-01',
      '2024-00-10',
      '2024-1-01',
      '2024-01-01T00:00Z',
      ' 2024-01-01',
      '',
    ])
      expect(parseCivilDate(bad)).toBeNull();
    expect(parseCivilDate('2000-02-29')).not.toBeNull(); // divisible by 400
    expect(parseCivilDate('1900-02-29')).toBeNull(); // divisible by 100 only
  });

  it('counts epoch days both sides of 1970 and round-trips them', () => {
    expect(toEpochDay(d('1970-01-01'))).toBe(0);
    expect(toEpochDay(d('1969-12-31'))).toBe(-1);
    expect(toEpochDay(d('2024-03-10'))).toBe(19792);
    expect(formatCivilDate(fromEpochDay(19792))).toBe('2024-03-10');
    expect(daysBetween(d('2024-02-28'), d('2024-03-01'))).toBe(2);
  });

  it('adds days across month and year ends', () => {
    expect(formatCivilDate(addDays(d('2024-12-31'), 1))).toBe('2025-01-01');
    expect(formatCivilDate(addDays(d('2024-03-01'), -1))).toBe('2024-02-29');
  });

  it('adds months clamping to the target month length', () => {
    expect(formatCivilDate(addMonths(d('2024-01-31'), 1))).toBe('2024-02-29');
    expect(formatCivilDate(addMonths(d('2023-01-31'), 1))).toBe('2023-02-28');
    expect(formatCivilDate(addMonths(d('2024-03-31'), -1))).toBe('2024-02-29');
    expect(formatCivilDate(addMonths(d('2024-12-15'), 1))).toBe('2025-01-15');
    expect(formatCivilDate(addMonths(d('2024-01-15'), -1))).toBe('2023-12-15');
    expect(formatCivilDate(addMonths(d('2024-05-31'), -15))).toBe('2023-02-28');
  });

  it('numbers weekdays and ISO weeks as ISO-8601 does', () => {
    expect(isoWeekday(d('1970-01-01'))).toBe(4); // Thursday
    expect(isoWeekday(d('2024-03-10'))).toBe(7); // Sunday
    expect(isoWeekday(d('2024-03-11'))).toBe(1); // Monday
    expect(formatCivilDate(startOfIsoWeek(d('2024-03-10')))).toBe('2024-03-04');
    // Week-year boundaries: the week belongs to the year of its Thursday.
    expect(isoWeekKey(d('2021-01-03'))).toBe('2020-W53');
    expect(isoWeekKey(d('2024-12-30'))).toBe('2025-W01');
    expect(isoWeekKey(d('2026-01-01'))).toBe('2026-W01');
    expect(isoWeekKey(d('2027-01-01'))).toBe('2026-W53');
    expect(isoWeekKey(d('2024-03-10'))).toBe('2024-W10');
  });

  it('parses week and month keys, refusing weeks a year does not have', () => {
    expect(formatCivilDate(parseIsoWeekKey('2020-W53')!)).toBe('2020-12-28');
    expect(formatCivilDate(parseIsoWeekKey('2025-W01')!)).toBe('2024-12-30');
    expect(parseIsoWeekKey('2021-W53')).toBeNull();
    expect(parseIsoWeekKey('2021-W00')).toBeNull();
    expect(parseIsoWeekKey('2021-W1')).toBeNull();
    expect(parseMonthKey('2024-02')).toEqual({ year: 2024, month: 2, day: 1 });
    expect(parseMonthKey('2024-13')).toBeNull();
  });
});
