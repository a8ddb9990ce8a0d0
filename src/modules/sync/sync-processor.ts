import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OutboundError } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../database/transaction-runner';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { IntegrationSetupError } from '../../handlers/integration-handler';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { LeadWriterService } from '../leads/lead-writer.service';
import { PageCounts, SyncRunsRepository } from './sync-runs.repository';
import { SyncService } from './sync.service';
import { TrafficRepository } from './traffic.repository';
import { AnalyticsRepository } from '../analytics/analytics.repository';

/**
 * Runs syncs: page by page through the handler's syncData, each page's leads/costs and the cursor
 * checkpoint committed together, so a run killed at any point resumes after its last page and
 * re-counts nothing. Also the scheduler that starts due runs every minute.
 */
@Injectable()
export class SyncProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(SyncProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: SyncRunsRepository,
    private readonly sync: SyncService,
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly registry: HandlerRegistry,
    private readonly leads: LeadWriterService,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    private readonly traffic: TrafficRepository,
    private readonly analytics: AnalyticsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule('sync-scheduler', '* * * * *');
  }

  @JobHandler('sync-scheduler')
  async startDueRuns(): Promise<void> {
    const handlers = this.registry
      .list()
      .filter((h) => h.capabilities.includes('sync') && h.syncData !== undefined)
      .map((h) => h.key);
    for (const due of await this.runs.due(handlers, this.config.sync.defaultIntervalMinutes)) {
      await this.sync.start(due.id, due.subAccountId, 'schedule');
    }
  }

  @JobHandler('integration-sync')
  async run({ runId }: { runId: bigint }): Promise<void> {
    const run = await this.runs.find(runId);
    if (!run || run.status !== 'RUNNING') return;
    const integration = await this.integrations.findForProcessing(run.integrationId);
    if (!integration) return;
    const { handler, ctx } = this.contexts.build(integration);
    if (!handler.syncData) {
      await this.finish(run.id, integration.id, 'FAILED', `handler ${handler.key} cannot sync`);
      return;
    }
    const touch = {
      subAccountId: integration.subAccountId,
      integrationId: integration.id,
      origin: `sync:${integration.id}`,
    };
    // resume after the last committed page of this run, or continue from the previous run's end
    let cursor = run.pages > 0 ? run.cursorAfter : run.cursorBefore;
    try {
      for (let page = 0; page < this.config.sync.maxPagesPerRun; page++) {
        const result = await handler.syncData(ctx, cursor);
        await this.transactions.runSql(async () => {
          const counts: PageCounts = { fetched: result.fetched, created: 0, updated: 0, unchanged: 0 };
          for (const lead of result.leads) counts[await this.leads.syncUpsert(touch, lead)] += 1;
          if (result.costs?.length) {
            await this.runs.upsertCosts(integration.subAccountId, integration.id, result.costs);
            // issue 13: the touches of those days get their share of the new spend (sourceTracking.cost)
            const days = result.costs.map((c) => c.day).sort();
            await this.analytics.fillSourceCosts(integration.subAccountId, days[0], days[days.length - 1]);
          }
          if (result.traffic?.length)
            await this.traffic.upsertDaily(integration.subAccountId, integration.id, result.traffic);
          // the last page leaves where the next run starts (incremental syncs), or nothing
          await this.runs.checkpoint(run.id, result.nextCursor ?? result.nextRunCursor ?? null, counts);
        });
        cursor = result.nextCursor;
        if (cursor === null) break;
      }
      await this.finish(run.id, integration.id, 'SUCCEEDED', null);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
      if (err instanceof OutboundError && err.kind === 'auth')
        await this.integrations.markCredentialsInvalid(integration.id, message);
      // a sunset API version or a revoked permission: reported on the integration for a person to fix
      if (err instanceof IntegrationSetupError) await this.integrations.markSetupError(integration.id, message);
      this.logger.warn({ integrationId: integration.id, runId: runId.toString(), reason: message }, 'sync run failed');
      await this.finish(run.id, integration.id, 'FAILED', message);
    }
  }

  /** The run's end and the integration's last sync status change together. */
  private async finish(
    runId: bigint,
    integrationId: number,
    status: 'SUCCEEDED' | 'FAILED',
    error: string | null,
  ): Promise<void> {
    const at = new Date();
    await this.transactions.run(async () => {
      await this.runs.finish(runId, status, error, at);
      await this.integrations.recordSyncResult(integrationId, status, at);
    });
  }
}
