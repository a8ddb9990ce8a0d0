import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page, PageQueryDto } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { SyncRunDto } from './dto/sync-run.dto';
import { SyncService } from './sync.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations/:id/sync-runs')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationSyncRunsController {
  constructor(private readonly service: SyncService) {}

  @Get()
  @ApiPaginatedResponse(SyncRunDto)
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PageQueryDto,
  ): Promise<Page<SyncRunDto>> {
    return this.service.list(user, id, query);
  }
}
