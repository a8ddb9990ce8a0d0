import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, PageQueryDto, skipTake, toPage } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { JOB_INTEGRATION_SYNC } from '../../jobs/job-types';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';

class SyncRunDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['RUNNING', 'SUCCEEDED', 'FAILED'] }) status!: string;
  @ApiProperty({ enum: ['manual', 'schedule'] }) trigger!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ example: { fetched: 100, created: 3, updated: 2, unchanged: 95 } }) counts!: {
    fetched: number;
    created: number;
    updated: number;
    unchanged: number;
  };
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

const toDto = (r: SyncRunRow): SyncRunDto => ({
  id: r.id.toString(),
  status: r.status,
  trigger: r.trigger,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  counts: { fetched: r.fetched, created: r.created, updated: r.updated, unchanged: r.unchanged },
  error: r.error,
});

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations/:id')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class SyncController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly runs: SyncRunsRepository,
    private readonly registry: HandlerRegistry,
    private readonly jobs: JobsService,
  ) {}

  /** 202 with the run's job id; 409 (with the running job's id) while a run of this integration is in progress. */
  @Post('sync')
  @HttpCode(202)
  async sync(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
  ): Promise<{ jobId: string; runId: string }> {
    const integration = await this.integrations.find(user, id);
    if (!this.registry.get(integration.handler)?.syncData) {
      throw DomainException.validation(`${integration.handler} integrations have nothing to sync`);
    }
    const { run, started } = await this.runs.start(
      integration.id,
      integration.subAccountId,
      'manual',
      JOB_INTEGRATION_SYNC,
    );
    if (!started)
      throw DomainException.conflict('A sync of this integration is already running', [
        { jobId: run.jobId, runId: run.id.toString() },
      ]);
    this.jobs.wake(JOB_INTEGRATION_SYNC);
    return { jobId: run.jobId ?? '', runId: run.id.toString() };
  }

  @Get('sync-runs')
  async list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PageQueryDto,
  ): Promise<Page<SyncRunDto>> {
    const integration = await this.integrations.find(user, id);
    const { skip, take } = skipTake(query);
    const { rows, total } = await this.runs.list(integration.id, skip, take);
    return toPage(rows.map(toDto), total, query);
  }
}
