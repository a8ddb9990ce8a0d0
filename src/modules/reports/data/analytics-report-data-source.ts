import { Injectable } from '@nestjs/common';
import { leadPlatformOf, SPEND_SCALE, splitKey } from '../../analytics/analytics-figures.mapper';
import { AnalyticsFiguresService } from '../../analytics/analytics-figures.service';
import { AnalyticsRowsService } from '../../analytics/analytics-rows.service';
import type { MetricRow, SpendDbRow } from '../../analytics/analytics.repository';
import type { FunnelStageResult } from '../../analytics/compute/funnel';
import { sumByCurrency } from '../../analytics/compute/money';
import type { Granularity } from '../../analytics/time/buckets';
import { addDays, formatCivilDate } from '../../analytics/time/civil-date';
import { localDaysRange, ResolvedRange } from '../../analytics/time/date-range';
import { startOfLocalDay } from '../../analytics/time/time-zone';
import type { ReportDimension, ReportFilters } from '../templates/report-config';
import type {
  AgentFigures,
  BreakdownRow,
  LeadCursor,
  LeadReportRow,
  ReportDataSource,
  ReportQuery,
  ReportTotals,
} from './report-data-source';
import { ReportDataRepository } from './report-data.repository';

type LeadDim = 'source' | 'campaign' | 'status';
const TIME_DIMS: Readonly<Partial<Record<ReportDimension, Granularity>>> = { day: 'day', week: 'week', month: 'month' };
const MAX_GROUPS = 1000;

/**
 * What reports read, from the analytics figures (the rollup of the facts, and the facts themselves
 * for ranges that start or end inside a local day): a report's summary and breakdowns are computed by
 * AnalyticsFiguresService and AnalyticsRowsService through the same statements as GET
 * /api/analytics/overview, timeseries and funnel over the same range, so the two always agree —
 * converted/lost count the transitions in the period, never today's status.
 *
 * The rollup is keyed by one lead dimension per row (source = platform|integration, campaign =
 * platform|campaign, status), so it answers a template whose filters and group-bys fit in one of them
 * (any with day, week or month). Two combinations do not: a `status` filter (a lead's status today,
 * not a fact) and integration together with campaign. Those templates keep the lead-table reading of
 * ReportDataRepository (a row per lead, filtered), which no dashboard endpoint offers to disagree with.
 *
 * The Excel file's detail rows are one per lead, which no aggregate holds: they are read from the
 * leads in keyset pages of (created_at, id) (ReportDataRepository.leadPage), so a 100,000-row export
 * streams with flat memory; its lead count is the same set.
 */
@Injectable()
export class AnalyticsReportDataSource implements ReportDataSource {
  constructor(
    private readonly figures: AnalyticsFiguresService,
    private readonly reader: AnalyticsRowsService,
    private readonly leads: ReportDataRepository,
  ) {}

  timezoneOf(subAccountId: number): Promise<string> {
    return this.leads.timezoneOf(subAccountId);
  }

  countLeads(query: ReportQuery): Promise<number> {
    return this.leads.countLeads(query);
  }

  leadPage(query: ReportQuery, after: LeadCursor | null, limit: number): Promise<LeadReportRow[]> {
    return this.leads.leadPage(query, after, limit);
  }

  async totals(query: ReportQuery): Promise<ReportTotals> {
    const dim = leadDimOf(query.filters, []);
    if (!dim) return this.leads.totals(query);
    const range = await this.rollupRange(query);
    const sub = query.subAccountId;
    const rows = (await this.reader.metricRows(sub, range, [dim], ['new', 'converted', 'lost'])).filter((r) =>
      matches(r, query.filters),
    );
    const sum = (metric: string): number => rows.filter((r) => r.metric === metric).reduce((n, r) => n + r.count, 0);
    // the stock at the end of the range: overview's totalLeads; with a lead filter, the matching
    // leads created up to the end (the rollup's stock is kept by status only)
    const totalLeads = isUnfiltered(query.filters)
      ? [...(await this.reader.stockAtEnd(sub, range)).values()].reduce((n, v) => n + v, 0)
      : (await this.reader.metricRows(sub, sinceTheBeginning(range), [dim], ['new']))
          .filter((r) => matches(r, query.filters))
          .reduce((n, r) => n + r.count, 0);
    const spend = totalSpend(await this.figures.spendOf(sub, range), query.filters);
    return {
      totalLeads,
      newLeads: sum('new'),
      convertedLeads: sum('converted'),
      lostLeads: sum('lost'),
      spend: spend?.amount ?? null,
      currency: spend?.currency ?? null,
    };
  }

