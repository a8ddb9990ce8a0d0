// A report template's `config` and `schedule` (API.md "Reports"), validated by JSON Schemas (Ajv
// 2020-12, the project's one Ajv setup) and then read into typed values. `config`'s problems are
// CONFIG_SCHEMA_INVALID with the JSON pointer of each field; `schedule`'s are VALIDATION_FAILED
// (parseReportSchedule checks its frequency, days and local time).

import type { ErrorObject, ValidateFunction } from 'ajv';
import { DomainException } from '../../../common/errors/domain.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { createAjv } from '../../../common/json-schema/ajv';
import { compareCivilDates, daysBetween, parseCivilDate } from '../../analytics/time/civil-date';
import { EARLIEST_DATE, EARLIEST_YEAR, MAX_ANALYTICS_DAYS } from '../../analytics/time/date-range';
import { toProblems } from '../../integration-templates/config-schema.service';
import { isMailableAddress, MAILABLE_ADDRESS_RULE } from '../delivery/mail-address';
import { RELATIVE_RANGES, RelativeRange } from '../../analytics/time/relative-range';
import { parseReportSchedule, ReportSchedule } from '../schedule/report-schedule';

export const REPORT_TYPES = ['FUNNEL', 'CONVERSION', 'SOURCE', 'TEAM', 'ROI', 'CUSTOM'] as const;
export type ReportTypeName = (typeof REPORT_TYPES)[number];
export const REPORT_FORMATS = ['PDF', 'EXCEL'] as const;
export type ReportFormatName = (typeof REPORT_FORMATS)[number];

export const REPORT_METRICS = [
  'totalLeads',
  'newLeads',
  'convertedLeads',
  'lostLeads',
  'conversionRate',
  'spend',
  'costPerLead',
  'costPerConversion',
] as const;
export type ReportMetric = (typeof REPORT_METRICS)[number];
export const REPORT_DIMENSIONS = ['source', 'status', 'campaign', 'integration', 'day', 'week', 'month'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];
export const REPORT_CHART_TYPES = ['bar', 'line', 'pie', 'table'] as const;
export type ReportChartType = (typeof REPORT_CHART_TYPES)[number];
const LEAD_STATUSES = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'] as const;

export interface ReportFilters {
  readonly source?: readonly string[];
  readonly status?: readonly string[];
  readonly campaignId?: readonly string[];
  readonly integrationId?: readonly number[];
}

export interface ReportConfig {
  readonly metrics: readonly ReportMetric[];
  readonly filters: ReportFilters;
  readonly groupBy: readonly ReportDimension[];
  readonly dateRange: RelativeRange | { readonly from: string; readonly to: string };
  readonly chartTypes: readonly ReportChartType[];
}

export interface ScheduleInput {
  readonly frequency: string;
  readonly dayOfWeek?: number;
  readonly dayOfMonth?: number;
  readonly time: string;
  readonly recipients: readonly string[];
}

const stringList = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 200 },
  maxItems: 100,
  uniqueItems: true,
};

/** The JSON Schema of `config` (draft 2020-12). */
export const REPORT_CONFIG_SCHEMA = {
  $id: 'https://integration-hub.local/schemas/report-config.json',
  type: 'object',
  additionalProperties: false,
  required: ['metrics', 'dateRange'],
  properties: {
    metrics: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...REPORT_METRICS] } },
    filters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: stringList,
        status: { type: 'array', uniqueItems: true, items: { enum: [...LEAD_STATUSES] } },
        campaignId: stringList,
        integrationId: {
          type: 'array',
          maxItems: 100,
          uniqueItems: true,
          items: { type: 'integer', minimum: 1, maximum: 2147483647 },
        },
      },
    },
    groupBy: { type: 'array', maxItems: 2, uniqueItems: true, items: { enum: [...REPORT_DIMENSIONS] } },
    dateRange: {
      oneOf: [
        { enum: [...RELATIVE_RANGES] },
        {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' } },
        },
      ],
    },
    chartTypes: { type: 'array', uniqueItems: true, items: { enum: [...REPORT_CHART_TYPES] } },
  },
} as const;

/** The JSON Schema of `schedule`; frequency, days and time are then checked by parseReportSchedule. */
export const REPORT_SCHEDULE_SCHEMA = {
  $id: 'https://integration-hub.local/schemas/report-schedule.json',
  type: 'object',
  additionalProperties: false,
  required: ['frequency', 'time', 'recipients'],
  properties: {
    frequency: { type: 'string' },
    dayOfWeek: { type: 'integer' },
    dayOfMonth: { type: 'integer' },
    time: { type: 'string' },
    recipients: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', format: 'email', maxLength: 254 },
    },
  },
} as const;

let compiled: { config: ValidateFunction; schedule: ValidateFunction } | undefined;

