import { Body, Controller, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { Idempotent } from '../../common/idempotency/idempotent.decorator';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { ActivityDto, LeadDetailDto, LeadDto, ListLeadsQueryDto } from './dto/lead.dto';
import { CreateActivityDto, CreateLeadDto, StatusChangeDto, UpdateLeadDto } from './dto/lead-write.dto';
import { LeadCommandsService } from './lead-commands.service';
import { LeadsService } from './leads.service';

@ApiTags('leads')
@ApiBearerAuth()
@Controller('leads')
export class LeadsController {
  constructor(
    private readonly service: LeadsService,
    private readonly commands: LeadCommandsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(LeadDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @Idempotent()
  @ApiCreatedResponse({ type: LeadDetailDto, description: 'a new lead (201), or the existing one it matched (200)' })
  @ApiOkResponse({ type: LeadDetailDto, description: 'the existing lead the new one deduplicated into' })
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateLeadDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LeadDetailDto> {
    const { status, lead } = await this.commands.create(user, dto);
    reply.status(status);
    return lead;
  }

  @Get(':id')
  @ApiOkResponse({ type: LeadDetailDto })
  @ApiBigIdParam()
  get(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<LeadDetailDto> {
    return this.service.get(user, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: LeadDetailDto })
  @ApiBigIdParam()
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: UpdateLeadDto,
  ): Promise<LeadDetailDto> {
    return this.commands.update(user, id, dto);
  }

  @Get(':id/history')
  @ApiOkResponse({ type: StatusChangeDto, isArray: true })
  @ApiBigIdParam()
  history(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<StatusChangeDto[]> {
    return this.commands.history(user, id);
  }

  @Post(':id/activities')
  @ApiCreatedResponse({ type: ActivityDto })
  @ApiBigIdParam()
  addActivity(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: CreateActivityDto,
  ): Promise<ActivityDto> {
    return this.commands.addActivity(user, id, dto);
  }
}
