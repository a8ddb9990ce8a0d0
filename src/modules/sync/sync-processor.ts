import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { OutboundError } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isDatabaseBusy } from '../../database/database-busy';
import { isDeadlock, retryDeadlocks } from '../../database/deadlock-retry';
import { TransactionRunner } from '../../database/transaction-runner';
import { HandlerRegistry } from '../../handlers/handler-registry';
import {
  HandlerContext,
  IntegrationHandler,
  IntegrationSetupError,
  isTokenRefused,
} from '../../handlers/integration-handler';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { JOB_DEFINITIONS } from '../../jobs/job-types';
import type { AdCostInput, SyncPage } from '../../handlers/handler-types';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationRow, IntegrationsRepository } from '../integrations/integrations.repository';
import { LeadWriterService } from '../leads/lead-writer.service';
import { LEAD_TEXT_LIMITS, storableText } from '../leads/lead-write-values';
import { PageCounts, recordKey, RunLostError, SyncRunsRepository } from './sync-runs.repository';
import { storableCost, storableCostKey } from './storable-cost';
import { SyncService } from './sync.service';
import { TrafficRepository } from './traffic.repository';
import { AnalyticsMaintenanceRepository } from '../analytics/analytics-maintenance.repository';

const REPEATED_CURSOR =
  'the provider answered a pagination cursor it had already given in this run; the sync stopped there instead of paging in circles';

/** A run whose job is gone (its retries spent, or it ended without ending the run) is failed after this long. */
const ORPHAN_AFTER_MS = 60_000;

/**
 * A provider that names a wait longer than the client waits in-process (a Retry-After over a minute,
 * Meta's throttling codes with X-Business-Use-Case-Usage's estimated_time_to_regain_access) pauses the
 * run instead of failing it: it stays RUNNING and continues from its last page in a job that starts
 * when the provider allows calls again. A throttle that names no such wait (short Retry-Afters that
 * outlast the client's retries, a Meta code without usage headers) fails the run as before, and the
 * next scheduled or manual run tries again: a run is never left waiting on a guess.
 */
const IN_PROCESS_WAIT_MS = 60_000;
/** How long after its start a run may still be paused; a provider still refusing then fails it. */
const MAX_PAUSED_RUN_MS = 26 * 3600_000;

