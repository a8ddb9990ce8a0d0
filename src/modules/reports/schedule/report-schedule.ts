// A report template's delivery schedule (API.md "Reports": schedule { frequency DAILY|WEEKLY|
// MONTHLY, dayOfWeek?, dayOfMonth?, time "HH:MM" }) in the sub-account's time zone, validated into a
// typed value that schedule-occurrences.ts computes periods and fire instants from.
//
// dayOfWeek is ISO-8601: 1 = Monday … 7 = Sunday (not JavaScript's 0 = Sunday), so ISO weeks, the
// week buckets and the weekday agree. dayOfMonth 29–31 fires on the last day of shorter months.

import { DomainException } from '../../../common/errors/domain.exception';
import { assertTimeZone } from '../../analytics/time/time-zone';

export const SCHEDULE_FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY'] as const;
export type ScheduleFrequency = (typeof SCHEDULE_FREQUENCIES)[number];

export interface ReportSchedule {
  readonly frequency: ScheduleFrequency;
  /** WEEKLY only: 1 = Monday … 7 = Sunday. */
  readonly dayOfWeek?: number;
  /** MONTHLY only: 1–31, clamped to the month's length. */
  readonly dayOfMonth?: number;
  readonly hour: number;
  readonly minute: number;
  readonly timezone: string;
}

interface FieldProblem {
  field: string;
  messages: string[];
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Validates a schedule as the API receives it (`{ frequency, dayOfWeek?, dayOfMonth?, time }`) in the
 * sub-account's zone; throws VALIDATION_FAILED listing every problem, field names under `schedule.`.
 */
export function parseReportSchedule(input: unknown, timezone: string): ReportSchedule {
  const zone = assertTimeZone(timezone);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw DomainException.validation('schedule must be an object', [
      { field: 'schedule', messages: ['must be an object'] },
    ]);
  }
  const raw = input as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field: `schedule.${field}`, messages: [message] });
  };

  const frequency = SCHEDULE_FREQUENCIES.find((f) => f === raw.frequency);
  if (!frequency) problem('frequency', `must be one of ${SCHEDULE_FREQUENCIES.join(', ')}`);

  const time = typeof raw.time === 'string' ? TIME_RE.exec(raw.time) : null;
  if (!time) problem('time', 'must be a local time "HH:MM" from 00:00 to 23:59');

  const dayOfWeek = optionalInteger(raw.dayOfWeek);
  const dayOfMonth = optionalInteger(raw.dayOfMonth);
  if (frequency === 'WEEKLY') {
    if (dayOfWeek === undefined || dayOfWeek === null || dayOfWeek < 1 || dayOfWeek > 7)
      problem('dayOfWeek', 'is required for WEEKLY: 1 (Monday) to 7 (Sunday)');
  } else if (raw.dayOfWeek !== undefined) problem('dayOfWeek', 'is allowed only with frequency WEEKLY');
  if (frequency === 'MONTHLY') {
    if (dayOfMonth === undefined || dayOfMonth === null || dayOfMonth < 1 || dayOfMonth > 31)
      problem('dayOfMonth', 'is required for MONTHLY: 1 to 31 (the last day in shorter months)');
  } else if (raw.dayOfMonth !== undefined) problem('dayOfMonth', 'is allowed only with frequency MONTHLY');

  if (problems.length > 0 || !frequency || !time) {
    throw DomainException.validation(`The schedule is invalid: ${problems.map((p) => p.field).join(', ')}`, problems);
  }
  return {
    frequency,
    ...(frequency === 'WEEKLY' ? { dayOfWeek: dayOfWeek ?? undefined } : {}),
    ...(frequency === 'MONTHLY' ? { dayOfMonth: dayOfMonth ?? undefined } : {}),
    hour: Number(time[1]),
    minute: Number(time[2]),
    timezone: zone,
  };
}

/** `HH:MM` of a schedule, as the API shows it. */
export function scheduleTime(schedule: ReportSchedule): string {
  return `${String(schedule.hour).padStart(2, '0')}:${String(schedule.minute).padStart(2, '0')}`;
}

/** undefined when absent, null when present but not an integer. */
function optionalInteger(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}
