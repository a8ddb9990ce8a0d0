// What a report file shows, computed from the data source's answers (pure, so a spec can check it):
// the summary of the template's metrics, the breakdown by its group-bys (or the type's natural one),
// a funnel for FUNNEL reports, and the charts it asks for. Values are formatted once here (money
// with its currency, rates as percentages), so the PDF shows exactly these strings.
// TEAM reports' per-agent sections are in report-team-content.ts.

import { funnelFromFurthest, DEFAULT_FUNNEL_STAGES, FunnelStageResult } from '../../analytics/compute/funnel';
import { costPer, formatAmount } from '../../analytics/compute/money';
import { Bucket, CalendarGranularity, enumerateBuckets } from '../../analytics/time/buckets';
import { DomainException } from '../../../common/errors/domain.exception';
import type { ResolvedRange } from '../../analytics/time/date-range';
import type { ChartSpec } from '../render/chart-svg.renderer';
import type { ExcelCell } from '../render/excel-report.renderer';
import type { ReportTable } from '../render/pdf-report.renderer';
import type { BreakdownRow, ReportTotals } from '../data/report-data-source';
import type { ReportConfig, ReportDimension, ReportMetric, ReportTypeName } from '../templates/report-config';

export const METRIC_LABELS: Record<ReportMetric, string> = {
  totalLeads: 'Total leads',
  newLeads: 'New leads',
  convertedLeads: 'Converted leads',
  lostLeads: 'Lost leads',
  conversionRate: 'Conversion rate',
  spend: 'Spend',
  costPerLead: 'Cost per lead',
  costPerConversion: 'Cost per conversion',
};

const DIMENSION_LABELS: Record<ReportDimension, string> = {
  source: 'Source',
  status: 'Status',
  campaign: 'Campaign',
  integration: 'Integration',
  day: 'Day',
  week: 'Week',
  month: 'Month',
};

/** The grouping a type shows when its template names none. */
const TYPE_DIMENSIONS: Record<ReportTypeName, readonly ReportDimension[]> = {
  FUNNEL: ['status'],
  CONVERSION: ['day'],
  SOURCE: ['source'],
  ROI: ['campaign'],
  // under its per-agent table (teamTable), a TEAM report also shows the period by status
  TEAM: ['status'],
  CUSTOM: [],
};

export function dimensionsOf(type: ReportTypeName, config: ReportConfig): readonly ReportDimension[] {
  return config.groupBy.length > 0 ? config.groupBy : TYPE_DIMENSIONS[type];
}

/**
 * A rate as the analytics endpoints give it (API.md: a fraction 0–1, 0 when the denominator is 0): a
 * period can convert leads created before it, so its conversions may outnumber its new leads, and the
 * overview then says 1, never 3 (a report showed 300.00% where the dashboard said 100%).
 */
export function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.min(1, part / whole);
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

function money(amount: string | null, currency: string | null): string {
  if (amount === null) return '—';
  return currency ? `${formatAmount(amount)} ${currency}` : formatAmount(amount);
}

/** One figure of a table: the text the PDF prints and the typed value the Excel file stores. */
export interface ReportCell extends ExcelCell {
  readonly text: string;
}

/** A table of the report: its PDF rows (strings) and the same rows as typed cells for the Excel file. */
export interface FigureTable extends ReportTable {
  readonly cells: readonly (readonly ReportCell[])[];
}

export function figureTable(
  title: string,
  columns: ReportTable['columns'],
  cells: readonly (readonly ReportCell[])[],
): FigureTable {
  return { title, columns, rows: cells.map((r) => r.map((c) => c.text)), cells };
}

export const textCell = (text: string): ReportCell => ({ text, value: text });
export const countCell = (n: number): ReportCell => ({ text: String(n), value: n, type: 'integer' });
export const percentCell = (x: number): ReportCell => ({ text: percent(x), value: x, type: 'percent' });
function moneyCell(amount: string | null, currency: string | null): ReportCell {
  if (amount === null) return textCell(money(null, currency));
  return { text: money(amount, currency), value: formatAmount(amount), type: 'money', currency };
}

/** A metric's value as the report shows it. */
export function metricValue(metric: ReportMetric, totals: ReportTotals): string {
  return metricCell(metric, totals).text;
}

