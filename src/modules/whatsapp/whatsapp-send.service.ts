import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import type { JsonValue } from '../../common/json-value';
import { assertCanActOn, listScope } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { createdToBound } from '../../common/http/date-range';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { OutboundError } from '../../common/outbound/http-client';
import { PgTokenBucket, RateLimitToken } from '../../common/rate-limit/pg-token-bucket';
import { TransactionRunner } from '../../database/transaction-runner';
import { recipientOf } from '../../handlers/whatsapp-cloud/whatsapp-cloud.handler';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { isReauthorizationRequired, REAUTHORIZATION_MESSAGE } from '../integrations/oauth-tokens.service';
import { LeadWriterService } from '../leads/lead-writer.service';
import { LeadsService } from '../leads/leads.service';
import { normalizePhone, phoneMatchKeys, waIdToE164 } from './domain/phone-match';
import {
  classifyGraphError,
  pausesNumber,
  classifyTransportFailure,
  ClassifiedSendError,
  StoredSendError,
} from './domain/send-errors';
import type { TemplateCategory } from './domain/template-rules';
import type { LeadFields, TemplateSendObject } from './domain/template-send';
import { OutboundKind, sendPolicy } from './domain/window';
import { ListMessagesQueryDto, MessageAcceptedDto, MessageDto, SendMessageDto } from './dto/message.dto';
import { ConversationsRepository } from './conversations.repository';
import { toMessageDto } from './message.mapper';
import { MessageRow, MessagesRepository, type NewMessage } from './messages.repository';
import { WhatsAppConversationsService } from './whatsapp-conversations.service';
import { WhatsAppNumber, WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppPairLimiter } from './whatsapp-pair-limiter.service';
import { WhatsAppStatusService } from './whatsapp-status.service';
import { WhatsAppTemplatesService } from './whatsapp-templates.service';

/** What happened when a worker tried to send one message (the bulk ledger decides on it). */
export type DeliveryOutcome =
  | { kind: 'accepted'; wamid: string }
  | { kind: 'retry'; afterMs: number; reason: string; scope: string }
  | { kind: 'deferred'; afterMs: number; reason: string }
  | { kind: 'failed'; error: StoredSendError }
  | { kind: 'skipped'; reason: 'optedOut' | 'windowClosed' }
  | { kind: 'unknown' }
  | { kind: 'gone' };

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

