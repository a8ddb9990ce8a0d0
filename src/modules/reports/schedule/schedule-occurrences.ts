// When a scheduled report is due and which period it covers, so that a delivery row unique on
// (schedule, periodKey) — written before anything is sent — makes delivery exactly once per period.
//
// Each occurrence COVERS one complete local calendar period and FIRES in the next one:
//   DAILY    covers day D            "2024-03-09"  fires on D+1 at HH:MM
//   WEEKLY   covers ISO week W       "2024-W10"    fires in week W+1 on dayOfWeek at HH:MM
//   MONTHLY  covers month M          "2024-02"     fires in month M+1 on dayOfMonth (clamped) at HH:MM
// The period key names the covered period, so editing the time or the day inside a period cannot
// produce a second report for it. A local HH:MM inside a DST gap fires at the instant RFC 5545 gives
// (02:30 on a New York spring-forward day fires at 03:30 EDT); one repeated by a fall-back fires at
// its first occurrence: once either way.
//
// A worker calls `dueOccurrences(schedule, { lastPeriodKey, now })` on every tick: it returns every
// period due since the last one delivered, oldest first — nothing skipped after downtime, nothing
// repeated after a double fire — and `nextOccurrence` tells it when to look again.

import {
  addDays,
  addMonths,
  CivilDate,
  daysInMonth,
  formatCivilDate,
  isoWeekKey,
  monthKey,
  parseCivilDate,
  parseIsoWeekKey,
  parseMonthKey,
  startOfIsoWeek,
} from '../../analytics/time/civil-date';
import { localDaysRange, ResolvedRange } from '../../analytics/time/date-range';
import { localDateOf, localToInstant } from '../../analytics/time/time-zone';
import { ReportSchedule, ScheduleFrequency } from './report-schedule';

export interface ScheduleOccurrence {
  /** The covered period: `2024-03-09`, `2024-W10` or `2024-02`. */
  readonly periodKey: string;
  /** The local days covered, as UTC instants (what the report is generated for). */
  readonly period: ResolvedRange;
  /** When the occurrence is due. */
  readonly fireAt: Date;
}

export interface DueOptions {
  /** The last period delivered (or claimed) for this schedule; null when none yet. */
  readonly lastPeriodKey: string | null;
  readonly now: Date;
  /** Occurrences due before this instant are never delivered (e.g. the schedule's creation). */
  readonly notBefore?: Date;
  /** At most this many, oldest first; call again after recording them to get the rest. */
  readonly limit?: number;
}

/** A period key that does not fit the schedule's frequency. */
export class PeriodKeyError extends Error {
  constructor(key: string, frequency: ScheduleFrequency) {
    super(`"${key.slice(0, 20)}" is not a ${frequency} period key`);
    this.name = 'PeriodKeyError';
  }
}

/** The occurrence covering `periodKey`. */
export function occurrenceOf(schedule: ReportSchedule, periodKey: string): ScheduleOccurrence {
  const first = periodStart(schedule.frequency, periodKey);
  const next = nextPeriodStart(schedule.frequency, first);
  return {
    periodKey,
    period: localDaysRange(first, addDays(next, -1), schedule.timezone),
    fireAt: localToInstant(fireDate(schedule, next), schedule.hour, schedule.minute, schedule.timezone),
  };
}

/** The latest occurrence due at or before `now`. */
export function latestDueOccurrence(schedule: ReportSchedule, now: Date): ScheduleOccurrence {
  // The period holding today fires next period; walk back to the first one already due. Fire
  // instants increase with the period, so this takes one or two steps.
  let start = periodStartOf(schedule.frequency, localDateOf(now, schedule.timezone));
  for (;;) {
    const occurrence = occurrenceOf(schedule, periodKeyOf(schedule.frequency, start));
    if (occurrence.fireAt.getTime() <= now.getTime()) return occurrence;
    start = previousPeriodStart(schedule.frequency, start);
  }
}

