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

const INSERT_RECIPIENTS = `
  INSERT INTO whatsapp_bulk_recipients (bulk_id, sub_account_id, lead_id, phone, state, skip_reason)
  SELECT $1::bigint, $2::int, r.lead_id, r.phone, CASE WHEN r.reason IS NULL THEN 'pending' ELSE 'skipped' END, r.reason
  FROM unnest($3::bigint[], $4::text[], $5::text[]) AS r(lead_id, phone, reason)
  ON CONFLICT (bulk_id, lead_id) DO NOTHING`;

// Never complete while a recipient is pending or claimed (Chatwoot marks campaigns complete first).
const COMPLETE = {
  name: 'wa_bulk_complete_v1',
  text: `
  UPDATE whatsapp_bulk_jobs b SET status = 'completed', completed_at = now(), updated_at = now()
  WHERE b.id = $1::bigint AND b.status = 'running'
    AND NOT EXISTS (
      SELECT 1 FROM whatsapp_bulk_recipients r WHERE r.bulk_id = b.id AND r.state IN ('pending', 'claimed'))`,
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

/**
 * The bulk jobs and their recipient lists as the routes see them: the only writer of whatsapp_bulk_jobs;
 * it inserts a bulk's recipients and runner lanes with it and skips the unsent on cancel. What runners
 * and statuses do to a recipient is BulkLedgerRepository's.
 */
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

  /**
   * The bulk cannot go on (its integration or template is unusable): queued/running → failed; true when
   * this call failed it (the runner then skips its unsent recipients, skipUnsent).
   */
  async fail(bulkId: bigint, error: string): Promise<boolean> {
    const { count } = await this.db.prisma.whatsAppBulkJob.updateMany({
      where: { id: bulkId, status: { in: ['queued', 'running'] } },
      data: { status: 'failed', error, updatedAt: new Date() },
    });
    return count > 0;
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
        ...(to === 'running' || to === 'queued' ? { pausedAt: null } : {}),
        ...(to === 'cancelled' ? { cancelledAt: now, completedAt: now } : {}),
      },
    });
    return count > 0;
  }

  /**
   * Cancel or failure: every recipient not yet requested is skipped (in that transaction). Returns the ids
   * of the messages already written for them (claimed by a runner, or claimed and handed back).
   */
  async skipUnsent(bulkId: bigint, reason: SkipReason): Promise<string[]> {
    const rows = await this.db.sql<{ message_id: string | null }>(
      {
        text: `UPDATE whatsapp_bulk_recipients
               SET state = 'skipped', skip_reason = $2, lease_id = NULL, lease_until = NULL, updated_at = now()
               WHERE bulk_id = $1::bigint AND state IN ('pending', 'claimed') AND request_at IS NULL
               RETURNING message_id::text`,
      },
      [bulkId.toString(), reason],
    );
    return rows.flatMap((r) => (r.message_id ? [r.message_id] : []));
  }

  async complete(bulkId: bigint): Promise<boolean> {
    return (await this.db.execute(COMPLETE, [bulkId.toString()])) > 0;
  }
}
