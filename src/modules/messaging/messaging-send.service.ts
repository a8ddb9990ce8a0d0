import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn } from '../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { MAX_TEXT_LENGTH } from '../../handlers/shared/meta-messaging-send';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobsService } from '../../jobs/jobs.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { WhatsAppSendService } from '../whatsapp/whatsapp-send.service';
import { sendsChannelText } from './channel-sender';
import { channelSendPolicy } from './domain/channel-window';
import { SendChannelMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';
import { MessagingOutboxRepository, ReplyTarget } from './messaging-outbox.repository';

/**
 * POST /api/messages (API.md "Messaging channels": the channel-neutral routes serve all three
 * channels). WhatsApp goes to WhatsApp's single send (WhatsAppSendService: its window, opt-outs and
 * worker), addressed to the conversation's contact. Messenger and Instagram (202, like POST
 * /api/whatsapp/messages): opt-out (422 RECIPIENT_OPTED_OUT) and the window (inside 24 hours a RESPONSE, up to 7 days a
 * HUMAN_AGENT-tagged message when the integration may use the tag, otherwise 422 WINDOW_CLOSED) are
 * decided before anything is stored; then our row (queued) and its `messaging-send` job commit
 * together, and MessagingSenderService sends it through the page's shared rate limit.
 */
@Injectable()
export class MessagingSendService {
  private readonly clock: Clock;

  constructor(
    private readonly outbox: MessagingOutboxRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly optOuts: MessagingOptOutsRepository,
    private readonly transactions: TransactionRunner,
    private readonly jobs: JobsService,
    private readonly whatsapp: WhatsAppSendService,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  async send(user: AuthUser, dto: SendChannelMessageDto): Promise<SentMessageDto> {
    assertCanActOn(user, dto.subAccountId);
    if ((dto.conversationId === undefined) === (dto.leadId === undefined))
      throw DomainException.validation('Give exactly one of conversationId and leadId');
    if (dto.channel === 'whatsapp') return this.sendWhatsApp(user, dto);
    // each channel's text limit (MAX_TEXT_LENGTH), refused here rather than by Meta after the 202
    if (dto.channel === 'instagram' && Buffer.byteLength(dto.text, 'utf8') > MAX_TEXT_LENGTH.instagram)
      throw DomainException.validation(`Instagram text must be at most ${MAX_TEXT_LENGTH.instagram} bytes`, [
        { field: 'text', message: `at most ${MAX_TEXT_LENGTH.instagram} bytes` },
      ]);
    if (dto.channel === 'messenger' && dto.text.length > MAX_TEXT_LENGTH.messenger)
      throw DomainException.validation(`Messenger text must be at most ${MAX_TEXT_LENGTH.messenger} characters`, [
        { field: 'text', message: `at most ${MAX_TEXT_LENGTH.messenger} characters` },
      ]);
    const conversation = await this.outbox.findConversation(
      dto.subAccountId,
      dto.channel,
      dto.conversationId !== undefined
        ? { conversationId: BigInt(dto.conversationId) }
        : { leadId: BigInt(dto.leadId ?? 0) },
    );
    if (!conversation) throw DomainException.notFound('Conversation');
    const replyTo = await this.replyTarget(conversation.id, dto.replyToMessageId);
    const integration = await this.integrations.findForProcessing(conversation.integrationId);
    if (!integration || !integration.isActive || integration.status !== 'active')
      throw new DomainException(ErrorCode.INTEGRATION_NOT_ACTIVE, 'The integration of this conversation is not active');
    const { handler, ctx } = this.contexts.build(integration);
    if (!sendsChannelText(handler)) throw DomainException.validation(`${handler.key} does not send channel messages`);

    const optedOut = await this.optOuts.optedOut(conversation.subAccountId, conversation.integrationId, [
      conversation.contactKey,
    ]);
    const decision = channelSendPolicy({
      lastInboundAt: conversation.lastInboundAt,
      lastInboundMessageAt: await this.outbox.lastInboundMessageAt(conversation.id),
      now: new Date(this.clock.now()),
      humanAgentAllowed: handler.humanAgentAllowed(ctx.config),
      optedOut: optedOut.size > 0,
    });
    if (!decision.allowed) throw new DomainException(ErrorCode[decision.code], decision.message);
    const tag = decision.tag ?? null;

    const id = await this.transactions.run(async () => {
      const created = await this.outbox.createOutbound(conversation, dto.text, user.sub, tag, replyTo);
      await this.outbox.touchConversation(conversation.id, new Date(this.clock.now()));
      await this.jobs.send('messaging-send', { messageId: created });
      return created;
    });
    return { id, status: 'queued', conversationId: conversation.id.toString(), channel: conversation.channel, tag };
  }

  /**
   * WhatsApp through the channel-neutral route: the conversation's contact (or the lead's latest
   * WhatsApp conversation; a lead with none is addressed by its phone, as POST /api/whatsapp/messages
   * does with `leadId`), sent by WhatsAppSendService with its rules and errors (422 WINDOW_CLOSED,
   * RECIPIENT_OPTED_OUT, LEAD_HAS_NO_PHONE). WhatsApp has no human-agent tag: `tag` is always null.
   */
  private async sendWhatsApp(user: AuthUser, dto: SendChannelMessageDto): Promise<SentMessageDto> {
    const conversation = await this.outbox.findConversation(
      dto.subAccountId,
      'whatsapp',
      dto.conversationId !== undefined
        ? { conversationId: BigInt(dto.conversationId) }
        : { leadId: BigInt(dto.leadId ?? 0) },
    );
    if (!conversation && dto.conversationId !== undefined) throw DomainException.notFound('Conversation');
    // the message answered must be one of this conversation's, as on Messenger and Instagram
    if (conversation) await this.replyTarget(conversation.id, dto.replyToMessageId);
    const to = conversation ? (conversation.waId ?? conversation.phone) : null;
    if (conversation && !to)
      throw new DomainException(ErrorCode.LEAD_HAS_NO_PHONE, 'This WhatsApp contact has no phone number to send to');
    const accepted = await this.whatsapp.send(user, {
      subAccountId: dto.subAccountId,
      ...(conversation && to ? { integrationId: conversation.integrationId, to } : { leadId: dto.leadId }),
      text: dto.text,
      ...(dto.replyToMessageId !== undefined ? { replyToMessageId: dto.replyToMessageId } : {}),
    });
    return { ...accepted, channel: 'whatsapp', tag: null };
  }

  /** The message `replyToMessageId` names, in this conversation (404 otherwise); null when none is named. */
  private async replyTarget(conversationId: bigint, id: string | undefined): Promise<ReplyTarget | null> {
    if (id === undefined) return null;
    const target = await this.outbox.findReplyTarget(conversationId, id);
    if (!target) throw DomainException.notFound('Message to reply to');
    return target;
  }
}
