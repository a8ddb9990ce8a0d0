import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { CreateSubAccountDto, SubAccountDto, UpdateSubAccountDto } from './dto/sub-account.dto';
import { SubAccountsService } from './sub-accounts.service';

@ApiTags('sub-accounts')
@ApiBearerAuth()
@Controller('sub-accounts')
export class SubAccountsController {
  constructor(private readonly service: SubAccountsService) {}

  @Get()
  @ApiOkResponse({ type: SubAccountDto, isArray: true })
  list(@CurrentUser() user: AuthUser): Promise<SubAccountDto[]> {
    return this.service.list(user);
  }

  @Get(':id')
  @ApiOkResponse({ type: SubAccountDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<SubAccountDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN')
  @ApiCreatedResponse({ type: SubAccountDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateSubAccountDto): Promise<SubAccountDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiOkResponse({ type: SubAccountDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateSubAccountDto,
  ): Promise<SubAccountDto> {
    return this.service.update(user, id, dto);
  }
}
