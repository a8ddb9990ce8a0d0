// IANA names, instants to wall clock and back, with RFC 5545 gaps/overlaps (Sao Paulo, New York, London).
import { DomainException } from '../../../common/errors/domain.exception';
import { formatCivilDate, parseCivilDate } from './civil-date';
import {
  assertTimeZone,
  formatOffset,
  isValidTimeZone,
  localToInstant,
  startOfLocalDay,
  toLocalDateTime,
  zoneOffsetMs,
} from './time-zone';

const d = (text: string) => parseCivilDate(text)!;
const iso = (date: Date) => date.toISOString();
const local = (at: string, zone: string) => {
  const l = toLocalDateTime(new Date(at), zone);
  const hh = String(l.hour).padStart(2, '0');
  const mm = String(l.minute).padStart(2, '0');
  const ss = String(l.second).padStart(2, '0');
  return `${formatCivilDate(l.date)} ${hh}:${mm}:${ss} ${formatOffset(l.offsetMs)}`;
};
const HOUR = 3_600_000;

describe('time-zone names', () => {
  it('accepts IANA names, including half-hour and 45-minute zones and deep names', () => {
    for (const zone of [
      'UTC',
      'America/Sao_Paulo',
      'America/New_York',
      'Europe/London',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'America/Argentina/Buenos_Aires',
      'America/Port-au-Prince',
      'Etc/GMT+3',
    ])
      expect(isValidTimeZone(zone)).toBe(true);
  });

  it('refuses unknown names, offsets, paths and non-strings', () => {
    for (const bad of [
      '',
      'Mars/Olympus_Mons',
      '+05:30',
      '-03:00',
      '../../etc/passwd',
      'America/Sao_Paulo; DROP',
      'a'.repeat(65),
      42,
      null,
      undefined,
      {},
    ])
      expect(isValidTimeZone(bad)).toBe(false);
  });

  it('spells a name typed in another case as the tz database does, and keeps links as given', () => {
    expect(assertTimeZone('europe/london')).toBe('Europe/London');
    expect(assertTimeZone('AMERICA/SAO_PAULO')).toBe('America/Sao_Paulo');
    expect(assertTimeZone('utc')).toBe('UTC');
    expect(assertTimeZone('asia/kolkata')).toMatch(/^asia\/kolkata$|^Asia\/Kolkata$/);
  });

  it('keeps a valid name as given and throws VALIDATION_FAILED naming the field otherwise', () => {
    expect(assertTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(assertTimeZone('America/Sao_Paulo')).toBe('America/Sao_Paulo');
    let error: unknown;
    try {
      assertTimeZone('Mars/Olympus_Mons');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details: [{ field: 'timezone' }] });
  });
});

describe('instants to the local wall clock', () => {
  it('reads half-hour and 45-minute offsets', () => {
    expect(local('2024-06-01T00:00:00Z', 'Asia/Kolkata')).toBe('2024-06-01 05:30:00 +05:30');
    expect(local('2024-06-01T18:29:59Z', 'Asia/Kolkata')).toBe('2024-06-01 23:59:59 +05:30');
    expect(local('2024-06-01T18:30:00Z', 'Asia/Kolkata')).toBe('2024-06-02 00:00:00 +05:30');
    expect(local('2024-06-01T18:15:00Z', 'Asia/Kathmandu')).toBe('2024-06-02 00:00:00 +05:45');
    expect(zoneOffsetMs('Asia/Kathmandu', new Date('2024-06-01T00:00:00Z'))).toBe(5.75 * HOUR);
  });

  it('follows historical Sao Paulo DST: 2018-11-04 skipped midnight, 2019-02-16 repeated 23:00', () => {
    expect(local('2018-11-04T02:59:59Z', 'America/Sao_Paulo')).toBe('2018-11-03 23:59:59 -03:00');
    expect(local('2018-11-04T03:00:00Z', 'America/Sao_Paulo')).toBe('2018-11-04 01:00:00 -02:00');
    expect(local('2019-02-17T01:59:59Z', 'America/Sao_Paulo')).toBe('2019-02-16 23:59:59 -02:00');
    expect(local('2019-02-17T02:00:00Z', 'America/Sao_Paulo')).toBe('2019-02-16 23:00:00 -03:00');
    // Brazil abolished DST in 2019: 2024 stays at -03:00 all year.
    expect(local('2024-01-15T12:00:00Z', 'America/Sao_Paulo')).toBe('2024-01-15 09:00:00 -03:00');
  });

  it('follows New York and London changes', () => {
    expect(local('2024-03-10T06:59:59Z', 'America/New_York')).toBe('2024-03-10 01:59:59 -05:00');
    expect(local('2024-03-10T07:00:00Z', 'America/New_York')).toBe('2024-03-10 03:00:00 -04:00');
    expect(local('2024-10-27T00:59:59Z', 'Europe/London')).toBe('2024-10-27 01:59:59 +01:00');
    expect(local('2024-10-27T01:00:00Z', 'Europe/London')).toBe('2024-10-27 01:00:00 +00:00');
  });
});

