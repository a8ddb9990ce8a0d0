// Turns the `from`/`to` of an analytics request (API.md "Analytics": local dates `YYYY-MM-DD`,
// inclusive, or ISO instants) into a half-open UTC interval [start, end) in the sub-account's zone,
// plus the local dates it touches, so a repository can query facts by instant and rollups by local
// day. `previousRange` gives the `compare=previous` window. Errors are VALIDATION_FAILED with the
// field named, ready to be thrown from a service.

import { DomainException } from '../../../common/errors/domain.exception';
import { upsideDownRange } from '../../../common/http/date-range';
import { CivilDate, addDays, daysBetween, formatCivilDate, parseCivilDate } from './civil-date';
import { assertTimeZone, localDateOf, startOfLocalDay } from './time-zone';

export interface ResolvedRange {
  readonly timezone: string;
  /** First instant of the range (inclusive). */
  readonly start: Date;
  /** First instant after the range (exclusive). */
  readonly end: Date;
  /** Local date of `start`. */
  readonly fromDate: CivilDate;
  /** Local date of the last instant in the range (inclusive). */
  readonly toDate: CivilDate;
  /** `dates` when both bounds were local dates: the range is whole local days. */
  readonly kind: 'dates' | 'instants';
}

/** The longest range, in local days, a report covers (a template's fixed dateRange, a generate request). */
export const MAX_ANALYTICS_DAYS = 3660;
/**
 * The longest range the dashboard routes (analytics, WhatsApp analytics) answer: a century, so an
 * "all time" range such as 2000-01-01..2099-12-31 is answered rather than refused (API.md sets no
 * limit). Their cost follows the data in the range, not its length; the timeseries' own limit is its
 * number of buckets (DEFAULT_MAX_BUCKETS).
 */
export const MAX_QUERY_DAYS = 36_600;

export interface RangeOptions {
  /** Longest range accepted, in days (the request is refused beyond it). */
  readonly maxDays?: number;
}

// An instant must carry its offset: a bare "2024-03-10T10:00" would mean different things per zone.
// Fractional seconds as clients write them (JavaScript 3 digits, Python 6, Go's RFC3339Nano 9); Date
// keeps the milliseconds.
const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** One bound as written: a local date, or an instant with its offset. */
export type Bound = { kind: 'date'; date: CivilDate } | { kind: 'instant'; at: Date };

/**
 * The earliest bound taken. Queries look a day, a period or a lookback window before `from`, and
 * PostgreSQL has no year 0: from 0001-01-01 they failed (a 500). No lead, message or spend is older.
 */
export const EARLIEST_YEAR = 1900;
export const EARLIEST_DATE = `${EARLIEST_YEAR}-01-01`;
const EARLIEST_MS = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);

function notTooEarly(bound: Bound, field: 'from' | 'to'): Bound {
  // a date by its year: Date.UTC would read the years 0–99 as 1900–1999
  const early = bound.kind === 'date' ? bound.date.year < EARLIEST_YEAR : bound.at.getTime() < EARLIEST_MS;
  if (!early) return bound;
  throw DomainException.validation(`\`${field}\` is before ${EARLIEST_DATE}`, [
    { field, messages: [`must be on or after ${EARLIEST_DATE}`] },
  ]);
}

// PostgreSQL reads no instant past the year 9999 as JavaScript writes it ("+010000-01-01T…", a 500), and
// to=9999-12-31 ends in the year 10000 in UTC and every zone west of it: a range ends at the latest with
// the last millisecond of 9999 (the last instant anything is stored at; the local dates stay as asked).
const LAST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

function atMostLastInstant(end: Date): Date {
  return end.getTime() > LAST_INSTANT_MS ? new Date(LAST_INSTANT_MS) : end;
}

/** Resolves a request's `from`/`to` (each a local date or an ISO instant) in `zone`. */
export function resolveDateRange(from: unknown, to: unknown, zone: string, options: RangeOptions = {}): ResolvedRange {
  const timezone = assertTimeZone(zone);
  const lower = parseBound(from, 'from');
  const upper = parseBound(to, 'to');
  const start = lower.kind === 'date' ? startOfLocalDay(lower.date, timezone) : lower.at;
  // A local date as `to` includes that whole day.
  const end = atMostLastInstant(upper.kind === 'date' ? startOfLocalDay(addDays(upper.date, 1), timezone) : upper.at);
  // a local date as `to` includes its whole day: ending where `from` starts, it is the day before
  if (end.getTime() < start.getTime() || (end.getTime() === start.getTime() && upper.kind === 'date'))
    throw upsideDownRange('from', 'to');
  if (end.getTime() === start.getTime()) {
    throw DomainException.validation('`to` must be after `from`', [
      { field: 'to', messages: ['must be after from: an instant as to is exclusive, so this range is empty'] },
    ]);
  }
  const kind = lower.kind === 'date' && upper.kind === 'date' ? 'dates' : 'instants';
  return checkLength(fromInstants(start, end, timezone, kind), options);
}

