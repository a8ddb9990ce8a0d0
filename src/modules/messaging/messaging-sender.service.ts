import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { OutboundError } from '../../common/outbound/http-client';
import { PgTokenBucket, RateLimitToken } from '../../common/rate-limit/pg-token-bucket';
import { TransactionRunner } from '../../database/transaction-runner';
import { MessagingSendError, SEND_API_CALLS_PER_SECOND } from '../../handlers/shared/meta-messaging-send';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { sendsChannelText } from './channel-sender';
import { channelSendPolicy } from './domain/channel-window';
import { sendRetryDecision } from './domain/send-retry';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';
import { MessagingOutboxRepository, OutboundRow } from './messaging-outbox.repository';

type Claim = { kind: 'send'; row: OutboundRow; tag: 'HUMAN_AGENT' | null } | { kind: 'done' };

const tagOf = (content: unknown): 'HUMAN_AGENT' | null =>
  typeof content === 'object' && content !== null && (content as { tag?: unknown }).tag === 'HUMAN_AGENT'
    ? 'HUMAN_AGENT'
    : null;

/**
 * The `messaging-send` worker: takes a token of the page's (Instagram account's) Send API bucket,
 * shared by every process in PostgreSQL (rate_limit_buckets, SEND_API_CALLS_PER_SECOND), re-checks
 * opt-out and window, marks the row `sending` and calls Meta. A rate limit pauses the page's bucket
 * and the message waits; temporary failures retry with backoff; a timeout is `unknown` (it may have
 * gone out, and a Messenger message cannot be recalled); other refusals fail with Meta's code.
 */
@Injectable()
export class MessagingSenderService {
  private readonly logger = new Logger(MessagingSenderService.name);
  private readonly clock: Clock;

  constructor(
    private readonly bucket: PgTokenBucket,
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

  @JobHandler('messaging-send')
  async run({ messageId }: { messageId: string }): Promise<void> {
    const first = await this.outbox.findMessage(messageId);
    if (!first || first.direction !== 'outbound' || first.status !== 'queued') return;
    if (first.sendState !== 'pending' && first.sendState !== 'sending') return;
    const integration = await this.integrations.findForProcessing(first.integrationId);
    if (!integration || !integration.isActive || integration.status !== 'active') {
      await this.fail(first, null, 'INTEGRATION_NOT_ACTIVE', 'The integration was switched off before the send');
      return;
    }
    const { handler, ctx } = this.contexts.build(integration);
    if (!sendsChannelText(handler)) {
      await this.fail(first, null, 'unsupported', `${handler.key} does not send channel messages`);
      return;
    }
    const key = handler.sendRateKey(ctx.config);
    // the token first: a worker that dies while waiting has sent nothing
    const token: RateLimitToken = await this.bucket.acquire(
      key,
      { capacity: SEND_API_CALLS_PER_SECOND, windowMs: 1000 },
      'priority',
    );
    let used = false;
    let endedAt: number | undefined; // when the Send API answered: the token's window runs from there
    try {
      const claim = await this.claim(messageId, handler.humanAgentAllowed(ctx.config));
      if (claim.kind !== 'send') return;
      used = true;
      const { row, tag } = claim;
      try {
        const to = (await this.recipient(row)) ?? '';
        const sent = await handler
          .sendText(ctx, to, row.text ?? '', {
            ...(tag ? { tag } : {}),
            ...(row.contextWamid ? { replyToMid: row.contextWamid } : {}),
          })
          .finally(() => (endedAt = performance.now()));
        const at = new Date(this.clock.now());
        await this.outbox.markSent(row.subAccountId, row.id, sent.messageId, at);
      } catch (err) {
        await this.refused(row, key, err);
      }
    } finally {
      await this.bucket.release(token, used, endedAt).catch(() => undefined);
    }
  }

  /** Re-checks the rules under the row's lock and marks it `sending` (a dead worker's row becomes unknown). */
  private claim(messageId: string, humanAgentAllowed: boolean): Promise<Claim> {
    return this.transactions.run(async (): Promise<Claim> => {
      const row = await this.outbox.lockMessage(messageId);
      if (!row || row.status !== 'queued') return { kind: 'done' };
      if (row.sendState === 'sending') {
        // the previous attempt may have reached Meta before its worker died
        await this.outbox.markUnknown(row.id);
        return { kind: 'done' };
      }
      if (row.sendState !== 'pending') return { kind: 'done' };
      const conversation = await this.outbox.findConversationById(row.conversationId);
      if (!conversation) return { kind: 'done' };
      const optedOut = await this.optOuts.optedOut(row.subAccountId, row.integrationId, [conversation.contactKey]);
      const decision = channelSendPolicy({
        lastInboundAt: conversation.lastInboundAt,
        lastInboundMessageAt: await this.outbox.lastInboundMessageAt(conversation.id),
        now: new Date(this.clock.now()),
        humanAgentAllowed,
        optedOut: optedOut.size > 0,
      });
      if (!decision.allowed) {
        await this.fail(row, null, decision.code, decision.message);
        return { kind: 'done' };
      }
      // the tag decided when the message was accepted, or the one the window needs now (a throttled
      // message may cross the 24-hour mark while it waits)
      const tag = decision.tag ?? tagOf(row.content);
      return { kind: 'send', row: await this.outbox.startAttempt(row.id), tag };
    });
  }

  private async recipient(row: OutboundRow): Promise<string | null> {
    return (await this.outbox.findConversationById(row.conversationId))?.contactKey ?? null;
  }

  private async refused(row: OutboundRow, key: string, err: unknown): Promise<void> {
    const failure = err instanceof MessagingSendError ? err : undefined;
    const decision = failure
      ? sendRetryDecision(
          {
            failure: failure.failure,
            retryable: failure.retryable,
            timedOut: failure.kind === 'timeout',
            ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
          },
          row.attempts,
        )
      : err instanceof OutboundError && err.kind === 'timeout'
        ? ({ kind: 'unknown' } as const)
        : ({ kind: 'failed' } as const);
    if (decision.kind === 'unknown') {
      await this.outbox.markUnknown(row.id);
      return;
    }
    if (decision.kind === 'throttled' || decision.kind === 'retry') {
      const at = new Date(this.clock.now() + decision.afterMs);
      // Meta's rate limit is the page's: every process's sends to it wait, not only this one
      if (decision.kind === 'throttled') await this.bucket.pause(key, at);
      await this.transactions.run(async () => {
        await this.outbox.reschedule(row.id, at, failure?.failure ?? 'temporary');
        await this.jobs.send('messaging-send', { messageId: row.id }, { startAfter: at });
      });
      return;
    }
    if (!failure)
      this.logger.error(
        { messageId: row.id, reason: err instanceof Error ? err.message : String(err) },
        'Messenger/Instagram send failed unexpectedly',
      );
    await this.fail(row, failure?.code ?? null, failure?.failure ?? 'unknown', failure?.message ?? 'The send failed');
  }

  private fail(row: OutboundRow, code: number | null, title: string, details: string): Promise<void> {
    return this.outbox.markFailed(row.subAccountId, row.id, new Date(this.clock.now()), { code, title, details });
  }
}
