import { Inject, Injectable, Logger } from '@nestjs/common';
import { OutboundError } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isDatabaseBusy } from '../../database/database-busy';
import { retryDeadlocks } from '../../database/deadlock-retry';
import { TransactionRunner } from '../../database/transaction-runner';
import { IntegrationSetupError, PermanentEventError } from '../../handlers/integration-handler';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationChanges } from '../integrations/integration-changes';
import { IntegrationRow, IntegrationsRepository } from '../integrations/integrations.repository';
import { LeadWriterService } from '../leads/lead-writer.service';
import { keywordConfigOf } from '../messaging/domain/channel-keywords';
import { MessagingInboxService } from '../messaging/messaging-inbox.service';
import { reportedProblem, WhatsAppEventsService } from '../whatsapp/whatsapp-events.service';
import { WHATSAPP_HANDLER } from '../whatsapp/whatsapp-numbers.repository';
import { batchEvents, DELIVERY_BATCH_EVENT, EXPAND_CHUNK } from './webhook-batch';
import { WebhookEventsRepository } from './webhook-events.repository';
import { isReauthorizationRequired } from '../integrations/oauth-tokens.service';

/**
 * How many times in a row an event may meet a busy database without it counting as an attempt: with
 * waits of 1, 2, 4 … 60 × WEBHOOK_BUSY_RETRY_MS, about five minutes of trouble. Past that the failure
 * counts like any other, so one that only looks busy (a statement that always times out) still ends.
 */
export const MAX_BUSY_RETRIES = 10;

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 1000);
}

/**
 * DESIGN.md "Webhook pipeline" step 5: a worker runs the handler for a stored event and applies
 * the outcome in the same transaction that marks the event PROCESSED. Failures are retried after
 * min(2^attempts, 60) minutes, up to WEBHOOK_MAX_ATTEMPTS; then the event is FAILED and replayable.
 * A worker that dies mid-event leaves it PROCESSING; its job's lease expires and the event is
 * claimed again. Applying an outcome twice has no second effect (see LeadWriterService). A failure
 * that says only that the database was busy (a deadlock's victim, a lost connection, a server
 * restarting) is not the event's: it runs again within seconds and the attempt is not counted, so a
 * spell of database trouble never spends an event's attempts or makes it wait the provider backoff.
 */
@Injectable()
export class WebhookProcessor {
  private readonly logger = new Logger(WebhookProcessor.name);
  private readonly cache = new Map<number, { row: IntegrationRow; expiresAt: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: WebhookEventsRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly leads: LeadWriterService,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    private readonly whatsapp: WhatsAppEventsService,
    private readonly inbox: MessagingInboxService,
    changes: IntegrationChanges,
  ) {
    changes.subscribe((integrationId) =>
      integrationId === null ? this.cache.clear() : this.cache.delete(integrationId),
    );
  }