/**
 * The local date one bound names on its own (a rebuild's `from`/`to`): a date is itself, an instant
 * is its day in `zone`; an instant as `to` is an exclusive end, so its day is that of the instant before.
 */
export function localDateOfBound(value: unknown, field: 'from' | 'to', zone: string): CivilDate {
  const bound = parseBound(value, field);
  if (bound.kind === 'date') return bound.date;
  return localDateOf(field === 'to' ? bound.at.getTime() - 1 : bound.at, assertTimeZone(zone));
}

/**
 * The bounds of a request that may leave either out: a missing `to` is `today`, a missing `from` starts
 * the `days` local days that end at `to` (the last `days` days when neither is given). An end given alone
 * keeps its `days` days: counted back from today instead, `to=2022-01-31` was refused as upside down.
 */
export function boundsOrDefault(
  from: unknown,
  to: unknown,
  today: CivilDate,
  zone: string,
  days: number,
): [unknown, unknown] {
  const last = to === undefined || from !== undefined ? today : localDateOfBound(to, 'to', zone);
  return [from ?? formatCivilDate(addDays(last, 1 - days)), to ?? formatCivilDate(today)];
}

/** A range of whole local days, `from` to `to` inclusive. */
export function localDaysRange(from: CivilDate, to: CivilDate, zone: string): ResolvedRange {
  const timezone = assertTimeZone(zone);
  if (daysBetween(from, to) < 0) throw new RangeError(`${formatCivilDate(to)} is before ${formatCivilDate(from)}`);
  return {
    timezone,
    start: startOfLocalDay(from, timezone),
    end: startOfLocalDay(addDays(to, 1), timezone),
    fromDate: from,
    toDate: to,
    kind: 'dates',
  };
}

/**
 * The window just before `range` for `compare=previous`: the same number of local days for a range
 * of dates (so 1–31 March compares with the 31 days before it, whatever DST did), otherwise the same
 * duration ending where `range` starts.
 */
export function previousRange(range: ResolvedRange): ResolvedRange {
  if (range.kind === 'dates') {
    const days = daysBetween(range.fromDate, range.toDate) + 1;
    return localDaysRange(addDays(range.fromDate, -days), addDays(range.fromDate, -1), range.timezone);
  }
  const length = range.end.getTime() - range.start.getTime();
  return fromInstants(new Date(range.start.getTime() - length), range.start, range.timezone, 'instants');
}

/** Every local date the range touches, in order (what a rollup query reads). */
export function localDatesOf(range: ResolvedRange): CivilDate[] {
  const days = daysBetween(range.fromDate, range.toDate);
  return Array.from({ length: days + 1 }, (_, i) => addDays(range.fromDate, i));
}

function fromInstants(start: Date, end: Date, timezone: string, kind: ResolvedRange['kind']): ResolvedRange {
  return {
    timezone,
    start,
    end,
    fromDate: localDateOf(start, timezone),
    toDate: localDateOf(end.getTime() - 1, timezone),
    kind,
  };
}

function checkLength(range: ResolvedRange, options: RangeOptions): ResolvedRange {
  const days = daysBetween(range.fromDate, range.toDate) + 1;
  if (options.maxDays !== undefined && days > options.maxDays) {
    throw DomainException.validation(`The range spans ${days} days; at most ${options.maxDays} are allowed`, [
      { field: 'to', messages: [`must be at most ${options.maxDays} days after from`] },
    ]);
  }
  return range;
}

/** One `from`/`to` read on its own (no zone needed); VALIDATION_FAILED naming the field otherwise. */
export function parseBound(value: unknown, field: 'from' | 'to'): Bound {
  if (typeof value === 'string') {
    const date = parseCivilDate(value);
    if (date) return notTooEarly({ kind: 'date', date }, field);
    const match = INSTANT_RE.exec(value);
    if (match && parseCivilDate(match[1]) && Number(match[2]) < 24 && Number(match[3]) < 60) {
      const at = new Date(value);
      if (!Number.isNaN(at.getTime())) return notTooEarly({ kind: 'instant', at }, field);
    }
  }
  const problem =
    value === undefined || value === ''
      ? 'is required'
      : typeof value === 'string'
        ? `"${value.slice(0, 40)}" is neither a date (YYYY-MM-DD) nor an ISO instant`
        : 'must be a string';
  throw DomainException.validation(`\`${field}\` ${problem}`, [
    { field, messages: ['must be a local date YYYY-MM-DD or an ISO-8601 instant with Z or an offset'] },
  ]);
}
