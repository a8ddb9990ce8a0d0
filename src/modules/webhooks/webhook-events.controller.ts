import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, PageQueryDto, skipTake, toPage } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { OutboundHttpFactory } from '../../common/outbound/outbound-http.factory';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JOB_WEBHOOK_PROCESS } from '../../jobs/job-types';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { EventRow, WebhookEventsRepository } from './webhook-events.repository';

const EVENT_STATUSES = ['PENDING', 'PROCESSING', 'PROCESSED', 'FAILED'] as const;

class EventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: (typeof EVENT_STATUSES)[number];
}

class WebhookEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() provider!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty({ enum: EVENT_STATUSES }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) processedAt!: string | null;
}

class HealthDto {
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) lastSyncAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSyncStatus!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastWebhookAt!: string | null;
  @ApiProperty({ example: { received: 10, processed: 9, failed: 1, rejected: 0 } }) webhooks24h!: {
    received: number;
    processed: number;
    failed: number;
    rejected: number;
  };
  @ApiProperty() pendingJobs!: number;
  @ApiProperty({ example: { remaining: 97, resetAt: null } }) rateLimit!: {
    remaining: number | null;
    resetAt: string | null;
  };
}

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

@ApiTags('integrations')
@ApiBearerAuth()
@Controller()
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class WebhookEventsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly integrations: IntegrationsService,
    private readonly events: WebhookEventsRepository,
    private readonly outbound: OutboundHttpFactory,
    private readonly jobs: JobsService,
  ) {}

  @Get('integrations/:id/events')
  async list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: EventsQueryDto,
  ): Promise<Page<WebhookEventDto>> {
    const integration = await this.integrations.find(user, id);
    const { skip, take } = skipTake(query);
    const { rows, total } = await this.events.list(integration.id, query.status, skip, take);
    return toPage(rows.map(toEventDto), total, query);
  }

  @Get('integrations/:id/health')
  async health(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<HealthDto> {
    const integration = await this.integrations.find(user, id);
    const stats = await this.events.stats(integration.id, new Date(Date.now() - 24 * 3600_000));
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
      rateLimit: this.outbound.peek(`integration:${integration.id}`) ?? { remaining: null, resetAt: null },
    };
  }

  @Post('webhook-events/:id/replay')
  @HttpCode(202)
  async replay(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
  ): Promise<{ eventId: string; status: 'PENDING' }> {
    if (!/^\d{1,18}$/.test(id)) throw DomainException.notFound('Webhook event');
    const event = await this.events.findForSubAccounts(BigInt(id), scopeOf(user));
    if (!event) throw DomainException.notFound('Webhook event');
    if (!(await this.events.replay(event.id, JOB_WEBHOOK_PROCESS))) {
      throw DomainException.conflict('The event is already queued or being processed', [
        { eventId: id, status: event.status },
      ]);
    }
    this.jobs.wake(JOB_WEBHOOK_PROCESS);
    return { eventId: id, status: 'PENDING' };
  }
}
