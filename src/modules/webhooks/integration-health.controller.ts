import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { IntegrationHealthDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations/:id/health')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationHealthController {
  constructor(private readonly service: WebhookEventsService) {}

  @Get()
  @ApiOkResponse({ type: IntegrationHealthDto })
  @ApiOperation({
    summary: "Get the integration's health",
    description:
      'Last sync and webhook, webhook counts of the last 24 hours, pending jobs, and the outbound rate-limit budget as every process of the deployment sees it.',
  })
  @ApiErrors(400, 404)
  health(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationHealthDto> {
    return this.service.health(user, id);
  }
}
