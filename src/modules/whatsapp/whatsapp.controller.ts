import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
  ApiNoContentResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { Idempotent } from '../../common/idempotency/idempotent.decorator';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { LeadDetailDto } from '../leads/dto/lead.dto';
import { WhatsAppAnalyticsDto, WhatsAppAnalyticsQueryDto } from './dto/analytics.dto';
import {
  AutoLinkDto,
  AutoLinkResultDto,
  CaptureLeadDto,
  ConversationDetailDto,
  ConversationDetailQueryDto,
  ConversationDto,
  LinkConversationDto,
  ListConversationsQueryDto,
} from './dto/conversation.dto';
import { ListMessagesQueryDto, MessageAcceptedDto, MessageDto, SendMessageDto } from './dto/message.dto';
import { CreateOptOutDto, ListOptOutsQueryDto, OptOutDto } from './dto/opt-out.dto';
import {
  CreateWhatsAppTemplateDto,
  JobAcceptedDto,
  ListTemplatesQueryDto,
  SyncTemplatesDto,
  WhatsAppTemplateDto,
} from './dto/template.dto';
import { WhatsAppAnalyticsService } from './whatsapp-analytics.service';
import { WhatsAppConversationsService } from './whatsapp-conversations.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppSendService } from './whatsapp-send.service';
import { WhatsAppTemplatesService } from './whatsapp-templates.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

const MANAGERS = ['SUPER_ADMIN', 'ADMIN', 'MANAGER'] as const;

/** API.md "WhatsApp": templates (agents read approved ones; managers write and sync). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('whatsapp/templates')
export class WhatsAppTemplatesController {
  constructor(private readonly service: WhatsAppTemplatesService) {}

  @Get()
  @ApiPaginatedResponse(WhatsAppTemplateDto)
  @ApiOperation({
    summary: 'List WhatsApp message templates',
    description: 'AGENT sees only APPROVED ones. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTemplatesQueryDto): Promise<Page<WhatsAppTemplateDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @Roles(...MANAGERS)
  @ApiCreatedResponse({ type: WhatsAppTemplateDto })
  @ApiOperation({
    summary: 'Create a WhatsApp message template',
    description:
      'Submitted to Meta with `status: "PENDING"`; components are validated (one BODY, an example for every variable) before Meta sees them.',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED: a bad field or component; TEMPLATE_PARAMETERS_INVALID'],
    403,
    404,
    [409, 'CONFLICT: a template with this name and language exists'],
    [422, 'INVALID_CREDENTIALS: Meta refused the token'],
    [502, 'CONNECTION_FAILED: Meta could not be reached'],
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateWhatsAppTemplateDto): Promise<WhatsAppTemplateDto> {
    return this.service.create(user, dto);
  }

  @Post('sync')
  @Roles(...MANAGERS)
  @HttpCode(202)
  @ApiAcceptedResponse({ type: JobAcceptedDto })
  @ApiOperation({
    summary: 'Re-sync the WhatsApp templates from Meta',
    description: "Queues a job; templates are also re-synced on a schedule and by Meta's status webhooks.",
  })
  @ApiErrors(400, 403, 404)
  sync(@CurrentUser() user: AuthUser, @Body() dto: SyncTemplatesDto): Promise<JobAcceptedDto> {
    return this.service.requestSync(user, dto);
  }

  @Delete(':id')
  @Roles(...MANAGERS)
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBigIdParam()
  @ApiOperation({ summary: 'Delete a WhatsApp message template', description: 'Deleted at Meta too.' })
  @ApiErrors(
    400,
    403,
    404,
    [422, 'INVALID_CREDENTIALS: Meta refused the token'],
    [502, 'CONNECTION_FAILED: Meta could not be reached'],
  )
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<void> {
    await this.service.delete(user, id);
  }
}

/** API.md "WhatsApp": messages (every role may send and read history). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('whatsapp/messages')
export class WhatsAppMessagesController {
  constructor(private readonly service: WhatsAppSendService) {}

  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiAcceptedResponse({ type: MessageAcceptedDto })
  @ApiOperation({
    summary: 'Send a WhatsApp message',
    description:
      'Free text inside the 24-hour customer-service window, otherwise an approved template. Safe to retry with an Idempotency-Key.',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED, or TEMPLATE_PARAMETERS_INVALID: the parameters do not fit the template'],
    403,
    404,
    [
      409,
      'CONFLICT: the Idempotency-Key was used with another body, or its first request is still running; INTEGRATION_NOT_ACTIVE: the WhatsApp integration is not active; REAUTHORIZATION_REQUIRED: its OAuth token ran out',
    ],
    [
      422,
      'WINDOW_CLOSED (free text outside the 24-hour window: use a template), RECIPIENT_OPTED_OUT, TEMPLATE_NOT_APPROVED or LEAD_HAS_NO_PHONE',
    ],
  )
  send(@CurrentUser() user: AuthUser, @Body() dto: SendMessageDto): Promise<MessageAcceptedDto> {
    return this.service.send(user, dto);
  }

  @Get()
  @ApiPaginatedResponse(MessageDto)
  @ApiOperation({
    summary: 'List WhatsApp messages',
    description: 'Newest first. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListMessagesQueryDto): Promise<Page<MessageDto>> {
    return this.service.list(user, query);
  }
}

/** API.md "WhatsApp": conversations, their lead links and lead capture. */
@ApiTags('whatsapp')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('whatsapp/conversations')
export class WhatsAppConversationsController {
  constructor(private readonly service: WhatsAppConversationsService) {}

