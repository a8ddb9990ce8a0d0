import { Injectable, Logger } from '@nestjs/common';
import { TransactionRunner } from '../../database/transaction-runner';
import type { JsonValue } from '../../common/json-value';
import { PermanentEventError, StoredEvent } from '../../handlers/integration-handler';
import { asNumber, asRecords, asString, isRecord } from '../../handlers/shared/json';
import {
  narrowMessageEvent,
  unixToIso,
  WhatsAppMessageEvent,
  WhatsAppStatusEvent,
} from '../../handlers/whatsapp-cloud/whatsapp-cloud.payload';
import type { IntegrationRow } from '../integrations/integrations.repository';
import { incomingStatusOf } from './domain/message-status';
import { errorCodeOf } from './domain/send-errors';
import { keywordMatcher } from './domain/opt-out-keywords';
import { waIdToE164 } from './domain/phone-match';
import { ConversationsRepository } from './conversations.repository';
import { MessagesRepository, NewMessage } from './messages.repository';
import { WhatsAppConversationsService } from './whatsapp-conversations.service';
import { WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppStatusService } from './whatsapp-status.service';
import { WhatsAppTemplatesService } from './whatsapp-templates.service';

/** The inbound message types whose words may be an opt-out or opt-in keyword. */
const KEYWORD_TYPES: readonly string[] = ['text', 'button', 'interactive'];

/** A stored `status` payload (statusEventsOf) back in the shape Meta sent, for incomingStatusOf. */
function rawStatus(payload: unknown): Record<string, unknown> {
  const p = (isRecord(payload) ? payload : {}) as Partial<WhatsAppStatusEvent> & Record<string, unknown>;
  return {
    id: p.id,
    status: p.status,
    timestamp: p.timestamp,
    recipient_id: p.recipientId ?? p.recipientUserId,
    errors: (p.errors ?? []).map((e) => ({
      code: e.code,
      title: e.title,
      message: e.message,
      ...(e.details ? { error_data: { details: e.details } } : {}),
    })),
    ...(p.pricing ? { pricing: p.pricing } : {}),
    ...(p.bizOpaqueCallbackData ? { biz_opaque_callback_data: p.bizOpaqueCallbackData } : {}),
  };
}

/**
 * Why WhatsApp could not deliver an inbound message's content, as the message's `error` (API.md Message):
 * an unsupported message arrives as `type: "unsupported"` with `errors[]` {code, title, message,
 * error_data.details} and nothing else to show (developers.facebook.com/documentation/business-messaging/
 * whatsapp/webhooks/reference/messages/unsupported). Stored by messageEventsOf under `content.errors`.
 */
function inboundError(content: unknown): Pick<NewMessage, 'errorCode' | 'errorTitle' | 'errorDetails'> {
  const first = isRecord(content) ? asRecords(content.errors)[0] : undefined;
  if (!first) return {};
  return {
    errorCode: errorCodeOf(first.code),
    errorTitle: asString(first.title) ?? asString(first.message) ?? 'Message not supported',
    errorDetails: asString(first.details) ?? null,
  };
}

/**
 * What WhatsApp reported wrong with the number itself (`value.errors`, an `errors` event), in words an
 * operator reads in the event's lastError: "130429 Rate limit hit: Message failed to send because …".
 * Null for every other event. The event is still processed: it is a report, not a failure to retry.
 */
export function reportedProblem(event: Pick<StoredEvent, 'eventType' | 'payload'>): string | null {
  if (event.eventType !== 'errors' || !isRecord(event.payload)) return null;
  // stored as extractWhatsAppEvents wrote them: { code, title, message, details }
  const lines = asRecords(event.payload.errors).map((e) => {
    const code = asNumber(e.code);
    const title = asString(e.title) ?? asString(e.message);
    const details = asString(e.details);
    const head = [code, title].filter((part) => part !== undefined).join(' ') || 'WhatsApp error';
    return details && details !== title ? `${head}: ${details}` : head;
  });
  return lines.length > 0 ? lines.join('; ').slice(0, 2000) : null;
}

/**
 * The WhatsApp module's side of the webhook pipeline: events of a `whatsapp-cloud` integration are
 * stored by the ingest and processed here by the webhook worker — statuses merged into messages,
 * inbound messages recorded in their conversation (keywords → opt-outs), Meta's user_preferences
 * and template updates applied at once.
 */
@Injectable()
export class WhatsAppEventsService {
  private readonly logger = new Logger(WhatsAppEventsService.name);

  constructor(
    private readonly numbers: WhatsAppNumbersService,
    private readonly conversations: WhatsAppConversationsService,
    private readonly conversationRows: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly statuses: WhatsAppStatusService,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly templates: WhatsAppTemplatesService,
    private readonly transactions: TransactionRunner,
  ) {}

  async process(integration: IntegrationRow, event: StoredEvent): Promise<string> {
    switch (event.eventType) {
      case 'status': {
        const incoming = incomingStatusOf(rawStatus(event.payload));
        if (!incoming) return 'status ignored';
        return this.statuses.apply(integration.id, integration.subAccountId, incoming);
      }
      case 'message':
        return this.inbound(integration, event.payload, event.receivedAt);
      case 'user_preferences':
        return this.userPreferences(integration, event.payload);
      case 'template_update':
        return this.templates.applyWebhook(integration.id, event.payload);
      case 'errors': {
        const problem = reportedProblem(event) ?? 'WhatsApp reported errors without details';
        this.logger.warn({ integrationId: integration.id, eventId: event.id, problem }, 'WhatsApp reported an error');
        return problem;
      }
      default:
        return `unsupported event type ${event.eventType}`;
    }
  }

