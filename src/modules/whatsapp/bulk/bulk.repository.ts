import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../../common/auth/sub-account-scope';
import type { PageRequest } from '../../../common/http/pagination';
import { Db } from '../../../database/db';
import { scopeWhere } from '../../../database/scope-where';
import type { Prisma, WhatsAppBulkJob } from '../../../generated/prisma/client';
import type { StoredTemplate } from '../domain/template-send';
import type { BulkCounts, BulkStatus, RecipientState, SkipReason } from './bulk-states';

export type BulkRow = WhatsAppBulkJob;

export interface NewBulk {
  subAccountId: number;
  integrationId: number;
  kind: 'template' | 'text';
  templateId: bigint | null;
  templateName: string | null;
  templateLanguage: string | null;
  templateCategory: string | null;
  template: StoredTemplate | null;
  text: string | null;
  parameters: Record<string, string>;
  ratePerSecond: number;
  lanes: number;
  scheduledAt: Date | null;
  createdBy: string;
  skippedAtStart: Record<string, number>;
}

export interface NewRecipient {
  leadId: bigint;
  phone: string | null;
  skipReason: SkipReason | null;
}

/** A recipient a runner holds (claimed under its lease). */
export interface ClaimedRecipient {
  id: bigint;
  leadId: bigint;
  phone: string | null;
  state: 'claimed' | 'unknown';
  attempts: number;
  messageId: string | null;
}

export interface RecipientRow {
  leadId: string;
  phone: string | null;
  state: RecipientState;
  skipReason: string | null;
  messageId: string | null;
  wamid: string | null;
  errorCode: number | null;
  errorTitle: string | null;
  errorDetails: string | null;
}

export interface LeadForBulk {
  id: bigint;
  phone: string | null;
  phoneValid: boolean;
}

export interface LeadFilter {
  status?: string;
  source?: string;
  createdFrom?: Date;
  createdTo?: Date;
  tags?: string[];
}

const INSERT_RECIPIENTS = `
  INSERT INTO whatsapp_bulk_recipients (bulk_id, sub_account_id, lead_id, phone, state, skip_reason)
  SELECT $1::bigint, $2::int, r.lead_id, r.phone, CASE WHEN r.reason IS NULL THEN 'pending' ELSE 'skipped' END, r.reason
  FROM unnest($3::bigint[], $4::text[], $5::text[]) AS r(lead_id, phone, reason)
  ON CONFLICT (bulk_id, lead_id) DO NOTHING`;

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

