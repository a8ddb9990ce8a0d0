import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

/** API.md "Messaging channels": conversations of WhatsApp, Messenger and Instagram (every role). */
@ApiTags('messages')
@ApiBearerAuth()
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly service: ChannelInboxService) {}

  @Get()
  @ApiPaginatedResponse(ChannelConversationDto)
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListChannelConversationsQueryDto,
  ): Promise<Page<ChannelConversationDto>> {
    return this.service.listConversations(user, query);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: ChannelConversationDetailDto })
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
