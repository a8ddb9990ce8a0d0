import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { WebhookEventsRepository } from './webhook-events.repository';

/** Rows one DELETE removes: short statements, so locks and WAL come in small pieces. */
export const PRUNE_BATCH = 5000;
const DAY_MS = 86_400_000;

export interface PruneResult {
  before: Date;
  events: number;
  rejections: number;
  /** Messenger/Instagram edits held for a message that never arrived */
  heldActions: number;
}

/**
 * Keeps webhook_events from growing for ever: hourly, a worker deletes the PROCESSED events older
 * than WEBHOOK_EVENT_RETENTION_DAYS (default 30) with their payloads, the hourly rejection counts
 * of the same age, and the Messenger/Instagram edits held that long for a message that never came.
 * FAILED and unfinished events stay whatever their age: they are what a person replays. A redelivery of a pruned event is stored and processed again; the lead writes it makes
 * are idempotent, and the retention is never shorter than the 7 days WhatsApp retries a delivery for
 * ("Set up webhooks", developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks).
 */
@Injectable()
export class WebhookRetentionProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookRetentionProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: WebhookEventsRepository,
    private readonly jobs: JobsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    if (this.config.webhooks.retentionDays > 0) await this.jobs.schedule('webhook-events-prune', '41 * * * *');
    else await this.jobs.unschedule('webhook-events-prune');
  }

  @JobHandler('webhook-events-prune')
  async tick(): Promise<void> {
    const days = this.config.webhooks.retentionDays;
    if (days === 0) return;
    const result = await this.prune(new Date(this.clock.now() - days * DAY_MS));
    if (result.events > 0 || result.rejections > 0 || result.heldActions > 0)
      this.logger.log({ ...result, before: result.before.toISOString() }, 'webhook events pruned');
  }

  /** Deletes what is older than `before`, integration by integration, `batch` rows per statement. */
  async prune(before: Date, batch = PRUNE_BATCH): Promise<PruneResult> {
    let events = 0;
    for (const integrationId of await this.events.integrationsWithEventsBefore(before)) {
      for (;;) {
        const deleted = await this.events.pruneProcessed(integrationId, before, batch);
        events += deleted;
        if (deleted < batch) break;
      }
    }
    const rejections = await this.events.pruneRejections(before);
    const heldActions = await this.events.pruneHeldActions(before);
    return { before, events, rejections, heldActions };
  }
}
