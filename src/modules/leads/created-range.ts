// The creation range of a lead filter (GET /api/leads, a bulk send's filter): createdFrom and createdTo
// are timestamps, or dates (YYYY-MM-DD) of the sub-account's calendar, as analytics counts "new leads on
// D" (API.md "Analytics": computed in the sub-account's time zone). createdFrom=D&createdTo=D lists the
// leads of local day D, the same leads the overview counts as new on D.
import { assertRangeInOrder, isDateOnly } from '../../common/http/date-range';
import { addDays, parseCivilDate } from '../analytics/time/civil-date';
import { startOfLocalDay } from '../analytics/time/time-zone';

export interface CreatedRange {
  createdFrom?: Date;
  createdTo?: Date;
}

/** Whether either bound is a bare date, so the sub-account's time zone is needed to read it. */
export function needsCalendar(from: string | undefined, to: string | undefined): boolean {
  return isDateOnly(from) || isDateOnly(to);
}

/** Local day `value` of `zone`, `days` later, at its first instant. */
function dayStart(value: string, zone: string, days = 0): Date {
  const date = parseCivilDate(value);
  return date ? startOfLocalDay(addDays(date, days), zone) : new Date(Number.NaN);
}

/**
 * The bounds compared with >= and <=: a timestamp as given; a bare date from the first instant of that
 * day in `zone` to the last millisecond before the next. Refused (400 naming both fields) when upside down.
 */
export function createdRange(
  from: string | undefined,
  to: string | undefined,
  zone: string,
  fields: readonly [string, string] = ['createdFrom', 'createdTo'],
): CreatedRange {
  const createdFrom = from === undefined ? undefined : isDateOnly(from) ? dayStart(from, zone) : new Date(from);
  const createdTo =
    to === undefined ? undefined : isDateOnly(to) ? new Date(dayStart(to, zone, 1).getTime() - 1) : new Date(to);
  assertRangeInOrder(createdFrom, createdTo, fields[0], fields[1]);
  return { createdFrom, createdTo };
}
