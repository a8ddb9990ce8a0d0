// Schedule occurrences and catch-up, with a simulated worker across Sao Paulo and New York DST changes.
import { formatCivilDate } from '../../analytics/time/civil-date';
import { toLocalDateTime } from '../../analytics/time/time-zone';
import { parseReportSchedule, ReportSchedule } from './report-schedule';
import {
  dueOccurrences,
  latestDueOccurrence,
  nextOccurrence,
  occurrenceOf,
  PeriodKeyError,
  periodLabel,
  ScheduleOccurrence,
} from './schedule-occurrences';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const daily = (time: string, zone: string) => parseReportSchedule({ frequency: 'DAILY', time }, zone);
const show = (o: ScheduleOccurrence) => ({
  key: o.periodKey,
  fireAt: o.fireAt.toISOString(),
  start: o.period.start.toISOString(),
  end: o.period.end.toISOString(),
});

/**
 * A worker that ticks every `stepMs` from `from` to `to` (skipping ticks inside `down`, a restart),
 * delivers whatever is due and remembers the last period delivered, as the delivery table would.
 */
function simulate(schedule: ReportSchedule, from: string, to: string, stepMs: number, down?: [string, string]) {
  let last: string | null = null;
  const sent: ScheduleOccurrence[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += stepMs) {
    if (down && t >= Date.parse(down[0]) && t < Date.parse(down[1])) continue;
    for (const o of dueOccurrences(schedule, { lastPeriodKey: last, now: new Date(t), notBefore: at(from) })) {
      expect(o.fireAt.getTime()).toBeLessThanOrEqual(t);
      sent.push(o);
      last = o.periodKey;
    }
  }
  return sent;
}

function consecutiveDays(from: string, count: number): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 24 * HOUR).toISOString().slice(0, 10));
}

describe('occurrenceOf', () => {
  it('covers the previous local day and fires the next day at the local time', () => {
    expect(show(occurrenceOf(daily('08:00', 'America/New_York'), '2024-03-09'))).toEqual({
      key: '2024-03-09',
      fireAt: '2024-03-10T12:00:00.000Z', // 08:00 EDT, the first day of DST
      start: '2024-03-09T05:00:00.000Z',
      end: '2024-03-10T05:00:00.000Z',
    });
  });

  it('fires a time inside the New York spring-forward gap once, at 03:30 EDT', () => {
    const schedule = daily('02:30', 'America/New_York');
    expect(occurrenceOf(schedule, '2024-03-09').fireAt.toISOString()).toBe('2024-03-10T07:30:00.000Z');
    expect(occurrenceOf(schedule, '2024-03-10').fireAt.toISOString()).toBe('2024-03-11T06:30:00.000Z');
  });

  it('covers a whole ISO week, 167 hours long across the Sao Paulo spring-forward, and fires on dayOfWeek', () => {
    const weekly = parseReportSchedule({ frequency: 'WEEKLY', dayOfWeek: 1, time: '09:00' }, 'America/Sao_Paulo');
    const o = occurrenceOf(weekly, '2018-W44');
    expect(show(o)).toEqual({
      key: '2018-W44',
      fireAt: '2018-11-05T11:00:00.000Z', // Monday 09:00 -02
      start: '2018-10-29T03:00:00.000Z',
      end: '2018-11-05T02:00:00.000Z',
    });
    expect((o.period.end.getTime() - o.period.start.getTime()) / HOUR).toBe(167);
    expect(periodLabel(o)).toBe('2018-10-29 – 2018-11-04');
    const friday = parseReportSchedule({ frequency: 'WEEKLY', dayOfWeek: 5, time: '17:45' }, 'Asia/Kathmandu');
    expect(occurrenceOf(friday, '2024-W52').fireAt.toISOString()).toBe('2025-01-03T12:00:00.000Z');
  });

  it('clamps dayOfMonth to the length of the month it fires in', () => {
    const monthly = parseReportSchedule({ frequency: 'MONTHLY', dayOfMonth: 31, time: '07:00' }, 'UTC');
    expect(occurrenceOf(monthly, '2024-01').fireAt.toISOString()).toBe('2024-02-29T07:00:00.000Z');
    expect(occurrenceOf(monthly, '2023-01').fireAt.toISOString()).toBe('2023-02-28T07:00:00.000Z');
    expect(occurrenceOf(monthly, '2024-03').fireAt.toISOString()).toBe('2024-04-30T07:00:00.000Z');
    expect(occurrenceOf(monthly, '2024-04').fireAt.toISOString()).toBe('2024-05-31T07:00:00.000Z');
    expect(show(occurrenceOf(monthly, '2024-02'))).toMatchObject({
      start: '2024-02-01T00:00:00.000Z',
      end: '2024-03-01T00:00:00.000Z',
    });
  });

  it('refuses a key of another frequency', () => {
    expect(() => occurrenceOf(daily('08:00', 'UTC'), '2024-W10')).toThrow(PeriodKeyError);
    expect(() => occurrenceOf(daily('08:00', 'UTC'), '2024-02-30')).toThrow(PeriodKeyError);
  });
});

