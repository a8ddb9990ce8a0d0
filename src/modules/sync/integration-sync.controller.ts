import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { StartedSyncDto } from './dto/sync-run.dto';
import { SyncService } from './sync.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations/:id/sync')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationSyncController {
  constructor(private readonly service: SyncService) {}

  /** 202 with the run's job id; 409 (with the running job's id) while a run of this integration is in progress. */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: StartedSyncDto })
  @ApiOperation({ summary: 'Start a sync of the integration', description: 'One run per integration at a time.' })
  @ApiErrors([400, 'VALIDATION_FAILED: a bad id, or a handler with nothing to sync'], 404, [
    409,
    'CONFLICT: a run of this integration is in progress (its jobId and runId in details); INTEGRATION_NOT_ACTIVE: the integration is disconnected',
  ])
  start(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<StartedSyncDto> {
    return this.service.startManual(user, id);
  }
}
