import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { AnalyticsRepository, MetricRow } from './analytics.repository';
import { bucketKeyOf, bucketKeyOfDate, Granularity } from './time/buckets';
import { addDays, formatCivilDate, parseCivilDate } from './time/civil-date';
import { boundsOrDefault, MAX_QUERY_DAYS, resolveDateRange, ResolvedRange } from './time/date-range';
import { localDateOf } from './time/time-zone';

export interface RangeParams {
  /** A local date YYYY-MM-DD (inclusive) or an ISO instant; default 29 local days before `to`'s default (today). */
  from?: string;
  /** Default today (local), included. */
  to?: string;
}

/** Days a range covers when the request leaves out `from`/`to` (as GET /api/whatsapp/analytics). */
const DEFAULT_RANGE_DAYS = 30;

/**
 * Where the figures of a range come from, for AnalyticsFiguresService (and through it reports): the
 * sub-account's zone and the request's range in it; metric rows, whole local days from the rollup and
 * hours and partial days from the facts through the same row rules (analytics_fact_rows), in one
 * order; the status stock at either end of the range.
 */
@Injectable()
export class AnalyticsRowsService {
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

  /** The request's range in `zone`; a bound left out is the last 30 local days' (today included, or `to`'s 30). */
  rangeIn(p: RangeParams, zone: string): ResolvedRange {
    const today = localDateOf(this.clock.now(), zone);
    const [from, to] = boundsOrDefault(p.from, p.to, today, zone, DEFAULT_RANGE_DAYS);
    return resolveDateRange(from, to, zone, { maxDays: MAX_QUERY_DAYS });
  }

  async settings(subAccountId: number): Promise<{ timezone: string; funnelStages: string[] }> {
    const settings = await this.repository.settings(subAccountId);
    if (!settings) throw DomainException.notFound('Sub-account');
    return settings;
  }

  /**
   * Metric rows of a range with the bucket of each (`all` without a granularity): whole local days
   * from the rollup, hours and partial days from the facts.
   */
  async metricRows(
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

  /** Leads per status at the end of the range (overview's `byStatus`; their sum is `totalLeads`). */
  stockAtEnd(subAccountId: number, range: ResolvedRange): Promise<Map<string, number>> {
    return range.kind === 'dates'
      ? this.repository.stockAtDay(subAccountId, formatCivilDate(range.toDate))
      : this.repository.stockAt(subAccountId, range.end);
  }

  /** The stock just before the range: from the rollup up to the day before whole-day ranges. */
  async stockBefore(subAccountId: number, range: ResolvedRange): Promise<Map<string, number>> {
    return range.kind === 'dates'
      ? this.repository.stockAtDay(subAccountId, formatCivilDate(addDays(range.fromDate, -1)))
      : this.repository.stockAt(subAccountId, range.start);
  }
}

export function days(range: ResolvedRange): [string, string] {
  return [formatCivilDate(range.fromDate), formatCivilDate(range.toDate)];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