  async breakdown(query: ReportQuery, dimensions: readonly ReportDimension[]): Promise<BreakdownRow[]> {
    const dims = dimensions.slice(0, 2);
    if (dims.length === 0) return [];
    const dim = leadDimOf(query.filters, dims);
    if (!dim) return this.leads.breakdown(query, dims);
    const range = await this.rollupRange(query);
    const sub = query.subAccountId;
    const granularity = dims.map((d) => TIME_DIMS[d]).find((g) => g !== undefined);
    // grouped by status, a row counts the leads that entered it (timeseries groupBy=status)
    const metrics = dim === 'status' ? ['entered'] : ['new', 'converted', 'lost'];
    const rows = (await this.reader.metricRows(sub, range, [dim], metrics, granularity)).filter((r) =>
      matches(r, query.filters),
    );
    const groups = new Map<string, { keys: string[]; created: number; converted: number; lost: number }>();
    for (const r of rows) {
      const keys = dims.map((d) => keyOf(d, r));
      const id = JSON.stringify(keys);
      const g = groups.get(id) ?? { keys, created: 0, converted: 0, lost: 0 };
      if (r.metric === 'new' || r.metric === 'entered') g.created += r.count;
      if (r.metric === 'converted' || (r.metric === 'entered' && r.dimId === 'CONVERTED')) g.converted += r.count;
      if (r.metric === 'lost' || (r.metric === 'entered' && r.dimId === 'LOST')) g.lost += r.count;
      groups.set(id, g);
    }
    // spend belongs to a single source or campaign grouping (per lead platform, or per campaign id)
    const spendDim = dims.length === 1 && (dims[0] === 'source' || dims[0] === 'campaign') ? dims[0] : null;
    const spend = spendDim ? await this.figures.spendOf(sub, range) : [];
    const campaignNames = dims.includes('campaign')
      ? await this.campaignNames(sub, spend.length ? spend : await this.figures.spendOf(sub, range), groups, dims)
      : new Map<string, string>();
    return [...groups.values()]
      .filter((g) => g.created + g.converted + g.lost > 0)
      .sort((a, b) => compareKeys(a.keys, b.keys))
      .slice(0, MAX_GROUPS)
      .map((g) => ({
        keys: g.keys,
        labels: g.keys.map((k, i) => (dims[i] === 'campaign' ? (campaignNames.get(k) ?? k) : k)),
        newLeads: g.created,
        convertedLeads: g.converted,
        lostLeads: g.lost,
        spend: spendDim ? spendOfKey(spend, spendDim, g.keys[0]) : null,
      }));
  }

  /**
   * The funnel of the period's leads (furthest stage reached from their status history), as
   * GET /api/analytics/funnel computes it; null when the filters are more than the endpoint takes.
   */
  async funnel(query: ReportQuery): Promise<FunnelStageResult[] | null> {
    const f = query.filters;
    if (f.status?.length || f.integrationId?.length || (f.source?.length ?? 0) > 1 || (f.campaignId?.length ?? 0) > 1)
      return null;
    const { stages } = await this.figures.funnel(query.subAccountId, {
      from: query.range.start.toISOString(),
      to: query.range.end.toISOString(),
      source: f.source?.[0],
      campaignId: f.campaignId?.[0],
    });
    return stages;
  }

  /**
   * Per-agent figures of the period from GET /api/analytics/team's statement; null with any filter,
   * which the endpoint does not take. Whole local days are asked as the dashboard asks them (local
   * dates, read from the rollup), other periods as instants.
   */
  async team(query: ReportQuery): Promise<AgentFigures[] | null> {
    if (!isUnfiltered(query.filters)) return null;
    const range = await this.rollupRange(query);
    return this.figures.team(
      query.subAccountId,
      range.kind === 'dates'
        ? { from: formatCivilDate(range.fromDate), to: formatCivilDate(range.toDate) }
        : { from: query.range.start.toISOString(), to: query.range.end.toISOString() },
    );
  }

  /**
   * Whole local days of the period are read from the rollup; a period that starts or ends inside a day,
   * or whose zone is no longer the sub-account's (a report queued before its time zone changed: the
   * rollup's days are now those of the new zone), from the facts.
   */
  private async rollupRange(query: ReportQuery): Promise<ResolvedRange> {
    const range = query.range;
    if (range.timezone !== (await this.reader.timezoneOf(query.subAccountId))) return range;
    return wholeLocalDays(range) ? localDaysRange(range.fromDate, range.toDate, range.timezone) : range;
  }

  private async campaignNames(
    subAccountId: number,
    spend: readonly SpendDbRow[],
    groups: ReadonlyMap<string, { keys: string[] }>,
    dims: readonly ReportDimension[],
  ): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const s of spend) if (s.campaignName && s.campaignId) names.set(s.campaignId, s.campaignName);
    const at = dims.indexOf('campaign');
    const missing = [...new Set([...groups.values()].map((g) => g.keys[at]))].filter(
      (k) => k !== NONE && !names.has(k),
    );
    for (const [id, name] of await this.leads.campaignNames(subAccountId, missing)) names.set(id, name);
    return names;
  }
}

