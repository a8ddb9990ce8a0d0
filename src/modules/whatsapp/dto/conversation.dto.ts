import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { LeadDetailDto } from '../../leads/dto/lead.dto';
import { MessageDto } from './message.dto';
import { IsBigIntId, IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export class ListConversationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsIntId()
  subAccountId?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsIntId()
  integrationId?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  linked?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class ConversationDetailQueryDto {
  @ApiPropertyOptional({ description: 'A message id: the page of messages older than it' })
  @IsOptional()
  @IsUUID()
  before?: string;
}

export class LinkConversationDto {
  @ApiProperty({ description: 'Lead id (string of digits)' })
  @IsString()
  @IsBigIntId()
  leadId!: string;
}

export class CaptureLeadDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) fullName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) company?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) city?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) country?: string;
}

export class AutoLinkDto {
  @ApiProperty()
  @IsIntId()
  subAccountId!: number;
}

export class AutoLinkResultDto {
  @ApiProperty() linked!: number;
  @ApiProperty() unmatched!: number;
}

export class ContactDto {
  @ApiProperty({ nullable: true, type: String }) waId!: string | null;
  @ApiProperty({ nullable: true, type: String }) userId!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ nullable: true, type: String }) profileName!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) username!: string | null;
}

export class ConversationDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() integrationId!: number;
  @ApiProperty({ enum: ['whatsapp', 'messenger', 'instagram'] }) channel!: string;
  @ApiProperty({ type: ContactDto }) contact!: ContactDto;
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

export class ConversationDetailDto extends ConversationDto {
  @ApiProperty({ type: LeadDetailDto, nullable: true }) lead!: LeadDetailDto | null;
  @ApiProperty({ type: [MessageDto] }) messages!: MessageDto[];
}
