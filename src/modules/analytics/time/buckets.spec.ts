// Local hour/day/week/month buckets across DST changes and in half-hour, 45-minute and Lord Howe zones.
import { parseCivilDate } from './civil-date';
import { resolveDateRange } from './date-range';
import {
  Bucket,
  bucketFromKey,
  bucketKeyOf,
  bucketKeyOfDate,
  enumerateBuckets,
  Granularity,
  zeroFill,
} from './buckets';

const HOUR = 3_600_000;
const hours = (b: Bucket) => (b.end.getTime() - b.start.getTime()) / HOUR;
const span = (b: Bucket) => [b.key, b.start.toISOString(), b.end.toISOString()];

describe('bucketKeyOf', () => {
  it('keys hours by the local clock hour and its offset, in half-hour and 45-minute zones too', () => {
    expect(bucketKeyOf(new Date('2024-06-01T04:29:59Z'), 'Asia/Kolkata', 'hour')).toBe('2024-06-01T09:00+05:30');
    expect(bucketKeyOf(new Date('2024-06-01T04:30:00Z'), 'Asia/Kolkata', 'hour')).toBe('2024-06-01T10:00+05:30');
    expect(bucketKeyOf(new Date('2024-06-01T04:14:59Z'), 'Asia/Kathmandu', 'hour')).toBe('2024-06-01T09:00+05:45');
    expect(bucketKeyOf(new Date('2024-06-01T04:15:00Z'), 'Asia/Kathmandu', 'hour')).toBe('2024-06-01T10:00+05:45');
  });

  it('keys days, ISO weeks and months by the local calendar', () => {
    expect(bucketKeyOf(new Date('2024-06-01T18:29:59Z'), 'Asia/Kolkata', 'day')).toBe('2024-06-01');
    expect(bucketKeyOf(new Date('2024-06-01T18:30:00Z'), 'Asia/Kolkata', 'day')).toBe('2024-06-02');
    expect(bucketKeyOf(new Date('2024-12-30T12:00:00Z'), 'UTC', 'week')).toBe('2025-W01');
    // Sunday 23:30 in New York is already Monday (next ISO week) in UTC.
    expect(bucketKeyOf(new Date('2024-03-11T03:30:00Z'), 'America/New_York', 'week')).toBe('2024-W10');
    expect(bucketKeyOf(new Date('2024-03-11T03:30:00Z'), 'UTC', 'week')).toBe('2024-W11');
    expect(bucketKeyOf(new Date('2024-03-01T02:00:00Z'), 'America/Sao_Paulo', 'month')).toBe('2024-02');
    expect(bucketKeyOfDate(parseCivilDate('2024-03-10')!, 'week')).toBe('2024-W10');
    expect(bucketKeyOfDate(parseCivilDate('2024-03-10')!, 'month')).toBe('2024-03');
  });
});

