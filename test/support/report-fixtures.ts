// Leads, touches and ad spend written straight into the tables reports read, with hand-computed figures.
import type { Client } from 'pg';

export interface SeedLead {
  readonly at: string;
  readonly name: string;
  readonly status: 'NEW' | 'CONTACTED' | 'QUALIFIED' | 'CONVERTED' | 'LOST';
  readonly platform?: string;
  readonly campaignId?: string;
  readonly campaignName?: string;
  readonly isTest?: boolean;
}

/** Inserts leads (each with one touch when it has a platform); returns their ids in order. */
export async function seedLeads(sql: Client, subAccountId: number, leads: readonly SeedLead[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, lead] of leads.entries()) {
    const res = await sql.query<{ id: string }>(
      `INSERT INTO leads (sub_account_id, full_name, email, status, is_test, created_at, updated_at)
       VALUES ($1, $2, $3, $4::"LeadStatus", $5, $6, $6) RETURNING id::text AS id`,
      [subAccountId, lead.name, `lead${subAccountId}-${i}@example.com`, lead.status, lead.isTest ?? false, lead.at],
    );
    const id = res.rows[0].id;
    ids.push(id);
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
       INSERT INTO leads (sub_account_id, full_name, email, status, created_at, updated_at)
       SELECT $1, 'Bulk ' || i, 'bulk' || i || '@example.com', 'NEW', $2::timestamptz + i * interval '1 second', now()
         FROM generate_series(0, $3 - 1) AS i
       RETURNING id, created_at)
     INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, created_at)
     SELECT id, $1, 'meta', 'bulk-' || id, 'seed:' || id, created_at FROM l`,
    [subAccountId, from, count],
  );
}
