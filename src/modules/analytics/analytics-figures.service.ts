import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { LEAD_STATUSES } from '../leads/dto/lead.dto';
import { AnalyticsRepository, MetricRow, SpendDbRow } from './analytics.repository';
import { attributeConversions, AttributionModel, ConversionPath, roundConversions } from './compute/attribution';
import { DEFAULT_FUNNEL_STAGES, funnelFromFurthest, parseFunnelStages } from './compute/funnel';
import { costPer, sumByCurrency } from './compute/money';
import { computeSourceRoi, SourceRoi } from './compute/source-roi';
import type {
  AttributionRowDto,
  FunnelDto,
  GroupBy,
  OverviewDto,
  SnapshotDto,
  SnapshotPeriod,
  SourceFiguresDto,
  TeamMemberDto,
  TimeseriesDto,
  TimeseriesMetric,
  TotalsDto,
} from './dto/analytics.dto';
import { bucketKeyOf, bucketKeyOfDate, enumerateBuckets, Granularity, zeroFill } from './time/buckets';
import { addDays, formatCivilDate, parseCivilDate } from './time/civil-date';
import { previousRange, resolveDateRange, ResolvedRange } from './time/date-range';
import { localDateOf } from './time/time-zone';

export interface RangeParams {
  /** A local date YYYY-MM-DD (inclusive) or an ISO instant; default 29 local days before `to`'s default (today). */
  from?: string;
  /** Default today (local), included. */
  to?: string;
}

/** Days a range covers when the request leaves out `from`/`to` (as GET /api/whatsapp/analytics). */
const DEFAULT_RANGE_DAYS = 30;

/** Ad platforms' names as leads know them: Facebook Ads spend buys Meta leads. */
const LEAD_PLATFORM_OF_SPEND: Readonly<Record<string, string>> = { 'facebook-ads': 'meta' };
export const leadPlatformOf = (spendPlatform: string): string => LEAD_PLATFORM_OF_SPEND[spendPlatform] ?? spendPlatform;

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
const splitKey = (key: string): [string, string] => {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
};
const METRIC_OF: Readonly<Record<Exclude<TimeseriesMetric, 'spend' | 'messagesSent'>, string>> = {
  newLeads: 'new',
  convertedLeads: 'converted',
  lostLeads: 'lost',
};
const PERIOD_GRANULARITY: Readonly<Record<SnapshotPeriod, Granularity>> = {
  HOURLY: 'hour',
  DAILY: 'day',
  WEEKLY: 'week',
  MONTHLY: 'month',
};
const TEAM_METRICS = ['assigned', 'calls', 'calls_answered', 'converted'];

/**
 * The figures of every analytics endpoint (and of reports), for one sub-account, in its local
 * calendar. No authorisation here: callers (AnalyticsService for HTTP, the reports module) decide
 * who may ask. Whole local days are read from the rollup; hours and ranges that start or end inside
 * a day are read from the facts through the same row rules (analytics_fact_rows), so a summary and
 * a time series over one range always agree.
 */
