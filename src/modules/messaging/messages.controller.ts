import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { SendMessageDto, SentMessageDto } from './dto/send-message.dto';
import { MessagingSendService } from './messaging-send.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages')
export class MessagesController {
  constructor(private readonly service: MessagingSendService) {}

  /** Sends a text on Messenger or Instagram: 422 WINDOW_CLOSED outside the window (unless a human-agent tag is allowed). */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SentMessageDto })
  send(@CurrentUser() user: AuthUser, @Body() dto: SendMessageDto): Promise<SentMessageDto> {
    return this.service.send(user, dto);
  }
}
