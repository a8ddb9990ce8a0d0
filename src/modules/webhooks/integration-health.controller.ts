import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { IntegrationHealthDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations/:id/health')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationHealthController {
  constructor(private readonly service: WebhookEventsService) {}

  @Get()
  @ApiOkResponse({ type: IntegrationHealthDto })
  health(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationHealthDto> {
    return this.service.health(user, id);
  }
}
