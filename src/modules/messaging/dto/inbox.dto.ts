import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LeadDetailDto } from '../../leads/dto/lead.dto';
import { ListConversationsQueryDto } from '../../whatsapp/dto/conversation.dto';
import { ListMessagesQueryDto, MessageDto } from '../../whatsapp/dto/message.dto';
import { MESSAGING_CHANNELS, MessagingChannel } from './send-message.dto';

/** GET /api/conversations (API.md "Messaging channels"): the WhatsApp filters plus `channel`. */
export class ListChannelConversationsQueryDto extends ListConversationsQueryDto {
  @ApiPropertyOptional({ enum: MESSAGING_CHANNELS, description: 'Only this channel (all three when left out)' })
  @IsOptional()
  @IsIn(MESSAGING_CHANNELS)
  channel?: MessagingChannel;
}

/** GET /api/messages: the WhatsApp filters plus `channel`. */
export class ListChannelMessagesQueryDto extends ListMessagesQueryDto {
  @ApiPropertyOptional({ enum: MESSAGING_CHANNELS, description: 'Only this channel (all three when left out)' })
  @IsOptional()
  @IsIn(MESSAGING_CHANNELS)
  channel?: MessagingChannel;
}

/**
 * The contact of a conversation on any channel: WhatsApp's contact, where Messenger carries `psid`
 * and Instagram `igsid` instead of `waId` (API.md); `userId`, `phone`, `profileName` and `username`
 * are there on every channel, null when unknown.
 */
export class ChannelContactDto {
  @ApiPropertyOptional({ nullable: true, type: String, description: 'WhatsApp only' }) waId?: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The WhatsApp business-scoped user id; null on Messenger and Instagram',
  })
  userId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'E.164; null when the channel gave none' })
  phone!: string | null;
  @ApiPropertyOptional({ type: String, description: 'Messenger only: the page-scoped id' }) psid?: string;
  @ApiPropertyOptional({ type: String, description: 'Instagram only: the Instagram-scoped id' }) igsid?: string;
  @ApiProperty({ nullable: true, type: String, description: 'Instagram (and WhatsApp when known)' })
  username!: string | null;
  @ApiProperty({ nullable: true, type: String }) profileName!: string | null;
}

export class ChannelConversationDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() integrationId!: number;
  @ApiProperty({ enum: MESSAGING_CHANNELS }) channel!: string;
  @ApiProperty({ type: ChannelContactDto }) contact!: ChannelContactDto;
  @ApiProperty({ nullable: true, type: String }) leadId!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastMessageAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastInboundAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) windowOpenUntil!: string | null;
  @ApiProperty() unread!: number;
  @ApiProperty() optedOut!: boolean;
  @ApiPropertyOptional({ nullable: true, enum: ['marketing', 'all'] }) optOutScope!: 'marketing' | 'all' | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) referral!: unknown;
  @ApiProperty() createdAt!: string;
}

export class ChannelConversationDetailDto extends ChannelConversationDto {
  @ApiProperty({ type: LeadDetailDto, nullable: true }) lead!: LeadDetailDto | null;
  @ApiProperty({ type: [MessageDto] }) messages!: MessageDto[];
}