describe('latestDueOccurrence and nextOccurrence', () => {
  const schedule = daily('08:00', 'America/New_York');

  it('returns the occurrence due at or before the instant, and the next one after it', () => {
    expect(latestDueOccurrence(schedule, at('2024-03-10T11:59:59Z')).periodKey).toBe('2024-03-08');
    expect(latestDueOccurrence(schedule, at('2024-03-10T12:00:00Z')).periodKey).toBe('2024-03-09');
    expect(show(nextOccurrence(schedule, at('2024-03-10T12:00:00Z')))).toMatchObject({
      key: '2024-03-10',
      fireAt: '2024-03-11T12:00:00.000Z',
    });
    expect(nextOccurrence(schedule, at('2024-03-10T11:59:59Z')).fireAt.toISOString()).toBe('2024-03-10T12:00:00.000Z');
  });

  it('finds a monthly occurrence from late in the month', () => {
    const monthly = parseReportSchedule({ frequency: 'MONTHLY', dayOfMonth: 5, time: '06:00' }, 'Asia/Kolkata');
    expect(latestDueOccurrence(monthly, at('2024-03-05T00:29:59Z')).periodKey).toBe('2024-01');
    expect(latestDueOccurrence(monthly, at('2024-03-05T00:30:00Z')).periodKey).toBe('2024-02');
  });
});