/** The Graph request of an outbound row: the same for single sends and bulk sends. */
export function outboundBody(row: MessageRow): Record<string, unknown> {
  return {
    ...recipientOf(row.recipient ?? ''),
    biz_opaque_callback_data: row.id,
    ...(row.contextWamid ? { context: { message_id: row.contextWamid } } : {}),
    ...(row.type === 'template'
      ? { type: 'template', template: (row.content as { template?: unknown } | null)?.template }
      : { type: 'text', text: { preview_url: /https?:\/\//i.test(row.text ?? ''), body: row.text ?? '' } }),
  };
}

/** Most attempts for one message before it fails for good (transient errors, deferrals; a throttle waits without using one). */
const MAX_ATTEMPTS = 12;

/**
 * Sending inside the rules (API.md "Messages"): the outbound row is written `queued` before Meta is
 * called; the worker takes the number's shared token (agents' lane ahead of bulk), re-checks opt-out
 * and window, sends our id as `biz_opaque_callback_data`, and acts on Meta's error by code
 * (domain/send-errors.ts): throttled → wait (the number's bucket pauses on 130429), transient → retry,
 * deferred → hours, permanent → failed with { code, title, details }, timeout → unknown, never resent.
 */
@Injectable()
export class WhatsAppSendService {
  private readonly logger = new Logger(WhatsAppSendService.name);
  constructor(
    readonly bucket: PgTokenBucket,
    private readonly numbers: WhatsAppNumbersService,
    private readonly templates: WhatsAppTemplatesService,
    private readonly conversations: WhatsAppConversationsService,
    private readonly conversationRows: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly statuses: WhatsAppStatusService,
    private readonly leads: LeadsService,
    private readonly leadWriter: LeadWriterService,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    readonly pairs: WhatsAppPairLimiter,
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
      const raw = dto.to ?? '';
      const parsed = /^[0-9]{8,15}$/.test(raw)
        ? waIdToE164(raw)
        : normalizePhone(raw, await this.leadWriter.subAccountRegion(dto.subAccountId));
      if (!parsed)
        throw DomainException.validation('to is not a phone number', [
          { field: 'to', message: 'invalid phone number' },
        ]);
      phone = parsed;
    }

    let template: OutboundInput['template'];
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
      const row = await this.templates.resolveSendable(number, ref);
      const send = this.templates.prepare(row, dto.parameters ?? {}, leadFields);
      template = { row, send, parameters: dto.parameters };
      kind = { type: 'template', category: row.category as TemplateCategory };
    }

    const existing = await this.conversationRows.findContact(number.integrationId, {
      waId: phone.slice(1),
      phones: phoneMatchKeys(phone),
    });
    const optOut = await this.optOuts.scopeFor(dto.subAccountId, { phone, waId: existing?.waId ?? null });
    const decision = sendPolicy({ kind, lastInboundAt: existing?.lastInboundAt ?? null, optOut, now: new Date() });
    if (!decision.allowed) throw new DomainException(ErrorCode[decision.code], decision.message);

    let replyTo: MessageRow | null = null;
    if (dto.replyToMessageId) {
      replyTo = await this.messages.find(listScope(user, dto.subAccountId), dto.replyToMessageId);
      if (!replyTo || replyTo.integrationId !== number.integrationId)
        throw DomainException.notFound('Message to reply to');
    }

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
    return { id: created.messageId, status: 'queued', conversationId: created.conversationId.toString() };
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

  // ---- the worker

  @JobHandler('whatsapp-send')
  async runSend({ messageId }: { messageId: string }): Promise<void> {
    const outcome = await this.deliver(messageId);
    if (outcome.kind === 'retry' || outcome.kind === 'deferred')
      await this.jobs.send('whatsapp-send', { messageId }, { startAfter: new Date(Date.now() + outcome.afterMs) });
  }

  /** Sends one queued message now (see DeliveryOutcome); safe to call again for the same message. */
  async deliver(messageId: string): Promise<DeliveryOutcome> {
    const first = await this.messages.findById(messageId);
    if (!first || first.direction !== 'outbound') return { kind: 'gone' };
    const settled = this.settled(first);
    if (settled) return settled;
    let worker: Awaited<ReturnType<WhatsAppNumbersService['forWorker']>>;
    try {
      worker = await this.numbers.forWorker(first.integrationId);
    } catch (err) {
      if (isReauthorizationRequired(err)) return this.notConnected(messageId);
      throw err;
    }
    if (!worker) return { kind: 'gone' };
    const { number, handler, ctx } = worker;

    // Meta's pair limit before the number's token: a user messaged too often waits alone
    const pairWait = await this.pairs.take(number.rateKey, first.recipient ?? '');
    if (pairWait > 0) {
      await this.messages.update(first.id, { nextAttemptAt: new Date(Date.now() + pairWait) });
      return { kind: 'retry', afterMs: pairWait, reason: 'pair_rate', scope: 'pair' };
    }

    // the token first: a worker that dies while waiting has sent nothing
    const spec = { capacity: number.messagesPerSecond, windowMs: 1000 };
    const token: RateLimitToken = await this.bucket.acquire(
      number.rateKey,
      spec,
      first.lane === 'bulk' ? 'bulk' : 'priority',
    );
    let used = false;
    let endedAt: number | undefined; // when Meta answered: the token's window runs from there, not from our writes after
    try {
      const claim = await this.claim(messageId);
      if (claim.kind !== 'send') return claim;
      const row = claim.row;
      const body = outboundBody(row);
      used = true;
      try {
        const result = await handler.sendMessage(ctx, body).finally(() => (endedAt = performance.now()));
        return await this.accepted(row.id, result.messageId, result.waId);
      } catch (err) {
        return await this.refused(row, number, err);
      }
    } finally {
      await this.bucket.release(token, used, endedAt).catch(() => undefined);
    }
  }

  /**
   * The number's OAuth grant is refused or ran out (REAUTHORIZATION_REQUIRED): the message fails with
   * that code instead of going to Meta with a token it would refuse; a reconnect does not resend it.
   */
  private notConnected(messageId: string): Promise<DeliveryOutcome> {
    const error: StoredSendError = {
      code: null,
      title: ErrorCode.REAUTHORIZATION_REQUIRED,
      details: REAUTHORIZATION_MESSAGE,
    };
    return this.transactions.run(async (): Promise<DeliveryOutcome> => {
      const row = await this.messages.lock(messageId);
      if (!row) return { kind: 'gone' };
      const settled = this.settled(row);
      if (settled) return settled;
      if (row.sendState === 'sending') {
        // the previous attempt may have reached Meta before its worker died
        await this.messages.update(row.id, { sendState: 'unknown' });
        return { kind: 'unknown' };
      }
      await this.fail(row, error, undefined);
      return { kind: 'failed', error };
    });
  }

  private settled(row: MessageRow): DeliveryOutcome | null {
    if (row.status === 'failed')
      return {
        kind: 'failed',
        error: { code: row.errorCode, title: row.errorTitle ?? 'Failed', details: row.errorDetails },
      };
    if (row.wamid && (row.sendState === 'accepted' || row.status !== 'queued'))
      return { kind: 'accepted', wamid: row.wamid };
    if (row.sendState === 'unknown') return { kind: 'unknown' };
    return null;
  }

  /** Re-checks the rules and marks the row `sending` (a worker that dies after this never resends it). */
  private async claim(messageId: string): Promise<DeliveryOutcome | { kind: 'send'; row: MessageRow }> {
    return this.transactions.run(async () => {
      const row = await this.messages.lock(messageId);
      if (!row) return { kind: 'gone' as const };
      const settled = this.settled(row);
      if (settled) return settled;
      if (row.sendState === 'sending') {
        // the previous attempt may have reached Meta before its worker died
        await this.messages.update(row.id, { sendState: 'unknown' });
        return { kind: 'unknown' as const };
      }
      const conversation = await this.conversationRows.findById(row.conversationId);
      const optOut = await this.optOuts.scopeFor(row.subAccountId, {
        waId: conversation?.waId ?? null,
        phone: conversation?.phone ?? (row.recipient ? waIdToE164(row.recipient) : null),
      });
      const kind: OutboundKind =
        row.type === 'template'
          ? { type: 'template', category: (row.templateCategory ?? 'MARKETING') as TemplateCategory }
          : { type: 'free_form' };
      const decision = sendPolicy({
        kind,
        lastInboundAt: conversation?.lastInboundAt ?? null,
        optOut,
        now: new Date(),
      });
      if (!decision.allowed) {
        await this.messages.update(row.id, {
          status: 'failed',
          sendState: 'failed',
          failedAt: new Date(),
          errorCode: null,
          errorTitle: decision.code,
          errorDetails: decision.message,
        });
        return { kind: 'skipped' as const, reason: decision.skipReason };
      }
      const claimed = await this.messages.startAttempt(row.id);
      return { kind: 'send' as const, row: claimed };
    });
  }

  // ---- for a runner that calls the Graph itself (the bulk ledger): the same writes deliver() makes

  /** Meta accepted the message: wamid stored (never overwritten), statuses kept for it applied. */
  async markAccepted(messageId: string, wamid: string, waId?: string): Promise<DeliveryOutcome> {
    // the same writes as accepted() in one statement; the locked path only when statuses were kept
    if (await this.messages.acceptedInOne(messageId, wamid, waId ?? null)) return this.accepted(messageId, wamid, waId);
    return { kind: 'accepted', wamid };
  }

  /** The Graph request of an outbound row written earlier (a bulk recipient claimed again after a retry). */
  async outboundRequest(messageId: string): Promise<OutboundRequest | null> {
    const row = await this.messages.findById(messageId);
    if (!row || row.direction !== 'outbound') return null;
    return { messageId: row.id, recipient: row.recipient ?? '', body: outboundBody(row) };
  }

  /**
   * A final failure with Meta's { code, title, details }; `optOut` (131050) adds the recipient to the
   * sub-account's opt-outs in the same transaction, exactly as a single send's failure does.
   */
  async markFailed(messageId: string, error: StoredSendError, optOut?: 'marketing'): Promise<void> {
    await this.transactions.run(async () => {
      const row = await this.messages.lock(messageId);
      if (!row || row.status === 'failed') return;
      await this.fail(row, error, optOut);
    });
  }

  /** Not sent after all (opted out or the window closed meanwhile): failed with the rule's code as title. */
  async markSkipped(messageId: string, reason: string): Promise<void> {
    await this.transactions.run(async () => {
      const row = await this.messages.lock(messageId);
      if (!row || row.status === 'failed' || row.wamid !== null) return;
      await this.fail(
        row,
        { code: null, title: reason, details: 'Not sent: the recipient may not get it now' },
        undefined,
      );
    });
  }

  /** The request may have reached Meta (timeout, crash): never resent silently. */
  async markUnknown(messageId: string): Promise<void> {
    await this.messages.update(messageId, { sendState: 'unknown' });
  }

  private async accepted(messageId: string, wamid: string, waId: string | undefined): Promise<DeliveryOutcome> {
    await this.transactions.run(async () => {
      const row = await this.messages.lock(messageId);
      if (!row) return;
      const updated = await this.messages.update(row.id, {
        sendState: 'accepted',
        ...(row.wamid === null ? { wamid } : {}),
        ...(waId ? { recipient: waId } : {}),
      });
      if (waId) {
        const conversation = await this.conversationRows.findById(row.conversationId);
        if (conversation && conversation.waId === null) await this.conversationRows.update(conversation.id, { waId });
      }
      await this.statuses.applyOrphans(updated);
    });
    return { kind: 'accepted', wamid };
  }

  private async refused(row: MessageRow, number: WhatsAppNumber, err: unknown): Promise<DeliveryOutcome> {
    let classified: ClassifiedSendError;
    if (
      err instanceof OutboundError &&
      err.status === undefined &&
      ['timeout', 'network', 'circuit_open'].includes(err.kind)
    )
      classified = classifyTransportFailure(err.kind as 'timeout' | 'network' | 'circuit_open', row.attempts - 1);
    else if (err instanceof OutboundError)
      classified = classifyGraphError(
        { status: err.status, body: err.body, retryAfterMs: err.retryAfterMs },
        row.attempts - 1,
      );
    else {
      this.logger.error(
        { messageId: row.id, reason: err instanceof Error ? err.message : String(err) },
        'WhatsApp send failed unexpectedly',
      );
      classified = {
        outcome: 'permanent',
        scope: 'message',
        reason: 'internal',
        error: { code: null, title: 'The send could not be made', details: null },
      };
    }
    const { outcome, error } = classified;
    if (outcome === 'unknown') {
      await this.messages.update(row.id, { sendState: 'unknown', errorTitle: null });
      return { kind: 'unknown' };
    }
    // a throttle refused the message before it was sent: it waits for room, however often (the worker
    // re-checks the window and opt-outs before each try); only real failures use up the attempts
    if (
      outcome === 'throttled' ||
      ((outcome === 'transient' || outcome === 'deferred') && row.attempts < MAX_ATTEMPTS)
    ) {
      const afterMs = classified.retryAfterMs ?? 1000;
      if (pausesNumber(classified)) await this.bucket.pause(number.rateKey, new Date(Date.now() + afterMs));
      // 131056: only this recipient backs off, the number's other traffic goes on
      if (outcome === 'throttled' && classified.scope === 'pair')
        await this.pairs.refused(number.rateKey, row.recipient ?? '', afterMs);
      await this.messages.update(row.id, {
        sendState: outcome === 'deferred' ? 'deferred' : 'pending',
        nextAttemptAt: new Date(Date.now() + afterMs),
      });
      return outcome === 'deferred'
        ? { kind: 'deferred', afterMs, reason: classified.reason }
        : { kind: 'retry', afterMs, reason: classified.reason, scope: classified.scope };
    }
    await this.transactions.run(() => this.fail(row, error, classified.optOut));
    return { kind: 'failed', error };
  }

  /** `failed` for good; 131050 (the user stopped marketing messages) also records the opt-out. */
  private async fail(row: MessageRow, error: StoredSendError, optOut: 'marketing' | undefined): Promise<void> {
    await this.messages.update(row.id, {
      status: 'failed',
      sendState: 'failed',
      failedAt: new Date(),
      errorCode: error.code,
      errorTitle: error.title,
      errorDetails: error.details,
    });
    if (optOut)
      await this.optOuts.add(
        row.subAccountId,
        { phone: row.recipient ? waIdToE164(row.recipient) : null, waId: row.recipient },
        optOut,
        'error_131050',
        { integrationId: row.integrationId },
      );
  }

  // ---- GET /api/whatsapp/messages

  /** `channel` null: every channel (GET /api/messages). */
  async list(
    user: AuthUser,
    query: ListMessagesQueryDto,
    channel: string | null = 'whatsapp',
  ): Promise<Page<MessageDto>> {
    const { rows, total } = await this.messages.list(
      listScope(user, query.subAccountId),
      {
        channel: channel ?? undefined,
        leadId: query.leadId ? BigInt(query.leadId) : undefined,
        conversationId: query.conversationId ? BigInt(query.conversationId) : undefined,
        direction: query.direction,
        status: query.status,
        sentBy: query.sentBy === 'me' ? user.sub : query.sentBy,
        from: query.from ? new Date(query.from) : undefined,
        // a bare date is that whole (UTC) day, as the leads list reads createdTo
        to: query.to ? createdToBound(query.to) : undefined,
      },
      skipTake(query),
    );
    return toPage(rows.map(toMessageDto), total, query);
  }
}
