/**
 * The last millisecond of year 9999. A sender's stamp past it (1e20, "1e+308") is no time: a Date
 * built from it is invalid (RangeError on toISOString, refused by pg), and PostgreSQL refuses the
 * ISO text of years past 9999 anyway.
 */
export const LAST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Milliseconds since the epoch when they name a time from 1970 to year 9999; otherwise undefined. */
export function instantMs(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 && ms <= LAST_INSTANT_MS ? ms : undefined;
}

/** 1900-01-01T00:00:00Z: no calendar booking, free slot or blocked time lies before it. */
export const FIRST_CALENDAR_MS = Date.UTC(1900, 0, 1);

// An ISO-8601 date-time with an offset or Z, seconds (and a fraction of up to milliseconds) optional.
const OFFSET_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** True when the wall-clock day and time exist (Date.parse rolls 2026-02-30 over to March 2, 24:00 to the next day). */
export function realWallClock(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): boolean {
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  local.setUTCFullYear(year);
  return (
    local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    local.getUTCMinutes() === minute &&
    local.getUTCSeconds() === second
  );
}

/**
 * The epoch milliseconds of an ISO-8601 date-time with an offset or Z ("2026-12-02T10:00:00+01:00",
 * "2026-12-02T10:00Z"), seconds optional, naming a day and time that exist, an offset of at most 23:59,
 * and an instant from 1900 through year 9999; undefined for anything else (year 0000, 2026-02-30,
 * 25:00, no offset).
 */
export function calendarInstantMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = OFFSET_DATE_TIME.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  if (!realWallClock(year, month, day, hour, minute, second)) return undefined;
  if (match[8] !== undefined && (Number(match[8]) > 23 || Number(match[9]) > 59)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= FIRST_CALENDAR_MS && ms <= LAST_INSTANT_MS ? ms : undefined;
}

/** True for a "YYYY-MM-DD" day that exists, from 1900 through 9999 ("2026-02-30" and "9999-99-99" do not). */
export function isCalendarDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1, 4).map(Number);
  return year >= 1900 && realWallClock(year, month, day);
}
