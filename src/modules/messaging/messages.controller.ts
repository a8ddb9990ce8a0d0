import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { MessageDto } from '../whatsapp/dto/message.dto';
import { ChannelInboxService } from './channel-inbox.service';
import { ListChannelMessagesQueryDto } from './dto/inbox.dto';
import { SendChannelMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingSendService } from './messaging-send.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly service: MessagingSendService,
    private readonly inbox: ChannelInboxService,
  ) {}

  /** Messages of all three channels (newest first), `channel` narrowing them. */
  @Get()
  @ApiPaginatedResponse(MessageDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListChannelMessagesQueryDto): Promise<Page<MessageDto>> {
    return this.inbox.listMessages(user, query);
  }

  /**
   * Sends a text on any of the three channels (WhatsApp through its single-send path): 422 WINDOW_CLOSED
   * outside the window (unless a Messenger/Instagram human-agent tag is allowed), 422 RECIPIENT_OPTED_OUT.
   */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SentMessageDto })
  send(@CurrentUser() user: AuthUser, @Body() dto: SendChannelMessageDto): Promise<SentMessageDto> {
    return this.service.send(user, dto);
  }
}
