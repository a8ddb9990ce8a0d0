import { Injectable } from '@nestjs/common';
import { Db } from '../../../database/db';
import type { ReportDimension } from '../templates/report-config';
import type {
  BreakdownRow,
  LeadCursor,
  LeadReportRow,
  ReportDataSource,
  ReportQuery,
  ReportTotals,
} from './report-data-source';

/**
 * ReportDataSource over the lead tables: leads (not `isTest`), each lead's first touch (lead_sources:
 * platform, integration, campaign) and ad_costs. AnalyticsReportDataSource reads a report's detail rows
 * (leadPage, countLeads) here, and the figures of templates the rollup cannot answer (a status filter:
 * "converted"/"lost" are then the period's leads whose status is now CONVERTED/LOST).
 * Every statement is scoped to one sub-account (its first parameter).
 */
@Injectable()
export class ReportDataRepository implements ReportDataSource {
  constructor(private readonly db: Db) {}

  // THE single place that decides a sub-account's report time zone: sub_accounts.timezone (API.md
  // "Sub-account settings", validated IANA name, default UTC); UTC for a sub-account that no longer exists.
  async timezoneOf(subAccountId: number): Promise<string> {
    const row = await this.db.prisma.subAccount.findUnique({ where: { id: subAccountId }, select: { timezone: true } });
    return row?.timezone ?? 'UTC';
  }

  async totals(query: ReportQuery): Promise<ReportTotals> {
    const [counts] = await this.db.sql<{ total: string; created: string; converted: string; lost: string }>(
      {
        text: `${BASE_CTE}
        SELECT count(*)::text AS total,
               count(*) FILTER (WHERE created_at >= $2)::text AS created,
               count(*) FILTER (WHERE created_at >= $2 AND status = 'CONVERTED')::text AS converted,
               count(*) FILTER (WHERE created_at >= $2 AND status = 'LOST')::text AS lost
          FROM base`,
      },
      // the stock: every lead created before the end of the range
      [...baseParams(query), true],
    );
    const [spend] = await this.db.sql<{ spend: string | null; currency: string | null }>(
      {
        text: `${BASE_CTE}, ${SPEND_CTE}
        SELECT sum(spend)::text AS spend, min(currency) AS currency FROM spend`,
      },
      [...baseParams(query), false, ...spendParams(query)],
    );
    return {
      totalLeads: Number(counts.total),
      newLeads: Number(counts.created),
      convertedLeads: Number(counts.converted),
      lostLeads: Number(counts.lost),
      spend: spend.spend,
      currency: spend.currency,
    };
  }

