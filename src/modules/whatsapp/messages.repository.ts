import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import type { JsonValue } from '../../common/json-value';
import { Db } from '../../database/db';
import { jsonInput } from '../../database/json-input';
import { scopeWhere } from '../../database/scope-where';
import type { Message, Prisma, WhatsAppOrphanStatus } from '../../generated/prisma/client';

export type MessageRow = Message;
export type OrphanRow = WhatsAppOrphanStatus;

export interface MessageFilter {
  leadId?: bigint;
  conversationId?: bigint;
  direction?: string;
  status?: string;
  sentBy?: string;
  from?: Date;
  to?: Date;
  channel?: string;
}

/** A new message row, as the send and inbound paths describe it. */
export interface NewMessage {
  subAccountId: number;
  integrationId: number;
  conversationId: bigint;
  channel: string;
  leadId: bigint | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text?: string | null;
  content?: JsonValue;
  mediaId?: string | null;
  mediaMimeType?: string | null;
  mediaCaption?: string | null;
  templateId?: bigint | null;
  templateName?: string | null;
  templateLanguage?: string | null;
  templateCategory?: string | null;
  parameters?: JsonValue;
  replyToMessageId?: string | null;
  contextWamid?: string | null;
  status: string;
  /** Why WhatsApp could not deliver an inbound message's content (an unsupported message's errors[0]). */
  errorCode?: number | null;
  errorTitle?: string | null;
  errorDetails?: string | null;
  sendState?: string | null;
  wamid?: string | null;
  recipient?: string | null;
  receivedAt?: Date | null;
  lane?: string;
  priority?: number;
  sentBy?: string | null;
  bulkJobId?: bigint | null;
  bulkRecipientId?: bigint | null;
}

/** The columns a status merge or a send's progress changes. */
export interface MessageChanges {
  status?: string;
  sendState?: string | null;
  wamid?: string;
  recipient?: string;
  sentAt?: Date | null;
  deliveredAt?: Date | null;
  readAt?: Date | null;
  failedAt?: Date | null;
  errorCode?: number | null;
  errorTitle?: string | null;
  errorDetails?: string | null;
  pricingCategory?: string | null;
  pricingType?: string | null;
  nextAttemptAt?: Date | null;
}

/** Messages (both directions) and the statuses kept for wamids not known yet. */
@Injectable()
export class MessagesRepository {
  constructor(private readonly db: Db) {}

  create(data: NewMessage): Promise<MessageRow> {
    const { content, parameters, ...columns } = data;
    return this.db.prisma.message.create({
      data: {
        ...columns,
        ...(content !== undefined ? { content: jsonInput(content) } : {}),
        ...(parameters !== undefined ? { parameters: jsonInput(parameters) } : {}),
      },
    });
  }

  /**
   * An inbound message; a redelivery (same wamid on the number) returns null. A reply (`context.id`:
   * the wamid of the message it answers, as quick-reply buttons, list and button replies and Flow
   * answers always carry) is linked to that message when the number has it.
   */
  async createInbound(data: NewMessage): Promise<MessageRow | null> {
    const existing = data.wamid
      ? await this.db.prisma.message.findUnique({
          where: { integrationId_wamid: { integrationId: data.integrationId, wamid: data.wamid } },
        })
      : null;
    if (existing) return null;
    const rows = await this.db.prisma.$queryRaw<Array<{ id: string }>>`
      INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
        content, media_id, media_mime_type, media_caption, context_wamid, reply_to_message_id, status, error_code,
        error_title, error_details, wamid, received_at, created_at, updated_at)
      VALUES (${data.subAccountId}, ${data.integrationId}, ${data.conversationId}::bigint, ${data.channel},
        ${data.leadId ?? null}::bigint, 'inbound', ${data.type}, ${data.text ?? null},
        ${data.content === undefined ? null : JSON.stringify(data.content)}::jsonb, ${data.mediaId ?? null},
        ${data.mediaMimeType ?? null}, ${data.mediaCaption ?? null}, ${data.contextWamid ?? null},
        (SELECT m.id FROM messages m WHERE m.integration_id = ${data.integrationId} AND m.wamid = ${data.contextWamid ?? null}
          AND m.conversation_id = ${data.conversationId}::bigint),
        'received', ${data.errorCode ?? null}::int, ${data.errorTitle ?? null}, ${data.errorDetails ?? null},
        ${data.wamid ?? null}, ${data.receivedAt ?? null}::timestamptz, COALESCE(${data.receivedAt ?? null}::timestamptz, now()), now())
      ON CONFLICT (integration_id, wamid) DO NOTHING
      RETURNING id::text`;
    return rows[0] ? this.db.prisma.message.findUnique({ where: { id: rows[0].id } }) : null;
  }

