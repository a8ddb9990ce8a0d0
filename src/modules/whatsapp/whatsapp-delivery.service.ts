import { Injectable, Logger } from '@nestjs/common';
import { ErrorCode } from '../../common/errors/error-code';
import { OutboundError } from '../../common/outbound/http-client';
import { PgTokenBucket, RateLimitToken } from '../../common/rate-limit/pg-token-bucket';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { isReauthorizationRequired, REAUTHORIZATION_MESSAGE } from '../integrations/oauth-tokens.service';
import { waIdToE164 } from './domain/phone-match';
import {
  classifyGraphError,
  pausesNumber,
  classifyTransportFailure,
  ClassifiedSendError,
  StoredSendError,
} from './domain/send-errors';
import type { TemplateCategory } from './domain/template-rules';
import { OutboundKind, sendPolicy } from './domain/window';
import { ConversationsRepository } from './conversations.repository';
import { MessageRow, MessagesRepository } from './messages.repository';
import { outboundBody } from './outbound-body';
import { WhatsAppNumber, WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppPairLimiter } from './whatsapp-pair-limiter.service';
import { WhatsAppStatusService } from './whatsapp-status.service';
import { WhatsAppTemplatesResync } from './whatsapp-templates-resync';

/** What happened when a worker tried to send one message (the bulk ledger decides on it). */
export type DeliveryOutcome =
  | { kind: 'accepted'; wamid: string }
  | { kind: 'retry'; afterMs: number; reason: string; scope: string }
  | { kind: 'deferred'; afterMs: number; reason: string }
  | { kind: 'failed'; error: StoredSendError }
  | { kind: 'skipped'; reason: 'optedOut' | 'windowClosed' }
  | { kind: 'unknown' }
  | { kind: 'gone' };

/** Most attempts for one message before it fails for good (transient errors, deferrals; a throttle waits without using one). */
const MAX_ATTEMPTS = 12;

/**
 * The worker's side of a send (WhatsAppSendService wrote the row `queued`): it takes the number's
 * shared token (agents' lane ahead of bulk), re-checks opt-out and window, sends our id as
 * `biz_opaque_callback_data`, and acts on Meta's error by code (domain/send-errors.ts): throttled →
 * wait (the number's bucket pauses on 130429), transient → retry, deferred → hours, permanent →
 * failed with { code, title, details }, timeout → unknown, never resent. A bulk runner that calls
 * the Graph itself records Meta's answer through the same writes (markAccepted, markFailed …).
 */
@Injectable()
export class WhatsAppDeliveryService {
  private readonly logger = new Logger(WhatsAppDeliveryService.name);
  constructor(
    readonly bucket: PgTokenBucket,
    private readonly numbers: WhatsAppNumbersService,
    private readonly conversationRows: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly statuses: WhatsAppStatusService,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    readonly pairs: WhatsAppPairLimiter,
    private readonly resync: WhatsAppTemplatesResync,
  ) {}

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
    await this.transactions.run(async () => {
      await this.fail(row, error, classified.optOut);
      // the template's status changed at Meta (its webhook may never come): Meta's list brings the row in
      // step now, so the next send is 422 TEMPLATE_NOT_APPROVED instead of another refusal (API.md "Templates")
      if (classified.scope === 'template') await this.resync.request(row.integrationId);
    });
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
}
