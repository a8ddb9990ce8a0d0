import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import type { JsonValue } from '../../common/json-value';
import { assertCanActOn, listScope } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { IdempotencyService } from '../../common/idempotency/idempotency.service';
import { assertRangeInOrder, createdToBound } from '../../common/http/date-range';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobsService } from '../../jobs/jobs.service';
import { LeadWriterService } from '../leads/lead-writer.service';
import { LeadsService } from '../leads/leads.service';
import { phoneMatchKeys, recipientPhone } from './domain/phone-match';
import type { TemplateCategory } from './domain/template-rules';
import type { LeadFields, TemplateSendObject } from './domain/template-send';
import { OutboundKind, sendPolicy } from './domain/window';
import { ListMessagesQueryDto, MessageAcceptedDto, MessageDto, SendMessageDto } from './dto/message.dto';
import { ConversationsRepository } from './conversations.repository';
import { toMessageDto } from './message.mapper';
import { MessageRow, MessagesRepository, type NewMessage } from './messages.repository';
import { outboundBody } from './outbound-body';
import { WhatsAppConversationsService } from './whatsapp-conversations.service';
import { WhatsAppNumber, WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppTemplatesService } from './whatsapp-templates.service';

export interface OutboundInput {
  number: WhatsAppNumber;
  /** E.164 phone (or a wa_id's digits). */
  phone: string;
  leadId: bigint | null;
  text?: string;
  template?: {
    row: { id: bigint | null; name: string; language: string; category: string };
    send: TemplateSendObject;
    parameters?: Record<string, string>;
  };
  lane: 'agent' | 'bulk';
  sentBy: string | null;
  replyTo?: MessageRow | null;
  bulkJobId?: bigint;
  bulkRecipientId?: bigint;
  /** Enqueue the send job (single sends); the bulk worker calls deliver() itself. */
  enqueue?: boolean;
}

/** An outbound row ready for the Graph: the request body (our id as biz_opaque_callback_data) and who it goes to. */
export interface OutboundRequest {
  messageId: string;
  recipient: string;
  body: Record<string, unknown>;
}

/**
 * Sending inside the rules (API.md "Messages"): the outbound row is written `queued` before Meta is
 * called, and its send job commits with it; WhatsAppDeliveryService's worker makes the call.
 */
@Injectable()
export class WhatsAppSendService {
  constructor(
    private readonly numbers: WhatsAppNumbersService,
    private readonly templates: WhatsAppTemplatesService,
    private readonly conversations: WhatsAppConversationsService,
    private readonly conversationRows: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly leads: LeadsService,
    private readonly leadWriter: LeadWriterService,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
  ) {}

  // ---- POST /api/whatsapp/messages

  async send(user: AuthUser, dto: SendMessageDto): Promise<MessageAcceptedDto> {
    assertCanActOn(user, dto.subAccountId);
    if ((dto.leadId === undefined) === (dto.to === undefined))
      throw DomainException.validation('Give exactly one of leadId and to', [
        { field: 'leadId', message: 'leadId or to' },
      ]);
    if ((dto.text === undefined) === (dto.template === undefined))
      throw DomainException.validation('Give exactly one of text and template', [
        { field: 'text', message: 'text or template' },
      ]);
    if (dto.text !== undefined && dto.parameters !== undefined)
      throw DomainException.validation('parameters go with a template', [
        { field: 'parameters', message: 'only with a template' },
      ]);
    for (const [key, value] of Object.entries(dto.parameters ?? {}))
      if (typeof value !== 'string')
        throw DomainException.validation('parameter values are strings', [
          { field: `parameters.${key}`, message: 'must be a string' },
        ]);
    const number = await this.numbers.resolve(dto.subAccountId, dto.integrationId);

    let phone: string;
    let leadId: bigint | null = null;
    let leadFields: LeadFields | undefined;
    if (dto.leadId !== undefined) {
      const lead = await this.leads.require(dto.subAccountId, BigInt(dto.leadId));
      if (!lead.phone || !lead.phoneValid)
        throw new DomainException(ErrorCode.LEAD_HAS_NO_PHONE, 'The lead has no valid phone number');
      phone = lead.phone;
      leadId = lead.id;
      leadFields = {
        firstName: lead.firstName,
        lastName: lead.lastName,
        fullName: lead.fullName,
        email: lead.email,
        phone: lead.phone,
        company: lead.company,
        jobTitle: lead.jobTitle,
        city: lead.city,
        region: lead.region,
        postalCode: lead.postalCode,
        country: lead.country,
      };
    } else {
      const parsed = recipientPhone(dto.to ?? '', await this.leadWriter.subAccountRegion(dto.subAccountId));
      if (!parsed)
        throw DomainException.validation('to is not a phone number', [
          { field: 'to', message: 'invalid phone number' },
        ]);
      phone = parsed;
    }

    let row: Awaited<ReturnType<WhatsAppTemplatesService['resolveSendable']>> | null = null;
    let kind: OutboundKind = { type: 'free_form' };
    if (dto.template) {
      const ref = dto.template.id
        ? { id: dto.template.id }
        : dto.template.name && dto.template.language
          ? { name: dto.template.name, language: dto.template.language }
          : null;
      if (!ref)
        throw DomainException.validation('template needs id, or name and language', [
          { field: 'template', message: 'id or name+language' },
        ]);
      row = await this.templates.resolveSendable(number, ref);
      kind = { type: 'template', category: row.category as TemplateCategory };
    }

    const existing = await this.conversationRows.findContact(number.integrationId, {
      waId: phone.slice(1),
      phones: phoneMatchKeys(phone),
    });
    const optOut = await this.optOuts.scopeFor(dto.subAccountId, { phone, waId: existing?.waId ?? null });
    const decision = sendPolicy({ kind, lastInboundAt: existing?.lastInboundAt ?? null, optOut, now: new Date() });
    if (!decision.allowed) throw new DomainException(ErrorCode[decision.code], decision.message);
    // the parameters are checked once the recipient may be sent to at all: an opted-out lead is 422
    // RECIPIENT_OPTED_OUT, whatever its parameters, since no parameter would make the send possible
    const template: OutboundInput['template'] = row
      ? { row, send: this.templates.prepare(row, dto.parameters ?? {}, leadFields), parameters: dto.parameters }
      : undefined;

    let replyTo: MessageRow | null = null;
    if (dto.replyToMessageId) {
      replyTo = await this.messages.find(listScope(user, dto.subAccountId), dto.replyToMessageId);
      // a message of this contact's own conversation, as POST /api/messages asks: another contact's
      // message is no context for this one (and a first message to a new contact answers nothing)
      if (!replyTo || replyTo.integrationId !== number.integrationId || replyTo.conversationId !== existing?.id)
        throw DomainException.notFound('Message to reply to');
    }

    // the Idempotency-Key's answer commits with the message and its send job (createOutbound joins)
    return this.transactions.run(async () => {
      const created = await this.createOutbound({
        number,
        phone,
        leadId,
        text: dto.text,
        template,
        lane: 'agent',
        sentBy: user.sub,
        replyTo,
        enqueue: true,
      });
      const accepted: MessageAcceptedDto = {
        id: created.messageId,
        status: 'queued',
        conversationId: created.conversationId.toString(),
      };
      await this.idempotency.recordAnswer({ body: accepted });
      return accepted;
    });
  }

