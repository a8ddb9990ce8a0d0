import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { Page } from '../../common/http/pagination';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { LeadDetailDto, LeadDto, ListLeadsQueryDto } from './dto/lead.dto';
import { LeadsService } from './leads.service';

@ApiTags('leads')
@ApiBearerAuth()
@Controller('leads')
export class LeadsController {
  constructor(private readonly service: LeadsService) {}

  @Get()
  list(@CurrentUser() user: AuthUser, @Query() query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    return this.service.list(user, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: LeadDetailDto })
  @ApiBigIdParam()
  get(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<LeadDetailDto> {
    return this.service.get(user, id);
  }
}
