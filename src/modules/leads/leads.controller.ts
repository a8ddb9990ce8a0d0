import { Body, Controller, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
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
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('leads')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('leads')
export class LeadsController {
  constructor(
    private readonly service: LeadsService,
    private readonly commands: LeadCommandsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(LeadDto)
  @ApiOperation({
    summary: 'List leads',
    description:
      'Filtered by source, status, text, creation dates and score; sorted by `sort`. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @Idempotent()
  @ApiCreatedResponse({ type: LeadDetailDto, description: 'a new lead (201), or the existing one it matched (200)' })
  @ApiOkResponse({ type: LeadDetailDto, description: 'the existing lead the new one deduplicated into' })
  @ApiOperation({
    summary: 'Create a lead',
    description:
      '201 with a new lead, or 200 with the existing lead it deduplicates into (same phone or e-mail in the sub-account). Safe to retry with an Idempotency-Key.',
  })
  @ApiErrors(
    400,
    403,
    [404, 'NOT_FOUND: no such sub-account'],
    [409, 'CONFLICT: the Idempotency-Key was used with another body, or its first request is still running'],
  )
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
  @ApiOperation({ summary: 'Get a lead', description: 'With its source tracking and interactions.' })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<LeadDetailDto> {
    return this.service.get(user, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: LeadDetailDto })
  @ApiBigIdParam()
  @ApiOperation({
    summary: "Update a lead's status, assignee or tags",
    description: 'Every status change is recorded (see GET /api/leads/{id}/history).',
  })
  @ApiErrors(400, 404)
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
  @ApiOperation({ summary: "Get a lead's status history" })
  @ApiErrors(400, 404)
  history(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<StatusChangeDto[]> {
    return this.commands.history(user, id);
  }

  @Post(':id/activities')
  @ApiCreatedResponse({ type: ActivityDto })
  @ApiBigIdParam()
  @ApiOperation({
    summary: 'Record an activity on a lead',
    description: 'A call, e-mail, meeting, note or WhatsApp contact by an agent; team analytics count them.',
  })
  @ApiErrors(400, 404)
  addActivity(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: CreateActivityDto,
  ): Promise<ActivityDto> {
    return this.commands.addActivity(user, id, dto);
  }
}