  async breakdown(query: ReportQuery, dimensions: readonly ReportDimension[]): Promise<BreakdownRow[]> {
    const dims = dimensions.slice(0, 2);
    if (dims.length === 0) return [];
    const key = (i: number): string => DIMENSIONS[dims[i]].key;
    const label = (i: number): string => DIMENSIONS[dims[i]].label;
    const k2 = dims.length > 1 ? key(1) : `''`;
    const l2 = dims.length > 1 ? label(1) : `''`;
    // spend can be attributed to a single source or campaign grouping (campaign ids join ad_costs); a group
    // no spend row names has none known (NULL, "—"), as the overview's bySource says
    const spendJoin =
      dims.length === 1 && dims[0] === 'campaign'
        ? `LEFT JOIN (SELECT campaign_id, sum(spend) AS spend FROM spend GROUP BY campaign_id) sp ON sp.campaign_id = g.k1`
        : dims.length === 1 && dims[0] === 'source'
          ? `LEFT JOIN (SELECT m.platform, sum(s.spend) AS spend FROM spend s
                          JOIN (SELECT DISTINCT ON (campaign_id) campaign_id, COALESCE(platform, 'unknown') AS platform
                                  FROM base WHERE campaign_id IS NOT NULL
                                 GROUP BY campaign_id, platform ORDER BY campaign_id, count(*) DESC, platform) m
                            ON m.campaign_id = s.campaign_id
                         GROUP BY m.platform) sp ON sp.platform = g.k1`
          : `LEFT JOIN (SELECT NULL::numeric AS spend) sp ON false`;
    const rows = await this.db.sql<{
      k1: string;
      l1: string;
      k2: string;
      l2: string;
      created: string;
      converted: string;
      lost: string;
      spend: string | null;
    }>(
      {
        text: `${BASE_CTE}, ${SPEND_CTE},
        g AS (
          SELECT ${key(0)} AS k1, max(${label(0)}) AS l1, ${k2} AS k2, max(${l2}) AS l2,
                 count(*) AS created,
                 count(*) FILTER (WHERE status = 'CONVERTED') AS converted,
                 count(*) FILTER (WHERE status = 'LOST') AS lost
            FROM base WHERE $11::text IS NOT NULL GROUP BY 1, 3)
        SELECT g.k1, g.l1, g.k2, g.l2, g.created::text, g.converted::text, g.lost::text,
               ${dims.length === 1 && (dims[0] === 'campaign' || dims[0] === 'source') ? `sp.spend::text` : 'NULL::text'} AS spend
          FROM g ${spendJoin}
         ORDER BY g.k1, g.k2
         LIMIT ${MAX_GROUPS}`,
      },
      [...baseParams(query), false, ...spendParams(query), query.range.timezone],
    );
    return rows.map((r) => ({
      keys: dims.length > 1 ? [r.k1, r.k2] : [r.k1],
      labels: dims.length > 1 ? [r.l1, r.l2] : [r.l1],
      newLeads: Number(r.created),
      convertedLeads: Number(r.converted),
      lostLeads: Number(r.lost),
      spend: r.spend,
    }));
  }

  async countLeads(query: ReportQuery): Promise<number> {
    const [row] = await this.db.sql<{ n: string }>({ text: `${BASE_CTE} SELECT count(*)::text AS n FROM base` }, [
      ...baseParams(query),
      false,
    ]);
    return Number(row.n);
  }

  /** The latest name each campaign was given on a touch, for the ids asked. */
  async campaignNames(subAccountId: number, campaignIds: readonly string[]): Promise<Map<string, string>> {
    if (campaignIds.length === 0) return new Map();
    const rows = await this.db.sql<{ campaign_id: string; campaign_name: string }>(
      {
        name: 'report-campaign-names',
        text: `SELECT DISTINCT ON (campaign_id) campaign_id, campaign_name FROM lead_sources
                WHERE sub_account_id = $1 AND campaign_id = ANY($2::text[]) AND campaign_name IS NOT NULL
                  AND deleted_at IS NULL
                ORDER BY campaign_id, created_at DESC, id DESC`,
      },
      [subAccountId, [...campaignIds]],
    );
    return new Map(rows.map((r) => [r.campaign_id, r.campaign_name]));
  }

  async leadPage(query: ReportQuery, after: LeadCursor | null, limit: number): Promise<LeadReportRow[]> {
    const rows = await this.db.sql<{
      id: string;
      created_at: Date;
      full_name: string | null;
      email: string | null;
      phone: string | null;
      status: string;
      platform: string | null;
      integration_id: number | null;
      campaign_id: string | null;
      campaign_name: string | null;
      cost: string | null;
      currency: string | null;
    }>(
      {
        name: 'report-lead-page',
        text: `${BASE_CTE}
        SELECT b.id::text AS id, b.created_at, l.full_name, l.email, l.phone, b.status, b.platform, b.integration_id,
               b.campaign_id, b.campaign_name, b.cost::text AS cost, b.currency
          FROM base b JOIN leads l ON l.id = b.id
         WHERE ($9::timestamptz IS NULL OR (b.created_at, b.id) > ($9::timestamptz, $10::bigint))
           -- the bound leads(sub_account_id, created_at) can seek to, so each page starts where the last ended
           AND b.created_at >= COALESCE($9::timestamptz, $2::timestamptz)
         ORDER BY b.created_at, b.id
         LIMIT $11`,
      },
      [...baseParams(query), false, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      fullName: r.full_name,
      email: r.email,
      phone: r.phone,
      status: r.status,
      platform: r.platform,
      integrationId: r.integration_id,
      campaignId: r.campaign_id,
      campaignName: r.campaign_name,
      cost: r.cost,
      currency: r.currency,
    }));
  }
}

