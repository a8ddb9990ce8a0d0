import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsTimestamp } from '../../../common/http/date-range';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsBigIntId, IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';

export class TemplateRefDto {
  @ApiPropertyOptional({ description: 'Template id (string)' })
  @IsOptional()
  @IsString()
  @IsBigIntId()
  id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(512)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20)
  language?: string;
}

// every optional field may be left out but not sent as null: null text or template would pass
// "exactly one of text and template" and queue a message Meta can only refuse
export class SendMessageDto {
  @ApiProperty()
  @IsIntId()
  subAccountId!: number;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsIntId()
  integrationId?: number;

  @ApiPropertyOptional({ description: 'Lead id (string of digits)' })
  @IsOptionalNotNull()
  @IsString()
  @IsBigIntId()
  leadId?: string;

  @ApiPropertyOptional({ description: 'Phone (E.164 or national) or wa_id' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({ maxLength: 4096 })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  // a text of only whitespace is no message: refused here rather than queued (202) and sent empty
  @Matches(/\S/, { message: 'text must not be blank' })
  text?: string;

  @ApiPropertyOptional({ type: TemplateRefDto })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => TemplateRefDto)
  template?: TemplateRefDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalNotNull()
  @IsObject()
  parameters?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Our id of the message this one answers' })
  @IsOptionalNotNull()
  @IsUUID()
  replyToMessageId?: string;
}

export class MessageAcceptedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
  @ApiProperty() conversationId!: string;
}

export class ListMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsIntId()
  subAccountId?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBigIntId()
  leadId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBigIntId()
  conversationId?: string;

  @ApiPropertyOptional({ enum: ['inbound', 'outbound'] })
  @IsOptional()
  @IsIn(['inbound', 'outbound'])
  direction?: string;

  @ApiPropertyOptional({ enum: ['queued', 'sent', 'delivered', 'read', 'failed', 'received'] })
  @IsOptional()
  @IsIn(['queued', 'sent', 'delivered', 'read', 'failed', 'received'])
  status?: string;

  @ApiPropertyOptional({ description: '`me` for the caller, or a user id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  sentBy?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'Inclusive: a timestamp, or a date (YYYY-MM-DD) for the whole of that UTC day' })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}

export class MessageErrorDto {
  @ApiProperty({ nullable: true, type: Number }) code!: number | null;
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) details!: string | null;
}

export class MessageDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() conversationId!: string;
  @ApiProperty({ nullable: true, type: String }) leadId!: string | null;
  @ApiProperty() integrationId!: number;
  @ApiProperty({ enum: ['whatsapp', 'messenger', 'instagram'] }) channel!: string;
  @ApiProperty({ enum: ['inbound', 'outbound'] }) direction!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: String }) text!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) template!: {
    name: string;
    language: string;
  } | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  media!: { id: string; mimeType: string | null; caption: string | null } | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) content!: unknown;
  @ApiProperty({ enum: ['queued', 'sent', 'delivered', 'read', 'failed', 'received'] }) status!: string;
  @ApiPropertyOptional({ type: MessageErrorDto, nullable: true }) error!: MessageErrorDto | null;
  @ApiProperty({ nullable: true, type: String }) wamid!: string | null;
  @ApiProperty({ nullable: true, type: String }) sentBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) sentAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) readAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) failedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) receivedAt!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) pricing!: {
    category: string;
    type: string | null;
  } | null;
  @ApiPropertyOptional({ nullable: true, type: String }) bulkId!: string | null;
  @ApiProperty({ nullable: true, type: String }) replyToMessageId!: string | null;
  @ApiProperty() createdAt!: string;
}
