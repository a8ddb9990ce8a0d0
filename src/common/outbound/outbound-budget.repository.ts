import type { QueryResultRow } from 'pg';
import type { Queryable } from '../rate-limit/pg-token-bucket';

/** An integration's outbound budget as every process of the deployment sees it. */
export interface SharedBudgetState {
  remaining: number;
  /** When it resets (epoch ms), when known. */
  resetAt: number | null;
}

/**
 * The shared outbound budgets' own statements, beside the token bucket's functions (migrations
 * `shared_rate_limits` and `outbound_budget_observed`): pauses, what the provider reported, and the
 * state health reads. Every statement runs alone on the pool, never in a caller's transaction: a
 * pause or a report must be seen by the other processes at once, whatever the caller then does.
 */
export class OutboundBudgetRepository implements Queryable {
  constructor(private readonly db: Queryable) {}

  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    return this.db.query<R>(text, values);
  }

  /** Milliseconds until the bucket's pause ends, by the database's clock (0 when none). */
  async pausedForMs(key: string): Promise<number> {
    const { rows } = await this.db.query<{ ms: number | null }>(
      `SELECT GREATEST(0, ceil(extract(epoch FROM paused_until - clock_timestamp()) * 1000))::integer AS ms
       FROM rate_limit_buckets WHERE key = $1`,
      [key],
    );
    return rows[0]?.ms ?? 0;
  }

  async observe(key: string, remaining: number, resetAt: Date | null): Promise<void> {
    await this.db.query(
      `UPDATE rate_limit_buckets SET observed_remaining = $2, observed_reset_at = $3, updated_at = clock_timestamp()
       WHERE key = $1`,
      [key, remaining, resetAt],
    );
  }

  /**
   * The budget as the database holds it: none left while paused (until the pause ends); else the
   * provider's last count while its window lasts; else the tokens free now, and when the last token
   * taken is free again. Null before the first call.
   */
  async state(key: string): Promise<SharedBudgetState | null> {
    const { rows } = await this.db.query<{
      paused_until: Date | null;
      observed_remaining: number | null;
      observed_reset_at: Date | null;
      now: Date;
      available: string;
      refilled_at: Date | null;
    }>(
      // statement_timestamp(), not clock_timestamp(): one instant for every row (a volatile "now" is re-read per row)
      `SELECT b.paused_until, b.observed_remaining, b.observed_reset_at, statement_timestamp() AS now,
              count(t.slot) FILTER (WHERE t.lease IS NULL AND t.free_at <= statement_timestamp()) AS available,
              max(t.free_at) FILTER (WHERE t.free_at > statement_timestamp()) AS refilled_at
       FROM rate_limit_buckets b
       LEFT JOIN rate_limit_tokens t ON t.key = b.key
       WHERE b.key = $1
       GROUP BY b.key`,
      [key],
    );
    const row = rows[0];
    if (!row) return null;
    const now = row.now.getTime();
    if (row.paused_until && row.paused_until.getTime() > now)
      return { remaining: 0, resetAt: row.paused_until.getTime() };
    const resetAt = row.observed_reset_at?.getTime() ?? null;
    if (row.observed_remaining !== null && (resetAt === null || resetAt > now))
      return { remaining: row.observed_remaining, resetAt };
    // our own budget: it is whole again once the last token taken is free (null while it is whole)
    return { remaining: Number(row.available), resetAt: row.refilled_at?.getTime() ?? null };
  }
}