function metricCell(metric: ReportMetric, totals: ReportTotals): ReportCell {
  switch (metric) {
    case 'totalLeads':
      return countCell(totals.totalLeads);
    case 'newLeads':
      return countCell(totals.newLeads);
    case 'convertedLeads':
      return countCell(totals.convertedLeads);
    case 'lostLeads':
      return countCell(totals.lostLeads);
    case 'conversionRate':
      return percentCell(rate(totals.convertedLeads, totals.newLeads));
    case 'spend':
      return moneyCell(totals.spend ?? '0', totals.currency);
    case 'costPerLead':
      return moneyCell(totals.spend === null ? null : costPer(totals.spend, totals.newLeads), totals.currency);
    case 'costPerConversion':
      return moneyCell(totals.spend === null ? null : costPer(totals.spend, totals.convertedLeads), totals.currency);
  }
}

export function summaryTable(config: ReportConfig, totals: ReportTotals): FigureTable {
  return figureTable(
    'Summary',
    [
      { header: 'Metric', weight: 2 },
      { header: 'Value', align: 'right', weight: 1 },
    ],
    config.metrics.map((m) => [textCell(METRIC_LABELS[m]), metricCell(m, totals)]),
  );
}

// Statuses in the order a lead moves through them, not alphabetically.
const STATUS_ORDER = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'];

/**
 * Grouped by status alone, the data source counts the leads that entered each status in the period
 * (the timeseries' groupBy=status), not leads created: NEW holds every new lead and the rows add up
 * to more than the period's leads. Those rows are shown as "entered", in funnel order.
 */
function byStatusOnly(dims: readonly ReportDimension[]): boolean {
  return dims.length === 1 && dims[0] === 'status';
}

function statusOrder(rows: readonly BreakdownRow[]): BreakdownRow[] {
  const rank = (s: string): number => (STATUS_ORDER.includes(s) ? STATUS_ORDER.indexOf(s) : STATUS_ORDER.length);
  return [...rows].sort((a, b) => rank(a.keys[0]) - rank(b.keys[0]) || a.keys[0].localeCompare(b.keys[0]));
}

export function breakdownTable(
  dims: readonly ReportDimension[],
  rows: readonly BreakdownRow[],
  currency: string | null,
): FigureTable {
  if (byStatusOnly(dims))
    return figureTable(
      'Status changes',
      [
        { header: 'Status', weight: 2 },
        { header: 'Leads that entered it in the period', align: 'right', weight: 2 },
      ],
      statusOrder(rows).map((r) => [textCell(r.labels[0]), countCell(r.newLeads)]),
    );
  const withSpend = rows.some((r) => r.spend !== null);
  return figureTable(
    `By ${dims.map((d) => DIMENSION_LABELS[d].toLowerCase()).join(' and ')}`,
    [
      ...dims.map((d) => ({ header: DIMENSION_LABELS[d], weight: 2 })),
      { header: 'New leads', align: 'right' as const },
      { header: 'Converted', align: 'right' as const },
      { header: 'Lost', align: 'right' as const },
      { header: 'Conversion rate', align: 'right' as const },
      // with spend, what a lead and a conversion cost (overview's bySource figures): what ROI is about
      ...(withSpend
        ? [
            { header: 'Spend', align: 'right' as const },
            { header: 'Cost per lead', align: 'right' as const },
            { header: 'Cost per conversion', align: 'right' as const },
          ]
        : []),
    ],
    rows.map((r) => [
      ...r.labels.map(textCell),
      countCell(r.newLeads),
      countCell(r.convertedLeads),
      countCell(r.lostLeads),
      percentCell(rate(r.convertedLeads, r.newLeads)),
      ...(withSpend
        ? [
            moneyCell(r.spend, currency),
            moneyCell(r.spend === null ? null : costPer(r.spend, r.newLeads), currency),
            moneyCell(r.spend === null ? null : costPer(r.spend, r.convertedLeads), currency),
          ]
        : []),
    ]),
  );
}

const TIME_GRANULARITY: Readonly<Partial<Record<ReportDimension, CalendarGranularity>>> = {
  day: 'day',
  week: 'week',
  month: 'month',
};

/** The most rows a zero-filled breakdown gets (the data sources' group cap): longer periods keep their active rows. */
const MAX_FILLED_ROWS = 1000;

/**
 * A breakdown by one time dimension with a row for every day, week or month of the period, zeros where
 * nothing happened, as GET /api/analytics/timeseries zero-fills: the data sources answer only the
 * buckets with activity, and a line drawn over those alone joined 3 March to 6 March as if adjacent.
 * An empty period stays empty (its notice says so); other groupings are returned as they are.
 */