@Injectable()
export class AnalyticsFiguresService {
  constructor(
    private readonly repository: AnalyticsRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async timezoneOf(subAccountId: number): Promise<string> {
    return (await this.settings(subAccountId)).timezone;
  }

  async resolve(subAccountId: number, p: RangeParams): Promise<ResolvedRange> {
    return this.rangeIn(p, await this.timezoneOf(subAccountId));
  }

  /** The request's range in `zone`; a bound left out is the last 30 local days' (today included). */
  private rangeIn(p: RangeParams, zone: string): ResolvedRange {
    const today = localDateOf(this.clock.now(), zone);
    return resolveDateRange(
      p.from ?? formatCivilDate(addDays(today, 1 - DEFAULT_RANGE_DAYS)),
      p.to ?? formatCivilDate(today),
      zone,
      { maxDays: 3660 },
    );
  }

  async overview(subAccountId: number, p: RangeParams & { compare?: 'previous' }): Promise<OverviewDto> {
    const range = await this.resolve(subAccountId, p);
    const rows = await this.rows(subAccountId, range, ['source'], ['new', 'converted', 'lost']);
    const stock = await this.stock(subAccountId, range);
    const result: OverviewDto = {
      timezone: range.timezone,
      totals: totalsOf(rows, stock),
      bySource: this.bySource(rows, await this.repository.spend(subAccountId, ...days(range))),
      byStatus: statusRecord(stock),
    };
    if (p.compare === 'previous') {
      const before = previousRange(range);
      const previousRows = await this.rows(subAccountId, before, ['source'], ['new', 'converted', 'lost']);
      result.previous = { totals: totalsOf(previousRows, await this.stock(subAccountId, before)) };
    }
    return result;
  }

  async timeseries(
    subAccountId: number,
    p: RangeParams & { granularity: Granularity; metric: TimeseriesMetric; groupBy?: GroupBy },
  ): Promise<TimeseriesDto> {
    const range = await this.resolve(subAccountId, p);
    const buckets = enumerateBuckets(range, range.timezone, p.granularity);
    const series = new Map<string, Map<string, number>>();
    const add = (key: string, bucket: string, value: number): void => {
      const points = series.get(key) ?? new Map<string, number>();
      points.set(bucket, (points.get(bucket) ?? 0) + value);
      series.set(key, points);
    };
    if (p.metric === 'spend') return this.spendSeries(subAccountId, range, p.granularity, p.groupBy, buckets);
    if (p.metric === 'messagesSent') {
      if (p.groupBy === 'status' || p.groupBy === 'campaign')
        throw DomainException.validation(`messagesSent cannot be grouped by ${p.groupBy}`);
      for (const m of await this.repository.messagesSent(subAccountId, range.start, range.end)) {
        const key = !p.groupBy ? 'total' : p.groupBy === 'source' ? m.platform : String(m.integrationId ?? 'none');
        add(key, bucketKeyOf(m.at, range.timezone, p.granularity), m.count);
      }
    } else {
      const dimType = p.groupBy === 'status' ? 'status' : p.groupBy === 'campaign' ? 'campaign' : 'source';
      // grouped by status, a series counts the leads that entered each status
      const metric = p.groupBy === 'status' ? 'entered' : METRIC_OF[p.metric];
      for (const row of await this.rows(subAccountId, range, [dimType], [metric], p.granularity)) {
        add(seriesKey(row, p.groupBy), row.bucket, row.count);
      }
    }
    if (!p.groupBy && !series.has('total')) series.set('total', new Map());
    return {
      timezone: range.timezone,
      granularity: p.granularity,
      series: [...series.keys()].sort().map((key) => ({
        key,
        points: zeroFill(buckets, series.get(key) ?? new Map<string, number>(), 0),
      })),
    };
  }

  async funnel(
    subAccountId: number,
    p: RangeParams & { stages?: string[]; source?: string; campaignId?: string },
  ): Promise<FunnelDto> {
    const settings = await this.settings(subAccountId);
    const range = this.rangeIn(p, settings.timezone);
    const stages = p.stages
      ? parseFunnelStages(p.stages, LEAD_STATUSES)
      : settings.funnelStages.length >= 2
        ? settings.funnelStages
        : [...DEFAULT_FUNNEL_STAGES];
    const filter = { platform: p.source, campaignId: p.campaignId };
    // whole local days from the rollup's reached sets (rows per day, not per lead); instants from the facts
    const byIndex =
      range.kind === 'dates'
        ? furthestOfSets(stages, await this.repository.reachedSets(subAccountId, ...days(range), filter))
        : await this.repository.furthestStages(subAccountId, range.start, range.end, stages, filter);
    const stoppedAt = new Map([...byIndex].map(([index, n]) => [stages[index - 1], n]));
    return { stages: funnelFromFurthest(stages, stoppedAt) };
  }

  async team(subAccountId: number, p: RangeParams): Promise<TeamMemberDto[]> {
    const range = await this.resolve(subAccountId, p);
    return this.teamOf(subAccountId, await this.rows(subAccountId, range, ['user'], TEAM_METRICS));
  }

  async attribution(subAccountId: number, p: RangeParams & { model: AttributionModel }): Promise<AttributionRowDto[]> {
    const range = await this.resolve(subAccountId, p);
    const conversions = await this.repository.conversionPaths(subAccountId, range.start, range.end);
    const paths: ConversionPath[] = [];
    const names = new Map<string, string | null>();
    for (const conversion of conversions) {
      const touches: Array<{ key: string; at: Date }> = [];
      for (const t of conversion.touches) {
        if (!t.platform) continue;
        const key = `${t.platform}|${t.campaignId ?? ''}`;
        touches.push({ key, at: t.at });
        if (t.campaignName || !names.has(key)) names.set(key, t.campaignName ?? names.get(key) ?? null);
      }
      paths.push({ convertedAt: conversion.convertedAt, touches });
    }
    const { credits, unattributed } = attributeConversions(p.model, paths);
    // conversions of leads with no known touch stay visible, so the rows sum to every conversion
    if (unattributed > 0) credits.set('unattributed|', unattributed);
    const spend = await this.repository.spend(subAccountId, ...days(range));
    const roi = computeSourceRoi(
      spend.map((s) => ({
        platform: leadPlatformOf(s.platform),
        campaignId: s.campaignId || null,
        campaignName: s.campaignName,
        spend: s.spend,
        currency: s.currency,
      })),
      [...credits].map(([key, conversions]) => {
        const [platform, campaignId] = splitKey(key);
        return { platform, campaignId: campaignId || null, campaignName: names.get(key), leads: 0, conversions };
      }),
    );
    return roi.map((r) => ({
      platform: r.platform,
      campaignId: r.campaignId,
      campaignName: r.campaignName,
      conversions: roundConversions(r.conversions),
      spend: r.spend,
      costPerConversion: r.costPerConversion,
      currency: r.currency,
    }));
  }

  /** Spend, leads and conversions per (platform, campaign): cost per lead and per conversion. */
  async roi(subAccountId: number, p: RangeParams): Promise<SourceRoi[]> {
    const range = await this.resolve(subAccountId, p);
    const rows = await this.rows(subAccountId, range, ['campaign'], ['new', 'converted']);
    const outcomes = new Map<string, { leads: number; conversions: number }>();
    for (const r of rows) {
      const o = outcomes.get(r.dimId) ?? { leads: 0, conversions: 0 };
      if (r.metric === 'new') o.leads += r.count;
      else o.conversions += r.count;
      outcomes.set(r.dimId, o);
    }
    const spend = await this.repository.spend(subAccountId, ...days(range));
    return computeSourceRoi(
      spend.map((s) => ({
        platform: leadPlatformOf(s.platform),
        campaignId: s.campaignId || null,
        campaignName: s.campaignName,
        spend: s.spend,
        currency: s.currency,
      })),
      [...outcomes].map(([key, o]) => {
        const [platform, campaignId] = splitKey(key);
        return { platform, campaignId: campaignId || null, leads: o.leads, conversions: o.conversions };
      }),
    );
  }

  async snapshots(subAccountId: number, p: RangeParams & { period: SnapshotPeriod }): Promise<SnapshotDto[]> {
    const range = await this.resolve(subAccountId, p);
    const granularity = PERIOD_GRANULARITY[p.period];
    const buckets = enumerateBuckets(range, range.timezone, granularity);
    const rows = await this.rows(
      subAccountId,
      range,
      ['source', 'status', 'user'],
      ['new', 'converted', 'lost', 'net', ...TEAM_METRICS],
      granularity,
    );
    // the stock at the end of each bucket: the stock before the range plus the nets so far
    const stock = await this.stockBefore(subAccountId, range);
    const byBucket = new Map<string, Array<MetricRow & { bucket: string }>>();
    for (const row of rows) {
      const list = byBucket.get(row.bucket);
      if (list) list.push(row);
      else byBucket.set(row.bucket, [row]);
    }
    // agents' names once for the whole range, not once per bucket
    const names = await this.repository.userNames(subAccountId, [
      ...new Set(rows.filter((r) => r.dimType === 'user').map((r) => r.dimId)),
    ]);
    const out: SnapshotDto[] = [];
    for (const bucket of buckets) {
      const inBucket = byBucket.get(bucket.key) ?? [];
      for (const r of inBucket)
        if (r.dimType === 'status' && r.metric === 'net') stock.set(r.dimId, (stock.get(r.dimId) ?? 0) + r.count);
      const sources = inBucket.filter((r) => r.dimType === 'source');
      const leadsBySource: Record<string, number> = {};
      for (const r of sources.filter((s) => s.metric === 'new')) {
        const [platform] = splitKey(r.dimId);
        leadsBySource[platform] = (leadsBySource[platform] ?? 0) + r.count;
      }
      const totals = totalsOf(sources, stock);
      out.push({
        date: bucket.key,
        period: p.period,
        metrics: {
          ...totals,
          leadsBySource,
          leadsByStatus: statusRecord(stock),
          teamPerformance: await this.teamOf(
            subAccountId,
            inBucket.filter((r) => r.dimType === 'user'),
            names,
          ),
        },
      });
    }
    return out;
  }

  /** Today's local date in the sub-account's zone (for "leads today"). */
  async today(subAccountId: number): Promise<string> {
    return formatCivilDate(localDateOf(this.clock.now(), await this.timezoneOf(subAccountId)));
  }

  /** Per integration: leads whose first touch came through it, in total and today (local day). */
  async integrationLeadCounts(subAccountId: number): Promise<Map<number, { total: number; today: number }>> {
    const settings = await this.repository.settings(subAccountId);
    if (!settings) return new Map();
    const today = formatCivilDate(localDateOf(this.clock.now(), settings.timezone));
    return this.repository.integrationLeadCounts(subAccountId, today);
  }

  // Reports (reports/data/analytics-report-data-source.ts) read through these, so a report and the
  // dashboard over the same range run the same statements and cannot disagree.

  /** The metric rows of a range (bucketed when a granularity is given), as the endpoints read them. */
  metricRows(
    subAccountId: number,
    range: ResolvedRange,
    dimTypes: readonly string[],
    metrics: readonly string[],
    granularity?: Granularity,
  ): Promise<Array<MetricRow & { bucket: string }>> {
    return this.rows(subAccountId, range, dimTypes, metrics, granularity);
  }

  /** Leads per status at the end of the range (overview's `byStatus`; their sum is `totalLeads`). */
  stockAtEnd(subAccountId: number, range: ResolvedRange): Promise<Map<string, number>> {
    return this.stock(subAccountId, range);
  }

  /** Ad spend on the range's local days. */
  spendOf(subAccountId: number, range: ResolvedRange): Promise<SpendDbRow[]> {
    return this.repository.spend(subAccountId, ...days(range));
  }

  // --------------------------------------------------------------------------------------------

  private async settings(subAccountId: number): Promise<{ timezone: string; funnelStages: string[] }> {
    const settings = await this.repository.settings(subAccountId);
    if (!settings) throw DomainException.notFound('Sub-account');
    return settings;
  }

  /**
   * Metric rows of a range with the bucket of each (`all` without a granularity): whole local days
   * from the rollup, hours and partial days from the facts.
   */
  private async rows(
    subAccountId: number,
    range: ResolvedRange,
    dimTypes: readonly string[],
    metrics: readonly string[],
    granularity?: Granularity,
  ): Promise<Array<MetricRow & { bucket: string }>> {
    // one order whatever the database returned, so an answer is byte-identical before and after a rebuild
    return (await this.unorderedRows(subAccountId, range, dimTypes, metrics, granularity)).sort(
      (a, b) =>
        compareText(a.bucket, b.bucket) ||
        compareText(a.dimType, b.dimType) ||
        compareText(a.dimId, b.dimId) ||
        compareText(a.metric, b.metric),
    );
  }

  private async unorderedRows(
    subAccountId: number,
    range: ResolvedRange,
    dimTypes: readonly string[],
    metrics: readonly string[],
    granularity?: Granularity,
  ): Promise<Array<MetricRow & { bucket: string }>> {
    if (granularity === 'hour' || range.kind === 'instants') {
      const facts = await this.repository.factRows(subAccountId, range.start, range.end, dimTypes, metrics);
      return facts.map((r) => ({
        ...r,
        bucket: granularity && r.at ? bucketKeyOf(r.at, range.timezone, granularity) : 'all',
      }));
    }
    // without buckets, the database sums the days (a summary of two years is a few rows, not thousands)
    if (!granularity) {
      const totals = await this.repository.rollupTotals(subAccountId, ...days(range), dimTypes, metrics);
      return totals.map((r) => ({ ...r, bucket: 'all' }));
    }
    const rollup = await this.repository.rollupRows(subAccountId, ...days(range), dimTypes, metrics);
    // a day's bucket is the day itself; weeks and months parse it once per distinct day
    const bucketOfDay = new Map<string, string>();
    const bucketOf = (day: string | undefined): string => {
      if (!day) return 'all';
      if (granularity === 'day') return day;
      let bucket = bucketOfDay.get(day);
      if (bucket === undefined) {
        const date = parseCivilDate(day);
        bucket = date ? bucketKeyOfDate(date, granularity) : 'all';
        bucketOfDay.set(day, bucket);
      }
      return bucket;
    };
    return rollup.map((r) => Object.assign(r, { bucket: bucketOf(r.day) }));
  }

  private stock(subAccountId: number, range: ResolvedRange): Promise<Map<string, number>> {
    return range.kind === 'dates'
      ? this.repository.stockAtDay(subAccountId, formatCivilDate(range.toDate))
      : this.repository.stockAt(subAccountId, range.end);
  }

  /** The stock just before the range: from the rollup up to the day before whole-day ranges. */
  private async stockBefore(subAccountId: number, range: ResolvedRange): Promise<Map<string, number>> {
    return range.kind === 'dates'
      ? this.repository.stockAtDay(subAccountId, formatCivilDate(addDays(range.fromDate, -1)))
      : this.repository.stockAt(subAccountId, range.start);
  }

  private bySource(rows: readonly MetricRow[], spend: readonly SpendDbRow[]): SourceFiguresDto[] {
    const sources = new Map<
      string,
      { platform: string; integrationId: number | null; leads: number; converted: number }
    >();
    for (const r of rows) {
      const [platform, integration] = splitKey(r.dimId);
      const s = sources.get(r.dimId) ?? {
        platform,
        integrationId: integration === '' ? null : Number(integration),
        leads: 0,
        converted: 0,
      };
      if (r.metric === 'new') s.leads += r.count;
      if (r.metric === 'converted') s.converted += r.count;
      sources.set(r.dimId, s);
    }
    // spend is the ad platform's, per lead platform: it belongs to the platform's one source row, or
    // to a platform-level row (integrationId null) when several integrations bring that platform's leads
    const spendByPlatform = new Map<string, SpendDbRow[]>();
    for (const s of spend) {
      const platform = leadPlatformOf(s.platform);
      spendByPlatform.set(platform, [...(spendByPlatform.get(platform) ?? []), s]);
    }
    for (const platform of spendByPlatform.keys()) {
      const rowsOfPlatform = [...sources.values()].filter((s) => s.platform === platform);
      if (rowsOfPlatform.length !== 1 && !sources.has(`${platform}|`))
        sources.set(`${platform}|`, { platform, integrationId: null, leads: 0, converted: 0 });
    }
    return [...sources.values()]
      .sort((a, b) => a.platform.localeCompare(b.platform) || (a.integrationId ?? -1) - (b.integrationId ?? -1))
      .map((s) => {
        const ofPlatform = [...sources.values()].filter((o) => o.platform === s.platform);
        const owns = ofPlatform.length === 1 || s.integrationId === null;
        const totals = owns
          ? sumByCurrency(
              (spendByPlatform.get(s.platform) ?? []).map((x) => ({ amount: x.spend, currency: x.currency })),
            )
          : new Map<string | null, string>();
        const single = totals.size === 1 ? [...totals][0] : null;
        return {
          platform: s.platform,
          integrationId: s.integrationId,
          leads: s.leads,
          converted: s.converted,
          conversionRate: ratio(s.converted, s.leads),
          spend: single ? single[1] : null,
          costPerLead: single ? costPer(single[1], s.leads) : null,
          costPerConversion: single ? costPer(single[1], s.converted) : null,
          currency: single ? single[0] : null,
        };
      });
  }

  private async spendSeries(
    subAccountId: number,
    range: ResolvedRange,
    granularity: Granularity,
    groupBy: GroupBy | undefined,
    buckets: ReturnType<typeof enumerateBuckets>,
  ): Promise<TimeseriesDto> {
    if (granularity === 'hour') throw DomainException.validation('spend is known per day: use day, week or month');
    if (groupBy === 'status') throw DomainException.validation('spend cannot be grouped by status');
    const series = new Map<string, Map<string, Array<{ amount: string; currency: string | null }>>>();
    for (const s of await this.repository.spend(subAccountId, ...days(range))) {
      const day = parseCivilDate(s.day);
      if (!day) continue;
      const key = !groupBy
        ? 'total'
        : groupBy === 'source'
          ? leadPlatformOf(s.platform)
          : groupBy === 'integration'
            ? String(s.integrationId)
            : s.campaignId;
      const bucket = bucketKeyOfDate(day, granularity);
      const points = series.get(key) ?? new Map<string, Array<{ amount: string; currency: string | null }>>();
      points.set(bucket, [...(points.get(bucket) ?? []), { amount: s.spend, currency: s.currency }]);
      series.set(key, points);
    }
    if (!groupBy && !series.has('total')) series.set('total', new Map());
    return {
      timezone: range.timezone,
      granularity,
      series: [...series.keys()].sort().map((key) => {
        const values = new Map<string, string>();
        for (const [bucket, amounts] of series.get(key) ?? []) {
          // one currency per sub-account's ad accounts is the norm; mixed currencies are not added up
          const totals = sumByCurrency(amounts);
          values.set(bucket, totals.size === 1 ? [...totals.values()][0] : '0.00');
        }
        return { key, points: zeroFill(buckets, values, '0.00') };
      }),
    };
  }

  private async teamOf(
    subAccountId: number,
    rows: readonly MetricRow[],
    knownNames?: ReadonlyMap<string, string>,
  ): Promise<TeamMemberDto[]> {
    const team = new Map<string, TeamMemberDto>();
    for (const r of rows) {
      if (r.dimType !== 'user') continue;
      const m = team.get(r.dimId) ?? {
        userId: r.dimId,
        userName: null,
        leadsAssigned: 0,
        callsMade: 0,
        callsAnswered: 0,
        leadsConverted: 0,
        conversionRate: 0,
      };
      if (r.metric === 'assigned') m.leadsAssigned += r.count;
      if (r.metric === 'calls') m.callsMade += r.count;
      if (r.metric === 'calls_answered') m.callsAnswered += r.count;
      if (r.metric === 'converted') m.leadsConverted += r.count;
      team.set(r.dimId, m);
    }
    const names = knownNames ?? (await this.repository.userNames(subAccountId, [...team.keys()]));
    return [...team.values()]
      .sort((a, b) => a.userId.localeCompare(b.userId))
      .map((m) => ({
        ...m,
        userName: names.get(m.userId) ?? null,
        conversionRate: ratio(m.leadsConverted, m.leadsAssigned),
      }));
  }
}

function days(range: ResolvedRange): [string, string] {
  return [formatCivilDate(range.fromDate), formatCivilDate(range.toDate)];
}

function totalsOf(sourceRows: readonly MetricRow[], stock: ReadonlyMap<string, number>): TotalsDto {
  const sum = (metric: string): number =>
    sourceRows.filter((r) => r.dimType === 'source' && r.metric === metric).reduce((n, r) => n + r.count, 0);
  const newLeads = sum('new');
  const convertedLeads = sum('converted');
  return {
    totalLeads: [...stock.values()].reduce((n, v) => n + v, 0),
    newLeads,
    convertedLeads,
    lostLeads: sum('lost'),
    conversionRate: ratio(convertedLeads, newLeads),
  };
}

function statusRecord(stock: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of LEAD_STATUSES) out[status] = stock.get(status) ?? 0;
  return out;
}

function seriesKey(row: MetricRow, groupBy: GroupBy | undefined): string {
  if (!groupBy) return 'total';
  if (groupBy === 'status') return row.dimId;
  const [platform, id] = splitKey(row.dimId);
  if (groupBy === 'source') return platform || 'unknown';
  if (groupBy === 'integration') return id || 'none';
  return id || 'none';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Leads by the furthest of `stages` they reached (1-based index), from the counts of each set of
 * statuses reached (`CONTACTED,NEW`): a set none of whose statuses is a stage counts nowhere.
 */
function furthestOfSets(stages: readonly string[], sets: ReadonlyMap<string, number>): Map<number, number> {
  const byIndex = new Map<number, number>();
  for (const [set, n] of sets) {
    const furthest = Math.max(0, ...set.split(',').map((status) => stages.indexOf(status) + 1));
    if (furthest > 0) byIndex.set(furthest, (byIndex.get(furthest) ?? 0) + n);
  }
  return byIndex;
}
