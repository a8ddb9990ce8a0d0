import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { MessageDto } from '../whatsapp/dto/message.dto';
import { ChannelInboxService } from './channel-inbox.service';
import { ListChannelMessagesQueryDto } from './dto/inbox.dto';
import { SendChannelMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingSendService } from './messaging-send.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('messages')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly service: MessagingSendService,
    private readonly inbox: ChannelInboxService,
  ) {}

  /** Messages of all three channels (newest first), `channel` narrowing them. */
  @Get()
  @ApiPaginatedResponse(MessageDto)
  @ApiOperation({
    summary: 'List messages of every channel',
    description: 'Newest first, narrowed by `channel`. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 403)
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
  @ApiOperation({
    summary: 'Send a text message on a channel',
    description: "Outside the channel's window it answers 422 WINDOW_CLOSED unless a human-agent tag is allowed.",
  })
  @ApiErrors(
    400,
    403,
    404,
    [
      409,
      "INTEGRATION_NOT_ACTIVE: the conversation's integration is not active; REAUTHORIZATION_REQUIRED: a WhatsApp integration's OAuth token ran out",
    ],
    [422, 'WINDOW_CLOSED, RECIPIENT_OPTED_OUT or LEAD_HAS_NO_PHONE'],
  )
  send(@CurrentUser() user: AuthUser, @Body() dto: SendChannelMessageDto): Promise<SentMessageDto> {
    return this.service.send(user, dto);
  }
}