export function zeroFilledByTime(
  dims: readonly ReportDimension[],
  rows: readonly BreakdownRow[],
  range: ResolvedRange,
): readonly BreakdownRow[] {
  const granularity = dims.length === 1 ? TIME_GRANULARITY[dims[0]] : undefined;
  if (!granularity || rows.length === 0) return rows;
  const byKey = new Map(rows.map((r) => [r.keys[0], r]));
  const buckets = bucketsUpTo(range, granularity, MAX_FILLED_ROWS);
  if (!buckets) return rows;
  const filled = buckets.map(
    ({ key }): BreakdownRow =>
      byKey.get(key) ?? { keys: [key], labels: [key], newLeads: 0, convertedLeads: 0, lostLeads: 0, spend: null },
  );
  // a row whose key no bucket of the period names (none expected) is kept, not dropped
  const named = new Set(buckets.map((b) => b.key));
  return [...filled, ...rows.filter((r) => !named.has(r.keys[0]))];
}

/** The period's buckets, or null when there are more than `max` (enumerateBuckets refuses past it). */
function bucketsUpTo(range: ResolvedRange, granularity: CalendarGranularity, max: number): Bucket[] | null {
  try {
    return enumerateBuckets(range, range.timezone, granularity, max);
  } catch (err) {
    if (err instanceof DomainException) return null;
    throw err;
  }
}

/**
 * What an empty period's PDF says under its zeros: with no lead created, converted or lost there is no
 * breakdown and no chart, and a page of zeros alone reads like a broken report.
 */
export function emptyPeriodNotice(totals: ReportTotals, rows: readonly BreakdownRow[]): string | undefined {
  const activity = totals.newLeads + totals.convertedLeads + totals.lostLeads;
  if (activity > 0 || rows.length > 0) return undefined;
  return 'No leads were created, converted or lost in this period: the figures above are zero and there is nothing to chart.';
}

/** FUNNEL reports from the leads of the period by the stage they stopped at (lead-table reading). */
export function funnelTable(byStatus: readonly BreakdownRow[]): FigureTable {
  const stoppedAt = new Map(byStatus.map((r) => [r.keys[0], r.newLeads]));
  return funnelStagesTable(funnelFromFurthest(DEFAULT_FUNNEL_STAGES, stoppedAt));
}

/** FUNNEL reports: each stage's count, share of the first, from the previous and drop-off (PostHog's figures). */
export function funnelStagesTable(stages: readonly FunnelStageResult[]): FigureTable {
  return figureTable(
    'Funnel',
    [
      { header: 'Stage', weight: 2 },
      { header: 'Leads', align: 'right' },
      { header: 'Of first stage', align: 'right' },
      { header: 'From previous', align: 'right' },
      { header: 'Drop-off', align: 'right' },
    ],
    stages.map((s) => [
      textCell(s.stage),
      countCell(s.count),
      percentCell(s.percentage),
      percentCell(s.fromPrevious),
      countCell(s.dropOff),
    ]),
  );
}

export const MAX_CATEGORIES = 100;
const MAX_SERIES = 12;

/** The charts the template asks for (bar, line, pie) over the breakdown; none without rows. */
export function charts(
  config: ReportConfig,
  dims: readonly ReportDimension[],
  rows: readonly BreakdownRow[],
): ChartSpec[] {
  if (dims.length === 0 || rows.length === 0) return [];
  if (byStatusOnly(dims)) {
    const ordered = statusOrder(rows);
    return config.chartTypes
      .filter((type) => type !== 'table')
      .map((type) => ({
        type,
        title: 'Leads that entered each status',
        categories: ordered.map((r) => r.labels[0]),
        series: [{ name: 'Entered', values: ordered.map((r) => r.newLeads) }],
      }));
  }
  const title = `New leads by ${dims.map((d) => DIMENSION_LABELS[d].toLowerCase()).join(' and ')}`;
  const categories = [...new Set(rows.map((r) => r.labels[0]))].slice(0, MAX_CATEGORIES);
  const byFirst = (pick: (r: BreakdownRow) => number, second?: string): number[] =>
    categories.map((c) =>
      rows
        .filter((r) => r.labels[0] === c && (second === undefined || r.labels[1] === second))
        .reduce((sum, r) => sum + pick(r), 0),
    );
  const specs: ChartSpec[] = [];
  for (const type of config.chartTypes) {
    if (type === 'table') continue;
    if (type === 'pie') {
      specs.push({ type, title, categories, series: [{ name: 'New leads', values: byFirst((r) => r.newLeads) }] });
      continue;
    }
    const series =
      dims.length > 1
        ? [...new Set(rows.map((r) => r.labels[1]))]
            .slice(0, MAX_SERIES)
            .map((s) => ({ name: s, values: byFirst((r) => r.newLeads, s) }))
        : [
            { name: 'New leads', values: byFirst((r) => r.newLeads) },
            { name: 'Converted', values: byFirst((r) => r.convertedLeads) },
          ];
    specs.push({ type, title, categories, series });
  }
  return specs;
}
