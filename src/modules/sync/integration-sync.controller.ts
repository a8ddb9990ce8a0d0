import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { StartedSyncDto } from './dto/sync-run.dto';
import { SyncService } from './sync.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations/:id/sync')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationSyncController {
  constructor(private readonly service: SyncService) {}

  /** 202 with the run's job id; 409 (with the running job's id) while a run of this integration is in progress. */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: StartedSyncDto })
  start(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<StartedSyncDto> {
    return this.service.startManual(user, id);
  }
}