function validators(): { config: ValidateFunction; schedule: ValidateFunction } {
  if (!compiled) {
    const ajv = createAjv();
    compiled = { config: ajv.compile(REPORT_CONFIG_SCHEMA), schedule: ajv.compile(REPORT_SCHEDULE_SCHEMA) };
  }
  return compiled;
}

/** Ajv's errors under `prefix`, each naming the bad field itself (an unknown or missing key too, as integration configs do). */
function problems(errors: ErrorObject[] | null | undefined, prefix: string): { pointer: string; message: string }[] {
  return toProblems(errors).map((p) => ({
    pointer: `${prefix}${p.pointer === '/' ? '' : p.pointer}`,
    message: p.message,
  }));
}

/** A validated config with its defaults filled in; CONFIG_SCHEMA_INVALID listing every problem otherwise. */
export function parseReportConfig(input: unknown): ReportConfig {
  const validate = validators().config;
  if (!validate(input)) {
    const found = problems(validate.errors, '/config');
    throw new DomainException(
      ErrorCode.CONFIG_SCHEMA_INVALID,
      `config is invalid: ${found.map((p) => `${p.pointer} ${p.message}`).join('; ')}`,
      found,
    );
  }
  const raw = input as {
    metrics: ReportMetric[];
    filters?: ReportFilters;
    groupBy?: ReportDimension[];
    dateRange: ReportConfig['dateRange'];
    chartTypes?: ReportChartType[];
  };
  if (typeof raw.dateRange === 'object') {
    const from = parseCivilDate(raw.dateRange.from);
    const to = parseCivilDate(raw.dateRange.to);
    if (!from || !to || compareCivilDates(from, to) > 0) {
      const found = [{ pointer: '/config/dateRange/to', message: 'must be a valid date on or after from' }];
      throw new DomainException(ErrorCode.CONFIG_SCHEMA_INVALID, 'config is invalid: dateRange.to before from', found);
    }
    if (from.year < EARLIEST_YEAR) {
      const found = [{ pointer: '/config/dateRange/from', message: `must be on or after ${EARLIEST_DATE}` }];
      throw new DomainException(
        ErrorCode.CONFIG_SCHEMA_INVALID,
        `config is invalid: dateRange.from before ${EARLIEST_DATE}`,
        found,
      );
    }
  }
  return {
    metrics: raw.metrics,
    filters: raw.filters ?? {},
    groupBy: raw.groupBy ?? [],
    dateRange: raw.dateRange,
    chartTypes: raw.chartTypes ?? ['table'],
  };
}

/**
 * A fixed `dateRange` no longer than the analytics routes' longest range (TEAM and FUNNEL reports read
 * their figures) (checked when a config is written). Longer,
 * every TEAM or FUNNEL report of the template failed ("at most 3660 are allowed") and the others ran
 * over centuries.
 */
export function assertReportRangeLength(config: ReportConfig): void {
  if (typeof config.dateRange !== 'object') return;
  const from = parseCivilDate(config.dateRange.from);
  const to = parseCivilDate(config.dateRange.to);
  if (!from || !to || daysBetween(from, to) + 1 <= MAX_ANALYTICS_DAYS) return;
  const found = [{ pointer: '/config/dateRange/to', message: `must be at most ${MAX_ANALYTICS_DAYS} days after from` }];
  throw new DomainException(
    ErrorCode.CONFIG_SCHEMA_INVALID,
    `config is invalid: dateRange spans more than ${MAX_ANALYTICS_DAYS} days`,
    found,
  );
}

/** A validated schedule (recipients and the parsed occurrence rule) in the sub-account's zone. */
export function parseScheduleInput(input: unknown, timezone: string): { input: ScheduleInput; rule: ReportSchedule } {
  const validate = validators().schedule;
  if (!validate(input)) {
    const found = problems(validate.errors, 'schedule').map((p) => ({
      field: p.pointer.replace(/\//g, '.'),
      messages: [p.message],
    }));
    throw DomainException.validation(`The schedule is invalid: ${found.map((f) => f.field).join(', ')}`, found);
  }
  const rule = parseReportSchedule(input, timezone);
  return { input: input as ScheduleInput, rule };
}

/**
 * Recipients the mailer sends to (checked when a schedule is written; one stored before is left as it
 * is). The schema's format "email" lets through addresses the mailer refuses (a@b.c, …@example.123, 65
 * characters before the @): stored, every e-mail of the schedule failed, for its other recipients too.
 */
export function assertMailableRecipients(schedule: ScheduleInput): void {
  const found = schedule.recipients.flatMap((address, i) =>
    isMailableAddress(address) ? [] : [{ field: `schedule.recipients.${i}`, messages: [MAILABLE_ADDRESS_RULE] }],
  );
  if (found.length > 0)
    throw DomainException.validation(`The schedule is invalid: ${found.map((f) => f.field).join(', ')}`, found);
}
