import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OutboundError } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { PrismaService } from '../../database/prisma.service';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { IntegrationSetupError } from '../../handlers/integration-handler';
import { JobHandler } from '../../jobs/job-definition';
import { JOB_INTEGRATION_SYNC, JOB_SYNC_SCHEDULER } from '../../jobs/job-types';
import { JobsService } from '../../jobs/jobs.service';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { LeadsService } from '../leads/leads.service';
import { PageCounts, SyncRunsRepository } from './sync-runs.repository';
import { TrafficRepository } from './traffic.repository';

/** Timeout and wait for a connection of one page's transaction. */
const SYNC_PAGE_TRANSACTION = { timeout: 120_000, maxWait: 30_000 } as const;

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
    private readonly integrations: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly registry: HandlerRegistry,
    private readonly leads: LeadsService,
    private readonly jobs: JobsService,
    private readonly prisma: PrismaService,
    private readonly traffic: TrafficRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule(JOB_SYNC_SCHEDULER, '* * * * *');
  }

  @JobHandler(JOB_SYNC_SCHEDULER)
  async startDueRuns(): Promise<void> {
    const handlers = this.registry
      .list()
      .filter((h) => h.capabilities.includes('sync') && h.syncData !== undefined)
      .map((h) => h.key);
    for (const due of await this.runs.due(handlers, this.config.sync.defaultIntervalMinutes)) {
      await this.runs.start(due.id, due.subAccountId, 'schedule', JOB_INTEGRATION_SYNC);
    }
    this.jobs.wake(JOB_INTEGRATION_SYNC);
  }

  @JobHandler(JOB_INTEGRATION_SYNC)
  async run(data: unknown): Promise<void> {
    const raw = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).runId : undefined;
    if (typeof raw !== 'string' || !/^\d{1,19}$/.test(raw)) return;
    const run = await this.runs.find(BigInt(raw));
    if (!run || run.status !== 'RUNNING') return;
    const integration = await this.integrations.findForProcessing(run.integrationId);
    if (!integration) return;
    const { handler, ctx } = this.contexts.build(integration);
    if (!handler.syncData) {
      await this.runs.finish(run.id, integration.id, 'FAILED', `handler ${handler.key} cannot sync`);
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
        await this.prisma.$transaction(async (tx) => {
          const counts: PageCounts = { fetched: result.fetched, created: 0, updated: 0, unchanged: 0 };
          for (const lead of result.leads) counts[await this.leads.syncUpsert(tx, touch, lead)] += 1;
          if (result.costs?.length)
            await this.runs.upsertCosts(tx, integration.subAccountId, integration.id, result.costs);
          if (result.traffic?.length)
            await this.traffic.upsertDaily(tx, integration.subAccountId, integration.id, result.traffic);
          // the last page leaves where the next run starts (incremental syncs), or nothing
          await this.runs.checkpoint(tx, run.id, result.nextCursor ?? result.nextRunCursor ?? null, counts);
          // a page is up to 500 records (GoHighLevel's largest), each an upsert: Prisma's 5 s default is too short
        }, SYNC_PAGE_TRANSACTION);
        cursor = result.nextCursor;
        if (cursor === null) break;
      }
      await this.runs.finish(run.id, integration.id, 'SUCCEEDED', null);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
      if (err instanceof OutboundError && err.kind === 'auth')
        await this.runs.markCredentialsInvalid(integration.id, message);
      // a sunset API version or a revoked permission: reported on the integration for a person to fix
      if (err instanceof IntegrationSetupError) await this.integrations.markSetupError(integration.id, message);
      this.logger.warn({ integrationId: integration.id, runId: raw, reason: message }, 'sync run failed');
      await this.runs.finish(run.id, integration.id, 'FAILED', message);
    }
  }
}
