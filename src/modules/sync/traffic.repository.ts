import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type { TrafficInput } from '../../handlers/handler-types';

/** Rows per statement: a GA report page is up to 10,000 rows. */
const CHUNK = 1000;

const UPSERT_DAILY = {
  name: 'traffic_daily_upsert_v1',
  text: `INSERT INTO traffic_daily (sub_account_id, integration_id, platform, day, source, medium, campaign_name, campaign_id,
           sessions, engaged_sessions, key_events, updated_at)
         SELECT $1::int, $2::int, t.platform, t.day::date, t.source, t.medium, t."campaignName",
                t."campaignId", t.sessions, t."engagedSessions", t."keyEvents", now()
         FROM jsonb_to_recordset($3::jsonb) AS t(platform text, day text, source text, medium text, "campaignName" text,
              "campaignId" text, sessions int, "engagedSessions" int, "keyEvents" numeric)
         ON CONFLICT (integration_id, day, source, medium, campaign_name, campaign_id) DO UPDATE SET
           sessions = EXCLUDED.sessions, engaged_sessions = EXCLUDED.engaged_sessions,
           key_events = EXCLUDED.key_events, updated_at = now()`,
};

/** Daily website traffic (traffic_daily): one row per integration, day, source, medium and campaign. */
@Injectable()
export class TrafficRepository {
  constructor(private readonly db: Db) {}

  /**
   * Upserted in the caller's transaction (a sync page's), a chunk per statement: a re-read day (GA
   * revises recent days) replaces its numbers. Rows with the same key in one page keep the last one.
   */
  async upsertDaily(subAccountId: number, integrationId: number, traffic: readonly TrafficInput[]): Promise<void> {
    const byKey = new Map<string, TrafficInput>();
    for (const t of traffic) byKey.set(JSON.stringify([t.day, t.source, t.medium, t.campaignName, t.campaignId]), t);
    const rows = [...byKey.values()];
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db.execute(UPSERT_DAILY, [subAccountId, integrationId, JSON.stringify(rows.slice(i, i + CHUNK))]);
    }
  }
}
