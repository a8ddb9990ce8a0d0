import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

/** A rollup or fact row: `day` for rollup rows (a local date), `at` for fact rows (a 15-minute slot). */
export interface MetricRow {
  day?: string;
  at?: Date;
  dimType: string;
  dimId: string;
  metric: string;
  count: number;
  sum: string;
}

export interface SpendDbRow {
  day: string;
  platform: string;
  integrationId: number;
  campaignId: string;
  campaignName: string | null;
  currency: string | null;
  spend: string;
}

/** A conversion with its path: the lead's touches up to it, oldest first. */
export interface ConversionPathRow {
  leadId: string;
  convertedAt: Date;
  touches: Array<{ platform: string; campaignId: string | null; campaignName: string | null; at: Date }>;
}

interface RawMetricRow {
  day: string | null;
  at: Date | null;
  dim_type: string;
  dim_id: string;
  metric: string;
  count: string;
  sum: string;
}

// built field by field (a two-year daily read maps tens of thousands of rows: no spreads)
const toMetricRow = (r: RawMetricRow): MetricRow => {
  const row: MetricRow = { dimType: r.dim_type, dimId: r.dim_id, metric: r.metric, count: Number(r.count), sum: r.sum };
  if (r.day !== null) row.day = r.day;
  if (r.at !== null) row.at = r.at;
  return row;
};

// Every tz offset in use is a multiple of 15 minutes: facts grouped per 15-minute UTC slot fall into
// exactly one local hour (Asia/Kolkata's :30 hours included), so hours and partial days can be
// bucketed from slots without reading every fact into memory.
const SLOT = `date_bin('15 minutes', f.at, TIMESTAMPTZ '2000-01-01')`;

