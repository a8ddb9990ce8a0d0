import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

const MANAGERS = ['SUPER_ADMIN', 'ADMIN', 'MANAGER'] as const;

/** API.md "WhatsApp": templates (agents read approved ones; managers write and sync). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Controller('whatsapp/templates')
export class WhatsAppTemplatesController {
  constructor(private readonly service: WhatsAppTemplatesService) {}

  @Get()
  @ApiPaginatedResponse(WhatsAppTemplateDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTemplatesQueryDto): Promise<Page<WhatsAppTemplateDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @Roles(...MANAGERS)
  @ApiCreatedResponse({ type: WhatsAppTemplateDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateWhatsAppTemplateDto): Promise<WhatsAppTemplateDto> {
    return this.service.create(user, dto);
  }

  @Post('sync')
  @Roles(...MANAGERS)
  @HttpCode(202)
  @ApiAcceptedResponse({ type: JobAcceptedDto })
  sync(@CurrentUser() user: AuthUser, @Body() dto: SyncTemplatesDto): Promise<JobAcceptedDto> {
    return this.service.requestSync(user, dto);
  }

  @Delete(':id')
  @Roles(...MANAGERS)
  @HttpCode(204)
  @ApiBigIdParam()
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<void> {
    await this.service.delete(user, id);
  }
}

/** API.md "WhatsApp": messages (every role may send and read history). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Controller('whatsapp/messages')
export class WhatsAppMessagesController {
  constructor(private readonly service: WhatsAppSendService) {}

  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiAcceptedResponse({ type: MessageAcceptedDto })
  send(@CurrentUser() user: AuthUser, @Body() dto: SendMessageDto): Promise<MessageAcceptedDto> {
    return this.service.send(user, dto);
  }

  @Get()
  @ApiPaginatedResponse(MessageDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListMessagesQueryDto): Promise<Page<MessageDto>> {
    return this.service.list(user, query);
  }
}

/** API.md "WhatsApp": conversations, their lead links and lead capture. */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Controller('whatsapp/conversations')
export class WhatsAppConversationsController {
  constructor(private readonly service: WhatsAppConversationsService) {}

  @Get()
  @ApiPaginatedResponse(ConversationDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListConversationsQueryDto): Promise<Page<ConversationDto>> {
    return this.service.list(user, query);
  }

  @Post('auto-link')
  @HttpCode(200)
  @ApiOkResponse({ type: AutoLinkResultDto })
  autoLink(@CurrentUser() user: AuthUser, @Body() dto: AutoLinkDto): Promise<AutoLinkResultDto> {
    return this.service.autoLinkAll(user, dto);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: ConversationDetailDto })
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
  unlink(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<ConversationDto> {
    return this.service.unlink(user, id);
  }

  @Post(':id/capture-lead')
  @ApiBigIdParam()
  @ApiCreatedResponse({ type: LeadDetailDto, description: 'A new lead' })
  @ApiOkResponse({ type: LeadDetailDto, description: 'The lead the contact already is (idempotent)' })
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
@Controller('whatsapp/opt-outs')
export class WhatsAppOptOutsController {
  constructor(private readonly service: WhatsAppOptOutsService) {}

  @Get()
  @ApiPaginatedResponse(OptOutDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListOptOutsQueryDto): Promise<Page<OptOutDto>> {
    return this.service.list(user, query);
  }

  @Post()
  @ApiCreatedResponse({ type: OptOutDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateOptOutDto): Promise<OptOutDto> {
    return this.service.create(user, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiBigIdParam()
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<void> {
    await this.service.delete(user, id);
  }
}

/** API.md "WhatsApp": analytics (managers and up, like every analytics route). */
@ApiTags('whatsapp')
@ApiBearerAuth()
@Roles(...MANAGERS)
@Controller('whatsapp/analytics')
export class WhatsAppAnalyticsController {
  constructor(private readonly service: WhatsAppAnalyticsService) {}

  @Get()
  @ApiOkResponse({ type: WhatsAppAnalyticsDto })
  get(@CurrentUser() user: AuthUser, @Query() query: WhatsAppAnalyticsQueryDto): Promise<WhatsAppAnalyticsDto> {
    return this.service.get(user, query);
  }
}