  /** `arrived`: when the delivery holding the message reached us; the message was written by then. */
  private async inbound(integration: IntegrationRow, payload: unknown, arrived: Date): Promise<string> {
    const message = narrowMessageEvent(payload);
    if (!message) throw new PermanentEventError('WhatsApp message event without id, sender or phone number id');
    const number = this.numbers.numberOf(integration);
    if (message.identityChange) return this.identityChange(number.integrationId, message);
    return this.transactions.run(async () => {
      const at = unixToIso(message.timestamp);
      // a stamp still to come (a sender's clock, garbage) would hold the 24-hour window open until then
      const receivedAt = at ? new Date(Math.min(Date.parse(at), arrived.getTime())) : arrived;
      const { row: conversation, contact } = await this.conversations.forInbound(
        number,
        message.contact,
        message.referral,
      );
      const locked = (await this.conversationRows.lock(conversation.id)) ?? conversation;
      const created = await this.messages.createInbound({
        subAccountId: locked.subAccountId,
        integrationId: locked.integrationId,
        conversationId: locked.id,
        channel: 'whatsapp',
        leadId: locked.leadId,
        direction: 'inbound',
        type: message.type ?? 'unknown',
        text: message.text ?? null,
        ...(message.content ? { content: message.content as JsonValue } : {}),
        mediaId: message.media?.id ?? null,
        mediaMimeType: message.media?.mimeType ?? null,
        mediaCaption: message.media?.caption ?? null,
        contextWamid: message.contextId ?? null,
        ...inboundError(message.content),
        status: 'received',
        wamid: message.id,
        receivedAt,
      });
      if (!created) return 'duplicate message';
      await this.conversationRows.touchInbound(locked.id, receivedAt, contact);
      await this.conversations.addToTimeline(locked, created);
      return this.keywords(number, message, locked.id, receivedAt);
    });
  }

  /**
   * STOP / START (the integration's lists, or the defaults) as the whole message. Meta does not order
   * its deliveries: a keyword the contact wrote before another one already recorded is superseded by it
   * (the conversation is locked, so that one was applied when it was recorded).
   */
  private async keywords(
    number: ReturnType<WhatsAppNumbersService['numberOf']>,
    message: WhatsAppMessageEvent,
    conversationId: bigint,
    writtenAt: Date,
  ): Promise<string> {
    if (!KEYWORD_TYPES.includes(message.type ?? '')) return 'message recorded';
    const matcher = keywordMatcher({ optOutKeywords: number.optOutKeywords, optInKeywords: number.optInKeywords });
    const intent = matcher.match(message.text);
    if (intent === null) return 'message recorded';
    const later = await this.messages.inboundTextsAfter(conversationId, writtenAt, KEYWORD_TYPES);
    if (later.some((text) => matcher.match(text) !== null))
      return `keyword superseded (conversation ${conversationId})`;
    const waId = message.contact.waId ?? null;
    const contact = { waId, phone: waId ? waIdToE164(waId) : null };
    if (intent === 'opt_out') {
      await this.optOuts.add(number.subAccountId, contact, 'all', 'keyword', { integrationId: number.integrationId });
      return `opted out (conversation ${conversationId})`;
    }
    if (intent === 'opt_in') {
      await this.optOuts.remove(number.subAccountId, contact);
      return `opted in (conversation ${conversationId})`;
    }
    return 'message recorded';
  }

  private async userPreferences(integration: IntegrationRow, payload: unknown): Promise<string> {
    if (!isRecord(payload)) return 'ignored';
    const waId = asString(payload.waId);
    const value = asString(payload.value);
    if (!waId || !value) return 'ignored';
    const contact = { waId, phone: waIdToE164(waId) };
    if (value === 'stop') {
      await this.optOuts.add(integration.subAccountId, contact, 'marketing', 'user_preferences', {
        integrationId: integration.id,
      });
      return 'marketing opt-out';
    }
    if (value === 'resume') {
      await this.optOuts.remove(integration.subAccountId, contact, 'marketing');
      return 'marketing opt-out removed';
    }
    return `user preference ${value} ignored`;
  }

  private async identityChange(integrationId: number, message: WhatsAppMessageEvent): Promise<string> {
    const change = message.identityChange;
    if (!change) return 'ignored';
    const found = await this.conversationRows.findContact(integrationId, {
      waId: message.contact.waId,
      userId: change.previousUserId ?? message.contact.userId,
    });
    if (!found) return 'identity change of an unknown contact';
    if (change.type === 'user_changed_user_id' && change.newUserId)
      await this.conversationRows.update(found.id, { userId: change.newUserId });
    if (change.type === 'user_changed_number' && change.newWaId) {
      const phone = waIdToE164(change.newWaId);
      await this.conversationRows.update(found.id, { waId: change.newWaId, ...(phone ? { phone } : {}) });
    }
    return `identity ${change.type}`;
  }
}
