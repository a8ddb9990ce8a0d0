// A report template's `config` and `schedule` (API.md "Reports"), validated by JSON Schemas (Ajv
// 2020-12, the project's one Ajv setup) and then read into typed values. `config`'s problems are
// CONFIG_SCHEMA_INVALID with the JSON pointer of each field; `schedule`'s are VALIDATION_FAILED
// (parseReportSchedule checks its frequency, days and local time).

import type { ErrorObject, ValidateFunction } from 'ajv';
import { DomainException } from '../../../common/errors/domain.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { createAjv } from '../../../common/json-schema/ajv';
import { compareCivilDates } from '../../analytics/time/civil-date';
import { MAX_ANALYTICS_DAYS, parseBound, resolveDateRange } from '../../analytics/time/date-range';
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
          // local dates or ISO instants, as analytics and generate take them (read by parseBound below)
          properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 } },
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
  if (typeof raw.dateRange === 'object') checkFixedRange(raw.dateRange);
  return {
    metrics: raw.metrics,
    filters: raw.filters ?? {},
    groupBy: raw.groupBy ?? [],
    dateRange: raw.dateRange,
    chartTypes: raw.chartTypes ?? ['table'],
  };
}

/** CONFIG_SCHEMA_INVALID at `/config/dateRange/<field>`, with the range check's own words. */
function rangeProblem(field: 'from' | 'to', message: string): DomainException {
  const found = [{ pointer: `/config/dateRange/${field}`, message }];
  return new DomainException(
    ErrorCode.CONFIG_SCHEMA_INVALID,
    `config is invalid: dateRange.${field} ${message}`,
    found,
  );
}

/** The range check's VALIDATION_FAILED as the config's CONFIG_SCHEMA_INVALID, naming the same field. */
function asConfigProblem<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof DomainException) || e.code !== ErrorCode.VALIDATION_FAILED) throw e;
    const detail = (e.details as { field?: unknown; messages?: unknown[] }[] | undefined)?.[0];
    const said = detail?.messages?.[0];
    throw rangeProblem(detail?.field === 'from' ? 'from' : 'to', typeof said === 'string' ? said : e.message);
  }
}

/**
 * Each bound of a fixed range is a local date or an ISO instant, read as analytics reads them, and two
 * of one kind are in order (`to` is inclusive as a date, exclusive as an instant). A date with an instant
 * is ordered in the sub-account's zone, by assertReportRange.
 */
function checkFixedRange(range: { from: string; to: string }): void {
  const from = asConfigProblem(() => parseBound(range.from, 'from'));
  const to = asConfigProblem(() => parseBound(range.to, 'to'));
  const inOrder =
    from.kind === 'date' && to.kind === 'date'
      ? compareCivilDates(from.date, to.date) <= 0
      : from.kind === 'instant' && to.kind === 'instant'
        ? from.at.getTime() < to.at.getTime()
        : true;
  if (!inOrder) throw rangeProblem('to', 'must be after from');
}

/**
 * A fixed `dateRange` that resolves in the sub-account's zone and is no longer than a report's longest
 * range (checked when a config is written). Longer, every TEAM or FUNNEL report of the template failed
 * ("at most 3660 are allowed") and the others ran over centuries; a date and an instant upside down in
 * that zone failed every report.
 */
export function assertReportRange(config: ReportConfig, timezone: string): void {
  if (typeof config.dateRange !== 'object') return;
  const { from, to } = config.dateRange;
  asConfigProblem(() => resolveDateRange(from, to, timezone, { maxDays: MAX_ANALYTICS_DAYS }));
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