describe('enumerateBuckets', () => {
  it('gives a Sao Paulo spring-forward day 23 hours and its neighbours 24', () => {
    const range = resolveDateRange('2018-11-03', '2018-11-05', 'America/Sao_Paulo');
    const days = enumerateBuckets(range, 'America/Sao_Paulo', 'day');
    expect(days.map(span)).toEqual([
      ['2018-11-03', '2018-11-03T03:00:00.000Z', '2018-11-04T03:00:00.000Z'],
      ['2018-11-04', '2018-11-04T03:00:00.000Z', '2018-11-05T02:00:00.000Z'],
      ['2018-11-05', '2018-11-05T02:00:00.000Z', '2018-11-06T02:00:00.000Z'],
    ]);
    const hourly = enumerateBuckets(
      resolveDateRange('2018-11-04', '2018-11-04', 'America/Sao_Paulo'),
      'America/Sao_Paulo',
      'hour',
    );
    expect(hourly).toHaveLength(23);
    expect(hourly[0].key).toBe('2018-11-04T01:00-02:00');
  });

  it('gives the Sao Paulo fall-back day of 2019-02-16 two 23:00 hours', () => {
    const hourly = enumerateBuckets(
      resolveDateRange('2019-02-16', '2019-02-16', 'America/Sao_Paulo'),
      'America/Sao_Paulo',
      'hour',
    );
    expect(hourly).toHaveLength(25);
    expect(hourly.slice(-2).map(span)).toEqual([
      ['2019-02-16T23:00-02:00', '2019-02-17T01:00:00.000Z', '2019-02-17T02:00:00.000Z'],
      ['2019-02-16T23:00-03:00', '2019-02-17T02:00:00.000Z', '2019-02-17T03:00:00.000Z'],
    ]);
  });

  it('gives New York 23- and 25-hour days with no 02:00 on the spring one and two 01:00 on the fall one', () => {
    const spring = enumerateBuckets(
      resolveDateRange('2024-03-10', '2024-03-10', 'America/New_York'),
      'America/New_York',
      'hour',
    );
    expect(spring.map((b) => b.key.slice(11))).toEqual([
      '00:00-05:00',
      '01:00-05:00',
      ...Array.from({ length: 21 }, (_, i) => `${String(i + 3).padStart(2, '0')}:00-04:00`),
    ]);
    const fall = enumerateBuckets(
      resolveDateRange('2024-11-03', '2024-11-03', 'America/New_York'),
      'America/New_York',
      'hour',
    );
    expect(fall).toHaveLength(25);
    expect(fall.slice(1, 3).map(span)).toEqual([
      ['2024-11-03T01:00-04:00', '2024-11-03T05:00:00.000Z', '2024-11-03T06:00:00.000Z'],
      ['2024-11-03T01:00-05:00', '2024-11-03T06:00:00.000Z', '2024-11-03T07:00:00.000Z'],
    ]);
    expect(fall.every((b) => hours(b) === 1)).toBe(true);
  });

  it('cuts an hour where the offset moves by 30 minutes (Australia/Lord_Howe)', () => {
    const range = { start: new Date('2024-10-05T14:30:00Z'), end: new Date('2024-10-05T17:00:00Z') };
    expect(enumerateBuckets(range, 'Australia/Lord_Howe', 'hour').map(span)).toEqual([
      ['2024-10-06T01:00+10:30', '2024-10-05T14:30:00.000Z', '2024-10-05T15:30:00.000Z'],
      ['2024-10-06T02:00+11:00', '2024-10-05T15:30:00.000Z', '2024-10-05T16:00:00.000Z'],
      ['2024-10-06T03:00+11:00', '2024-10-05T16:00:00.000Z', '2024-10-05T17:00:00.000Z'],
    ]);
  });

  it('starts hours at :30 and :15 past UTC hours in Kolkata and Kathmandu', () => {
    const kolkata = enumerateBuckets(
      resolveDateRange('2024-06-01', '2024-06-01', 'Asia/Kolkata'),
      'Asia/Kolkata',
      'hour',
    );
    expect(kolkata).toHaveLength(24);
    expect(span(kolkata[0])).toEqual([
      '2024-06-01T00:00+05:30',
      '2024-05-31T18:30:00.000Z',
      '2024-05-31T19:30:00.000Z',
    ]);
    const kathmandu = enumerateBuckets(
      resolveDateRange('2024-06-01', '2024-06-01', 'Asia/Kathmandu'),
      'Asia/Kathmandu',
      'hour',
    );
    expect(span(kathmandu[23])).toEqual([
      '2024-06-01T23:00+05:45',
      '2024-06-01T17:15:00.000Z',
      '2024-06-01T18:15:00.000Z',
    ]);
  });

  it('lists ISO weeks and months overlapping the range, with their full local bounds', () => {
    const weeks = enumerateBuckets(resolveDateRange('2024-12-25', '2025-01-08', 'UTC'), 'UTC', 'week');
    expect(weeks.map((b) => b.key)).toEqual(['2024-W52', '2025-W01', '2025-W02']);
    expect(weeks[0].start.toISOString()).toBe('2024-12-23T00:00:00.000Z');
    const months = enumerateBuckets(
      resolveDateRange('2024-01-15', '2024-04-02', 'Europe/London'),
      'Europe/London',
      'month',
    );
    expect(months.map(span)).toEqual([
      ['2024-01', '2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'],
      ['2024-02', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
      ['2024-03', '2024-03-01T00:00:00.000Z', '2024-03-31T23:00:00.000Z'],
      ['2024-04', '2024-03-31T23:00:00.000Z', '2024-04-30T23:00:00.000Z'],
    ]);
  });

  it('places every instant in the enumerated bucket whose key bucketKeyOf gives it', () => {
    const cases: Array<[string, string, string, Granularity]> = [
      ['America/Sao_Paulo', '2018-11-02', '2018-11-06', 'hour'],
      ['America/Sao_Paulo', '2019-02-15', '2019-02-18', 'hour'],
      ['America/New_York', '2024-11-02', '2024-11-04', 'hour'],
      ['Asia/Kathmandu', '2024-06-01', '2024-06-02', 'hour'],
      ['America/Sao_Paulo', '2018-10-28', '2018-11-12', 'day'],
      ['Europe/London', '2024-03-20', '2024-04-10', 'week'],
    ];
    for (const [zone, from, to, granularity] of cases) {
      const buckets = enumerateBuckets(resolveDateRange(from, to, zone), zone, granularity);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].start).toEqual(buckets[i - 1].end); // contiguous
      for (const bucket of buckets) {
        for (let t = bucket.start.getTime(); t < bucket.end.getTime(); t += 10 * 60_000)
          expect(bucketKeyOf(t, zone, granularity)).toBe(bucket.key);
        expect(bucketFromKey(bucket.key, zone, granularity)).toEqual(bucket);
      }
    }
  });

  it('refuses more buckets than allowed with VALIDATION_FAILED', () => {
    const range = resolveDateRange('2020-01-01', '2024-12-31', 'UTC');
    expect(() => enumerateBuckets(range, 'UTC', 'hour')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(enumerateBuckets(range, 'UTC', 'day')).toHaveLength(1827);
  });
});

