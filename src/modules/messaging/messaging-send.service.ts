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
import { sendsChannelText } from './channel-sender';
import { channelSendPolicy } from './domain/channel-window';
import { SendMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';
import { MessagingOutboxRepository } from './messaging-outbox.repository';

/**
 * POST /api/messages for Messenger and Instagram (API.md: 202, like POST /api/whatsapp/messages):
 * opt-out (422 RECIPIENT_OPTED_OUT) and the window (inside 24 hours a RESPONSE, up to 7 days a
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
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  async send(user: AuthUser, dto: SendMessageDto): Promise<SentMessageDto> {
    assertCanActOn(user, dto.subAccountId);
    if (dto.channel === 'whatsapp')
      throw DomainException.validation('WhatsApp messages are sent through POST /api/whatsapp/messages');
    if ((dto.conversationId === undefined) === (dto.leadId === undefined))
      throw DomainException.validation('Give exactly one of conversationId and leadId');
    // Instagram's text limit is 1000 bytes (MAX_TEXT_LENGTH): refused here, not after the 202
    if (dto.channel === 'instagram' && Buffer.byteLength(dto.text, 'utf8') > MAX_TEXT_LENGTH.instagram)
      throw DomainException.validation(`Instagram text must be at most ${MAX_TEXT_LENGTH.instagram} bytes`, [
        { field: 'text', message: `at most ${MAX_TEXT_LENGTH.instagram} bytes` },
      ]);
    const conversation = await this.outbox.findConversation(
      dto.subAccountId,
      dto.channel,
      dto.conversationId !== undefined
        ? { conversationId: BigInt(dto.conversationId) }
        : { leadId: BigInt(dto.leadId ?? 0) },
    );
    if (!conversation) throw DomainException.notFound('Conversation');
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
      now: new Date(this.clock.now()),
      humanAgentAllowed: handler.humanAgentAllowed(ctx.config),
      optedOut: optedOut.size > 0,
    });
    if (!decision.allowed) throw new DomainException(ErrorCode[decision.code], decision.message);
    const tag = decision.tag ?? null;

    const id = await this.transactions.run(async () => {
      const created = await this.outbox.createOutbound(conversation, dto.text, user.sub, tag);
      await this.outbox.touchConversation(conversation.id, new Date(this.clock.now()));
      await this.jobs.send('messaging-send', { messageId: created });
      return created;
    });
    return { id, status: 'queued', conversationId: conversation.id.toString(), channel: conversation.channel, tag };
  }
}
