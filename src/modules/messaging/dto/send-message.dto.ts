import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { IsBigIntId, IsIntId } from '../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';

export const MESSAGING_CHANNELS = ['whatsapp', 'messenger', 'instagram'] as const;
export type MessagingChannel = (typeof MESSAGING_CHANNELS)[number];

/** POST /api/messages (API.md "Messaging channels"). */
export class SendChannelMessageDto {
  @ApiProperty() @IsIntId() subAccountId!: number;

  @ApiProperty({ enum: MESSAGING_CHANNELS }) @IsIn(MESSAGING_CHANNELS) channel!: (typeof MESSAGING_CHANNELS)[number];

  @ApiPropertyOptional({ description: 'The conversation to answer (or leadId)', pattern: '^[0-9]+$' })
  @IsOptionalNotNull()
  @IsString()
  @IsBigIntId()
  conversationId?: string;

  @ApiPropertyOptional({ description: 'The lead whose conversation on this channel to answer', pattern: '^[0-9]+$' })
  @IsOptionalNotNull()
  @IsString()
  @IsBigIntId()
  leadId?: string;

  // the largest channel's limit (WhatsApp's 4096 characters); Messenger's 2000 characters and
  // Instagram's 1000 bytes are checked per channel by the service
  @ApiProperty({
    minLength: 1,
    maxLength: 4096,
    description: 'WhatsApp: up to 4096 characters; Messenger: 2000 characters; Instagram: 1000 bytes (UTF-8)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  // a text of only whitespace is no message: refused here rather than queued (202) and sent empty
  @Matches(/\S/, { message: 'text must not be blank' })
  text!: string;

  @ApiPropertyOptional({
    description:
      'Our id of a message of the same conversation that this one answers (404 otherwise); stored, and quoted on the channel (WhatsApp context, Messenger/Instagram reply_to)',
    format: 'uuid',
  })
  @IsOptionalNotNull()
  @IsUUID()
  replyToMessageId?: string;
}

export class SentMessageDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
  @ApiProperty() conversationId!: string;
  @ApiProperty({ enum: MESSAGING_CHANNELS }) channel!: string;
  @ApiPropertyOptional({ enum: ['HUMAN_AGENT'], nullable: true, type: String }) tag!: string | null;
}
