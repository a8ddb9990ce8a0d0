import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

/**
 * The rollup's upkeep and the score decay, each one SQL function: re-deriving days from the facts,
 * filling touches' costs from ad spend, folding old shard rows, and rewriting decayed lead scores.
 */
@Injectable()
export class AnalyticsMaintenanceRepository {
  constructor(private readonly db: Db) {}

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
}