/**
 * Runs syncs: page by page through the handler's syncData, each page's leads/costs and the cursor
 * checkpoint committed together, so a run killed at any point resumes after its last page and
 * re-counts nothing. A job fetches at most SYNC_PAGES_PER_JOB pages and a third of its lease, then
 * hands the run to a new job, so no job outlives its lease (pg-boss would give it a second runner);
 * each attempt claims the run with a fencing token, so an attempt that did outlive it commits nothing
 * more. Also the scheduler that starts due runs every minute and fails runs whose worker is gone.
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
    private readonly analytics: AnalyticsMaintenanceRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /** How long one job may fetch pages: a third of its lease, so a slow last page still ends inside it. */
  private get jobBudgetMs(): number {
    return ((this.config.jobs.leaseSeconds ?? JOB_DEFINITIONS['integration-sync'].expireInSeconds) * 1000) / 3;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule('sync-scheduler', '* * * * *');
  }

  @JobHandler('sync-scheduler')
  async startDueRuns(): Promise<void> {
    const syncing = this.registry.list().filter((h) => h.capabilities.includes('sync') && h.syncData !== undefined);
    const handlers = syncing.map((h) => h.key);
    const requires = syncing.flatMap((h) => (h.syncRequires ? [`${h.key}:${h.syncRequires}`] : []));
    await this.failOrphans();
    for (const due of await this.runs.due(handlers, this.config.sync.defaultIntervalMinutes, requires)) {
      await this.sync.start(due.id, due.subAccountId, 'schedule');
    }
  }

  /**
   * A RUNNING run whose job is no longer queued or active (pg-boss gave up after its worker died
   * retryLimit times, or the job ended without ending the run) is failed: it would otherwise block
   * every later run of its integration. The run is failed only while that job is still its job.
   */
  async failOrphans(now = new Date(this.clock.now())): Promise<number> {
    let failed = 0;
    const before = new Date(now.getTime() - ORPHAN_AFTER_MS);
    // page by page: runs paused on a rate limit stay RUNNING, and an orphan must not hide behind 500 of them
    for (let page = await this.runs.running(before); page.length > 0;) {
      for (const run of page) {
        const job = run.jobId ? await this.jobs.getJob('integration-sync', run.jobId) : null;
        if (job && (job.state === 'created' || job.state === 'retry' || job.state === 'active')) continue;
        const ended = `the run's job ${job ? `ended (${job.state})` : 'is gone'} before the run did`;
        // a run its job gave up on says what it last met (the database away, a pause), not only that it stopped
        const reason = `${ended}: its worker stopped${run.error ? ` (last note: ${run.error})` : ''}`.slice(0, 1000);
        if (await this.finish(run.id, run.integrationId, 'FAILED', reason, { jobId: run.jobId ?? undefined })) {
          this.logger.warn(
            { integrationId: run.integrationId, runId: run.id.toString(), reason },
            'orphaned sync run failed',
          );
          failed += 1;
        }
      }
      page = await this.runs.running(before, page[page.length - 1].id);
    }
    return failed;
  }

  @JobHandler('integration-sync')
  async run({ runId }: { runId: bigint }, job?: { id: string }): Promise<void> {
    const claimed = await this.runs.claim(runId, job?.id);
    if (!claimed) return;
    const { run, runner } = claimed;
    const owner = { runner };
    let built: { handler: IntegrationHandler; ctx: HandlerContext; integration: IntegrationRow };
    try {
      const integration = await this.integrations.findForProcessing(run.integrationId);
      if (!integration) {
        await this.finish(run.id, run.integrationId, 'FAILED', 'the integration no longer exists', owner);
        return;
      }
      // refreshed first when an OAuth token is due; a refused grant (REAUTHORIZATION_REQUIRED) ends the run here
      const fresh = await this.contexts.buildFresh(integration);
      built = { handler: fresh.handler, ctx: fresh.ctx, integration: fresh.row };
    } catch (err) {
      // e.g. a stored secret that no longer decrypts: the run ends now instead of staying RUNNING
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
      if (isDatabaseBusy(err) && !isDeadlock(err)) {
        // the database away, not the integration: the job's retry starts the run again (see below)
        await this.interrupted(run.id, run.integrationId, runner, message);
        throw err;
      }
      this.logger.warn(
        { integrationId: run.integrationId, runId: runId.toString(), reason: message },
        'sync run failed',
      );
      await this.finish(run.id, run.integrationId, 'FAILED', message, owner);
      return;
    }
    const { handler, integration } = built;
    let { ctx } = built;
    let row = integration;
    if (!handler.syncData) {
      await this.finish(run.id, integration.id, 'FAILED', `handler ${handler.key} cannot sync`, owner);
      return;
    }
    const touch = {
      subAccountId: integration.subAccountId,
      integrationId: integration.id,
      origin: `sync:${integration.id}`,
    };
    // resume after the last committed page of this run, or continue from the previous run's end
    let cursor = run.pages > 0 ? run.cursorAfter : run.cursorBefore;
    // the cursors this job asked with: a provider handing one back again would have the run page in circles
    const asked = new Set<string>();
    const startedAt = this.clock.now();
    try {
      for (let page = 0; run.pages + page < this.config.sync.maxPagesPerRun; page++) {
        if (page >= this.config.sync.pagesPerJob || this.clock.now() - startedAt >= this.jobBudgetMs) {
          await this.handOn(run.id, runner, job?.id);
          return;
        }
        if (cursor !== null) asked.add(cursor);
        let result: SyncPage;
        try {
          result = await handler.syncData(ctx, cursor);
        } catch (err) {
          // a refused OAuth token (401; not a 403: isTokenRefused): one refresh (shared with concurrent callers), then the page once more
          if (!isTokenRefused(err) || row.oauthTokens === null) throw err;
          const seen = row.oauthTokens;
          ({ ctx, row } = await this.contexts.afterUnauthorized(row));
          // nothing to refresh with (the provider has no refresh tokens): the same token would be refused
          // again, and only a person can connect again (REAUTHORIZATION_REQUIRED)
          if (row.oauthTokens === seen) throw await this.contexts.refusedWithoutRefresh(row, err);
          result = await handler.syncData(ctx, cursor);
        }
        const { costs, unreadable } = this.storableCosts(result.costs ?? [], integration.id);
        // a page's writes meet the webhooks' writes of the same leads: PostgreSQL may abort them as a
        // deadlock's victim (deadlock-retry.ts). They are one transaction with no effect outside the
        // database, so they run again, rather than fail the run over a page the provider already gave
        await retryDeadlocks(() =>
          this.transactions.runSql(async () => {
            const counts: PageCounts = { fetched: result.fetched, created: 0, updated: 0, unchanged: 0 };
            // a record this integration already has a touch of (its webhook's) is applied as that touch
            const records = result.leads.map((lead) => ({
              platform: lead.platform,
              externalId: storableText(lead.externalId, LEAD_TEXT_LIMITS.text) ?? lead.externalId,
            }));
            const touches = await this.runs.touchOrigins(touch.subAccountId, integration.id, touch.origin, records);
            // a record listed twice in one page: its second listing reads the touch its first one wrote
            const seen = new Set<string>();
            for (const [i, lead] of result.leads.entries()) {
              const key = recordKey(records[i].platform, records[i].externalId);
              const found = touches.get(key);
              const known = seen.has(key) ? undefined : { hash: found?.hash };
              seen.add(key);
              const origin = found?.origin ?? touch.origin;
              counts[await this.leads.syncUpsert({ ...touch, origin }, lead, known)] += 1;
            }
            const days = costs.map((c) => c.day);
            if (costs.length) await this.runs.upsertCosts(integration.subAccountId, integration.id, costs, run.id);
            if (unreadable.length) await this.runs.keepCosts(integration.id, run.id, unreadable);
            // the run's whole window is re-pulled: what the platform no longer reports there is zeroed
            const window = result.nextCursor === null ? result.costWindow : undefined;
            if (window) {
              await this.runs.zeroUnreportedCosts(integration.id, run.id, window.from, window.to);
              days.push(window.from, window.to);
            }
            if (days.length) {
              // issue 13: the touches of those days get their share of the new spend (sourceTracking.cost)
              days.sort();
              await this.analytics.fillSourceCosts(integration.subAccountId, days[0], days[days.length - 1]);
            }
            if (result.traffic?.length)
              await this.traffic.upsertDaily(integration.subAccountId, integration.id, result.traffic);
            // the last page leaves where the next run starts (incremental syncs), or nothing
            await this.runs.checkpoint(run.id, runner, result.nextCursor ?? result.nextRunCursor ?? null, counts);
          }),
        );
        cursor = result.nextCursor;
        if (cursor === null) break;
        // the page is kept (it is what the provider answered); following the cursor would fetch it again,
        // up to SYNC_MAX_PAGES_PER_RUN times, counting every repeat and holding the integration's syncs
        if (asked.has(cursor)) throw new Error(REPEATED_CURSOR);
      }
      await this.finish(run.id, integration.id, 'SUCCEEDED', null, owner);
    } catch (err) {
      if (err instanceof RunLostError) {
        // another attempt owns the run now (this one outlived its lease): it carries on, this one stops
        this.logger.warn({ integrationId: integration.id, runId: runId.toString() }, 'sync run taken over');
        return;
      }
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
      if (isDatabaseBusy(err) && !isDeadlock(err)) {
        // the database went away under the run (a lost connection, a server restarting): nothing is
        // wrong with the provider or the page. The job fails and pg-boss runs it again (its retryLimit
        // and retryDelay), resuming after the last committed page; a job with no retries left is
        // failed by the orphan check, with this note. (A deadlock was already retried in place.)
        await this.interrupted(run.id, integration.id, runner, message);
        throw err;
      }
      if (
        err instanceof OutboundError &&
        err.kind === 'rate_limited' &&
        err.retryAfterMs !== undefined &&
        err.retryAfterMs > IN_PROCESS_WAIT_MS
      ) {
        const until = this.clock.now() + err.retryAfterMs;
        if (until - run.startedAt.getTime() <= MAX_PAUSED_RUN_MS) {
          await this.pause(run.id, integration.id, runner, until, message);
          return;
        }
      }
      if (err instanceof OutboundError && err.kind === 'auth')
        await this.integrations.markCredentialsInvalid(integration.id, message);
      // a sunset API version or a revoked permission: reported on the integration for a person to fix
      if (err instanceof IntegrationSetupError) await this.integrations.markSetupError(integration.id, message);
      this.logger.warn({ integrationId: integration.id, runId: runId.toString(), reason: message }, 'sync run failed');
      await this.finish(run.id, integration.id, 'FAILED', message, owner);
    }
  }

  /**
   * The page's cost rows ad_costs can hold (storableCost); a row it cannot (a negative or 20-digit
   * spend, 2026-02-30, a NUL in an id) is left out with a warning instead of failing the whole run
   * on a database error. A left-out row whose day and ids are readable is `unreadable`: the platform
   * reported that key, so its stored figures are kept rather than zeroed by the run's window.
   */
  private storableCosts(
    costs: readonly AdCostInput[],
    integrationId: number,
  ): { costs: AdCostInput[]; unreadable: AdCostInput[] } {
    const kept: AdCostInput[] = [];
    const unreadable: AdCostInput[] = [];
    for (const cost of costs) {
      const checked = storableCost(cost);
      if ('cost' in checked) {
        kept.push(checked.cost);
        continue;
      }
      if (storableCostKey(cost)) unreadable.push(cost);
      this.logger.warn(
        { integrationId, platform: cost.platform, day: cost.day.slice(0, 10), reason: checked.reason },
        'ad cost row skipped',
      );
    }
    return { costs: kept, unreadable };
  }

  /** The note on a run whose job is retried for a database that went away (best effort: it may still be away). */
  private async interrupted(runId: bigint, integrationId: number, runner: string, why: string): Promise<void> {
    const note = `interrupted: the database could not be reached (${why}); the run resumes from its last committed page`;
    this.logger.warn({ integrationId, runId: runId.toString(), reason: why }, 'sync run interrupted; its job retries');
    await this.runs.note(runId, runner, note.slice(0, 1000)).catch(() => undefined);
  }

  /** The run continues in a new job (sent with the hand-over, atomically); this job then completes. */
  private async handOn(runId: bigint, runner: string, currentJobId: string | undefined): Promise<void> {
    await this.transactions.run(async () => {
      const jobId = await this.jobs.send('integration-sync', { runId });
      if (!(await this.runs.handOn(runId, runner, jobId))) throw new RunLostError(runId);
    });
    this.logger.log({ runId: runId.toString(), previousJob: currentJobId }, 'sync run handed to its next job');
  }

  /**
   * The provider asked to wait: the run stays RUNNING (a new run of the integration still answers
   * 409 with this one) and goes on from its last committed page in a job that starts at `until`;
   * its `error` says why and until when, and is cleared when that job claims it.
   */
  private async pause(runId: bigint, integrationId: number, runner: string, until: number, why: string): Promise<void> {
    const at = new Date(until).toISOString();
    const note = `paused until ${at}: the provider's rate limit (${why})`.slice(0, 1000);
    try {
      await this.transactions.run(async () => {
        const jobId = await this.jobs.send('integration-sync', { runId }, { startAfter: new Date(until) });
        if (!(await this.runs.defer(runId, runner, jobId, note))) throw new RunLostError(runId);
      });
    } catch (err) {
      if (!(err instanceof RunLostError)) throw err;
      this.logger.warn({ integrationId, runId: runId.toString() }, 'sync run taken over');
      return;
    }
    this.logger.warn({ integrationId, runId: runId.toString(), until: at }, 'sync run paused on a rate limit');
  }

  /** The run's end and the integration's last sync status change together. */
  private async finish(
    runId: bigint,
    integrationId: number,
    status: 'SUCCEEDED' | 'FAILED',
    error: string | null,
    owner: { runner?: string; jobId?: string },
  ): Promise<boolean> {
    const at = new Date(this.clock.now());
    return this.transactions.run(async () => {
      if (!(await this.runs.finish(runId, status, error, at, owner))) return false;
      await this.integrations.recordSyncResult(integrationId, status, at);
      return true;
    });
  }
}
