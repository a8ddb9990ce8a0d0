import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { LEAD_STATUSES } from '../leads/dto/lead.dto';
import {
  furthestOfSets,
  leadPlatformOf,
  seriesKey,
  platformsSharingSpend,
  sourceFigures,
  spendSeriesOf,
  splitKey,
  statusRecord,
  teamFigures,
  totalsOf,
} from './analytics-figures.mapper';
import { AnalyticsPathsRepository } from './analytics-paths.repository';
import { AnalyticsRowsService, days, RangeParams } from './analytics-rows.service';
import { AnalyticsRepository, MetricRow, SpendDbRow } from './analytics.repository';
import { attributeConversions, AttributionModel, ConversionPath, roundConversions } from './compute/attribution';
import { DEFAULT_FUNNEL_STAGES, funnelFromFurthest, parseFunnelStages } from './compute/funnel';
import { computeSourceRoi } from './compute/source-roi';
import type {
  AttributionRowDto,
  FunnelDto,
  GroupBy,
  OverviewDto,
  SnapshotDto,
  SnapshotPeriod,
  TeamMemberDto,
  TimeseriesDto,
  TimeseriesMetric,
} from './dto/analytics.dto';
import { bucketKeyOf, DEFAULT_MAX_BUCKETS, enumerateBuckets, Granularity, zeroFill } from './time/buckets';
import { formatCivilDate } from './time/civil-date';
import { previousRange, ResolvedRange } from './time/date-range';
import { localDateOf } from './time/time-zone';

const METRIC_OF: Readonly<Record<Exclude<TimeseriesMetric, 'spend' | 'messagesSent'>, string>> = {
  newLeads: 'new',
  convertedLeads: 'converted',
  lostLeads: 'lost',
};
/** The status a lead enters to count in a metric (newLeads: every status entered, as grouped by status). */
const STATUS_OF: Readonly<Record<keyof typeof METRIC_OF, string | undefined>> = {
  newLeads: undefined,
  convertedLeads: 'CONVERTED',
  lostLeads: 'LOST',
};
const PERIOD_GRANULARITY: Readonly<Record<SnapshotPeriod, Granularity>> = {
  HOURLY: 'hour',
  DAILY: 'day',
  WEEKLY: 'week',
  MONTHLY: 'month',
};
const TEAM_METRICS = ['assigned', 'calls', 'calls_answered', 'converted'];

