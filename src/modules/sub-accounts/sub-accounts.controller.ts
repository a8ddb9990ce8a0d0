import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { CreateSubAccountDto, SubAccountDto, UpdateSubAccountDto } from './dto/sub-account.dto';
import { SubAccountsService } from './sub-accounts.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('sub-accounts')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('sub-accounts')
export class SubAccountsController {
  constructor(private readonly service: SubAccountsService) {}

  @Get()
  @ApiOkResponse({ type: SubAccountDto, isArray: true })
  @ApiOperation({ summary: 'List the sub-accounts the caller may act on' })
  list(@CurrentUser() user: AuthUser): Promise<SubAccountDto[]> {
    return this.service.list(user);
  }

  @Get(':id')
  @ApiOkResponse({ type: SubAccountDto })
  @ApiOperation({ summary: 'Get a sub-account' })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<SubAccountDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN')
  @ApiCreatedResponse({ type: SubAccountDto })
  @ApiOperation({ summary: 'Create a sub-account' })
  @ApiErrors(400, 403)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateSubAccountDto): Promise<SubAccountDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiOkResponse({ type: SubAccountDto })
  @ApiOperation({
    summary: 'Update a sub-account',
    description:
      '`timezone` (IANA name) sets the local calendar of analytics and report periods; `funnelStages` orders the funnel.',
  })
  @ApiErrors(400, 403, 404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateSubAccountDto,
  ): Promise<SubAccountDto> {
    return this.service.update(user, id, dto);
  }
}
