import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

// domain/pair-rate.ts's takePair in one statement (GCRA): the UPSERT moves `tat` on only when the
// send is allowed, and marks that by writing the statement's now() into granted_at, so RETURNING
// tells a grant from a refusal without a second round trip. Always its own statement (now() is
// the statement's time, never a caller's transaction's).
const TAKE = {
  name: 'wa_pair_take_v1',
  text: `
  INSERT INTO whatsapp_pair_limits AS p (rate_key, recipient, tat, granted_at, updated_at)
  VALUES ($1, $2, now() + $3::int * interval '1 millisecond', now(), now())
  ON CONFLICT (rate_key, recipient) DO UPDATE SET
    tat = CASE
      WHEN (p.blocked_until IS NULL OR p.blocked_until <= now())
       AND GREATEST(p.tat, now()) - now() <= ($4::int - 1) * $3::int * interval '1 millisecond'
      THEN GREATEST(p.tat, now()) + $3::int * interval '1 millisecond' ELSE p.tat END,
    granted_at = CASE
      WHEN (p.blocked_until IS NULL OR p.blocked_until <= now())
       AND GREATEST(p.tat, now()) - now() <= ($4::int - 1) * $3::int * interval '1 millisecond'
      THEN now() ELSE p.granted_at END,
    updated_at = now()
  RETURNING granted_at IS NOT DISTINCT FROM now() AS granted,
    GREATEST(0, ceil(1000 * extract(epoch FROM GREATEST(
      COALESCE(blocked_until, now()) - now(),
      tat - ($4::int - 1) * $3::int * interval '1 millisecond' - now()))))::int AS wait_ms`,
};

// 131056: Meta's bucket for the pair is empty (domain/pair-rate.ts pairRefused).
const REFUSED = {
  name: 'wa_pair_refused_v1',
  text: `
  INSERT INTO whatsapp_pair_limits AS p (rate_key, recipient, tat, blocked_until, updated_at)
  VALUES ($1, $2, now() + $4::int * $3::int * interval '1 millisecond', now() + $5::int * interval '1 millisecond', now())
  ON CONFLICT (rate_key, recipient) DO UPDATE SET
    tat = GREATEST(p.tat, now() + $4::int * $3::int * interval '1 millisecond'),
    blocked_until = GREATEST(COALESCE(p.blocked_until, now()), now() + $5::int * interval '1 millisecond'),
    updated_at = now()`,
};

/** Pairs idle for a day are as good as new (a missing row is a full bucket). */
const PRUNE = {
  name: 'wa_pair_prune_v1',
  text: `
  DELETE FROM whatsapp_pair_limits
  WHERE updated_at < now() - interval '1 day' AND tat < now() AND (blocked_until IS NULL OR blocked_until < now())`,
};

/** The pair rate limit's state (whatsapp_pair_limits), shared by every process. */
@Injectable()
export class WhatsAppPairLimitsRepository {
  constructor(private readonly db: Db) {}

  async take(
    rateKey: string,
    recipient: string,
    limit: { intervalMs: number; burst: number },
  ): Promise<{ granted: boolean; waitMs: number }> {
    const [row] = await this.db.sqlAlone<{ granted: boolean; wait_ms: number }>(TAKE, [
      rateKey,
      recipient,
      limit.intervalMs,
      limit.burst,
    ]);
    return row?.granted ? { granted: true, waitMs: 0 } : { granted: false, waitMs: Math.max(1, row?.wait_ms ?? 0) };
  }

  async refused(
    rateKey: string,
    recipient: string,
    limit: { intervalMs: number; burst: number },
    backOffMs: number,
  ): Promise<void> {
    await this.db.sqlAlone(REFUSED, [
      rateKey,
      recipient,
      limit.intervalMs,
      limit.burst,
      Math.max(0, Math.round(backOffMs)),
    ]);
  }

  async prune(): Promise<void> {
    await this.db.sqlAlone(PRUNE, []);
  }
}
