import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { AuditService } from './audit.service';
import { AuditEntryDto, AuditQueryDto } from './dto/audit.dto';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('audit-log')
export class AuditController {
  constructor(private readonly service: AuditService) {}

  /** ADMIN: entries of their sub-accounts; SUPER_ADMIN: all (including template changes). */
  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiPaginatedResponse(AuditEntryDto)
  @ApiOperation({
    summary: 'List audit log entries',
    description:
      'ADMIN: entries of their sub-accounts; SUPER_ADMIN: all, template changes included. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: AuditQueryDto): Promise<Page<AuditEntryDto>> {
    return this.service.list(user, query);
  }
}
