import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { ReplayedEventDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('webhook-events')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class WebhookEventsController {
  constructor(private readonly service: WebhookEventsService) {}

  @Post(':id/replay')
  @HttpCode(202)
  @ApiBigIdParam()
  @ApiAcceptedResponse({ type: ReplayedEventDto })
  @ApiOperation({ summary: 'Replay a stored webhook event', description: 'Processes the stored event again.' })
  @ApiErrors(400, 404, [
    409,
    'CONFLICT: the event is being processed right now (its status in details); a queued one is replayed. INTEGRATION_NOT_ACTIVE: its integration is disconnected',
  ])
  replay(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<ReplayedEventDto> {
    return this.service.replay(user, id);
  }
}
