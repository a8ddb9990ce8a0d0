// Leads (with their status transitions), touches and ad spend written straight into the tables, with
// hand-computed figures; the database's triggers keep the analytics rollup in step.
import type { Client } from 'pg';

export interface SeedLead {
  readonly at: string;
  readonly name: string;
  readonly status: 'NEW' | 'CONTACTED' | 'QUALIFIED' | 'CONVERTED' | 'LOST';
  readonly platform?: string;
  readonly campaignId?: string;
  readonly campaignName?: string;
  readonly isTest?: boolean;
  /** When the lead moved to `status` (default: `at`). */
  readonly statusAt?: string;
}

/** Inserts leads (each with one touch when it has a platform); returns their ids in order. */
export async function seedLeads(sql: Client, subAccountId: number, leads: readonly SeedLead[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, lead] of leads.entries()) {
    // created NEW with its first touch as origin (the rollup's dimensions), then moved to its status
    // by a recorded transition at `statusAt` (default: its creation), as every writer does
    const res = await sql.query<{ id: string }>(
      `INSERT INTO leads (sub_account_id, full_name, email, status, is_test, created_at, updated_at,
                          origin_platform, origin_campaign_id)
       VALUES ($1, $2, $3, 'NEW', $4, $5, $5, $6, $7) RETURNING id::text AS id`,
      [
        subAccountId,
        lead.name,
        `lead${subAccountId}-${i}@example.com`,
        lead.isTest ?? false,
        lead.at,
        lead.platform ?? null,
        lead.campaignId ?? null,
      ],
    );
    const id = res.rows[0].id;
    ids.push(id);
    if (lead.status !== 'NEW') {
      await sql.query(`SELECT lead_set_status($1, $2, $3::"LeadStatus", $4, 'seed', 'seed')`, [
        subAccountId,
        id,
        lead.status,
        lead.statusAt ?? lead.at,
      ]);
    }
    if (lead.platform) {
      await sql.query(
        `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, campaign_name, is_test, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          subAccountId,
          lead.platform,
          `ext-${id}`,
          `seed:${id}`,
          lead.campaignId ?? null,
          lead.campaignName ?? null,
          lead.isTest ?? false,
          lead.at,
        ],
      );
    }
  }
  return ids;
}

export async function seedSpend(
  sql: Client,
  subAccountId: number,
  rows: readonly { day: string; campaignId: string; spend: string; currency: string }[],
): Promise<void> {
  for (const r of rows) {
    await sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, spend, currency,
                             impressions, clicks, leads, updated_at)
       VALUES ($1, 9999, 'facebook-ads', $2, 'ad', $3, $4, $5, $6, 0, 0, 0, now())`,
      [subAccountId, r.day, r.campaignId, `ad-${r.day}`, r.spend, r.currency],
    );
  }
}

/** `count` leads one second apart from `from`, status NEW, each with a `meta` touch, in two statements. */
export async function seedBulkLeads(sql: Client, subAccountId: number, from: string, count: number): Promise<void> {
  await sql.query(
    `WITH l AS (
       INSERT INTO leads (sub_account_id, full_name, email, status, created_at, updated_at, origin_platform)
       SELECT $1, 'Bulk ' || i, 'bulk' || i || '@example.com', 'NEW', $2::timestamptz + i * interval '1 second', now(), 'meta'
         FROM generate_series(0, $3 - 1) AS i
       RETURNING id, created_at)
     INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, created_at)
     SELECT id, $1, 'meta', 'bulk-' || id, 'seed:' || id, created_at FROM l`,
    [subAccountId, from, count],
  );
}
