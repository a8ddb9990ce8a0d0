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

/** How many leads of a (lead platform, campaign) an integration brought: who a campaign's spend belongs to. */
export interface CampaignLeadsRow {
  platform: string;
  campaignId: string;
  integrationId: number;
  leads: number;
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
 * Analytics reads (rollup, facts, ad spend, messages sent, agents' names); the funnel's and
 * attribution's are AnalyticsPathsRepository's, the rebuild AnalyticsMaintenanceRepository's. Every
 * statement takes the sub-account id; nothing here reads another sub-account's rows.
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

  /**
   * Leads created in [start, end) per (lead platform, campaign, integration), for the platforms named:
   * the lead's first touch, as the rollup's source and campaign dimensions count it.
   */
  async campaignLeads(
    subAccountId: number,
    platforms: readonly string[],
    start: Date,
    end: Date,
  ): Promise<CampaignLeadsRow[]> {
    const rows = await this.db.sql<{ platform: string; campaign_id: string; integration_id: number; n: number }>(
      {
        name: 'analytics_campaign_leads_v1',
        text: `SELECT origin_platform AS platform, origin_campaign_id AS campaign_id, origin_integration_id AS integration_id,
                      count(*)::int AS n
               FROM leads
               WHERE sub_account_id = $1 AND created_at >= $2 AND created_at < $3 AND NOT is_test
                 AND origin_platform = ANY($4::text[]) AND origin_campaign_id IS NOT NULL AND origin_integration_id IS NOT NULL
               GROUP BY 1, 2, 3`,
      },
      [subAccountId, start, end, platforms],
    );
    return rows.map((r) => ({
      platform: r.platform,
      campaignId: r.campaign_id,
      integrationId: r.integration_id,
      leads: r.n,
    }));
  }

  /**
   * Outbound messages per 15-minute slot and channel platform/integration (the messagesSent metric).
   * A conversation message enters the lead's timeline when it is queued; it counts once the provider
   * accepted it (sent, delivered, read), as the messaging analytics count `sent`: a send still queued
   * or refused (failed) was not sent. Other outbound entries (a provider's own events) count as they are.
   */
  async messagesSent(
    subAccountId: number,
    start: Date,
    end: Date,
  ): Promise<Array<{ at: Date; platform: string; integrationId: number | null; count: number }>> {
    const rows = await this.db.sql<{ at: Date; platform: string; integration_id: number | null; n: string }>(
      {
        name: 'analytics_messages_sent_v2',
        // the timeline origin of a message is 'whatsapp:message:<uuid>' (timelineOrigin); CASE keeps the
        // uuid cast off every other origin
        text: `SELECT date_bin('15 minutes', i.occurred_at, TIMESTAMPTZ '2000-01-01') AS at, i.platform, i.integration_id,
                      count(*)::text AS n
               FROM lead_interactions i JOIN leads l ON l.id = i.lead_id AND NOT l.is_test
               WHERE i.sub_account_id = $1 AND i.direction = 'outbound' AND i.occurred_at >= $2 AND i.occurred_at < $3
                 AND NOT EXISTS (
                   SELECT 1 FROM messages m
                   WHERE m.id = CASE WHEN i.origin LIKE 'whatsapp:message:%' THEN substr(i.origin, 18)::uuid END
                     AND m.status NOT IN ('sent', 'delivered', 'read'))
               GROUP BY 1, 2, 3`,
      },
      [subAccountId, start.toISOString(), end.toISOString()],
    );
    return rows.map((r) => ({ at: r.at, platform: r.platform, integrationId: r.integration_id, count: Number(r.n) }));
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
