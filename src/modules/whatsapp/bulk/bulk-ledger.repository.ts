import { Injectable } from '@nestjs/common';
import { Db } from '../../../database/db';
import type { BulkStatus, RecipientState, SkipReason } from './bulk-states';

/** A recipient a runner holds (claimed under its lease). */
export interface ClaimedRecipient {
  id: bigint;
  leadId: bigint;
  phone: string | null;
  state: 'claimed' | 'unknown';
  attempts: number;
  messageId: string | null;
}

// A killed runner's rows come back here once its lease is over: not yet requested → claimed again;
// requested (the call may have reached Meta) → `unknown`, never a second send.
const CLAIM = {
  name: 'wa_bulk_claim_v1',
  text: `
  WITH expired AS (
    SELECT r.id FROM whatsapp_bulk_recipients r
    WHERE r.bulk_id = $1::bigint AND r.state = 'claimed' AND r.lease_until < now()
    ORDER BY r.id LIMIT $2 FOR UPDATE SKIP LOCKED
  ), fresh AS (
    SELECT r.id FROM whatsapp_bulk_recipients r
    WHERE r.bulk_id = $1::bigint AND r.state = 'pending' AND (r.not_before IS NULL OR r.not_before <= now())
    ORDER BY r.id LIMIT $2 FOR UPDATE SKIP LOCKED
  ), c AS (
    SELECT id FROM expired UNION ALL SELECT id FROM fresh LIMIT $2
  )
  UPDATE whatsapp_bulk_recipients r
  SET state = CASE WHEN r.request_at IS NULL THEN 'claimed' ELSE 'unknown' END,
      lease_id = CASE WHEN r.request_at IS NULL THEN $3::uuid ELSE r.lease_id END,
      lease_until = CASE WHEN r.request_at IS NULL THEN now() + $4::int * interval '1 millisecond' ELSE r.lease_until END,
      error_title = CASE WHEN r.request_at IS NULL THEN r.error_title
        ELSE 'Outcome unknown: the worker sending this message stopped before WhatsApp answered' END,
      updated_at = now()
  FROM c
  WHERE r.id = c.id
    AND EXISTS (SELECT 1 FROM whatsapp_bulk_jobs b WHERE b.id = $1::bigint AND b.status = 'running')
  RETURNING r.id::text AS id, r.lead_id::text AS lead_id, r.phone, r.state, r.attempts, r.message_id::text AS message_id`,
};

// Committed before the Graph call, only while the lease is ours and the bulk runs (a pause or a
// cancel takes effect before the next send); the lease is stretched past the HTTP timeout.
const MARK_REQUEST = {
  name: 'wa_bulk_mark_request_v1',
  text: `
  UPDATE whatsapp_bulk_recipients r
  SET request_at = now(), lease_until = now() + $3::int * interval '1 millisecond', updated_at = now()
  WHERE r.id = $1::bigint AND r.lease_id = $2::uuid AND r.state = 'claimed' AND r.request_at IS NULL
    AND r.lease_until > now()
    AND EXISTS (SELECT 1 FROM whatsapp_bulk_jobs b WHERE b.id = r.bulk_id AND b.status = 'running')`,
};

// A late answer still records what Meta said, even if another runner has meanwhile marked it unknown.
const ACCEPTED = {
  name: 'wa_bulk_accepted_v1',
  text: `
  UPDATE whatsapp_bulk_recipients
  SET state = 'accepted', wamid = $3, accepted_at = now(), lease_id = NULL, lease_until = NULL,
      error_code = NULL, error_title = NULL, error_details = NULL, updated_at = now()
  WHERE id = $1::bigint AND lease_id = $2::uuid AND state IN ('claimed', 'unknown')`,
};

// The message's status reached the ledger: a row still claimed or unknown was evidently sent (its
// lease is over); `accepted_at` keeps the first time we knew it left (the ETA's measured rate).
const ADVANCE = {
  name: 'wa_bulk_advance_v1',
  text: `
  UPDATE whatsapp_bulk_recipients
  SET state = $3, wamid = COALESCE(wamid, $5),
      accepted_at = CASE WHEN $3 = 'failed' THEN accepted_at ELSE COALESCE(accepted_at, now()) END,
      lease_id = NULL, lease_until = NULL,
      error_code = CASE WHEN $3 = 'failed' THEN $6::int ELSE NULL END,
      error_title = CASE WHEN $3 = 'failed' THEN $7 ELSE NULL END,
      error_details = CASE WHEN $3 = 'failed' THEN $8 ELSE NULL END,
      updated_at = now()
  WHERE id = $1::bigint AND message_id = $2::uuid AND state = ANY($4::text[])`,
};