  /** Integrations change rarely and events come in bursts: a few seconds of caching saves a query per event. */
  private async integration(id: number): Promise<IntegrationRow | null> {
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > Date.now()) return hit.row;
    const row = await this.integrations.findForProcessing(id);
    if (row) this.remember(row);
    return row;
  }

  private remember(row: IntegrationRow): void {
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(row.id, { row, expiresAt: Date.now() + this.config.webhooks.cacheTtlMs });
  }

  @JobHandler('webhook-process')
  async process({ eventId, busy = 0 }: { eventId: bigint; busy?: number }): Promise<void> {
    const event = await this.events.claim(eventId);
    if (!event) {
      // another run holds it (this is a second job of the event: a retry still queued when a replay ran
      // it, or a job pg-boss retried early): try again later, when that run has finished or its lease is
      // over; otherwise it is finished, deleted with its integration, or waits for its own retry's job
      if (await this.events.heldByAnotherRun(eventId))
        throw new Error(`webhook event ${eventId.toString()} is being processed by another run`);
      return;
    }
    if (event.attempts > this.config.webhooks.maxAttempts) {
      // every attempt records its failure and FAILED comes at maxAttempts, so more claims than that
      // means attempts that never finished: a worker killed, or timed out, while it held this event.
      // Give up like a failed attempt (FAILED, replayable) rather than let it take worker after
      // worker down; pg-boss's own retries (20) would otherwise leave it PROCESSING for good.
      const message = `Processing did not finish in ${event.attempts - 1} attempts (the worker running it stopped or timed out each time)`;
      this.logger.warn({ eventId: event.id.toString(), attempts: event.attempts }, 'webhook event given up');
      await this.events.markFailed(event.id, message);
      return;
    }
    if (event.eventType === DELIVERY_BATCH_EVENT && event.externalId === null) {
      // the batch's events get their own rows and jobs; then the batch itself is done. Only the ingest's
      // own batch row (it has no external id): a provider event whose type a sender named so (stored
      // before the generic handler refused the name) is processed as an event, never expanded
      // a provider redelivers a delivery, its entries not always in the same order: two expansions (or
      // an expansion and the ingest) inserting the same events in opposite orders deadlock, and
      // PostgreSQL aborts one (a redelivery of 300 statuses, reversed, did so in most runs). The
      // victim's rerun inserts what is still missing (ON CONFLICT DO NOTHING, each chunk's jobs with
      // its rows); thrown, it would leave the batch PROCESSING until its claim's lease ran out. Any other
      // failure (a full disk, a statement killed) is the batch's failed attempt: it waits for its retry
      // like any event's, with the error readable on it, rather than PROCESSING for a whole lease
      const events = batchEvents(event);
      try {
        await retryDeadlocks(() => this.events.expandBatch(events, EXPAND_CHUNK));
      } catch (err) {
        await this.failed(event, busy, err);
        return;
      }
      await this.events.markProcessed(event.id);
      return;
    }
    const integration = await this.integration(event.integrationId);
    if (!integration) return;
    try {
      if (integration.handler === WHATSAPP_HANDLER) {
        // issue 12: WhatsApp events feed conversations, messages and opt-outs, not leads directly
        await this.transactions.run(async () => {
          const stored = {
            id: event.id.toString(),
            eventType: event.eventType,
            externalId: event.externalId,
            payload: event.payload,
            receivedAt: event.receivedAt,
          };
          await this.whatsapp.process(integration, stored);
          // an error WhatsApp reports about the number is processed, and stays readable on the event
          const problem = reportedProblem(stored);
          await (problem ? this.events.markProcessedNoting(event.id, problem) : this.events.markProcessed(event.id));
        });
        return;
      }
      // the provider reads (e.g. Meta's lead, LinkedIn's form response) with a fresh token; after a 401
      // one refresh under the integration's refresh lock and the reads once more (withContext)
      const { handler, ctx, outcome } = await this.contexts.withContext(integration, async (handler, ctx, used) => {
        if (!handler.processWebhook)
          throw new PermanentEventError(`handler ${handler.key} does not process webhook events`);
        const result = await handler.processWebhook(
          {
            id: event.id.toString(),
            eventType: event.eventType,
            externalId: event.externalId,
            payload: event.payload,
            receivedAt: event.receivedAt,
          },
          ctx,
        );
        // the next events use the token that worked, not the cached row's old one
        if (used !== integration) this.remember(used);
        return { handler, ctx, outcome: result };
      });
      const origin = { integrationId: integration.id, subAccountId: integration.subAccountId, eventId: event.id };
      const messaging = outcome.messaging;
      if (messaging) {
        // Messenger / Instagram: the person's name once (a Graph read, before the transaction), then
        // the lead writes, the conversation and message rows and the event's mark commit together
        const profile = await this.inbox.profileIfUnknown(origin, handler, ctx, messaging);
        const name = profile?.name;
        const leads = name ? outcome.leads.map((l) => (l.fullName ? l : { ...l, fullName: name })) : outcome.leads;
        await this.transactions.runSql(async () => {
          await this.inbox.lockMessageOf(origin, messaging);
          // a shared e-mail / phone of a known lead first: this event's lead writes then land on it
          await this.inbox.joinSharedContact(origin, messaging);
          await this.leads.applyOutcome(origin, { ...outcome, leads });
          await this.inbox.apply(origin, messaging, profile, event.receivedAt, keywordConfigOf(ctx.config));
          await this.events.markProcessed(event.id);
        });
        return;
      }
      const single = await this.leads.singleLeadStatement(origin, outcome);
      if (single) {
        // most events: one lead, written with the event's mark in one statement
        await this.events.markProcessedWith(event.id, single);
      } else {
        // the lead writes and the event's mark are SQL statements: the cheap kind of transaction
        await this.transactions.runSql(async () => {
          await this.leads.applyOutcome(origin, outcome);
          await this.events.markProcessed(event.id);
        });
      }
    } catch (err) {
      await this.failed(event, busy, err);
    }
  }

  private async failed(
    event: { id: bigint; attempts: number; integrationId: number },
    busy: number,
    err: unknown,
  ): Promise<void> {
    const { id: eventId, attempts, integrationId } = event;
    const message = errorMessage(err);
    // a refused grant changed the integration (status error, no token): the cached row is stale
    if (isReauthorizationRequired(err)) this.cache.delete(integrationId);
    const permanent = err instanceof PermanentEventError || (err instanceof OutboundError && !err.transient);
    if (!permanent && !(err instanceof OutboundError) && busy < MAX_BUSY_RETRIES && isDatabaseBusy(err)) {
      const delay = Math.min(2 ** busy, 60) * this.config.webhooks.busyRetryMs;
      this.logger.warn(
        { eventId: eventId.toString(), attempts: attempts - 1, busy: busy + 1, retryInMs: delay, reason: message },
        'webhook event met a busy database: retried soon, the attempt not counted',
      );
      const at = new Date(Date.now() + delay);
      await this.transactions.run(async () => {
        await this.events.markPendingRetry(eventId, message, at, { countAttempt: false });
        await this.jobs.send('webhook-process', { eventId, busy: busy + 1 }, { startAfter: at });
      });
      return;
    }
    if (permanent || attempts >= this.config.webhooks.maxAttempts) {
      this.logger.warn({ eventId: eventId.toString(), attempts, reason: message }, 'webhook event failed');
      await this.events.markFailed(eventId, message);
      // the integration's setup is wrong (a sunset API version …): say so on it, not only on each event
      if (err instanceof IntegrationSetupError) {
        await this.integrations.markSetupError(integrationId, message);
        this.cache.delete(integrationId);
      }
      return;
    }
    const delay = Math.min(2 ** attempts, 60) * this.config.webhooks.retryUnitMs;
    this.logger.warn(
      { eventId: eventId.toString(), attempts, retryInMs: delay, reason: message },
      'webhook event will be retried',
    );
    const at = new Date(Date.now() + delay);
    await this.transactions.run(async () => {
      await this.events.markPendingRetry(eventId, message, at);
      await this.jobs.send('webhook-process', { eventId }, { startAfter: at });
    });
  }
}
