import { Injectable } from '@nestjs/common';
import { Db, isUniqueViolation } from '../../database/db';
import { TransactionRunner } from '../../database/transaction-runner';

export interface SendableConversation {
  id: bigint;
  subAccountId: number;
  integrationId: number;
  channel: string;
  contactKey: string;
  /** WhatsApp only: the contact's wa_id and E.164 phone (what the WhatsApp send path addresses). */
  waId: string | null;
  phone: string | null;
  leadId: bigint | null;
  lastInboundAt: Date | null;
}

const SELECT = {
  id: true,
  subAccountId: true,
  integrationId: true,
  channel: true,
  contactKey: true,
  waId: true,
  phone: true,
  leadId: true,
  lastInboundAt: true,
} as const;

/** A message an outbound one answers: ours (its id) and Meta's (its mid, when it has a real one). */
export interface ReplyTarget {
  id: string;
  mid: string | null;
}

export interface OutboundRow {
  id: string;
  subAccountId: number;
  integrationId: number;
  conversationId: bigint;
  direction: string;
  text: string | null;
  content: unknown;
  status: string;
  wamid: string | null;
  /** The mid of the message this one answers (sent as `reply_to`). */
  contextWamid: string | null;
  sendState: string | null;
  attempts: number;
}

const OUTBOUND = {
  id: true,
  subAccountId: true,
  integrationId: true,
  conversationId: true,
  direction: true,
  text: true,
  content: true,
  status: true,
  wamid: true,
  contextWamid: true,
  sendState: true,
  attempts: true,
} as const;

/** Outbound Messenger / Instagram rows of the channel-neutral messages table; every query scoped to one sub-account. */
@Injectable()
export class MessagingOutboxRepository {
  constructor(
    private readonly db: Db,
    private readonly transactions: TransactionRunner,
  ) {}