  find(scope: SubAccountScope, id: string): Promise<MessageRow | null> {
    return this.db.prisma.message.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  findById(id: string): Promise<MessageRow | null> {
    return this.db.prisma.message.findUnique({ where: { id } });
  }

  /**
   * Outbound messages that will never be sent (their bulk was cancelled before Meta was asked):
   * `failed` with the reason, as a recipient skipped by the worker's re-check is. Ones Meta has (a
   * wamid) or that already failed are left alone.
   */
  async failUnsent(ids: readonly string[], error: { title: string; details: string }): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.execute(
      {
        name: 'wa_messages_fail_unsent_v1',
        text: `UPDATE messages SET status = 'failed', send_state = 'failed', failed_at = now(), error_code = NULL,
                 error_title = $2, error_details = $3, updated_at = now()
               WHERE id = ANY($1::uuid[]) AND direction = 'outbound' AND status = 'queued' AND wamid IS NULL`,
      },
      [ids, error.title, error.details],
    );
  }

  /** The row locked for the rest of the transaction (status merges, send state changes). */
  async lock(id: string): Promise<MessageRow | null> {
    const rows = await this.db.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM messages WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0] ? this.findById(id) : null;
  }

  async lockByWamid(integrationId: number, wamid: string): Promise<MessageRow | null> {
    const rows = await this.db.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM messages WHERE integration_id = ${integrationId} AND wamid = ${wamid} FOR UPDATE`;
    return rows[0] ? this.findById(rows[0].id) : null;
  }

  update(id: string, changes: MessageChanges): Promise<MessageRow> {
    return this.db.prisma.message.update({ where: { id }, data: changes });
  }

  /** A send attempt begins: the row is `sending`, its attempts counted, no retry pending. */
  startAttempt(id: string): Promise<MessageRow> {
    return this.db.prisma.message.update({
      where: { id },
      data: { sendState: 'sending', attempts: { increment: 1 }, nextAttemptAt: null },
    });
  }

  async list(
    scope: SubAccountScope,
    filter: MessageFilter,
    page: PageRequest,
  ): Promise<{ rows: MessageRow[]; total: number }> {
    const where: Prisma.MessageWhereInput = {
      ...scopeWhere(scope),
      ...(filter.channel ? { channel: filter.channel } : {}),
      ...(filter.leadId !== undefined ? { leadId: filter.leadId } : {}),
      ...(filter.conversationId !== undefined ? { conversationId: filter.conversationId } : {}),
      ...(filter.direction ? { direction: filter.direction } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.sentBy ? { sentBy: filter.sentBy } : {}),
      ...(filter.from || filter.to
        ? { createdAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) } }
        : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.message.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...page }),
      this.db.prisma.message.count({ where }),
    ]);
    return { rows, total };
  }

  /** The latest messages of a conversation, newest first, older than `before` when given. */
  async latest(conversationId: bigint, take: number, before?: MessageRow): Promise<MessageRow[]> {
    return this.db.prisma.message.findMany({
      where: {
        conversationId,
        ...(before
          ? {
              OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  /** The words of a conversation's inbound messages of these types written after `at` (oldest first). */
  async inboundTextsAfter(conversationId: bigint, at: Date, types: readonly string[]): Promise<Array<string | null>> {
    const rows = await this.db.prisma.message.findMany({
      where: { conversationId, direction: 'inbound', type: { in: [...types] }, receivedAt: { gt: at } },
      orderBy: { receivedAt: 'asc' },
      select: { text: true },
      take: 1000,
    });
    return rows.map((r) => r.text);
  }

  conversationMessages(conversationId: bigint): Promise<MessageRow[]> {
    return this.db.prisma.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' }, take: 5000 });
  }

  /** Keeps a status for a wamid the hub does not know yet (a duplicate is a no-op). */
  async keepOrphan(data: {
    integrationId: number;
    wamid: string;
    callbackData: string | null;
    status: string;
    occurredAt: Date;
    payload: JsonValue;
  }): Promise<void> {
    await this.db.prisma.$executeRaw`
      INSERT INTO whatsapp_orphan_statuses (integration_id, wamid, callback_data, status, occurred_at, payload)
      VALUES (${data.integrationId}, ${data.wamid}, ${data.callbackData}, ${data.status}, ${data.occurredAt},
        ${JSON.stringify(data.payload)}::jsonb)
      ON CONFLICT (integration_id, wamid, status) DO NOTHING`;
  }

  /** Orphans for a message, by its wamid or by our id echoed in biz_opaque_callback_data. */
  /**
   * Meta accepted an outbound message, in one statement and no transaction (the bulk's hot path):
   * send state, the wamid (never overwritten), the wa_id Meta answered with on the message and on a
   * conversation that had none. True when statuses were kept for the message (the caller then
   * applies them under the row lock, as a single send does).
   */
  async acceptedInOne(messageId: string, wamid: string, waId: string | null): Promise<boolean> {
    const rows = await this.db.sql<{ kept: boolean }>(
      {
        name: 'wa_message_accepted_v1',
        text: `
        WITH m AS (
          UPDATE messages SET send_state = 'accepted', wamid = COALESCE(wamid, $2),
                 recipient = COALESCE($3, recipient), updated_at = now()
          WHERE id = $1::uuid
          RETURNING id, conversation_id, integration_id, wamid
        ), c AS (
          UPDATE conversations SET wa_id = $3, updated_at = now()
          WHERE $3::text IS NOT NULL AND wa_id IS NULL AND id = (SELECT conversation_id FROM m)
        )
        SELECT EXISTS (
          SELECT 1 FROM whatsapp_orphan_statuses o, m
          WHERE o.integration_id = m.integration_id AND (o.wamid = m.wamid OR o.callback_data = m.id::text)
        ) AS kept`,
      },
      [messageId, wamid, waId],
    );
    return rows[0]?.kept ?? false;
  }

  orphansFor(integrationId: number, wamid: string | null, messageId: string): Promise<OrphanRow[]> {
    return this.db.prisma.whatsAppOrphanStatus.findMany({
      where: {
        integrationId,
        OR: [...(wamid ? [{ wamid }] : []), { callbackData: messageId }],
      },
      orderBy: { occurredAt: 'asc' },
    });
  }

  async deleteOrphans(ids: bigint[]): Promise<void> {
    if (ids.length) await this.db.prisma.whatsAppOrphanStatus.deleteMany({ where: { id: { in: ids } } });
  }

  async deleteExpiredOrphans(before: Date): Promise<number> {
    const { count } = await this.db.prisma.whatsAppOrphanStatus.deleteMany({ where: { receivedAt: { lt: before } } });
    return count;
  }

  /** Outbound counts by status and pricing category, inbound count (analytics). */
  async analytics(
    subAccountId: number,
    from: Date,
    to: Date,
  ): Promise<{
    byStatus: Array<{ status: string; n: number }>;
    inbound: number;
    byPricing: Array<{ category: string; n: number }>;
    byTemplate: Array<{ template_id: string | null; name: string | null; status: string; n: number }>;
  }> {
    const byStatus = await this.db.prisma.$queryRaw<Array<{ status: string; n: number }>>`
      SELECT status, count(*)::int AS n FROM messages
      WHERE sub_account_id = ${subAccountId} AND channel = 'whatsapp' AND direction = 'outbound'
        AND created_at BETWEEN ${from} AND ${to}
      GROUP BY status`;
    const inbound = await this.db.prisma.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM messages
      WHERE sub_account_id = ${subAccountId} AND channel = 'whatsapp' AND direction = 'inbound'
        AND created_at BETWEEN ${from} AND ${to}`;
    const byPricing = await this.db.prisma.$queryRaw<Array<{ category: string; n: number }>>`
      SELECT lower(pricing_category) AS category, count(*)::int AS n FROM messages
      WHERE sub_account_id = ${subAccountId} AND channel = 'whatsapp' AND direction = 'outbound'
        AND pricing_category IS NOT NULL AND created_at BETWEEN ${from} AND ${to}
      GROUP BY lower(pricing_category)`;
    const byTemplate = await this.db.prisma.$queryRaw<
      Array<{ template_id: string | null; name: string | null; status: string; n: number }>
    >`
      SELECT template_id::text AS template_id, template_name AS name, status, count(*)::int AS n FROM messages
      WHERE sub_account_id = ${subAccountId} AND channel = 'whatsapp' AND direction = 'outbound'
        AND template_name IS NOT NULL AND created_at BETWEEN ${from} AND ${to}
      GROUP BY template_id, template_name, status`;
    return { byStatus, inbound: inbound[0]?.n ?? 0, byPricing, byTemplate };
  }
}
