import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

/** A conversion with its path: the lead's touches up to it, oldest first. */
export interface ConversionPathRow {
  leadId: string;
  convertedAt: Date;
  touches: Array<{ platform: string; campaignId: string | null; campaignName: string | null; at: Date }>;
}

/**
 * How leads moved, for the funnel and attribution: the furthest stage each lead reached (from its
 * status history, or the rollup's reached sets for whole days) and every conversion's path of touches.
 * Every statement takes the sub-account id.
 */
@Injectable()
export class AnalyticsPathsRepository {
  constructor(private readonly db: Db) {}

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
