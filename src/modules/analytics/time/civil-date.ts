// Calendar arithmetic on plain local dates (no time zone, no clock): the "2024-03-10" a tenant sees
// on its wall calendar. Analytics keys days, ISO weeks and months by these, and report schedules step
// through them; converting a local date to UTC instants is time-zone.ts's job. Dates are handled as
// whole days since 1970-01-01 (an "epoch day"), which makes adding days and months exact.

export interface CivilDate {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number; // 1–31
}

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;

/** Parses `YYYY-MM-DD` strictly (no overflow such as 2023-02-29), or returns null. */
export function parseCivilDate(text: string): CivilDate | null {
  const match = DATE_RE.exec(text);
  if (!match) return null;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (date.year < 1 || date.month < 1 || date.month > 12 || date.day < 1) return null;
  if (date.day > daysInMonth(date.year, date.month)) return null;
  return date;
}

export function formatCivilDate(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Whole days since 1970-01-01 (negative before). */
export function toEpochDay(date: CivilDate): number {
  return Math.round(utcMs(date) / DAY_MS);
}

export function fromEpochDay(epochDay: number): CivilDate {
  const d = new Date(epochDay * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function addDays(date: CivilDate, days: number): CivilDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Adds calendar months, clamping the day to the target month's length (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: CivilDate, months: number): CivilDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

/** Negative when a is before b, 0 when equal. */
export function compareCivilDates(a: CivilDate, b: CivilDate): number {
  return toEpochDay(a) - toEpochDay(b);
}

/** Days from a to b (b − a). */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  return toEpochDay(b) - toEpochDay(a);
}

/** ISO-8601 weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: CivilDate): number {
  // 1970-01-01 was a Thursday (4).
  return ((((toEpochDay(date) + 3) % 7) + 7) % 7) + 1;
}

export function startOfIsoWeek(date: CivilDate): CivilDate {
  return addDays(date, 1 - isoWeekday(date));
}

/** ISO-8601 week-numbering year and week: the week belongs to the year that holds its Thursday. */
export function isoWeekOf(date: CivilDate): { weekYear: number; week: number } {
  const thursday = addDays(date, 4 - isoWeekday(date));
  const firstOfYear = { year: thursday.year, month: 1, day: 1 };
  return { weekYear: thursday.year, week: Math.floor(daysBetween(firstOfYear, thursday) / 7) + 1 };
}

/** `2024-W09`: sorts lexicographically in time order. */
export function isoWeekKey(date: CivilDate): string {
  const { weekYear, week } = isoWeekOf(date);
  return `${pad(weekYear, 4)}-W${pad(week, 2)}`;
}

/** The Monday of an ISO week key, or null when the key is malformed or names a week the year lacks. */
export function parseIsoWeekKey(key: string): CivilDate | null {
  const match = WEEK_RE.exec(key);
  if (!match) return null;
  const weekYear = Number(match[1]);
  const week = Number(match[2]);
  if (weekYear < 1 || week < 1 || week > 53) return null;
  // Week 1 is the week holding January 4th.
  const monday = addDays(startOfIsoWeek({ year: weekYear, month: 1, day: 4 }), (week - 1) * 7);
  return isoWeekKey(monday) === key ? monday : null;
}

/** `2024-03`. */
export function monthKey(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month, 2)}`;
}

/** The first day of a `YYYY-MM` key, or null. */
export function parseMonthKey(key: string): CivilDate | null {
  const match = MONTH_RE.exec(key);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (year < 1 || month < 1 || month > 12) return null;
  return { year, month, day: 1 };
}

function utcMs(date: CivilDate): number {
  const d = new Date(0);
  d.setUTCFullYear(date.year, date.month - 1, date.day);
  return d.getTime();
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
