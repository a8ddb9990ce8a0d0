import { Injectable } from '@nestjs/common';
import { Db, isUniqueViolation } from '../../database/db';

export interface SendableConversation {
  id: bigint;
  subAccountId: number;
  integrationId: number;
  channel: string;
  contactKey: string;
  leadId: bigint | null;
  lastInboundAt: Date | null;
}

const SELECT = {
  id: true,
  subAccountId: true,
  integrationId: true,
  channel: true,
  contactKey: true,
  leadId: true,
  lastInboundAt: true,
} as const;

/** Outbound Messenger / Instagram rows of the channel-neutral messages table; every query scoped to one sub-account. */
@Injectable()
export class MessagingOutboxRepository {
  constructor(private readonly db: Db) {}

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

  /** Our row before Meta sees the message (queued, being sent by this request). */
  async createOutbound(c: SendableConversation, text: string, sentBy: string, tag: string | null): Promise<string> {
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
        attempts: 1,
        sendState: 'sending',
        ...(tag ? { content: { tag } } : {}),
      },
      select: { id: true },
    });
    return row.id;
  }

  /**
   * Meta accepted it: its mid, status sent. When the page's echo of this very message was recorded
   * first (same mid), that row is the message: ours is removed and the echo's id returned.
   */
  async markSent(subAccountId: number, id: string, mid: string, at: Date): Promise<string> {
    try {
      await this.db.prisma.message.update({
        where: { id, subAccountId },
        data: { wamid: mid, status: 'sent', sentAt: at, sendState: 'accepted' },
      });
      return id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const echo = await this.db.prisma.message.findFirst({
        where: { subAccountId, wamid: mid },
        select: { id: true },
      });
      await this.db.prisma.message.delete({ where: { id, subAccountId } });
      return echo?.id ?? id;
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

  async touchConversation(conversationId: bigint, at: Date): Promise<void> {
    await this.db.prisma
      .$executeRaw`UPDATE conversations SET last_message_at = GREATEST(last_message_at, ${at}), updated_at = now() WHERE id = ${conversationId}`;
  }
}