// Never complete while a recipient is pending or claimed (Chatwoot marks campaigns complete first).
const COMPLETE = {
  name: 'wa_bulk_complete_v1',
  text: `
  UPDATE whatsapp_bulk_jobs b SET status = 'completed', completed_at = now(), updated_at = now()
  WHERE b.id = $1::bigint AND b.status = 'running'
    AND NOT EXISTS (
      SELECT 1 FROM whatsapp_bulk_recipients r WHERE r.bulk_id = b.id AND r.state IN ('pending', 'claimed'))`,
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

const START = {
  name: 'wa_bulk_start_v1',
  text: `
  UPDATE whatsapp_bulk_jobs
  SET status = 'running', started_at = COALESCE(started_at, now()), updated_at = now()
  WHERE id = $1::bigint AND status = 'queued' AND (scheduled_at IS NULL OR scheduled_at <= now())`,
};

// Counts are cumulative: `sent` is every message that went out (delivered and read ones included).
const COUNTS = `
  SELECT r.bulk_id::text AS bulk_id,
         count(*)::int AS total,
         count(*) FILTER (WHERE r.state IN ('pending', 'claimed'))::int AS pending,
         count(*) FILTER (WHERE r.state IN ('accepted', 'sent', 'delivered', 'read'))::int AS sent,
         count(*) FILTER (WHERE r.state IN ('delivered', 'read'))::int AS delivered,
         count(*) FILTER (WHERE r.state = 'read')::int AS read,
         count(*) FILTER (WHERE r.state = 'failed')::int AS failed,
         count(*) FILTER (WHERE r.state = 'skipped')::int AS skipped,
         count(*) FILTER (WHERE r.state = 'unknown')::int AS unknown,
         count(*) FILTER (WHERE r.accepted_at > now() - interval '10 seconds')::int AS recent
  FROM whatsapp_bulk_recipients r
  WHERE r.bulk_id = ANY($1::bigint[])
  GROUP BY r.bulk_id`;

export interface CountsWithRate extends BulkCounts {
  /** Recipients accepted in the last 10 seconds. */
  recent: number;
}

interface CountsRow {
  bulk_id: string;
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  unknown: number;
  recent: number;
}

/** The bulk ledger: the only writer of whatsapp_bulk_jobs, whatsapp_bulk_recipients and whatsapp_bulk_runners. */
@Injectable()
export class BulkRepository {
  constructor(private readonly db: Db) {}

  async create(bulk: NewBulk): Promise<BulkRow> {
    const row = await this.db.prisma.whatsAppBulkJob.create({
      data: {
        subAccountId: bulk.subAccountId,
        integrationId: bulk.integrationId,
        kind: bulk.kind,
        templateId: bulk.templateId,
        templateName: bulk.templateName,
        templateLanguage: bulk.templateLanguage,
        templateCategory: bulk.templateCategory,
        template: bulk.template ? (JSON.parse(JSON.stringify(bulk.template)) as Prisma.InputJsonObject) : undefined,
        text: bulk.text,
        parameters: bulk.parameters,
        ratePerSecond: bulk.ratePerSecond,
        lanes: bulk.lanes,
        scheduledAt: bulk.scheduledAt,
        createdBy: bulk.createdBy,
        skippedAtStart: bulk.skippedAtStart,
        runners: { create: Array.from({ length: bulk.lanes }, (_, lane) => ({ lane })) },
      },
    });
    return row;
  }

  /** One statement per 10,000 recipients (unnest), inside the caller's transaction. */
  async addRecipients(bulkId: bigint, subAccountId: number, recipients: readonly NewRecipient[]): Promise<number> {
    let total = 0;
    for (let i = 0; i < recipients.length; i += 10_000) {
      const chunk = recipients.slice(i, i + 10_000);
      total += await this.db.execute({ text: INSERT_RECIPIENTS }, [
        bulkId.toString(),
        subAccountId,
        chunk.map((r) => r.leadId.toString()),
        chunk.map((r) => r.phone),
        chunk.map((r) => r.skipReason),
      ]);
    }
    await this.db.prisma.whatsAppBulkJob.update({ where: { id: bulkId }, data: { total } });
    return total;
  }

  /** The leads of one sub-account among these ids (others are not found, whoever owns them). */
  async leadsByIds(subAccountId: number, ids: readonly bigint[]): Promise<LeadForBulk[]> {
    const rows = await this.db.sql<{ id: string; phone: string | null; phone_valid: boolean }>(
      {
        text: `SELECT l.id::text AS id, l.phone, l.phone_valid FROM leads l
               WHERE l.sub_account_id = $1 AND l.id = ANY($2::bigint[]) ORDER BY l.id`,
      },
      [subAccountId, ids.map(String)],
    );
    return rows.map((r) => ({ id: BigInt(r.id), phone: r.phone, phoneValid: r.phone_valid }));
  }

  /** Leads of one sub-account matching a filter, oldest first, at most `limit`. */
  async leadsByFilter(subAccountId: number, filter: LeadFilter, limit: number): Promise<LeadForBulk[]> {
    const rows = await this.db.sql<{ id: string; phone: string | null; phone_valid: boolean }>(
      {
        text: `SELECT l.id::text AS id, l.phone, l.phone_valid FROM leads l
               WHERE l.sub_account_id = $1
                 AND ($2::text IS NULL OR l.status::text = $2)
                 AND ($3::text IS NULL OR EXISTS (
                   SELECT 1 FROM lead_sources s WHERE s.lead_id = l.id AND s.platform = $3 AND s.deleted_at IS NULL))
                 AND ($4::timestamptz IS NULL OR l.created_at >= $4)
                 AND ($5::timestamptz IS NULL OR l.created_at < $5)
                 AND ($6::text[] IS NULL OR l.tags && $6::text[])
               ORDER BY l.id LIMIT $7`,
      },
      [
        subAccountId,
        filter.status ?? null,
        filter.source ?? null,
        filter.createdFrom ?? null,
        filter.createdTo ?? null,
        filter.tags && filter.tags.length > 0 ? filter.tags : null,
        limit,
      ],
    );
    return rows.map((r) => ({ id: BigInt(r.id), phone: r.phone, phoneValid: r.phone_valid }));
  }

  find(scope: SubAccountScope, id: bigint): Promise<BulkRow | null> {
    return this.db.prisma.whatsAppBulkJob.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  /** For runners (no caller): the bulk as stored. */
  findForRun(id: bigint): Promise<BulkRow | null> {
    return this.db.prisma.whatsAppBulkJob.findUnique({ where: { id } });
  }

  async list(scope: SubAccountScope, page: PageRequest): Promise<{ rows: BulkRow[]; total: number }> {
    const where: Prisma.WhatsAppBulkJobWhereInput = scopeWhere(scope);
    const [rows, total] = await Promise.all([
      this.db.prisma.whatsAppBulkJob.findMany({ where, orderBy: { id: 'desc' }, ...page }),
      this.db.prisma.whatsAppBulkJob.count({ where }),
    ]);
    return { rows, total };
  }

  async counts(bulkIds: readonly bigint[]): Promise<Map<string, CountsWithRate>> {
    const rows = await this.db.sql<CountsRow>({ text: COUNTS }, [bulkIds.map(String)]);
    return new Map(rows.map(({ bulk_id, ...counts }) => [bulk_id, counts]));
  }

  async recipients(
    scope: SubAccountScope,
    bulkId: bigint,
    states: readonly RecipientState[] | undefined,
    page: PageRequest,
  ): Promise<{ rows: RecipientRow[]; total: number }> {
    const where: Prisma.WhatsAppBulkRecipientWhereInput = {
      bulkId,
      ...scopeWhere(scope),
      ...(states ? { state: { in: [...states] } } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.whatsAppBulkRecipient.findMany({ where, orderBy: { id: 'asc' }, ...page }),
      this.db.prisma.whatsAppBulkRecipient.count({ where }),
    ]);
    return {
      rows: rows.map((r) => ({
        leadId: r.leadId.toString(),
        phone: r.phone,
        state: r.state as RecipientState,
        skipReason: r.skipReason,
        messageId: r.messageId,
        wamid: r.wamid,
        errorCode: r.errorCode,
        errorTitle: r.errorTitle,
        errorDetails: r.errorDetails,
      })),
      total,
    };
  }

  /** The fields a template parameter's `{{lead.x}}` may name. */
  async leadFields(leadId: bigint): Promise<Record<string, string | null>> {
    const [row] = await this.db.sql<Record<string, string | null>>(
      {
        name: 'wa_bulk_lead_fields_v1',
        text: `SELECT first_name AS "firstName", last_name AS "lastName", full_name AS "fullName", email, phone, company,
                      job_title AS "jobTitle", city, region, postal_code AS "postalCode", country
               FROM leads WHERE id = $1::bigint`,
      },
      [leadId.toString()],
    );
    return row ?? {};
  }

  /** The bulk cannot go on (its integration or template is unusable); pending recipients stay as they are. */
  async fail(bulkId: bigint, error: string): Promise<void> {
    await this.db.prisma.whatsAppBulkJob.updateMany({
      where: { id: bulkId, status: { in: ['queued', 'running'] } },
      data: { status: 'failed', error, updatedAt: new Date() },
    });
  }

  /** queued → running once its time has come; true when this call started it. */
  async start(bulkId: bigint): Promise<boolean> {
    return (await this.db.execute(START, [bulkId.toString()])) > 0;
  }

  /** Moves the bulk between states; only from the listed ones. The row after the change, or null. */
  async transition(
    scope: SubAccountScope,
    bulkId: bigint,
    from: readonly BulkStatus[],
    to: BulkStatus,
  ): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.prisma.whatsAppBulkJob.updateMany({
      where: { id: bulkId, ...scopeWhere(scope), status: { in: [...from] } },
      data: {
        status: to,
        updatedAt: now,
        ...(to === 'paused' ? { pausedAt: now } : {}),
        ...(to === 'running' ? { pausedAt: null } : {}),
        ...(to === 'cancelled' ? { cancelledAt: now, completedAt: now } : {}),
      },
    });
    return count > 0;
  }

  /** Cancel: every recipient not yet requested is skipped (in the cancel's transaction). */
  async skipUnsent(bulkId: bigint, reason: SkipReason): Promise<number> {
    return this.db.execute(
      {
        text: `UPDATE whatsapp_bulk_recipients
               SET state = 'skipped', skip_reason = $2, lease_id = NULL, lease_until = NULL, updated_at = now()
               WHERE bulk_id = $1::bigint AND state IN ('pending', 'claimed') AND request_at IS NULL`,
      },
      [bulkId.toString(), reason],
    );
  }

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

  async complete(bulkId: bigint): Promise<boolean> {
    return (await this.db.execute(COMPLETE, [bulkId.toString()])) > 0;
  }

  /** Recipients still to do, when the next of them may be claimed, and the bulk's status. */
  async nextWork(bulkId: bigint): Promise<{ open: number; nextAt: Date | null; status: BulkStatus | null }> {
    const [row] = await this.db.sql<{ open: number; next_at: Date | null; status: BulkStatus | null }>(NEXT_WORK, [
      bulkId.toString(),
    ]);
    return { open: row?.open ?? 0, nextAt: row?.next_at ?? null, status: row?.status ?? null };
  }
}