  /**
   * The outbound row (`queued`), in the caller's transaction when there is one; with `enqueue`, its
   * send job commits with it. The bulk ledger calls this with lane 'bulk' and its job/recipient ids.
   */
  async createOutbound(
    input: OutboundInput,
  ): Promise<{ messageId: string; conversationId: bigint; request: OutboundRequest }> {
    return this.transactions.run(async () => {
      const conversation = await this.conversations.forPhone(input.number, input.phone, input.leadId, input.sentBy);
      const data: NewMessage = {
        subAccountId: input.number.subAccountId,
        integrationId: input.number.integrationId,
        conversationId: conversation.id,
        channel: 'whatsapp',
        leadId: conversation.leadId ?? input.leadId,
        direction: 'outbound',
        type: input.template ? 'template' : 'text',
        text: input.text ?? null,
        status: 'queued',
        sendState: 'pending',
        recipient: conversation.waId ?? input.phone,
        lane: input.lane,
        priority: input.lane === 'agent' ? 0 : 10,
        sentBy: input.sentBy,
        ...(input.template
          ? {
              templateId: input.template.row.id,
              templateName: input.template.row.name,
              templateLanguage: input.template.row.language,
              templateCategory: input.template.row.category,
              parameters: input.template.parameters ?? {},
              content: { template: input.template.send } as unknown as JsonValue,
            }
          : {}),
        ...(input.replyTo ? { replyToMessageId: input.replyTo.id, contextWamid: input.replyTo.wamid } : {}),
        ...(input.bulkJobId !== undefined ? { bulkJobId: input.bulkJobId } : {}),
        ...(input.bulkRecipientId !== undefined ? { bulkRecipientId: input.bulkRecipientId } : {}),
      };
      const message = await this.messages.create(data);
      await this.conversationRows.touchOutbound(conversation.id, message.createdAt);
      await this.conversations.addToTimeline(conversation, message);
      if (input.enqueue) await this.jobs.send('whatsapp-send', { messageId: message.id });
      return {
        messageId: message.id,
        conversationId: conversation.id,
        request: { messageId: message.id, recipient: message.recipient ?? input.phone, body: outboundBody(message) },
      };
    });
  }

  /** The Graph request of an outbound row written earlier (a bulk recipient claimed again after a retry). */
  async outboundRequest(messageId: string): Promise<OutboundRequest | null> {
    const row = await this.messages.findById(messageId);
    if (!row || row.direction !== 'outbound') return null;
    return { messageId: row.id, recipient: row.recipient ?? '', body: outboundBody(row) };
  }

  // ---- GET /api/whatsapp/messages

  /** `channel` null: every channel (GET /api/messages). */
  async list(
    user: AuthUser,
    query: ListMessagesQueryDto,
    channel: string | null = 'whatsapp',
  ): Promise<Page<MessageDto>> {
    const from = query.from ? new Date(query.from) : undefined;
    // a bare date is that whole (UTC) day, as the leads list reads createdTo
    const to = query.to ? createdToBound(query.to) : undefined;
    assertRangeInOrder(from, to, 'from', 'to');
    const { rows, total } = await this.messages.list(
      listScope(user, query.subAccountId),
      {
        channel: channel ?? undefined,
        leadId: query.leadId ? BigInt(query.leadId) : undefined,
        conversationId: query.conversationId ? BigInt(query.conversationId) : undefined,
        direction: query.direction,
        status: query.status,
        sentBy: query.sentBy === 'me' ? user.sub : query.sentBy,
        from,
        to,
      },
      skipTake(query),
    );
    return toPage(rows.map(toMessageDto), total, query);
  }
}