/** The first occurrence due strictly after `after`. */
export function nextOccurrence(schedule: ReportSchedule, after: Date): ScheduleOccurrence {
  const latest = latestDueOccurrence(schedule, after);
  return occurrenceOf(schedule, nextPeriodKey(schedule.frequency, latest.periodKey));
}

/**
 * Every occurrence due at `now` and not yet delivered, oldest first: those after `lastPeriodKey`;
 * with no last period, those due since `notBefore`, or else only the latest due one (a new
 * schedule does not replay history).
 */
export function dueOccurrences(schedule: ReportSchedule, options: DueOptions): ScheduleOccurrence[] {
  const limit = options.limit ?? 100;
  const latest = latestDueOccurrence(schedule, options.now);
  const notBefore = options.notBefore?.getTime() ?? -Infinity;
  let key: string;
  if (options.lastPeriodKey !== null) {
    periodStart(schedule.frequency, options.lastPeriodKey); // throws on a key of another frequency
    key = nextPeriodKey(schedule.frequency, options.lastPeriodKey);
  } else if (options.notBefore) {
    key = nextOccurrence(schedule, new Date(options.notBefore.getTime() - 1)).periodKey;
  } else {
    return [latest];
  }
  const due: ScheduleOccurrence[] = [];
  // Keys of one frequency sort lexicographically in time order.
  for (; key <= latest.periodKey && due.length < limit; key = nextPeriodKey(schedule.frequency, key)) {
    const occurrence = occurrenceOf(schedule, key);
    if (occurrence.fireAt.getTime() >= notBefore) due.push(occurrence);
  }
  return due;
}

/** The key of the period holding a local date. */
export function periodKeyOf(frequency: ScheduleFrequency, date: CivilDate): string {
  if (frequency === 'DAILY') return formatCivilDate(date);
  return frequency === 'WEEKLY' ? isoWeekKey(date) : monthKey(date);
}

export function nextPeriodKey(frequency: ScheduleFrequency, key: string): string {
  return periodKeyOf(frequency, nextPeriodStart(frequency, periodStart(frequency, key)));
}

/** `2024-03-04 – 2024-03-10` for e-mails and file names. */
export function periodLabel(occurrence: ScheduleOccurrence): string {
  const from = formatCivilDate(occurrence.period.fromDate);
  const to = formatCivilDate(occurrence.period.toDate);
  return from === to ? from : `${from} – ${to}`;
}

function periodStart(frequency: ScheduleFrequency, key: string): CivilDate {
  const first =
    frequency === 'DAILY' ? parseCivilDate(key) : frequency === 'WEEKLY' ? parseIsoWeekKey(key) : parseMonthKey(key);
  if (!first) throw new PeriodKeyError(key, frequency);
  return first;
}

function periodStartOf(frequency: ScheduleFrequency, date: CivilDate): CivilDate {
  if (frequency === 'DAILY') return date;
  return frequency === 'WEEKLY' ? startOfIsoWeek(date) : { year: date.year, month: date.month, day: 1 };
}

function nextPeriodStart(frequency: ScheduleFrequency, start: CivilDate): CivilDate {
  if (frequency === 'DAILY') return addDays(start, 1);
  return frequency === 'WEEKLY' ? addDays(start, 7) : addMonths(start, 1);
}

function previousPeriodStart(frequency: ScheduleFrequency, start: CivilDate): CivilDate {
  if (frequency === 'DAILY') return addDays(start, -1);
  return frequency === 'WEEKLY' ? addDays(start, -7) : addMonths(start, -1);
}

/** The local date on which the occurrence whose fire period starts at `fireStart` fires. */
function fireDate(schedule: ReportSchedule, fireStart: CivilDate): CivilDate {
  if (schedule.frequency === 'DAILY') return fireStart;
  if (schedule.frequency === 'WEEKLY') return addDays(fireStart, (schedule.dayOfWeek ?? 1) - 1);
  const day = Math.min(schedule.dayOfMonth ?? 1, daysInMonth(fireStart.year, fireStart.month));
  return { year: fireStart.year, month: fireStart.month, day };
}