describe('dueOccurrences', () => {
  it('catches up every missed period after downtime, oldest first, in pages', () => {
    const monthly = parseReportSchedule({ frequency: 'MONTHLY', dayOfMonth: 1, time: '06:00' }, 'UTC');
    const now = at('2024-03-05T00:00:00Z');
    const keys = (last: string, limit?: number) =>
      dueOccurrences(monthly, { lastPeriodKey: last, now, limit }).map((o) => o.periodKey);
    expect(keys('2023-10')).toEqual(['2023-11', '2023-12', '2024-01', '2024-02']);
    expect(keys('2023-10', 2)).toEqual(['2023-11', '2023-12']);
    expect(keys('2023-12', 2)).toEqual(['2024-01', '2024-02']);
    expect(keys('2024-02')).toEqual([]);
    expect(keys('2024-05')).toEqual([]); // a last period in the future never causes a repeat
  });

  it('delivers nothing that fell due before notBefore, and only the latest without a history', () => {
    const schedule = daily('08:00', 'America/New_York');
    const created = at('2024-03-10T13:00:00Z'); // after that day's 08:00 EDT
    expect(
      dueOccurrences(schedule, { lastPeriodKey: null, now: at('2024-03-10T14:00:00Z'), notBefore: created }),
    ).toEqual([]);
    const next = dueOccurrences(schedule, { lastPeriodKey: null, now: at('2024-03-11T12:00:00Z'), notBefore: created });
    expect(next.map((o) => o.periodKey)).toEqual(['2024-03-10']);
    const latestOnly = dueOccurrences(schedule, { lastPeriodKey: null, now: at('2024-03-20T00:00:00Z') });
    expect(latestOnly.map((o) => o.periodKey)).toEqual(['2024-03-18']);
  });

  it('refuses a last period of another frequency rather than guessing', () => {
    const schedule = daily('08:00', 'UTC');
    expect(() => dueOccurrences(schedule, { lastPeriodKey: '2024-03', now: at('2024-04-01T00:00:00Z') })).toThrow(
      PeriodKeyError,
    );
  });

  it.each([
    // [zone, local time, from, to]: Sao Paulo's midnight gap (2018-11-04) and 23:00 overlap (2019-02-16)
    ['America/Sao_Paulo', '00:30', '2018-10-30T00:00:00Z', '2018-11-10T00:00:00Z'],
    ['America/Sao_Paulo', '23:30', '2019-02-10T00:00:00Z', '2019-02-22T00:00:00Z'],
    ['America/New_York', '02:30', '2024-03-05T00:00:00Z', '2024-03-15T00:00:00Z'],
    ['America/New_York', '01:30', '2024-10-29T00:00:00Z', '2024-11-08T00:00:00Z'],
    ['Asia/Kathmandu', '00:15', '2024-01-01T00:00:00Z', '2024-01-08T00:00:00Z'],
  ])('in %s at %s, a worker ticking every 10 minutes delivers each day exactly once', (zone, time, from, to) => {
    const schedule = daily(time, zone);
    const sent = simulate(schedule, from, to, 10 * 60_000);
    const keys = sent.map((o) => o.periodKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(consecutiveDays(keys[0], keys.length));
    expect(keys.length).toBeGreaterThanOrEqual(Math.floor((Date.parse(to) - Date.parse(from)) / (24 * HOUR)) - 1);
    for (const o of sent) {
      const local = toLocalDateTime(o.fireAt, zone);
      const clock = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
      // On the day the time does not exist the report goes out an hour later on the wall clock.
      if (clock !== time)
        expect(clock).toBe(`${String(Number(time.slice(0, 2)) + 1).padStart(2, '0')}:${time.slice(3)}`);
    }
  });

  it('a double fire and a restart across the New York fall-back neither repeat nor skip a period', () => {
    const schedule = daily('01:30', 'America/New_York');
    // Down from 2024-11-02 12:00Z to 2024-11-05 15:00Z: three fires missed, the fall-back night included.
    const sent = simulate(schedule, '2024-10-30T00:00:00Z', '2024-11-08T00:00:00Z', 10 * 60_000, [
      '2024-11-02T12:00:00Z',
      '2024-11-05T15:00:00Z',
    ]);
    expect(sent.map((o) => o.periodKey)).toEqual(consecutiveDays('2024-10-29', 9));
    const late = sent.filter(
      (o) => o.fireAt.getTime() < Date.parse('2024-11-05T15:00:00Z') && o.periodKey >= '2024-11-02',
    );
    expect(late.map((o) => [o.periodKey, o.fireAt.toISOString()])).toEqual([
      ['2024-11-02', '2024-11-03T05:30:00.000Z'], // 01:30 EDT, the first of the two 01:30s
      ['2024-11-03', '2024-11-04T06:30:00.000Z'],
      ['2024-11-04', '2024-11-05T06:30:00.000Z'],
    ]);
    // The same tick seen twice (two workers, or a retried job) finds nothing new once recorded.
    const now = at('2024-11-03T06:45:00Z'); // the second 01:45, after the fire
    const first = dueOccurrences(schedule, { lastPeriodKey: '2024-11-01', now });
    expect(first.map((o) => o.periodKey)).toEqual(['2024-11-02']);
    expect(dueOccurrences(schedule, { lastPeriodKey: '2024-11-02', now })).toEqual([]);
  });

  it('weekly and monthly schedules deliver each period once across Sao Paulo DST changes', () => {
    const weekly = parseReportSchedule({ frequency: 'WEEKLY', dayOfWeek: 7, time: '00:30' }, 'America/Sao_Paulo');
    const weeks = simulate(weekly, '2018-10-01T00:00:00Z', '2019-03-10T00:00:00Z', 3 * HOUR).map((o) => o.periodKey);
    expect(weeks[0]).toBe('2018-W39'); // the first Sunday fire after the start
    expect(weeks).toHaveLength(22);
    expect(new Set(weeks).size).toBe(weeks.length);
    const monthly = parseReportSchedule({ frequency: 'MONTHLY', dayOfMonth: 31, time: '23:30' }, 'America/Sao_Paulo');
    const months = simulate(monthly, '2018-09-01T00:00:00Z', '2019-04-01T00:00:00Z', 3 * HOUR);
    // 2018-09-01T00:00Z is still 31 August 21:00 in Sao Paulo: July's report fires at 23:30 that night.
    expect(
      months.map((o) => [o.periodKey, formatCivilDate(toLocalDateTime(o.fireAt, 'America/Sao_Paulo').date)]),
    ).toEqual([
      ['2018-07', '2018-08-31'],
      ['2018-08', '2018-09-30'],
      ['2018-09', '2018-10-31'],
      ['2018-10', '2018-11-30'],
      ['2018-11', '2018-12-31'],
      ['2018-12', '2019-01-31'],
      ['2019-01', '2019-02-28'],
      // February's fires on 31 March 23:30 -03, which is 1 April 02:30Z: after the simulation ends.
    ]);
  });
});