const MAX_GROUPS = 1000;

// $1 sub-account, $2 start, $3 end, $4 platforms, $5 statuses, $6 campaign ids, $7 integration ids,
// $8 true = from the beginning (the stock) rather than from $2. Keyset order (created_at, id) is
// served by leads(sub_account_id, created_at).
const BASE_CTE = `WITH base AS (
  SELECT l.id, l.created_at, l.status::text AS status, s.platform, s.integration_id, s.campaign_id, s.campaign_name,
         s.cost, s.currency
    FROM leads l
    LEFT JOIN LATERAL (
      SELECT ls.platform, ls.integration_id, ls.campaign_id, ls.campaign_name, ls.cost, ls.currency
        FROM lead_sources ls
       WHERE ls.lead_id = l.id AND ls.deleted_at IS NULL
       ORDER BY ls.created_at, ls.id
       LIMIT 1) s ON true
   WHERE l.sub_account_id = $1 AND NOT l.is_test
     AND ($8::boolean OR l.created_at >= $2::timestamptz) AND l.created_at < $3::timestamptz
     AND ($4::text[] IS NULL OR s.platform = ANY($4::text[]))
     AND ($5::text[] IS NULL OR l.status::text = ANY($5::text[]))
     AND ($6::text[] IS NULL OR s.campaign_id = ANY($6::text[]))
     AND ($7::int[] IS NULL OR s.integration_id = ANY($7::int[])))`;

// $9 first local day, $10 last local day. With a lead filter, only the spend of campaigns its leads
// came from; otherwise all of the sub-account's spend on those days. One level of each integration's
// spend (ad_costs_summed): ad group and ad rows never add to their campaign's.
const SPEND_CTE = `spend AS (
  SELECT c.campaign_id, c.spend, c.currency
    FROM ad_costs_summed c
   WHERE c.sub_account_id = $1 AND c.day BETWEEN $9::date AND $10::date
     AND (($4::text[] IS NULL AND $5::text[] IS NULL AND $6::text[] IS NULL AND $7::int[] IS NULL)
          OR c.campaign_id IN (SELECT campaign_id FROM base WHERE campaign_id IS NOT NULL)))`;

function baseParams(query: ReportQuery): unknown[] {
  const f = query.filters;
  const list = <T>(values: readonly T[] | undefined): T[] | null => (values && values.length ? [...values] : null);
  return [
    query.subAccountId,
    query.range.start,
    query.range.end,
    list(f.source),
    list(f.status),
    list(f.campaignId),
    list(f.integrationId),
  ];
}

function spendParams(query: ReportQuery): unknown[] {
  const day = (d: { year: number; month: number; day: number }): string =>
    `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
  return [day(query.range.fromDate), day(query.range.toDate)];
}

// Whitelisted SQL per dimension (never user text); $11 is the sub-account's zone in breakdown().
const DIMENSIONS: Record<ReportDimension, { key: string; label: string }> = {
  source: { key: `COALESCE(platform, 'unknown')`, label: `COALESCE(platform, 'unknown')` },
  status: { key: 'status', label: 'status' },
  campaign: { key: `COALESCE(campaign_id, '(none)')`, label: `COALESCE(campaign_name, campaign_id, '(none)')` },
  integration: { key: `COALESCE(integration_id::text, '(none)')`, label: `COALESCE(integration_id::text, '(none)')` },
  day: {
    key: `to_char(created_at AT TIME ZONE $11, 'YYYY-MM-DD')`,
    label: `to_char(created_at AT TIME ZONE $11, 'YYYY-MM-DD')`,
  },
  week: {
    key: `to_char(created_at AT TIME ZONE $11, 'IYYY-"W"IW')`,
    label: `to_char(created_at AT TIME ZONE $11, 'IYYY-"W"IW')`,
  },
  month: {
    key: `to_char(created_at AT TIME ZONE $11, 'YYYY-MM')`,
    label: `to_char(created_at AT TIME ZONE $11, 'YYYY-MM')`,
  },
};
