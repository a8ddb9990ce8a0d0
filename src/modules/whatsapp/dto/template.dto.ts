import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';

export const TEMPLATE_STATUSES = [
  'PENDING',
  'APPROVED',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'LIMIT_EXCEEDED',
  'ARCHIVED',
] as const;

export class ListTemplatesQueryDto extends PageQueryDto {
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

  @ApiPropertyOptional({ enum: TEMPLATE_STATUSES })
  @IsOptional()
  @IsIn(TEMPLATE_STATUSES)
  status?: string;

  @ApiPropertyOptional({ enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] })
  @IsOptional()
  @IsIn(['MARKETING', 'UTILITY', 'AUTHENTICATION'])
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20)
  language?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

/**
 * API.md "WhatsApp": `integrationId` may be left out when the sub-account has exactly one active
 * WhatsApp integration. These bodies name no sub-account otherwise: `subAccountId` then says which.
 */
const TARGET_DESCRIPTION =
  'Required unless `subAccountId` is given: then that sub-account’s only active WhatsApp integration';
const SUB_ACCOUNT_DESCRIPTION =
  'Instead of `integrationId`: the sub-account whose only active WhatsApp integration to use';

export class CreateWhatsAppTemplateDto {
  @ApiPropertyOptional({ description: TARGET_DESCRIPTION })
  @IsOptionalNotNull()
  @IsIntId()
  integrationId?: number;

  @ApiPropertyOptional({ description: SUB_ACCOUNT_DESCRIPTION })
  @IsOptionalNotNull()
  @IsIntId()
  subAccountId?: number;

  @ApiProperty({ pattern: '^[a-z0-9_]{1,512}$' })
  @IsString()
  name!: string;

  @ApiProperty({ example: 'en_US' })
  @IsString()
  language!: string;

  @ApiProperty({ enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] })
  @IsString()
  category!: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      "Meta's components (HEADER, BODY, FOOTER, BUTTONS). AUTHENTICATION: BODY { add_security_recommendation? }, FOOTER { code_expiration_minutes? (1-90) }, BUTTONS with one OTP button (otp_type COPY_CODE, ONE_TAP or ZERO_TAP; supported_apps for the last two)",
  })
  @IsArray()
  components!: Array<Record<string, unknown>>;

  @ApiPropertyOptional({
    enum: ['POSITIONAL', 'NAMED'],
    description: 'Default: NAMED when the examples are named (`body_text_named_params`), otherwise POSITIONAL',
  })
  @IsOptional()
  @IsIn(['POSITIONAL', 'NAMED'])
  parameterFormat?: 'POSITIONAL' | 'NAMED';
}

export class SyncTemplatesDto {
  @ApiPropertyOptional({ description: TARGET_DESCRIPTION })
  @IsOptionalNotNull()
  @IsIntId()
  integrationId?: number;

  @ApiPropertyOptional({ description: SUB_ACCOUNT_DESCRIPTION })
  @IsOptionalNotNull()
  @IsIntId()
  subAccountId?: number;
}

export class JobAcceptedDto {
  @ApiProperty() jobId!: string;
}

export class TemplateVariableDto {
  @ApiProperty({ enum: ['HEADER', 'BODY', 'BUTTON'] }) component!: string;
  @ApiProperty() key!: string;
  @ApiProperty() example!: string;
}

export class WhatsAppTemplateDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() integrationId!: number;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty() language!: string;
  @ApiProperty({ enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] }) category!: string;
  @ApiProperty({ enum: TEMPLATE_STATUSES }) status!: string;
  @ApiProperty({ nullable: true, type: String }) rejectedReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) qualityScore!: string | null;
  @ApiProperty({ enum: ['POSITIONAL', 'NAMED'] }) parameterFormat!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) components!: unknown;
  @ApiProperty({ type: [TemplateVariableDto] }) variables!: unknown;
  @ApiProperty({ nullable: true, type: String }) headerType!: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) buttons!: unknown;
  @ApiProperty({ nullable: true, type: String }) lastSyncedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
