import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn } from '../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import type { HandlerContext, IntegrationConfig, IntegrationHandler } from '../../handlers/integration-handler';
import { MessagingSendError, MessagingSendResult } from '../../handlers/shared/meta-messaging-send';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { channelSendPolicy } from './domain/channel-window';
import { SendMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';
import { MessagingOutboxRepository } from './messaging-outbox.repository';

/** A handler that sends Messenger Platform texts (Facebook Messenger, Instagram Direct). */
interface ChannelSender {
  humanAgentAllowed(config: IntegrationConfig): boolean;
  sendText(
    ctx: HandlerContext,
    to: string,
    text: string,
    options?: { tag?: 'HUMAN_AGENT' },
  ): Promise<MessagingSendResult>;
}

function sendsChannelText(handler: IntegrationHandler): handler is IntegrationHandler & ChannelSender {
  const candidate = handler as Partial<ChannelSender>;
  return typeof candidate.sendText === 'function' && typeof candidate.humanAgentAllowed === 'function';
}

/**
 * POST /api/messages for Messenger and Instagram: inside the 24-hour standard window a RESPONSE,
 * up to 7 days a HUMAN_AGENT-tagged message when the integration may use the tag, otherwise 422
 * WINDOW_CLOSED before Meta is called. The row is written before the send (queued) and gets Meta's
 * mid, or the refusal classified by code; the send goes through the integration's rate-limited client.
 */
@Injectable()
export class MessagingSendService {
  private readonly clock: Clock;

  constructor(
    private readonly outbox: MessagingOutboxRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly optOuts: MessagingOptOutsRepository,
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

    const now = new Date(this.clock.now());
    const optedOut = await this.optOuts.optedOut(conversation.subAccountId, conversation.integrationId, [
      conversation.contactKey,
    ]);
    const decision = channelSendPolicy({
      lastInboundAt: conversation.lastInboundAt,
      now,
      humanAgentAllowed: handler.humanAgentAllowed(ctx.config),
      optedOut: optedOut.size > 0,
    });
    if (!decision.allowed) throw new DomainException(ErrorCode[decision.code], decision.message);
    const tag = decision.tag ?? null;

    const id = await this.outbox.createOutbound(conversation, dto.text, user.sub, tag);
    const base = { conversationId: conversation.id.toString(), channel: conversation.channel, tag };
    try {
      const sent = await handler.sendText(ctx, conversation.contactKey, dto.text, tag ? { tag } : {});
      const at = new Date(this.clock.now());
      const messageId = await this.outbox.markSent(conversation.subAccountId, id, sent.messageId, at);
      await this.outbox.touchConversation(conversation.id, at);
      return { id: messageId, status: 'sent', ...base };
    } catch (err) {
      const failure = err instanceof MessagingSendError ? err : undefined;
      await this.outbox.markFailed(conversation.subAccountId, id, new Date(this.clock.now()), {
        code: failure?.code ?? null,
        title: failure?.failure ?? 'unknown',
        details: failure?.message ?? 'The send failed before Meta answered',
      });
      // Meta's own window check (the person's last message may be older than ours says)
      if (failure?.failure === 'window_closed') throw new DomainException(ErrorCode.WINDOW_CLOSED, failure.message);
      return { id, status: 'failed', ...base };
    }
  }
}