  /** The conversation by id, or the lead's latest one on this channel, inside the sub-account. */
  findConversation(
    subAccountId: number,
    channel: string,
    by: { conversationId: bigint } | { leadId: bigint },
  ): Promise<SendableConversation | null> {
    if ('conversationId' in by)
      return this.db.prisma.conversation.findFirst({
        where: { id: by.conversationId, subAccountId, channel },
        select: SELECT,
      });
    return this.db.prisma.conversation.findFirst({
      where: { leadId: by.leadId, subAccountId, channel },
      orderBy: [{ lastMessageAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
      select: SELECT,
    });
  }

  findConversationById(id: bigint): Promise<SendableConversation | null> {
    return this.db.prisma.conversation.findUnique({ where: { id }, select: SELECT });
  }

  /**
   * When the person last wrote in the conversation (their latest inbound message or postback, by Meta's
   * timestamp): what the HUMAN_AGENT tag's 7 days run from. A link click or a reaction is no message.
   */
  async lastInboundMessageAt(conversationId: bigint): Promise<Date | null> {
    const row = await this.db.prisma.message.aggregate({
      where: { conversationId, direction: 'inbound' },
      _max: { receivedAt: true },
    });
    return row._max.receivedAt ?? null;
  }

  /**
   * The message `replyToMessageId` names, only inside this conversation. A postback that came without
   * a mid is stored under our own `postback:<PSID>:<time>` key, not Meta's: it is answered without a
   * reply context, as is one of our messages Meta has not accepted yet (no mid).
   */
  async findReplyTarget(conversationId: bigint, id: string): Promise<ReplyTarget | null> {
    const row = await this.db.prisma.message.findFirst({
      where: { id, conversationId },
      select: { id: true, wamid: true },
    });
    if (!row) return null;
    const real = row.wamid && !row.wamid.startsWith('postback:') ? row.wamid : null;
    return { id: row.id, mid: real };
  }

  findMessage(id: string): Promise<OutboundRow | null> {
    return this.db.prisma.message.findUnique({ where: { id }, select: OUTBOUND });
  }

  /** The row locked for the rest of the transaction (the worker's claim). */
  async lockMessage(id: string): Promise<OutboundRow | null> {
    const rows = await this.db.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM messages WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0] ? this.findMessage(id) : null;
  }

  /** The worker is about to call Meta: a worker that dies after this never resends it (unknown). */
  async startAttempt(id: string): Promise<OutboundRow> {
    return this.db.prisma.message.update({
      where: { id },
      data: { sendState: 'sending', attempts: { increment: 1 }, nextAttemptAt: null },
      select: OUTBOUND,
    });
  }

  /** Throttled or failed for now: the send job comes back at `at`. */
  async reschedule(id: string, at: Date, reason: string): Promise<void> {
    await this.db.prisma.message.update({
      where: { id },
      data: { sendState: 'pending', nextAttemptAt: at, errorTitle: reason },
    });
  }

  /** The request may have reached Meta (timeout, a worker that died mid-call): never resent silently. */
  async markUnknown(id: string): Promise<void> {
    await this.db.prisma.message.update({ where: { id }, data: { sendState: 'unknown' } });
  }

  /** Our row before Meta sees the message (queued; the send job takes it from here). */
  async createOutbound(
    c: SendableConversation,
    text: string,
    sentBy: string,
    tag: string | null,
    replyTo: ReplyTarget | null = null,
  ): Promise<string> {
    const row = await this.db.prisma.message.create({
      data: {
        subAccountId: c.subAccountId,
        integrationId: c.integrationId,
        conversationId: c.id,
        channel: c.channel,
        leadId: c.leadId,
        direction: 'outbound',
        type: 'text',
        text,
        status: 'queued',
        recipient: c.contactKey,
        sentBy,
        lane: 'agent',
        sendState: 'pending',
        ...(tag ? { content: { tag } } : {}),
        ...(replyTo ? { replyToMessageId: replyTo.id, contextWamid: replyTo.mid } : {}),
      },
      select: { id: true },
    });
    return row.id;
  }

  /**
   * Meta accepted it: its mid, status sent. When the page's echo of this very message was recorded
   * first (same mid, a row of its own), the echo row is merged into ours (the id the caller was given
   * stays) with whatever receipts it already had. Not inside a transaction: the unique violation is
   * the signal.
   */
  async markSent(subAccountId: number, id: string, mid: string, at: Date): Promise<void> {
    try {
      await this.db.prisma.message.update({
        where: { id, subAccountId },
        data: { wamid: mid, status: 'sent', sentAt: at, sendState: 'accepted', errorTitle: null },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.transactions.run(async () => {
        const echo = await this.db.prisma.message.findFirst({
          where: { subAccountId, wamid: mid, NOT: { id } },
          select: { id: true, status: true, deliveredAt: true, readAt: true },
        });
        if (echo) await this.db.prisma.message.delete({ where: { id: echo.id } });
        const further = echo && (echo.status === 'delivered' || echo.status === 'read');
        await this.db.prisma.message.update({
          where: { id, subAccountId },
          data: {
            wamid: mid,
            status: further ? echo.status : 'sent',
            sentAt: at,
            sendState: 'accepted',
            errorTitle: null,
            ...(echo?.deliveredAt ? { deliveredAt: echo.deliveredAt } : {}),
            ...(echo?.readAt ? { readAt: echo.readAt } : {}),
          },
        });
      });
    }
  }

  async markFailed(
    subAccountId: number,
    id: string,
    at: Date,
    error: { code: number | null; title: string; details: string | null },
  ): Promise<void> {
    await this.db.prisma.message.update({
      where: { id, subAccountId },
      data: {
        status: 'failed',
        failedAt: at,
        sendState: 'failed',
        errorCode: error.code,
        errorTitle: error.title,
        errorDetails: error.details,
      },
    });
  }

  /** An agent's reply: the conversation moves up and its person's messages count as read, as a WhatsApp reply's do. */
  async touchConversation(conversationId: bigint, at: Date): Promise<void> {
    await this.db.prisma.$executeRaw`UPDATE conversations SET last_message_at = GREATEST(last_message_at, ${at}),
      unread_count = 0, updated_at = now() WHERE id = ${conversationId}`;
  }
}