/**
 * Analytics reads (rollup, facts, ad spend) and the rebuild. Every statement takes the sub-account
 * id; nothing here reads another sub-account's rows.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly db: Db) {}

  async settings(subAccountId: number): Promise<{ timezone: string; funnelStages: string[] } | null> {
    const rows = await this.db.sql<{ timezone: string; funnel_stages: string[] }>(
      { name: 'analytics_settings_v1', text: 'SELECT timezone, funnel_stages FROM sub_accounts WHERE id = $1' },
      [subAccountId],
    );
    return rows.length ? { timezone: rows[0].timezone, funnelStages: rows[0].funnel_stages } : null;
  }

  /** Rollup rows of local days [from, to] for these dimension types and metrics. */
  async rollupRows(
    subAccountId: number,
    from: string,
    to: string,
    dimTypes: readonly string[],
    metrics: readonly string[],
  ): Promise<MetricRow[]> {
    const rows = await this.db.sql<RawMetricRow>(
      {
        // a counter is the sum of its shards (the writers' parts, 20261202400100)
        name: 'analytics_rollup_rows_v2',
        text: `SELECT to_char(day, 'YYYY-MM-DD') AS day, NULL::timestamptz AS at, dim_type, dim_id, metric,
                      sum(count)::text AS count, sum(sum)::text AS sum
               FROM analytics_daily
               WHERE sub_account_id = $1 AND dim_type = ANY($4::text[]) AND metric = ANY($5::text[])
                 AND day >= $2::date AND day <= $3::date
               GROUP BY day, dim_type, dim_id, metric`,
      },
      [subAccountId, from, to, dimTypes, metrics],
    );
    return rows.map(toMetricRow);
  }

  /** Rollup rows of local days [from, to] summed per dimension and metric (no day). */
  async rollupTotals(
    subAccountId: number,
    from: string,
    to: string,
    dimTypes: readonly string[],
    metrics: readonly string[],
  ): Promise<MetricRow[]> {
    const rows = await this.db.sql<RawMetricRow>(
      {
        name: 'analytics_rollup_totals_v1',
        text: `SELECT NULL::text AS day, NULL::timestamptz AS at, dim_type, dim_id, metric, sum(count)::text AS count,
                      sum(sum)::text AS sum
               FROM analytics_daily
               WHERE sub_account_id = $1 AND dim_type = ANY($4::text[]) AND metric = ANY($5::text[])
                 AND day >= $2::date AND day <= $3::date
               GROUP BY dim_type, dim_id, metric`,
      },
      [subAccountId, from, to, dimTypes, metrics],
    );
    return rows.map(toMetricRow);
  }

  /** The same rows computed from the facts of [start, end), per 15-minute slot (hours, partial days). */
  async factRows(
    subAccountId: number,
    start: Date,
    end: Date,
    dimTypes: readonly string[],
    metrics: readonly string[],
  ): Promise<MetricRow[]> {
    const rows = await this.db.sql<RawMetricRow>(
      {
        name: 'analytics_fact_rows_v1',
        text: `SELECT NULL::text AS day, ${SLOT} AS at, f.dim_type, f.dim_id, f.metric, sum(f.n)::text AS count,
                      sum(f.amount)::text AS sum
               FROM analytics_fact_rows($1, $2::timestamptz, $3::timestamptz) f
               WHERE f.dim_type = ANY($4::text[]) AND f.metric = ANY($5::text[])
               GROUP BY 2, 3, 4, 5`,
      },
      [subAccountId, start.toISOString(), end.toISOString(), dimTypes, metrics],
    );
    return rows.map(toMetricRow);
  }

  /** Leads per status at the end of local day `to` (the stock: the sum of every `net` up to it). */
  async stockAtDay(subAccountId: number, to: string): Promise<Map<string, number>> {
    const rows = await this.db.sql<{ status: string; n: string }>(
      {
        name: 'analytics_stock_day_v1',
        text: `SELECT dim_id AS status, sum(count)::text AS n FROM analytics_daily
               WHERE sub_account_id = $1 AND dim_type = 'status' AND metric = 'net' AND day <= $2::date
               GROUP BY dim_id`,
      },
      [subAccountId, to],
    );
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Leads per status just before `end`, from the facts (a range that ends inside a day). */
  async stockAt(subAccountId: number, end: Date): Promise<Map<string, number>> {
    const rows = await this.db.sql<{ status: string; n: string }>(
      {
        name: 'analytics_stock_at_v1',
        text: `SELECT f.dim_id AS status, sum(f.n)::text AS n
               FROM analytics_fact_rows($1, '-infinity'::timestamptz, $2::timestamptz) f
               WHERE f.dim_type = 'status' AND f.metric = 'net' GROUP BY f.dim_id`,
      },
      [subAccountId, end.toISOString()],
    );
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }

  /**
   * Ad spend per day, integration and campaign for local days [from, to] (the ad account's days),
   * summed over one level only: per integration and day the coarsest stored (ad_costs_summed).
   */
  async spend(subAccountId: number, from: string, to: string): Promise<SpendDbRow[]> {
    const rows = await this.db.sql<{
      day: string;
      platform: string;
      integration_id: number;
      campaign_id: string;
      campaign_name: string | null;
      currency: string | null;
      spend: string;
    }>(
      {
        // one level of each integration's spend (ad_costs_summed), so ad group and ad rows never add to their campaign's
        name: 'analytics_spend_v2',
        text: `SELECT to_char(day, 'YYYY-MM-DD') AS day, platform, integration_id, campaign_id,
                      COALESCE(max(campaign_name), max(name) FILTER (WHERE level = 'campaign')) AS campaign_name,
                      currency, sum(spend)::text AS spend
               FROM ad_costs_summed WHERE sub_account_id = $1 AND day >= $2::date AND day <= $3::date
               GROUP BY 1, 2, 3, 4, 6 ORDER BY 1, 2, 3, 4`,
      },
      [subAccountId, from, to],
    );
    return rows.map((r) => ({
      day: r.day,
      platform: r.platform,
      integrationId: r.integration_id,
      campaignId: r.campaign_id,
      campaignName: r.campaign_name,
      currency: r.currency,
      spend: r.spend,
    }));
  }

  /** Outbound messages per 15-minute slot and channel platform/integration (the messagesSent metric). */
  async messagesSent(
    subAccountId: number,
    start: Date,
    end: Date,
  ): Promise<Array<{ at: Date; platform: string; integrationId: number | null; count: number }>> {
    const rows = await this.db.sql<{ at: Date; platform: string; integration_id: number | null; n: string }>(
      {
        name: 'analytics_messages_sent_v1',
        text: `SELECT date_bin('15 minutes', i.occurred_at, TIMESTAMPTZ '2000-01-01') AS at, i.platform, i.integration_id,
                      count(*)::text AS n
               FROM lead_interactions i JOIN leads l ON l.id = i.lead_id AND NOT l.is_test
               WHERE i.sub_account_id = $1 AND i.direction = 'outbound' AND i.occurred_at >= $2 AND i.occurred_at < $3
               GROUP BY 1, 2, 3`,
      },
      [subAccountId, start.toISOString(), end.toISOString()],
    );
    return rows.map((r) => ({ at: r.at, platform: r.platform, integrationId: r.integration_id, count: Number(r.n) }));
  }

  /**
   * Leads created in [start, end) by the furthest of `stages` they reached in their whole history
   * (1-based index into `stages`), optionally only those from a platform or campaign.
   */
  async furthestStages(
    subAccountId: number,
    start: Date,
    end: Date,
    stages: readonly string[],
    filter: { platform?: string; campaignId?: string },
  ): Promise<Map<number, number>> {
    const rows = await this.db.sql<{ idx: number; n: string }>(
      {
        name: 'analytics_furthest_v1',
        text: `SELECT idx, count(*)::text AS n FROM (
                 SELECT (SELECT max(array_position($4::text[], h.s))
                         FROM (SELECT 'NEW'::text AS s UNION ALL
                               SELECT c.to_status::text FROM lead_status_changes c WHERE c.lead_id = l.id) h) AS idx
                 FROM leads l
                 WHERE l.sub_account_id = $1 AND NOT l.is_test AND l.created_at >= $2 AND l.created_at < $3
                   AND ($5::text IS NULL OR l.origin_platform = $5) AND ($6::text IS NULL OR l.origin_campaign_id = $6)
               ) f WHERE idx IS NOT NULL GROUP BY idx`,
      },
      [
        subAccountId,
        start.toISOString(),
        end.toISOString(),
        stages,
        filter.platform ?? null,
        filter.campaignId ?? null,
      ],
    );
    return new Map(rows.map((r) => [r.idx, Number(r.n)]));
  }

  /**
   * Leads created on local days [from, to] per set of statuses reached so far (key `NEW,CONTACTED,…`
   * sorted), optionally only those from a platform or campaign: the rollup's 'reached' rows
   * ('<set>|<platform>', a few per day), or 'reached_campaign' ('<set>|<platform>|<campaign>') when
   * a campaign is asked for.
   */
  async reachedSets(
    subAccountId: number,
    from: string,
    to: string,
    filter: { platform?: string; campaignId?: string },
  ): Promise<Map<string, number>> {
    const args = [subAccountId, from, to, filter.platform ?? null];
    // statuses and platforms hold no '|'
    const rows =
      filter.campaignId === undefined
        ? await this.db.sql<{ reached: string; n: string }>(
            {
              name: 'analytics_reached_v2',
              text: `SELECT split_part(dim_id, '|', 1) AS reached, sum(count)::text AS n FROM analytics_daily
                     WHERE sub_account_id = $1 AND dim_type = 'reached' AND metric = 'leads'
                       AND day >= $2::date AND day <= $3::date
                       AND ($4::text IS NULL OR split_part(dim_id, '|', 2) = $4)
                     GROUP BY 1`,
            },
            args,
          )
        : await this.db.sql<{ reached: string; n: string }>(
            {
              name: 'analytics_reached_campaign_v1',
              text: `SELECT r.reached, sum(r.count)::text AS n FROM (
                       SELECT split_part(dim_id, '|', 1) AS reached, split_part(dim_id, '|', 2) AS platform,
                              substr(dim_id, length(split_part(dim_id, '|', 1)) + length(split_part(dim_id, '|', 2)) + 3) AS campaign,
                              count
                       FROM analytics_daily
                       WHERE sub_account_id = $1 AND dim_type = 'reached_campaign' AND metric = 'leads'
                         AND day >= $2::date AND day <= $3::date
                     ) r
                     WHERE ($4::text IS NULL OR r.platform = $4) AND r.campaign = $5
                     GROUP BY r.reached`,
            },
            [...args, filter.campaignId],
          );
    return new Map(rows.filter((r) => Number(r.n) !== 0).map((r) => [r.reached, Number(r.n)]));
  }

  /** Every conversion in [start, end) with its path (analytics_conversion_paths), in the order they happened. */
  async conversionPaths(subAccountId: number, start: Date, end: Date): Promise<ConversionPathRow[]> {
    const rows = await this.db.sql<{ lead_id: string; at: Date; touches: unknown }>(
      {
        name: 'analytics_conversion_paths_v1',
        text: `SELECT lead_id::text, at, touches FROM analytics_conversion_paths
               WHERE sub_account_id = $1 AND at >= $2 AND at < $3 ORDER BY change_id`,
      },
      [subAccountId, start.toISOString(), end.toISOString()],
    );
    return rows.map((r) => ({ leadId: r.lead_id, convertedAt: r.at, touches: parseTouches(r.touches) }));
  }

  /** The latest name each agent was given (assignments and activities). */
  async userNames(subAccountId: number, userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db.sql<{ user_id: string; name: string }>(
      {
        // per agent, the newest named assignment and activity: two index probes (the *_named_user_idx)
        name: 'analytics_user_names_v2',
        text: `SELECT u.user_id, n.name FROM unnest($2::text[]) u(user_id)
               CROSS JOIN LATERAL (
                 SELECT name FROM (
                   (SELECT to_user_name AS name, at FROM lead_assignments
                    WHERE sub_account_id = $1 AND to_user_id = u.user_id AND to_user_name IS NOT NULL
                    ORDER BY at DESC LIMIT 1)
                   UNION ALL
                   (SELECT user_name, occurred_at FROM lead_activities
                    WHERE sub_account_id = $1 AND user_id = u.user_id AND user_name IS NOT NULL
                    ORDER BY occurred_at DESC LIMIT 1)
                 ) latest ORDER BY at DESC LIMIT 1
               ) n`,
      },
      [subAccountId, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.name]));
  }

  /** Re-derives the rollup of local days [from, to] (null = unbounded) from the facts; idempotent. */
  async rebuild(subAccountId: number, from: string | null, to: string | null): Promise<number> {
    const rows = await this.db.sql<{ n: string }>(
      { name: 'analytics_rebuild_v1', text: 'SELECT analytics_rebuild($1, $2::date, $3::date)::text AS n' },
      [subAccountId, from, to],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Fills `lead_sources.cost` of the touches of local days [from, to] (null = unbounded) from
   * ad_costs: the campaign's spend that day split exactly over its touches that day.
   */
  async fillSourceCosts(subAccountId: number, from: string | null, to: string | null): Promise<number> {
    const rows = await this.db.sql<{ n: string }>(
      {
        name: 'analytics_fill_cost_v1',
        text: `SELECT lead_sources_fill_cost($1, COALESCE($2::date, DATE '0001-01-01'), COALESCE($3::date, DATE '9999-12-30'))::text AS n`,
      },
      [subAccountId, from, to],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Sub-accounts whose rollup has shard rows of local days before `before` (YYYY-MM-DD). */
  async unfolded(before: string): Promise<number[]> {
    const rows = await this.db.sql<{ id: number }>(
      { name: 'analytics_unfolded_v1', text: 'SELECT analytics_unfolded($1::date) AS id' },
      [before],
    );
    return rows.map((r) => r.id);
  }

  /** Folds one sub-account's shard rows of days before `before` into shard 0 (sums unchanged). */
  async compact(subAccountId: number, before: string): Promise<number> {
    const rows = await this.db.sql<{ n: string }>(
      { name: 'analytics_compact_v1', text: 'SELECT analytics_compact($1, $2::date)::text AS n' },
      [subAccountId, before],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Rewrites up to `limit` lead scores whose recency points changed by `now` (lead_score_decay: the
   * partial index on score_refresh_at, rows held by a writer skipped); how many were rewritten.
   */
  async decayScores(now: Date, limit: number): Promise<number> {
    const rows = await this.db.sql<{ n: number }>(
      { name: 'lead_score_decay_v1', text: 'SELECT lead_score_decay($1::timestamptz, $2) AS n' },
      [now.toISOString(), limit],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Leads per integration in total and on the local day `today` (the integration list's figures). */
  async integrationLeadCounts(
    subAccountId: number,
    today: string,
  ): Promise<Map<number, { total: number; today: number }>> {
    const rows = await this.db.sql<{ dim_id: string; total: string; today: string }>(
      {
        name: 'analytics_integration_counts_v1',
        text: `SELECT dim_id, sum(count)::text AS total, sum(count) FILTER (WHERE day = $2::date)::text AS today
               FROM analytics_daily WHERE sub_account_id = $1 AND dim_type = 'source' AND metric = 'new'
               GROUP BY dim_id`,
      },
      [subAccountId, today],
    );
    const out = new Map<number, { total: number; today: number }>();
    for (const r of rows) {
      const id = Number(r.dim_id.slice(r.dim_id.lastIndexOf('|') + 1));
      if (!r.dim_id.endsWith('|') && Number.isInteger(id)) {
        const prev = out.get(id) ?? { total: 0, today: 0 };
        out.set(id, { total: prev.total + Number(r.total), today: prev.today + Number(r.today ?? 0) });
      }
    }
    return out;
  }
}

/** A path's touches as analytics_paths_write stores them: [platform, campaignId, campaignName, at]. */
function parseTouches(value: unknown): ConversionPathRow['touches'] {
  if (!Array.isArray(value)) return [];
  const touches: ConversionPathRow['touches'] = [];
  for (const t of value as unknown[]) {
    if (!Array.isArray(t) || typeof t[0] !== 'string' || typeof t[3] !== 'string') continue;
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    touches.push({ platform: t[0], campaignId: text(t[1]), campaignName: text(t[2]), at: new Date(t[3]) });
  }
  return touches;
}
