import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page, PageQueryDto } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { SyncRunDto } from './dto/sync-run.dto';
import { SyncService } from './sync.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations/:id/sync-runs')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationSyncRunsController {
  constructor(private readonly service: SyncService) {}

  @Get()
  @ApiPaginatedResponse(SyncRunDto)
  @ApiOperation({
    summary: "List the integration's sync runs",
    description: 'Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PageQueryDto,
  ): Promise<Page<SyncRunDto>> {
    return this.service.list(user, id, query);
  }
}
