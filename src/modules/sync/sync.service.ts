import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, PageQueryDto, skipTake, toPage } from '../../common/http/pagination';
import { TransactionRunner } from '../../database/transaction-runner';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { StartedSyncDto, SyncRunDto } from './dto/sync-run.dto';
import { RunStart, SyncRunRow, SyncRunsRepository } from './sync-runs.repository';

const toRunDto = (r: SyncRunRow): SyncRunDto => ({
  id: r.id.toString(),
  status: r.status,
  trigger: r.trigger,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  counts: { fetched: r.fetched, created: r.created, updated: r.updated, unchanged: r.unchanged },
  error: r.error,
});

/** A disconnected integration holds no credentials to sync with (a config change and a passed test reconnect it). */
const notActive = (): DomainException =>
  new DomainException(ErrorCode.INTEGRATION_NOT_ACTIVE, 'The integration is disconnected; reconnect it to sync');

/** Starting sync runs (on demand and on schedule) and listing them. */
@Injectable()
export class SyncService {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly runs: SyncRunsRepository,
    private readonly registry: HandlerRegistry,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
  ) {}

  /** 202 with the run's job id; 409 (with the running job's id) while a run of this integration is in progress. */
  async startManual(user: AuthUser, integrationId: number): Promise<StartedSyncDto> {
    const integration = await this.integrations.find(user, integrationId);
    if (integration.status === 'disconnected') throw notActive();
    const handler = this.registry.get(integration.handler);
    const config = integration.config as Record<string, unknown> | null;
    if (!handler?.syncData || (handler.syncRequires !== undefined && !config?.[handler.syncRequires])) {
      throw DomainException.validation(`${integration.handler} integrations have nothing to sync`);
    }
    const outcome = await this.start(integration.id, integration.subAccountId, 'manual');
    if (!outcome) throw DomainException.notFound('Integration');
    if ('disconnected' in outcome) throw notActive();
    const { run, started } = outcome;
    if (!started)
      throw DomainException.conflict('A sync of this integration is already running', [
        { jobId: run.jobId, runId: run.id.toString() },
      ]);
    return { jobId: run.jobId ?? '', runId: run.id.toString() };
  }

  /**
   * A run and its job, atomically; the running one when a run of the integration is in progress;
   * null when the integration has been deleted meanwhile, `disconnected` when it was disconnected.
   */
  start(integrationId: number, subAccountId: number, trigger: string): Promise<RunStart> {
    return this.transactions.run(async () => {
      const created = await this.runs.create(integrationId, subAccountId, trigger);
      if (!created || !('run' in created) || !created.started) return created;
      const jobId = await this.jobs.send('integration-sync', { runId: created.run.id });
      return { run: await this.runs.setJobId(created.run.id, jobId), started: true };
    });
  }

  async list(user: AuthUser, integrationId: number, query: PageQueryDto): Promise<Page<SyncRunDto>> {
    const integration = await this.integrations.find(user, integrationId);
    const { rows, total } = await this.runs.list(scopeOf(user), integration.id, skipTake(query));
    return toPage(rows.map(toRunDto), total, query);
  }
}