const NONE = '(none)';

/**
 * The one rollup dimension that answers these filters and group-bys, or null when none does
 * (a status filter; integration with campaign; status with a lead filter or another lead grouping).
 */
function leadDimOf(filters: ReportFilters, dims: readonly ReportDimension[]): LeadDim | null {
  if (filters.status?.length) return null;
  const wants = new Set<string>(dims.filter((d) => !TIME_DIMS[d]));
  if (filters.source?.length) wants.add('source');
  if (filters.integrationId?.length) wants.add('integration');
  if (filters.campaignId?.length) wants.add('campaign');
  if (wants.has('status')) return wants.size === 1 ? 'status' : null;
  if (wants.has('campaign')) return wants.has('integration') ? null : 'campaign';
  return 'source';
}

function isUnfiltered(f: ReportFilters): boolean {
  return !f.source?.length && !f.integrationId?.length && !f.campaignId?.length && !f.status?.length;
}

/** "platform|id" of a source or campaign row (a campaign id may hold a "|": splitKey splits at the first). */
function parts(row: MetricRow): [string, string] {
  return splitKey(row.dimId);
}

function matches(row: MetricRow, f: ReportFilters): boolean {
  if (row.dimType === 'status') return true;
  const [platform, id] = parts(row);
  if (f.source?.length && !f.source.includes(platform || 'unknown')) return false;
  if (row.dimType === 'source' && f.integrationId?.length && !f.integrationId.includes(Number(id))) return false;
  if (row.dimType === 'campaign' && f.campaignId?.length && !f.campaignId.includes(id)) return false;
  return true;
}

function keyOf(dim: ReportDimension, row: MetricRow & { bucket: string }): string {
  if (TIME_DIMS[dim]) return row.bucket;
  if (dim === 'status') return row.dimId;
  const [platform, id] = parts(row);
  if (dim === 'source') return platform || 'unknown';
  return id || NONE;
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** True when the range starts and ends at local midnights of its zone. */
function wholeLocalDays(range: ResolvedRange): boolean {
  return (
    startOfLocalDay(range.fromDate, range.timezone).getTime() === range.start.getTime() &&
    startOfLocalDay(addDays(range.toDate, 1), range.timezone).getTime() === range.end.getTime()
  );
}

/** Everything up to the end of `range` (the filtered stock: every matching lead created by then). */
function sinceTheBeginning(range: ResolvedRange): ResolvedRange {
  const first = { year: 1970, month: 1, day: 1 };
  return range.kind === 'dates'
    ? localDaysRange(first, range.toDate, range.timezone)
    : { ...range, start: new Date(0), fromDate: first };
}

/** A single amount in one currency, or null (no spend known, or several currencies that do not add up). */
function single(rows: readonly SpendDbRow[]): { amount: string; currency: string | null } | null {
  // exact (ad_costs keeps 6 decimals): the report shows it to the cent and divides it for its costs, as the
  // overview does; summed to cents first, 1.005 over 2 leads cost 0.51 a lead
  const totals = sumByCurrency(
    rows.map((s) => ({ amount: s.spend, currency: s.currency })),
    SPEND_SCALE,
  );
  if (totals.size !== 1) return null;
  const [[currency, amount]] = [...totals];
  return { amount, currency };
}

/**
 * The range's spend: all of it, or that of the filtered platforms and campaigns. Ad spend is the ad
 * account's, not an integration's that brought leads: with an integration filter it is unknown (null).
 */
function totalSpend(
  spend: readonly SpendDbRow[],
  f: ReportFilters,
): { amount: string; currency: string | null } | null {
  if (f.integrationId?.length) return null;
  const rows = spend.filter(
    (s) =>
      (!f.source?.length || f.source.includes(leadPlatformOf(s.platform))) &&
      (!f.campaignId?.length || f.campaignId.includes(s.campaignId)),
  );
  return rows.length === 0 ? null : single(rows);
}

/**
 * A source's or campaign's spend in the range; null (unknown, shown "—") when no spend row names it, as
 * the overview's bySource and the attribution answer: a generic webhook's or an organic campaign's
 * leads cost nothing known, and "0.00" a lead said they were free.
 */
function spendOfKey(spend: readonly SpendDbRow[], dim: 'source' | 'campaign', key: string): string | null {
  const rows = spend.filter((s) =>
    dim === 'source' ? leadPlatformOf(s.platform) === key : (s.campaignId || NONE) === key,
  );
  return rows.length === 0 ? null : (single(rows)?.amount ?? null);
}
