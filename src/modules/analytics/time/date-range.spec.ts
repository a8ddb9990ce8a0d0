// from/to (local dates or instants) to UTC ranges, their validation, and compare=previous.
import { formatCivilDate } from './civil-date';
import { boundsOrDefault, localDateOfBound, localDatesOf, previousRange, resolveDateRange } from './date-range';

const HOUR = 3_600_000;
const show = (r: { start: Date; end: Date; fromDate: object; toDate: object; kind: string }) => ({
  start: r.start.toISOString(),
  end: r.end.toISOString(),
  from: formatCivilDate(r.fromDate as never),
  to: formatCivilDate(r.toDate as never),
  kind: r.kind,
});
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
};

describe('resolveDateRange', () => {
  it('turns inclusive local dates into a half-open UTC interval of whole local days', () => {
    expect(show(resolveDateRange('2018-11-04', '2018-11-04', 'America/Sao_Paulo'))).toEqual({
      start: '2018-11-04T03:00:00.000Z', // midnight did not exist: the day began at 01:00 -02
      end: '2018-11-05T02:00:00.000Z',
      from: '2018-11-04',
      to: '2018-11-04',
      kind: 'dates',
    });
    expect(show(resolveDateRange('2024-06-01', '2024-06-30', 'Asia/Kolkata'))).toMatchObject({
      start: '2024-05-31T18:30:00.000Z',
      end: '2024-06-30T18:30:00.000Z',
    });
  });

  it('takes ISO instants as exact bounds and reports the local dates they touch', () => {
    const range = resolveDateRange('2024-03-10T04:00:00Z', '2024-03-11T00:00:00+05:30', 'America/New_York');
    expect(show(range)).toEqual({
      start: '2024-03-10T04:00:00.000Z',
      end: '2024-03-10T18:30:00.000Z',
      from: '2024-03-09', // 23:00 EST
      to: '2024-03-10',
      kind: 'instants',
    });
  });

  it('mixes a local date and an instant', () => {
    const range = resolveDateRange('2024-06-01', '2024-06-01T12:00:00Z', 'Asia/Kathmandu');
    expect(show(range)).toMatchObject({ start: '2024-05-31T18:15:00.000Z', end: '2024-06-01T12:00:00.000Z' });
  });

  it('refuses malformed bounds, naive times, reversed ranges and unknown zones with VALIDATION_FAILED', () => {
    const cases: Array<[unknown, unknown, string, string[]]> = [
      ['2024-02-30', '2024-03-01', 'UTC', ['from']],
      ['2024-03-01', '2024-03-10T10:00', 'UTC', ['to']], // no offset: ambiguous
      ['2024-03-01', '2024-03-10T25:00:00Z', 'UTC', ['to']],
      [undefined, '2024-03-01', 'UTC', ['from']],
      [20240301, '2024-03-01', 'UTC', ['from']],
      // upside down: both fields named, as every from/to pair of the API (common/http/date-range.ts)
      ['2024-03-02', '2024-03-01', 'UTC', ['from', 'to']],
      ['2024-03-01T10:00:01Z', '2024-03-01T10:00:00Z', 'UTC', ['from', 'to']],
      ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00Z', 'UTC', ['to']],
      ['2024-03-01', '2024-03-02', 'Mars/Base', ['timezone']],
    ];
    for (const [from, to, zone, fields] of cases) {
      expect(failure(() => resolveDateRange(from, to, zone))).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: fields.map((field) => ({ field })),
      });
    }
  });

  it('enforces a maximum length in local days when asked', () => {
    expect(() => resolveDateRange('2024-01-01', '2024-12-31', 'UTC', { maxDays: 366 })).not.toThrow();
    expect(failure(() => resolveDateRange('2024-01-01', '2025-01-01', 'UTC', { maxDays: 366 }))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('lists every local date of the range', () => {
    const dates = localDatesOf(resolveDateRange('2024-02-27', '2024-03-01', 'UTC')).map(formatCivilDate);
    expect(dates).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
  });
});

describe('previousRange (compare=previous)', () => {
  it('takes the same number of local days before a date range, whatever DST does to their hours', () => {
    const march = resolveDateRange('2024-03-01', '2024-03-31', 'America/New_York');
    expect((march.end.getTime() - march.start.getTime()) / HOUR).toBe(31 * 24 - 1);
    expect(show(previousRange(march))).toEqual({
      start: '2024-01-30T05:00:00.000Z', // 30 Jan – 29 Feb: 2 + 29 = 31 days
      end: '2024-03-01T05:00:00.000Z',
      from: '2024-01-30',
      to: '2024-02-29',
      kind: 'dates',
    });
  });

  it('takes the same duration before a range of instants', () => {
    const range = resolveDateRange('2024-03-10T12:00:00Z', '2024-03-10T18:00:00Z', 'UTC');
    expect(show(previousRange(range))).toMatchObject({
      start: '2024-03-10T06:00:00.000Z',
      end: '2024-03-10T12:00:00.000Z',
      kind: 'instants',
    });
  });
});

describe("localDateOfBound (a rebuild's from/to on their own)", () => {
  it('keeps a local date, and names the local day of an instant (the instant before an exclusive end)', () => {
    const day = (value: string, field: 'from' | 'to') =>
      formatCivilDate(localDateOfBound(value, field, 'America/Sao_Paulo'));
    expect(day('2026-03-01', 'from')).toBe('2026-03-01');
    expect(day('2026-03-01', 'to')).toBe('2026-03-01');
    expect(day('2026-03-01T02:00:00Z', 'from')).toBe('2026-02-28');
    expect(day('2026-03-10T03:00:00Z', 'to')).toBe('2026-03-09');
    expect(day('2026-03-10T03:00:01Z', 'to')).toBe('2026-03-10');
  });

  it('refuses what is neither a date nor an instant with its offset', () => {
    for (const value of ['2026-02-30', '2026-03-01T10:00', 'today'])
      expect(failure(() => localDateOfBound(value, 'from', 'UTC'))).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('the earliest bound', () => {
  it('refuses a date or an instant before 1900-01-01 (PostgreSQL has no year 0 to look back to)', () => {
    for (const [from, to] of [
      ['0001-01-01', '0001-01-31'],
      ['0099-12-01', '2026-01-01'],
      ['1899-12-31T23:59:59Z', '2026-01-01'],
    ])
      expect(failure(() => resolveDateRange(from, to, 'UTC'))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(failure(() => localDateOfBound('0001-01-01', 'from', 'UTC'))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(show(resolveDateRange('1900-01-01', '1900-01-01', 'UTC'))).toMatchObject({ from: '1900-01-01' });
  });
});

describe('the latest end', () => {
  it('ends a range that reaches past 9999 with the last millisecond of 9999, keeping its local dates', () => {
    expect(show(resolveDateRange('9999-12-31', '9999-12-31', 'Etc/GMT+12'))).toEqual({
      start: '9999-12-31T12:00:00.000Z',
      end: '9999-12-31T23:59:59.999Z',
      from: '9999-12-31',
      to: '9999-12-31',
      kind: 'dates',
    });
    expect(show(resolveDateRange('9999-12-31', '9999-12-31', 'UTC')).end).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('boundsOrDefault (a request that leaves a bound out)', () => {
  const today = { year: 2026, month: 12, day: 4 };
  it('is the last 30 local days with neither bound, and ends today with only from', () => {
    expect(boundsOrDefault(undefined, undefined, today, 'UTC', 30)).toEqual(['2026-11-05', '2026-12-04']);
    expect(boundsOrDefault('2026-01-01', undefined, today, 'UTC', 30)).toEqual(['2026-01-01', '2026-12-04']);
  });
  it('counts 30 local days back from an end given alone, not from today (which made to=2022-01-31 upside down)', () => {
    expect(boundsOrDefault(undefined, '2022-01-31', today, 'UTC', 30)).toEqual(['2022-01-02', '2022-01-31']);
    // an instant as `to` is exclusive: midnight in Kolkata ends the day before
    expect(boundsOrDefault(undefined, '2022-01-31T18:30:00Z', today, 'Asia/Kolkata', 30)).toEqual([
      '2022-01-02',
      '2022-01-31T18:30:00Z',
    ]);
    expect(() => resolveDateRange(...boundsOrDefault(undefined, '2022-01-31', today, 'UTC', 30), 'UTC')).not.toThrow();
  });
  it('names `to` when the end given alone is unreadable', () => {
    expect(failure(() => boundsOrDefault(undefined, 'yesterday', today, 'UTC', 30))).toMatchObject({
      details: [expect.objectContaining({ field: 'to' })],
    });
  });
});
