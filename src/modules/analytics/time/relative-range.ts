// The relative date ranges a report template may name (API.md "Reports": dateRange LAST_7_DAYS |
// LAST_30_DAYS | THIS_MONTH | LAST_MONTH), resolved against an injected "now" in the sub-account's
// zone. Report generation calls this with the generation (or scheduled fire) instant.
//
// The names and meanings follow Google's reporting enums (AdSense Management API v2
// ReportingDateRange: "LAST_7_DAYS  Last 7 days, excluding current day", MONTH_TO_DATE "from the start
// of the current month to the current day"): LAST_N_DAYS is the N complete local days before today,
// so a report run at 08:00 shows seven full days rather than six and a morning; THIS_MONTH is
// month-to-date with today; LAST_MONTH is the whole previous calendar month.

import { addDays, addMonths, CivilDate } from './civil-date';
import { localDaysRange, ResolvedRange } from './date-range';
import { assertTimeZone, localDateOf } from './time-zone';

export const RELATIVE_RANGES = ['LAST_7_DAYS', 'LAST_30_DAYS', 'THIS_MONTH', 'LAST_MONTH'] as const;
export type RelativeRange = (typeof RELATIVE_RANGES)[number];

export function isRelativeRange(value: unknown): value is RelativeRange {
  return typeof value === 'string' && (RELATIVE_RANGES as readonly string[]).includes(value);
}

/** The local days a relative range covers at `now` in `zone`. */
export function resolveRelativeRange(preset: RelativeRange, zone: string, now: Date): ResolvedRange {
  const timezone = assertTimeZone(zone);
  const today = localDateOf(now, timezone);
  const [from, to] = bounds(preset, today);
  return localDaysRange(from, to, timezone);
}

function bounds(preset: RelativeRange, today: CivilDate): [CivilDate, CivilDate] {
  const firstOfMonth = { year: today.year, month: today.month, day: 1 };
  switch (preset) {
    case 'LAST_7_DAYS':
      return [addDays(today, -7), addDays(today, -1)];
    case 'LAST_30_DAYS':
      return [addDays(today, -30), addDays(today, -1)];
    case 'THIS_MONTH':
      return [firstOfMonth, today];
    case 'LAST_MONTH':
      return [addMonths(firstOfMonth, -1), addDays(firstOfMonth, -1)];
  }
}