const RETRY = {
  name: 'wa_bulk_retry_v1',
  text: `
  UPDATE whatsapp_bulk_recipients
  SET state = 'pending', request_at = NULL, lease_id = NULL, lease_until = NULL,
      not_before = now() + $3::int * interval '1 millisecond', attempts = attempts + $4::int,
      error_code = $5, error_title = $6, error_details = $7, updated_at = now()
  WHERE id = $1::bigint AND lease_id = $2::uuid AND state = 'claimed'`,
};

const FINISH = {
  name: 'wa_bulk_finish_v1',
  text: `
  UPDATE whatsapp_bulk_recipients
  SET state = $3, lease_id = NULL, lease_until = NULL, skip_reason = $4,
      error_code = $5, error_title = $6, error_details = $7, updated_at = now()
  WHERE id = $1::bigint AND lease_id = $2::uuid AND state IN ('claimed', 'unknown')`,
};

// Rows a runner claimed but did not request (paused, cancelled, stopping): free at once.
const UNCLAIM = {
  name: 'wa_bulk_unclaim_v1',
  text: `
  UPDATE whatsapp_bulk_recipients
  SET state = 'pending', lease_id = NULL, lease_until = NULL, updated_at = now()
  WHERE id = ANY($1::bigint[]) AND lease_id = $2::uuid AND state = 'claimed' AND request_at IS NULL`,
};

const TAKE_LANE = {
  name: 'wa_bulk_take_lane_v1',
  text: `
  UPDATE whatsapp_bulk_runners r
  SET owner = $2::uuid, lease_until = now() + $3::int * interval '1 millisecond'
  FROM (
    SELECT lane FROM whatsapp_bulk_runners
    WHERE bulk_id = $1::bigint AND (owner IS NULL OR lease_until < now())
    ORDER BY lane LIMIT 1 FOR UPDATE SKIP LOCKED
  ) free
  WHERE r.bulk_id = $1::bigint AND r.lane = free.lane
  RETURNING r.lane`,
};

const RENEW_LANE = {
  name: 'wa_bulk_renew_lane_v1',
  text: `
  UPDATE whatsapp_bulk_runners SET lease_until = now() + $3::int * interval '1 millisecond'
  WHERE bulk_id = $1::bigint AND owner = $2::uuid`,
};

const RELEASE_LANE = {
  name: 'wa_bulk_release_lane_v1',
  text: `UPDATE whatsapp_bulk_runners SET owner = NULL, lease_until = NULL WHERE bulk_id = $1::bigint AND owner = $2::uuid`,
};

// When the next row may become claimable: a throttled row's not_before, a held row's lease end.
const NEXT_WORK = {
  name: 'wa_bulk_next_work_v1',
  text: `
  SELECT count(*)::int AS open,
         min(CASE WHEN state = 'pending' THEN COALESCE(not_before, now()) ELSE lease_until END) AS next_at,
         (SELECT status FROM whatsapp_bulk_jobs WHERE id = $1::bigint) AS status
  FROM whatsapp_bulk_recipients
  WHERE bulk_id = $1::bigint AND state IN ('pending', 'claimed')`,
};

/**
 * The recipients' ledger as runners and statuses move it: leases from claim to outcome, the link to
 * the outbound message, and the runner lanes. With BulkRepository (which creates and cancels), the
 * only writer of whatsapp_bulk_recipients and whatsapp_bulk_runners.
 */
@Injectable()
export class BulkLedgerRepository {
  constructor(private readonly db: Db) {}

  async claim(bulkId: bigint, leaseId: string, limit: number, leaseMs: number): Promise<ClaimedRecipient[]> {
    const rows = await this.db.sql<{
      id: string;
      lead_id: string;
      phone: string | null;
      state: 'claimed' | 'unknown';
      attempts: number;
      message_id: string | null;
    }>(CLAIM, [bulkId.toString(), limit, leaseId, leaseMs]);
    return rows.map((r) => ({
      id: BigInt(r.id),
      leadId: BigInt(r.lead_id),
      phone: r.phone,
      state: r.state,
      attempts: r.attempts,
      messageId: r.message_id,
    }));
  }

  async markRequest(id: bigint, leaseId: string, sendLeaseMs: number): Promise<boolean> {
    return (await this.db.execute(MARK_REQUEST, [id.toString(), leaseId, sendLeaseMs])) > 0;
  }