describe('local wall-clock times to instants (RFC 5545 disambiguation)', () => {
  it('maps ordinary times exactly, in every kind of zone', () => {
    expect(iso(localToInstant(d('2024-06-01'), 10, 0, 'Asia/Kolkata'))).toBe('2024-06-01T04:30:00.000Z');
    expect(iso(localToInstant(d('2024-06-01'), 10, 0, 'Asia/Kathmandu'))).toBe('2024-06-01T04:15:00.000Z');
    expect(iso(localToInstant(d('2024-07-01'), 9, 0, 'America/New_York'))).toBe('2024-07-01T13:00:00.000Z');
    expect(iso(localToInstant(d('2024-01-01'), 9, 0, 'America/New_York'))).toBe('2024-01-01T14:00:00.000Z');
  });

  it('reads a time inside a spring-forward gap with the offset before the gap', () => {
    // 02:30 EST (-05) is 07:30Z, which the clocks showed as 03:30 EDT.
    expect(iso(localToInstant(d('2024-03-10'), 2, 30, 'America/New_York'))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(localToInstant(d('2024-03-31'), 1, 30, 'Europe/London'))).toBe('2024-03-31T01:30:00.000Z');
    expect(iso(localToInstant(d('2018-11-04'), 0, 30, 'America/Sao_Paulo'))).toBe('2018-11-04T03:30:00.000Z');
  });

  it('takes the first occurrence of a time repeated by a fall-back', () => {
    expect(iso(localToInstant(d('2024-11-03'), 1, 30, 'America/New_York'))).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(localToInstant(d('2024-10-27'), 1, 30, 'Europe/London'))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(localToInstant(d('2019-02-16'), 23, 30, 'America/Sao_Paulo'))).toBe('2019-02-17T01:30:00.000Z');
  });

  it('starts each local day at its first instant, so DST days last 23 or 25 hours', () => {
    const length = (date: string, next: string, zone: string) =>
      (startOfLocalDay(d(next), zone).getTime() - startOfLocalDay(d(date), zone).getTime()) / HOUR;
    expect(iso(startOfLocalDay(d('2018-11-04'), 'America/Sao_Paulo'))).toBe('2018-11-04T03:00:00.000Z');
    expect(length('2018-11-04', '2018-11-05', 'America/Sao_Paulo')).toBe(23);
    expect(iso(startOfLocalDay(d('2019-02-16'), 'America/Sao_Paulo'))).toBe('2019-02-16T02:00:00.000Z');
    expect(length('2019-02-16', '2019-02-17', 'America/Sao_Paulo')).toBe(25);
    expect(length('2024-03-10', '2024-03-11', 'America/New_York')).toBe(23);
    expect(length('2024-11-03', '2024-11-04', 'America/New_York')).toBe(25);
    expect(length('2024-06-01', '2024-06-02', 'Asia/Kolkata')).toBe(24);
  });

  it('round-trips every quarter hour of DST weeks through the wall clock', () => {
    for (const [zone, from] of [
      ['America/Sao_Paulo', '2018-11-01T00:00:00Z'],
      ['America/Sao_Paulo', '2019-02-14T00:00:00Z'],
      ['America/New_York', '2024-11-01T00:00:00Z'],
      ['Asia/Kathmandu', '2024-01-01T00:00:00Z'],
    ] as const) {
      for (let t = Date.parse(from); t < Date.parse(from) + 7 * 24 * HOUR; t += HOUR / 4) {
        const l = toLocalDateTime(t, zone);
        const back = localToInstant(l.date, l.hour, l.minute, zone).getTime();
        // Only the second pass through a repeated hour maps back to the first pass, one hour earlier.
        expect([t, t - HOUR]).toContain(back);
        if (back !== t) expect(zoneOffsetMs(zone, back)).not.toBe(l.offsetMs);
      }
    }
  });
});