describe('bucketFromKey', () => {
  it('refuses malformed keys and hours the zone never had', () => {
    expect(bucketFromKey('2024-03-10T02:00-04:00', 'America/New_York', 'hour')).toBeNull(); // skipped hour
    expect(bucketFromKey('2024-03-10T02:00-05:00', 'America/New_York', 'hour')).toBeNull();
    expect(bucketFromKey('2024-06-01T10:00+05:00', 'Asia/Kolkata', 'hour')).toBeNull(); // wrong offset
    expect(bucketFromKey('2024-02-30', 'UTC', 'day')).toBeNull();
    expect(bucketFromKey('2021-W53', 'UTC', 'week')).toBeNull();
    expect(bucketFromKey('2024-3', 'UTC', 'month')).toBeNull();
  });
});

describe('zeroFill', () => {
  it('gives every bucket a point, zero where nothing was counted', () => {
    const buckets = enumerateBuckets(resolveDateRange('2024-03-09', '2024-03-11', 'UTC'), 'UTC', 'day');
    const counts = new Map([
      ['2024-03-10', 4],
      ['2024-02-01', 9], // outside the range: not a point
    ]);
    expect(zeroFill(buckets, counts, 0)).toEqual([
      { bucket: '2024-03-09', value: 0 },
      { bucket: '2024-03-10', value: 4 },
      { bucket: '2024-03-11', value: 0 },
    ]);
    const spend = zeroFill(buckets, new Map([['2024-03-11', '12.50']]), '0.00');
    expect(spend.map((p) => p.value)).toEqual(['0.00', '0.00', '12.50']);
  });
});