  async accepted(id: bigint, leaseId: string, wamid: string): Promise<boolean> {
    return (await this.db.execute(ACCEPTED, [id.toString(), leaseId, wamid])) > 0;
  }

  async retry(
    id: bigint,
    leaseId: string,
    afterMs: number,
    countsAsAttempt: boolean,
    error: { code: number | null; title: string; details: string | null },
  ): Promise<boolean> {
    return (
      (await this.db.execute(RETRY, [
        id.toString(),
        leaseId,
        Math.max(0, Math.round(afterMs)),
        countsAsAttempt ? 1 : 0,
        error.code,
        error.title,
        error.details,
      ])) > 0
    );
  }

  async finish(
    id: bigint,
    leaseId: string,
    state: 'failed' | 'skipped' | 'unknown',
    detail: { skipReason?: SkipReason; code?: number | null; title?: string | null; details?: string | null },
  ): Promise<boolean> {
    return (
      (await this.db.execute(FINISH, [
        id.toString(),
        leaseId,
        state,
        detail.skipReason ?? null,
        detail.code ?? null,
        detail.title ?? null,
        detail.details ?? null,
      ])) > 0
    );
  }

  /**
   * Links the recipient to its outbound message, in the transaction that wrote the message: only while
   * this runner's lease holds and the row has no message yet (else the caller rolls the message back).
   */
  async setMessageId(id: bigint, leaseId: string, messageId: string): Promise<boolean> {
    return (
      (await this.db.execute(
        {
          name: 'wa_bulk_set_message_v2',
          text: `UPDATE whatsapp_bulk_recipients SET message_id = $3::uuid, updated_at = now()
                 WHERE id = $1::bigint AND lease_id = $2::uuid AND state = 'claimed' AND message_id IS NULL
                   AND lease_until > now()`,
        },
        [id.toString(), leaseId, messageId],
      )) > 0
    );
  }

  /** setMessageId for a batch, in one statement: the number of rows linked. */
  async setMessageIds(leaseId: string, links: ReadonlyArray<{ id: bigint; messageId: string }>): Promise<number> {
    if (links.length === 0) return 0;
    return this.db.execute(
      {
        name: 'wa_bulk_set_messages_v1',
        text: `UPDATE whatsapp_bulk_recipients r SET message_id = v.message_id::uuid, updated_at = now()
               FROM unnest($2::bigint[], $3::text[]) AS v(id, message_id)
               WHERE r.id = v.id AND r.lease_id = $1::uuid AND r.state = 'claimed' AND r.message_id IS NULL
                 AND r.lease_until > now()`,
      },
      [leaseId, links.map((l) => l.id.toString()), links.map((l) => l.messageId)],
    );
  }

  /**
   * A status of the recipient's message (webhook, or kept and applied when the wamid appeared) moves
   * the ledger row with it, forward only (ledgerStatesBefore); runs in the status's transaction.
   */
  async advance(
    id: bigint,
    messageId: string,
    state: RecipientState,
    from: readonly RecipientState[],
    wamid: string | null,
    error: { code: number | null; title: string; details: string | null } | null,
  ): Promise<boolean> {
    if (from.length === 0) return false;
    return (
      (await this.db.execute(ADVANCE, [
        id.toString(),
        messageId,
        state,
        [...from],
        wamid,
        error?.code ?? null,
        error?.title ?? null,
        error?.details ?? null,
      ])) > 0
    );
  }

  async unclaim(ids: readonly bigint[], leaseId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.execute(UNCLAIM, [ids.map(String), leaseId]);
  }

  async takeLane(bulkId: bigint, owner: string, leaseMs: number): Promise<number | null> {
    const rows = await this.db.sql<{ lane: number }>(TAKE_LANE, [bulkId.toString(), owner, leaseMs]);
    return rows[0]?.lane ?? null;
  }

  async renewLane(bulkId: bigint, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.db.execute(RENEW_LANE, [bulkId.toString(), owner, leaseMs])) > 0;
  }

  async releaseLane(bulkId: bigint, owner: string): Promise<void> {
    await this.db.execute(RELEASE_LANE, [bulkId.toString(), owner]);
  }

  /** Recipients still to do, when the next of them may be claimed, and the bulk's status. */
  async nextWork(bulkId: bigint): Promise<{ open: number; nextAt: Date | null; status: BulkStatus | null }> {
    const [row] = await this.db.sql<{ open: number; next_at: Date | null; status: BulkStatus | null }>(NEXT_WORK, [
      bulkId.toString(),
    ]);
    return { open: row?.open ?? 0, nextAt: row?.next_at ?? null, status: row?.status ?? null };
  }
}
