// Time buckets of the tenant's local calendar for time series and snapshots (API.md "Analytics":
// granularity hour|day|week|month, zero-filled). Keys are what the API returns as `bucket`:
//   hour  2024-11-03T01:00-04:00  local clock hour WITH its offset, so the two 01:00 hours of a
//                                  fall-back night are two buckets and a key is an exact instant
//   day   2024-11-03              local date (the rollup table's key)
//   week  2024-W44                ISO-8601 week (Monday first)
//   month 2024-11
// All keys of one granularity sort lexicographically in time order. A bucket's [start, end) are
// UTC instants: a local day lasts 23 or 25 hours across DST; an hour bucket is cut where the offset
// changes (Australia/Lord_Howe moves by 30 minutes), so every instant in it has the same key.
// Usage: `enumerateBuckets(range, zone, 'day')` for the zero-filled axis, then `bucketKeyOf` (facts)
// or `bucketKeyOfDate` (rollup days) to place values, and `zeroFill` to build the points.

import { DomainException } from '../../../common/errors/domain.exception';
import {
  addDays,
  addMonths,
  CivilDate,
  compareCivilDates,
  formatCivilDate,
  fromEpochDay,
  isoWeekKey,
  monthKey,
  parseCivilDate,
  parseIsoWeekKey,
  parseMonthKey,
  startOfIsoWeek,
  toEpochDay,
} from './civil-date';
import { formatOffset, localDateOf, startOfLocalDay, zoneOffsetMs } from './time-zone';

export const GRANULARITIES = ['hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export type CalendarGranularity = Exclude<Granularity, 'hour'>;

export interface Bucket {
  readonly key: string;
  readonly start: Date;
  readonly end: Date;
}

export interface BucketPoint<T = number> {
  readonly bucket: string;
  readonly value: T;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const HOUR_KEY_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):00([+-])(\d{2}):(\d{2})$/;

/** A default cap on a series' length: two years of hours fits, an accidental decade does not. */
export const DEFAULT_MAX_BUCKETS = 20_000;

/** The key of the bucket holding `instant`. */
export function bucketKeyOf(instant: Date | number, zone: string, granularity: Granularity): string {
  if (granularity === 'hour') return hourBucketAt(toMs(instant), zone).key;
  return bucketKeyOfDate(localDateOf(instant, zone), granularity);
}

/** The key of the bucket holding a local date: how day rollups become weeks and months. */
export function bucketKeyOfDate(date: CivilDate, granularity: CalendarGranularity): string {
  if (granularity === 'day') return formatCivilDate(date);
  return granularity === 'week' ? isoWeekKey(date) : monthKey(date);
}

/** The bucket a key names, or null when the key is malformed (or names an hour `zone` never had). */
export function bucketFromKey(key: string, zone: string, granularity: Granularity): Bucket | null {
  if (granularity === 'hour') {
    const match = HOUR_KEY_RE.exec(key);
    const date = match && parseCivilDate(match[1]);
    if (!match || !date || Number(match[2]) > 23) return null;
    const offset = (match[3] === '-' ? -1 : 1) * (Number(match[4]) * HOUR_MS + Number(match[5]) * 60_000);
    const bucket = hourBucketAt(toEpochDay(date) * DAY_MS + Number(match[2]) * HOUR_MS - offset, zone);
    return bucket.key === key ? bucket : null;
  }
  const first =
    granularity === 'day' ? parseCivilDate(key) : granularity === 'week' ? parseIsoWeekKey(key) : parseMonthKey(key);
  return first ? calendarBucket(first, zone, granularity) : null;
}

/**
 * Every bucket that overlaps [range.start, range.end), in order, with its full bounds (the first
 * and last may extend beyond a range given as instants). Throws VALIDATION_FAILED past `maxBuckets`,
 * naming `field`: the request's parameter that chose the granularity.
 */
export function enumerateBuckets(
  range: { readonly start: Date; readonly end: Date },
  zone: string,
  granularity: Granularity,
  maxBuckets = DEFAULT_MAX_BUCKETS,
  field = 'granularity',
): Bucket[] {
  const end = range.end.getTime();
  const buckets: Bucket[] = [];
  const push = (bucket: Bucket): void => {
    if (buckets.length >= maxBuckets) {
      throw DomainException.validation(`The range holds more than ${maxBuckets} ${granularity} buckets`, [
        { field, messages: [`use a coarser ${field} or a shorter range`] },
      ]);
    }
    buckets.push(bucket);
  };
  if (granularity === 'hour') {
    for (let cursor = range.start.getTime(); cursor < end;) {
      const bucket = hourBucketAt(cursor, zone);
      push(bucket);
      cursor = bucket.end.getTime();
    }
    return buckets;
  }
  if (end <= range.start.getTime()) return buckets;
  const last = localDateOf(end - 1, zone);
  let first = localDateOf(range.start, zone);
  if (granularity === 'week') first = startOfIsoWeek(first);
  if (granularity === 'month') first = { year: first.year, month: first.month, day: 1 };
  for (let date = first; compareCivilDates(date, last) <= 0; date = nextStart(date, granularity)) {
    push(calendarBucket(date, zone, granularity));
  }
  return buckets;
}

/** One point per bucket, in bucket order, `zero` (0, or "0.00" for money) where `values` has nothing. */
export function zeroFill<T>(buckets: readonly Bucket[], values: ReadonlyMap<string, T>, zero: T): BucketPoint<T>[] {
  return buckets.map((b) => ({ bucket: b.key, value: values.get(b.key) ?? zero }));
}

function calendarBucket(first: CivilDate, zone: string, granularity: CalendarGranularity): Bucket {
  return {
    key: bucketKeyOfDate(first, granularity),
    start: startOfLocalDay(first, zone),
    end: startOfLocalDay(nextStart(first, granularity), zone),
  };
}

function nextStart(date: CivilDate, granularity: CalendarGranularity): CivilDate {
  if (granularity === 'day') return addDays(date, 1);
  return granularity === 'week' ? addDays(date, 7) : addMonths(date, 1);
}

/** The local clock hour holding `ms`, cut at any offset change inside it. */
function hourBucketAt(ms: number, zone: string): Bucket {
  const offset = zoneOffsetMs(zone, ms);
  const localHour = Math.floor((ms + offset) / HOUR_MS) * HOUR_MS;
  let start = localHour - offset;
  let end = start + HOUR_MS;
  if (zoneOffsetMs(zone, start) !== offset) start = firstInstantWith(zone, start, ms, offset, true);
  if (zoneOffsetMs(zone, end - 1) !== offset) end = firstInstantWith(zone, ms, end - 1, offset, false);
  const epochDay = Math.floor(localHour / DAY_MS);
  const date = formatCivilDate(fromEpochDay(epochDay));
  const hour = String((localHour - epochDay * DAY_MS) / HOUR_MS).padStart(2, '0');
  return { key: `${date}T${hour}:00${formatOffset(offset)}`, start: new Date(start), end: new Date(end) };
}

/**
 * Bisects [lo, hi] (whole seconds suffice: tz transitions fall on them) for the first instant whose
 * offset equals `offset` (wanted = true) or differs from it (wanted = false).
 */
function firstInstantWith(zone: string, lo: number, hi: number, offset: number, wanted: boolean): number {
  let low = Math.floor(lo / 1000);
  let high = Math.ceil(hi / 1000);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((zoneOffsetMs(zone, mid * 1000) === offset) === wanted) high = mid;
    else low = mid + 1;
  }
  return high * 1000;
}

function toMs(instant: Date | number): number {
  return typeof instant === 'number' ? instant : instant.getTime();
}
