import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  buildMessage,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { calendarInstantMs, realWallClock } from '../../../handlers/shared/instant';
import { isValidTimeZone } from '../../analytics/time/time-zone';

// GoHighLevel's BlockSlotCreateRequestDTO (apps/calendars.json of GoHighLevel/highlevel-api-docs) takes
// startTime and endTime as strings in the form of its examples, "2021-06-23T03:30:00+05:30". We take
// ISO-8601 with or without seconds ("2026-12-02T10:00Z" is as exact a minute) but always with an offset
// or Z: without one the instant depends on the calendar's time zone, which the CRM does not send here,
// and a slot blocked hours off is worse than a 400. Years before 1900 or past 9999 are no booking
// (calendarInstantMs in handlers/shared/instant.ts, which also reads GoHighLevel's free slots).
const offsetInstant = (value: unknown): number => calendarInstantMs(value) ?? Number.NaN;

// A free-slots bound as the handler reads it: epoch milliseconds, or an ISO-8601 date or date-time. A
// fraction of any length (RFC 3339 §5.6 time-secfrac = "." 1*DIGIT; Python's isoformat writes six digits)
// is read to the millisecond, the unit GoHighLevel is asked in; more than nine digits is no clock's.
const SLOT_BOUND = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Epoch milliseconds, or an ISO-8601 date / date-time naming a real day and time (not rolled over). */
const IsSlotBound = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isSlotBound',
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string') return false;
          if (/^\d{1,15}$/.test(value)) return true;
          const match = SLOT_BOUND.exec(value);
          if (!match) return false;
          const [year, month, day, hour, minute] = match.slice(1, 6).map((part) => Number(part ?? 0));
          return realWallClock(year, month, day, hour, minute) && !Number.isNaN(Date.parse(value));
        },
        defaultMessage: buildMessage(
          (each) => `${each}$property must be epoch milliseconds or an ISO-8601 date or date-time that exists`,
          options,
        ),
      },
    },
    options,
  );

/** An IANA time-zone name (`America/New_York`, `UTC`), checked here rather than by GoHighLevel. */
const IsTimeZone = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value: unknown): boolean => isValidTimeZone(value),
        defaultMessage: buildMessage((each) => `${each}$property must be an IANA time zone name`, options),
      },
    },
    options,
  );

/** An ISO-8601 date-time with an offset or Z, seconds optional, from 1900 through 9999 ("2026-12-01T09:00-05:00"). */
const IsOffsetDateTime = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isOffsetDateTime',
      validator: {
        validate: (value: unknown): boolean => !Number.isNaN(offsetInstant(value)),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an ISO-8601 date-time with an offset or Z, from 1900 through 9999 (2026-12-01T09:00:00-05:00)`,
          options,
        ),
      },
    },
    options,
  );

/** Later than the instant in the object's `property` (checked only when both are valid date-times). */
const IsAfter = (property: string, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isAfter',
      constraints: [property],
      validator: {
        validate: (value: unknown, args?: ValidationArguments): boolean => {
          const start = offsetInstant((args?.object as Record<string, unknown> | undefined)?.[property]);
          const end = offsetInstant(value);
          return Number.isNaN(start) || Number.isNaN(end) || end > start;
        },
        defaultMessage: buildMessage((each) => `${each}$property must be after $constraint1`, options),
      },
    },
    options,
  );

const SLOT_BOUND_DESCRIPTION =
  'ISO-8601 date or date-time, or epoch milliseconds; a date or a date-time without an offset is read in `timezone` (UTC without one)';

export class FreeSlotsQueryDto {
  @ApiProperty({ description: SLOT_BOUND_DESCRIPTION }) @IsSlotBound() startDate!: string;
  @ApiProperty({ description: SLOT_BOUND_DESCRIPTION }) @IsSlotBound() endDate!: string;
  @ApiPropertyOptional({ example: 'America/New_York', description: 'IANA time zone name' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;
}

/** A slot to block on the calendar, as GoHighLevel takes it (passed on unchanged). */
export class BlockSlotDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T12:00:00-05:00',
    description: 'ISO-8601 date-time with an offset (or Z), seconds optional, from 1900 through 9999',
  })
  @IsOffsetDateTime()
  startTime!: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T13:00:00-05:00',
    description: 'ISO-8601 date-time with an offset (or Z), seconds optional, from 1900 through 9999; after startTime',
  })
  @IsOffsetDateTime()
  @IsAfter('startTime')
  endTime!: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Lunch', description: 'One line, without control characters' })
  @IsString()
  @Matches(/\S/, { message: 'title must not be blank' })
  // one line on the calendar: a title of control characters looked blank there but passed the check above
  @Matches(/^\P{Cc}*$/u, { message: 'title must not contain control characters (new lines, tabs, escapes)' })
  @MaxLength(200)
  title!: string;
}

export class PushContactDto {
  @ApiProperty({ description: 'The lead to upsert as a GoHighLevel contact' }) @Matches(/^\d{1,18}$/) leadId!: string;
}

export class PushedContactDto {
  @ApiProperty() contactId!: string;
  @ApiProperty() created!: boolean;
}

/** A GoHighLevel calendar of the integration's location (GET /calendars/, as ghl-api.ts projects it). */
export class GhlCalendarDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional({ example: 'round_robin' }) calendarType?: string;
  @ApiPropertyOptional() groupId?: string;
  @ApiPropertyOptional() isActive?: boolean;
}

/** The free slots of one day, in the calendar's (or the requested) time zone. */
export class GhlDaySlotsDto {
  @ApiProperty({ example: '2026-01-02', description: 'YYYY-MM-DD' }) date!: string;
  @ApiProperty({ type: [String], example: ['2026-01-02T10:00:00-05:00'] }) slots!: string[];
}

/** The block slot GoHighLevel created. */
export class GhlBlockedSlotDto {
  @ApiProperty() id!: string;
  @ApiPropertyOptional() calendarId?: string;
  @ApiPropertyOptional() title?: string;
  @ApiPropertyOptional() startTime?: string;
  @ApiPropertyOptional() endTime?: string;
}