/** A listed value this metric cannot be read by: 400 naming the parameter to change, like every other bad value. */
const unsupported = (field: 'granularity' | 'groupBy', message: string, hint: string): DomainException =>
  DomainException.validation(message, [{ field, messages: [hint] }]);

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
    private readonly paths: AnalyticsPathsRepository,
    private readonly reader: AnalyticsRowsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async overview(subAccountId: number, p: RangeParams & { compare?: 'previous' }): Promise<OverviewDto> {
    const range = await this.reader.resolve(subAccountId, p);
    const rows = await this.reader.metricRows(subAccountId, range, ['source'], ['new', 'converted', 'lost']);
    const stock = await this.reader.stockAtEnd(subAccountId, range);
    const spend = await this.repository.spend(subAccountId, ...days(range));
    // who brought each campaign's leads, read only when a platform's spend must be shared out (Facebook
    // Ads spend over several Meta Lead Ads integrations)
    const sharing = platformsSharingSpend(rows, spend);
    const campaignLeads = sharing.length
      ? await this.repository.campaignLeads(subAccountId, sharing, range.start, range.end)
      : [];
    const result: OverviewDto = {
      timezone: range.timezone,
      totals: totalsOf(rows, stock),
      bySource: sourceFigures(rows, spend, campaignLeads),
      byStatus: statusRecord(stock),
    };
    if (p.compare === 'previous') {
      const before = previousRange(range);
      const previousRows = await this.reader.metricRows(subAccountId, before, ['source'], ['new', 'converted', 'lost']);
      result.previous = { totals: totalsOf(previousRows, await this.reader.stockAtEnd(subAccountId, before)) };
    }
    return result;
  }

  async timeseries(
    subAccountId: number,
    p: RangeParams & { granularity: Granularity; metric: TimeseriesMetric; groupBy?: GroupBy },
  ): Promise<TimeseriesDto> {
    const range = await this.reader.resolve(subAccountId, p);
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
        throw unsupported('groupBy', `messagesSent cannot be grouped by ${p.groupBy}`, 'use source or integration');
      for (const m of await this.repository.messagesSent(subAccountId, range.start, range.end)) {
        const key = !p.groupBy ? 'total' : p.groupBy === 'source' ? m.platform : String(m.integrationId ?? 'none');
        add(key, bucketKeyOf(m.at, range.timezone, p.granularity), m.count);
      }
    } else {
      const dimType = p.groupBy === 'status' ? 'status' : p.groupBy === 'campaign' ? 'campaign' : 'source';
      // grouped by status, a series counts the leads that entered each status; converted and lost
      // leads are those that entered CONVERTED or LOST, so their series add up to the ungrouped one
      const metric = p.groupBy === 'status' ? 'entered' : METRIC_OF[p.metric];
      const onlyStatus = p.groupBy === 'status' ? STATUS_OF[p.metric] : undefined;
      for (const row of await this.reader.metricRows(subAccountId, range, [dimType], [metric], p.granularity)) {
        if (onlyStatus === undefined || row.dimId === onlyStatus) add(seriesKey(row, p.groupBy), row.bucket, row.count);
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
    const settings = await this.reader.settings(subAccountId);
    const range = this.reader.rangeIn(p, settings.timezone);
    const stages = p.stages
      ? parseFunnelStages(p.stages, LEAD_STATUSES)
      : settings.funnelStages.length >= 2
        ? settings.funnelStages
        : [...DEFAULT_FUNNEL_STAGES];
    const filter = { platform: p.source, campaignId: p.campaignId };
    // whole local days from the rollup's reached sets (rows per day, not per lead); instants from the facts
    const byIndex =
      range.kind === 'dates'
        ? furthestOfSets(stages, await this.paths.reachedSets(subAccountId, ...days(range), filter))
        : await this.paths.furthestStages(subAccountId, range.start, range.end, stages, filter);
    const stoppedAt = new Map([...byIndex].map(([index, n]) => [stages[index - 1], n]));
    return { stages: funnelFromFurthest(stages, stoppedAt) };
  }

  async team(subAccountId: number, p: RangeParams): Promise<TeamMemberDto[]> {
    const range = await this.reader.resolve(subAccountId, p);
    return this.teamOf(subAccountId, await this.reader.metricRows(subAccountId, range, ['user'], TEAM_METRICS));
  }

  async attribution(subAccountId: number, p: RangeParams & { model: AttributionModel }): Promise<AttributionRowDto[]> {
    const range = await this.reader.resolve(subAccountId, p);
    const conversions = await this.paths.conversionPaths(subAccountId, range.start, range.end);
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

  async snapshots(subAccountId: number, p: RangeParams & { period: SnapshotPeriod }): Promise<SnapshotDto[]> {
    const range = await this.reader.resolve(subAccountId, p);
    const granularity = PERIOD_GRANULARITY[p.period];
    // snapshots have no granularity parameter: a range too long for the period names `period`
    const buckets = enumerateBuckets(range, range.timezone, granularity, DEFAULT_MAX_BUCKETS, 'period');
    const rows = await this.reader.metricRows(
      subAccountId,
      range,
      ['source', 'status', 'user'],
      ['new', 'converted', 'lost', 'net', ...TEAM_METRICS],
      granularity,
    );
    // the stock at the end of each bucket: the stock before the range plus the nets so far
    const stock = await this.reader.stockBefore(subAccountId, range);
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
    return formatCivilDate(localDateOf(this.clock.now(), await this.reader.timezoneOf(subAccountId)));
  }

  /** Per integration: leads whose first touch came through it, in total and today (local day). */
  async integrationLeadCounts(subAccountId: number): Promise<Map<number, { total: number; today: number }>> {
    const settings = await this.repository.settings(subAccountId);
    if (!settings) return new Map();
    const today = formatCivilDate(localDateOf(this.clock.now(), settings.timezone));
    return this.repository.integrationLeadCounts(subAccountId, today);
  }

  // Reports (reports/data/analytics-report-data-source.ts) read through this and AnalyticsRowsService,
  // so a report and the dashboard over the same range run the same statements and cannot disagree.

  /** Ad spend on the range's local days. */
  spendOf(subAccountId: number, range: ResolvedRange): Promise<SpendDbRow[]> {
    return this.repository.spend(subAccountId, ...days(range));
  }

  private async spendSeries(
    subAccountId: number,
    range: ResolvedRange,
    granularity: Granularity,
    groupBy: GroupBy | undefined,
    buckets: ReturnType<typeof enumerateBuckets>,
  ): Promise<TimeseriesDto> {
    if (groupBy === 'status')
      throw unsupported('groupBy', 'spend cannot be grouped by status', 'use source, campaign or integration');
    const spend = await this.repository.spend(subAccountId, ...days(range));
    return spendSeriesOf(spend, range.timezone, granularity, groupBy, buckets);
  }

  private async teamOf(
    subAccountId: number,
    rows: readonly MetricRow[],
    knownNames?: ReadonlyMap<string, string>,
  ): Promise<TeamMemberDto[]> {
    const users = [...new Set(rows.filter((r) => r.dimType === 'user').map((r) => r.dimId))];
    return teamFigures(rows, knownNames ?? (await this.repository.userNames(subAccountId, users)));
  }
}
