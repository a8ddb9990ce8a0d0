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

  /** Back to PENDING with a new job, atomically; 409 while it is already queued or being processed. */
  async replay(user: AuthUser, id: bigint): Promise<ReplayedEventDto> {
    const event = await this.events.find(scopeOf(user), id);
    if (!event) throw DomainException.notFound('Webhook event');
    if ((await this.integrations.find(user, event.integrationId)).status === 'disconnected') throw disconnected();
    const reopened = await this.transactions.run(async () => {
      if (!(await this.events.reopenForReplay(event.id))) return false;
      await this.jobs.send('webhook-process', { eventId: event.id });
      return true;
    });
    if (!reopened) {
      // not PROCESSED or FAILED any more: queued or running meanwhile (409 with its status now), or
      // deleted with its integration meanwhile (404, as a moment later)
      const now = await this.events.find(scopeOf(user), id);
      if (!now) throw DomainException.notFound('Webhook event');
      throw DomainException.conflict('The event is already queued or being processed', [
        { eventId: id.toString(), status: now.status },
      ]);
    }
    return { eventId: id.toString(), status: 'PENDING' };
  }
}
