import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { OutboundHttpFactory } from '../../common/outbound/outbound-http.factory';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationsService } from '../integrations/integrations.service';
import {
  EventsQueryDto,
  IntegrationHealthDto,
  ReplayedEventDto,
  ReplayedFailedEventsDto,
  WebhookEventDto,
} from './dto/webhook-event.dto';
import { EventRow, WebhookEventsRepository } from './webhook-events.repository';

const DAY_MS = 24 * 3600_000;

/**
 * A disconnected integration takes no deliveries (409) and holds no credentials to process with, as a
 * sync start refuses it: a replay reopened its events all the same (leads written again for a connection
 * its admin had ended, or attempts bound to fail). A config change and a passed test reconnect it.
 */
const disconnected = (): DomainException =>
  new DomainException(
    ErrorCode.INTEGRATION_NOT_ACTIVE,
    'The integration is disconnected; reconnect it to replay its events',
  );
/** Events one replay statement reopens, and the most one request replays (the rest: call again). */
const REPLAY_CHUNK = 1000;
const REPLAY_MAX = 50_000;
/** Reopen attempts of one replay whose event a worker keeps finishing in between (each is a race lost). */
const REPLAY_REOPEN_TRIES = 3;

const toEventDto = (e: EventRow): WebhookEventDto => ({
  id: e.id.toString(),
  provider: e.provider,
  eventType: e.eventType,
  status: e.status,
  attempts: e.attempts,
  lastError: e.lastError,
  receivedAt: e.receivedAt.toISOString(),
  processedAt: e.processedAt?.toISOString() ?? null,
});

/** The stored webhook events of an integration, its health, and replays (API.md "Integrations"). */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly events: WebhookEventsRepository,
    private readonly outbound: OutboundHttpFactory,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
  ) {}

  async list(user: AuthUser, integrationId: number, query: EventsQueryDto): Promise<Page<WebhookEventDto>> {
    const integration = await this.integrations.find(user, integrationId);
    const { rows, total } = await this.events.list(scopeOf(user), integration.id, query.status, skipTake(query));
    return toPage(rows.map(toEventDto), total, query);
  }

  async health(user: AuthUser, integrationId: number, now = new Date()): Promise<IntegrationHealthDto> {
    const integration = await this.integrations.find(user, integrationId);
    const stats = await this.events.stats(integration.id, new Date(now.getTime() - DAY_MS));
    return {
      status: integration.status,
      lastSyncAt: integration.lastSyncAt?.toISOString() ?? null,
      lastSyncStatus: integration.lastSyncStatus,
      lastWebhookAt: integration.lastWebhookAt?.toISOString() ?? null,
      webhooks24h: {
        received: stats.received,
        processed: stats.processed,
        failed: stats.failed,
        rejected: stats.rejected,
      },
      pendingJobs: stats.pending,
      rateLimit: (await this.outbound.state(`integration:${integration.id}`)) ?? { remaining: null, resetAt: null },
    };
  }

  /**
   * Every FAILED event of the integration back to PENDING with a new job (after a provider outage,
   * say), in statements of REPLAY_CHUNK; at most REPLAY_MAX per call, and `remaining` tells the rest.
   */
  async replayFailed(user: AuthUser, integrationId: number): Promise<ReplayedFailedEventsDto> {
    const integration = await this.integrations.find(user, integrationId);
    if (integration.status === 'disconnected') throw disconnected();
    let replayed = 0;
    while (replayed < REPLAY_MAX) {
      const chunk = Math.min(REPLAY_CHUNK, REPLAY_MAX - replayed);
      const reopened = await this.events.reopenFailed(integration.id, chunk);
      replayed += reopened;
      if (reopened < chunk) break;
    }
    return { replayed, remaining: await this.events.countFailed(integration.id) };
  }

  /**
   * Back to PENDING with a new job, atomically; 409 while a worker is processing it. A PENDING event is
   * replayed too (API.md: 202): one waiting for its retry (minutes to an hour of backoff) runs now; one
   * already due is queued, so it is answered as it is, with no second job (two jobs of one event could
   * run it at once: a claim also takes PROCESSING, for workers that died). An event a worker finished
   * between the reopen and the re-read is finished, so replayable: it is reopened then, not refused
   * with a "being processed" 409 naming PROCESSED.
   */
  async replay(user: AuthUser, id: bigint): Promise<ReplayedEventDto> {
    const event = await this.events.find(scopeOf(user), id);
    if (!event) throw DomainException.notFound('Webhook event');
    if ((await this.integrations.find(user, event.integrationId)).status === 'disconnected') throw disconnected();
    for (let attempt = 1; ; attempt++) {
      const reopened = await this.transactions.run(async () => {
        if (!(await this.events.reopenForReplay(event.id))) return false;
        await this.jobs.send('webhook-process', { eventId: event.id });
        return true;
      });
      if (reopened) return { eventId: id.toString(), status: 'PENDING' };
      // being processed (409 with its status now), or deleted with its integration meanwhile (404, as a
      // moment later)
      const now = await this.events.find(scopeOf(user), id);
      if (!now) throw DomainException.notFound('Webhook event');
      if (now.status === 'PENDING') return { eventId: id.toString(), status: 'PENDING' };
      if (now.status === 'PROCESSING' || attempt === REPLAY_REOPEN_TRIES) {
        throw DomainException.conflict('The event is being processed; replay it once it has finished', [
          { eventId: id.toString(), status: now.status },
        ]);
      }
    }
  }
}
