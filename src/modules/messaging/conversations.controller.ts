import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { LeadDetailDto } from '../leads/dto/lead.dto';
import { CaptureLeadDto, ConversationDetailQueryDto, LinkConversationDto } from '../whatsapp/dto/conversation.dto';
import { ChannelInboxService } from './channel-inbox.service';
import {
  ChannelConversationDetailDto,
  ChannelConversationDto,
  ListChannelConversationsQueryDto,
} from './dto/inbox.dto';
import { ApiErrors } from '../../common/http/api-errors.decorator';

/** API.md "Messaging channels": conversations of WhatsApp, Messenger and Instagram (every role). */
@ApiTags('messages')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly service: ChannelInboxService) {}

  @Get()
  @ApiPaginatedResponse(ChannelConversationDto)
  @ApiOperation({
    summary: 'List conversations of every channel',
    description:
      'WhatsApp, Messenger and Instagram, narrowed by `channel`. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListChannelConversationsQueryDto,
  ): Promise<Page<ChannelConversationDto>> {
    return this.service.listConversations(user, query);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: ChannelConversationDetailDto })
  @ApiOperation({
    summary: 'Get a conversation',
    description: 'With its lead and its latest messages; `before=<messageId>` pages back.',
  })
  @ApiErrors(400, 404)
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Query() query: ConversationDetailQueryDto,
  ): Promise<ChannelConversationDetailDto> {
    return this.service.getConversation(user, id, query);
  }

  @Post(':id/link')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: ChannelConversationDto })
  @ApiOperation({ summary: 'Link a conversation to a lead' })
  @ApiErrors(400, 404)
  link(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Body() dto: LinkConversationDto,
  ): Promise<ChannelConversationDto> {
    return this.service.link(user, id, dto);
  }

  @Post(':id/capture-lead')
  @ApiBigIdParam()
  @ApiCreatedResponse({ type: LeadDetailDto, description: 'A new lead' })
  @ApiOkResponse({ type: LeadDetailDto, description: 'The lead the contact already is (idempotent)' })
  @ApiOperation({
    summary: "Capture the conversation's contact as a lead",
    description: 'Idempotent: 201 with a new lead, or 200 with the lead the contact already is.',
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
