// A sub-account's IANA time zone (API.md "Sub-account settings"): validating the name, and moving
// between UTC instants and the tenant's wall clock. Built on Intl alone (Node's ICU carries the tz
// database), so it needs no library and agrees with how Node formats dates.
//
// A wall-clock time can be missing (spring-forward gap) or occur twice (fall-back overlap). Both
// resolve as RFC 5545 §3.3.5 prescribes for a DATE-TIME with a TZID — which is also Temporal's
// default 'compatible' disambiguation: an overlapped time means its FIRST occurrence, a missing time
// is read with the UTC offset in force BEFORE the gap (America/New_York 2007-03-11 02:30 is 03:30
// EDT). So every local date and time maps to exactly one instant, a daily schedule fires once on
// both kinds of day, and the start of a local day is the first instant that has that local date
// (America/Sao_Paulo 2018-11-04 began at 01:00, because midnight did not exist).

import { DomainException } from '../../../common/errors/domain.exception';
import { CivilDate, formatCivilDate, fromEpochDay, toEpochDay } from './civil-date';

export interface LocalDateTime {
  readonly date: CivilDate;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Local time minus UTC at that instant, in milliseconds (+05:30 → 19 800 000). */
  readonly offsetMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// Area/Location names as the tz database spells them (Etc/GMT+3, America/Port-au-Prince, EST5EDT).
// Intl would also take offsets such as "+05:30" on newer Node versions; those are not IANA names.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True for a time-zone name Node's tz database knows, in IANA form (`America/Sao_Paulo`, `UTC`). */
export function isValidTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length > 64 || !IANA_NAME.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

let spellingByLowerCase: Map<string, string> | undefined;

/**
 * The tz database's own spelling of a name typed in another case ("europe/london" → "Europe/London"),
 * so that the name shown back matches the frontend's list of zones; names Intl does not list as they
 * are (links such as Asia/Kolkata on Node 20) are kept as given.
 */
function tzSpelling(name: string): string {
  spellingByLowerCase ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone): [string, string] => [zone.toLowerCase(), zone]),
  );
  return spellingByLowerCase.get(name.toLowerCase()) ?? name;
}

/**
 * Returns the name when valid, otherwise throws VALIDATION_FAILED naming `field`. Only the letter case
 * is corrected (tzSpelling); the name is not canonicalised, since Node 20's ICU would turn
 * Asia/Kolkata into Asia/Calcutta.
 */
export function assertTimeZone(name: unknown, field = 'timezone'): string {
  if (isValidTimeZone(name)) return tzSpelling(name);
  throw notATimeZone(name, field);
}

/** The 400 VALIDATION_FAILED of a value that is no time-zone name, naming `field`. */
export function notATimeZone(name: unknown, field = 'timezone'): DomainException {
  const shown = typeof name === 'string' ? `"${name.slice(0, 64)}"` : 'The value';
  return DomainException.validation(`${shown} is not an IANA time zone name`, [
    { field, messages: ['must be an IANA time zone name such as "America/Sao_Paulo" or "UTC"'] },
  ]);
}

/** The zone's UTC offset at an instant, in milliseconds. */
export function zoneOffsetMs(zone: string, instant: Date | number): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  const key = `${zone} ${wholeSecond}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  const offset = wallClockAsUtc(zone, wholeSecond) - wholeSecond;
  if (offsets.size >= OFFSETS_KEPT) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

// Offsets already asked for: a two-year daily series asks for the same local midnights (and the
// instants a day either side) at every request, ~4,000 formatToParts calls (~25 ms) when uncached.
const offsets = new Map<string, number>();
const OFFSETS_KEPT = 200_000;

/** The wall-clock reading in `zone` at an instant. */
export function toLocalDateTime(instant: Date | number, zone: string): LocalDateTime {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const offsetMs = zoneOffsetMs(zone, ms);
  const local = ms + offsetMs;
  const epochDay = Math.floor(local / DAY_MS);
  const inDay = local - epochDay * DAY_MS;
  return {
    date: fromEpochDay(epochDay),
    hour: Math.floor(inDay / HOUR_MS),
    minute: Math.floor((inDay % HOUR_MS) / 60_000),
    second: Math.floor((inDay % 60_000) / 1000),
    offsetMs,
  };
}

/** The local calendar date in `zone` at an instant. */
export function localDateOf(instant: Date | number, zone: string): CivilDate {
  return toLocalDateTime(instant, zone).date;
}

/**
 * The instant at which the wall clock in `zone` reads `date hour:minute:second`, resolving gaps and
 * overlaps as RFC 5545 does (see the file comment).
 */
export function localToInstant(date: CivilDate, hour: number, minute: number, zone: string, second = 0): Date {
  const naive = toEpochDay(date) * DAY_MS + hour * HOUR_MS + minute * 60_000 + second * 1000;
  // Offsets a day either side bracket any single transition near this wall-clock time.
  const before = zoneOffsetMs(zone, naive - DAY_MS);
  const after = zoneOffsetMs(zone, naive + DAY_MS);
  const candidates = new Set([before, after, zoneOffsetMs(zone, naive - before)]);
  let earliest: number | undefined;
  for (const offset of candidates) {
    const instant = naive - offset;
    if (zoneOffsetMs(zone, instant) === offset && (earliest === undefined || instant < earliest)) earliest = instant;
  }
  // No offset fits: the time falls in a gap, read with the offset before it.
  return new Date(earliest ?? naive - before);
}

/** The first instant of a local date in `zone`. */
export function startOfLocalDay(date: CivilDate, zone: string): Date {
  return localToInstant(date, 0, 0, zone);
}

/** `2024-04-01 08:00`: a wall-clock reading to the minute (seconds dropped), for people to read. */
export function formatLocalMinute(local: LocalDateTime): string {
  return `${formatCivilDate(local.date)} ${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
}

/** `+05:30`, `-03:00`, `+00:00` (seconds of historical offsets are dropped). */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.floor(Math.abs(offsetMs) / 60_000);
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Reads the zone's wall clock at a whole-second instant as if it were UTC milliseconds. */
function wallClockAsUtc(zone: string, ms: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  utc.setUTCHours(fields.hour, fields.minute, fields.second, 0);
  return utc.getTime();
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Valid names are finite, but their case variants are not: keep the cache bounded.
    if (formatters.size >= 1000) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}