  @Get()
  @ApiPaginatedResponse(ConversationDto)
  @ApiOperation({ summary: 'List WhatsApp conversations', description: 'Pages of up to 200 (`pageSize`, default 50).' })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListConversationsQueryDto): Promise<Page<ConversationDto>> {
    return this.service.list(user, query);
  }

  @Post('auto-link')
  @HttpCode(200)
  @ApiOkResponse({ type: AutoLinkResultDto })
  @ApiOperation({
    summary: 'Link unlinked conversations to leads by phone',
    description: 'Links each unlinked conversation of the sub-account to the lead with the same normalised phone.',
  })
  @ApiErrors(400, 403)
  autoLink(@CurrentUser() user: AuthUser, @Body() dto: AutoLinkDto): Promise<AutoLinkResultDto> {
    return this.service.autoLinkAll(user, dto);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: ConversationDetailDto })
  @ApiOperation({
    summary: 'Get a WhatsApp conversation',
    description: 'With its lead and its latest messages; `before=<messageId>` pages back.',
  })
  @ApiErrors(400, 404)
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Query() query: ConversationDetailQueryDto,
  ): Promise<ConversationDetailDto> {
    return this.service.get(user, id, query);
  }

  @Post(':id/link')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: ConversationDto })
  @ApiOperation({ summary: 'Link a conversation to a lead' })
  @ApiErrors(400, 404)
  link(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: LinkConversationDto,
  ): Promise<ConversationDto> {
    return this.service.linkTo(user, id, dto);
  }

  @Delete(':id/link')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: ConversationDto })
  @ApiOperation({ summary: 'Unlink a conversation from its lead' })
  @ApiErrors(400, 404)
  unlink(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<ConversationDto> {
    return this.service.unlink(user, id);
  }

  @Post(':id/capture-lead')
  @ApiBigIdParam()
  @ApiCreatedResponse({ type: LeadDetailDto, description: 'A new lead' })
  @ApiOkResponse({ type: LeadDetailDto, description: 'The lead the contact already is (idempotent)' })
  @ApiOperation({
    summary: "Capture the conversation's contact as a lead",
    description:
      "Idempotent: 201 with a new lead, or 200 with the lead the phone already belongs to; the lead's source is `whatsapp`.",
  })
  @ApiErrors(400, 404)
  async capture(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: CaptureLeadDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LeadDetailDto> {
    const { created, lead } = await this.service.captureLead(user, id, dto);
    void reply.status(created ? 201 : 200);
    return lead;
  }
}

/** API.md "WhatsApp": the opt-out list (managers and up). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Roles(...MANAGERS)
@ApiErrors(401, 403)
@Controller('whatsapp/opt-outs')
export class WhatsAppOptOutsController {
  constructor(private readonly service: WhatsAppOptOutsService) {}

  @Get()
  @ApiPaginatedResponse(OptOutDto)
  @ApiOperation({ summary: 'List WhatsApp opt-outs', description: 'Pages of up to 200 (`pageSize`, default 50).' })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListOptOutsQueryDto): Promise<Page<OptOutDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @ApiCreatedResponse({ type: OptOutDto })
  @ApiOperation({ summary: 'Add a WhatsApp opt-out' })
  @ApiErrors(400, [404, 'NOT_FOUND: the sub-account does not exist'])
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateOptOutDto): Promise<OptOutDto> {
    return this.service.create(user, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBigIdParam()
  @ApiOperation({ summary: 'Remove a WhatsApp opt-out' })
  @ApiErrors(400, 404)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<void> {
    await this.service.delete(user, id);
  }
}

/** API.md "WhatsApp": analytics (managers and up, like every analytics route). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Roles(...MANAGERS)
@ApiErrors(401, 403)
@Controller('whatsapp/analytics')
export class WhatsAppAnalyticsController {
  constructor(private readonly service: WhatsAppAnalyticsService) {}

  @Get()
  @ApiOkResponse({ type: WhatsAppAnalyticsDto })
  @ApiOperation({
    summary: 'Get WhatsApp messaging analytics',
    description: 'Sent, delivered, read and failed counts with their rates, by template and by pricing category.',
  })
  @ApiErrors(400)
  get(@CurrentUser() user: AuthUser, @Query() query: WhatsAppAnalyticsQueryDto): Promise<WhatsAppAnalyticsDto> {
    return this.service.get(user, query);
  }
}
