import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { EventsQueryDto, ReplayedFailedEventsDto, WebhookEventDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations/:id/events')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationEventsController {
  constructor(private readonly service: WebhookEventsService) {}

  @Get()
  @ApiPaginatedResponse(WebhookEventDto)
  @ApiOperation({
    summary: "List the integration's webhook events",
    description: 'Newest first, filtered by `status`. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: EventsQueryDto,
  ): Promise<Page<WebhookEventDto>> {
    return this.service.list(user, id, query);
  }

  @Post('replay-failed')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Replay every FAILED event of the integration',
    description: 'At most 50,000 a call; `remaining` counts those left for the next call.',
  })
  @ApiAcceptedResponse({ type: ReplayedFailedEventsDto })
  @ApiErrors(400, 404, [
    409,
    'INTEGRATION_NOT_ACTIVE: the integration is disconnected; reconnect it to replay its events',
  ])
  replayFailed(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<ReplayedFailedEventsDto> {
    return this.service.replayFailed(user, id);
  }
}
