import { buildMessage, isISO8601, ValidateBy, ValidationOptions } from 'class-validator';
import { DomainException } from '../errors/domain.exception';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A bare calendar date (YYYY-MM-DD), no time of day. */
export const isDateOnly = (value: string | undefined): value is string => value !== undefined && DATE_ONLY.test(value);
/** A full calendar date first: ISO-8601's reduced precisions ("2026-03", "2026") are no day. */
const FULL_DATE_FIRST = /^\d{4}-\d{2}-\d{2}(?:$|[T ])/;

/**
 * The upper bound of a `createdTo` filter (compared with <=). A timestamp is taken as given; a bare
 * date (YYYY-MM-DD) means the whole of that UTC day, so `createdFrom=2026-03-09&createdTo=2026-03-09`
 * lists that day's leads instead of none (a bare date alone would be its first instant).
 */
export function createdToBound(value: string): Date {
  if (!DATE_ONLY.test(value)) return new Date(value);
  return new Date(Date.parse(`${value}T00:00:00.000Z`) + 24 * 3600_000 - 1);
}

/**
 * An ISO-8601 date (YYYY-MM-DD) or timestamp that names a real day and that Date reads. @IsDateString
 * also takes forms Date cannot read (20261201, 2026-W48, 2026-335) and days that do not exist
 * (2026-02-30): they reached the query as an Invalid Date, a 500. A month or a year alone ("2026-03")
 * was read as its first instant, so createdFrom=2026-03&createdTo=2026-03 listed none of March's leads.
 */
export const IsTimestamp = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'string' &&
          FULL_DATE_FIRST.test(value) &&
          isISO8601(value, { strict: true }) &&
          !Number.isNaN(Date.parse(value)),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISO-8601 date (YYYY-MM-DD) or timestamp (2026-03-09T10:00:00Z)`,
          options,
        ),
      },
    },
    options,
  );

/**
 * A range whose lower bound is after its upper bound is a mistake to tell (400), not an empty page:
 * the same answer for every from/to pair of the API (analytics' `from`/`to` included), naming both.
 */
export function upsideDownRange(fromField: string, toField: string): DomainException {
  return DomainException.validation(`\`${toField}\` must not be before \`${fromField}\``, [
    { field: fromField, messages: [`must be on or before ${toField}`] },
    { field: toField, messages: [`must be on or after ${fromField}`] },
  ]);
}

/** Throws upsideDownRange when both bounds are given and `from` comes after `to` (equal is a range). */
export function assertRangeInOrder(
  from: Date | undefined,
  to: Date | undefined,
  fromField: string,
  toField: string,
): void {
  if (from && to && from.getTime() > to.getTime()) throw upsideDownRange(fromField, toField);
}
