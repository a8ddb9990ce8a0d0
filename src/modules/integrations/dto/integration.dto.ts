import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export const INTEGRATION_STATUSES = ['pending', 'active', 'error', 'disconnected'] as const;
export type IntegrationStatusName = (typeof INTEGRATION_STATUSES)[number];

const BLANK_NAME = { message: 'name must not be blank' };

export class CreateIntegrationDto {
  @ApiProperty() @IsIntId() subAccountId!: number;
  @ApiProperty() @IsIntId() integrationTemplateId!: number;
  // a name of spaces passed IsNotEmpty and listed as a blank row in the CRM
  @ApiProperty() @IsString() @IsNotEmpty() @Matches(/\S/, BLANK_NAME) @MaxLength(200) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "Validated against the template's configSchema",
  })
  @IsObject()
  config!: Record<string, unknown>;
}

/** "Test before saving": a configuration tested as it would be stored; nothing is written. */
export class TestConfigDto {
  @ApiProperty() @IsIntId() subAccountId!: number;
  @ApiProperty() @IsIntId() integrationTemplateId!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "Validated against the template's configSchema",
  })
  @IsObject()
  config!: Record<string, unknown>;
}

export class UpdateIntegrationDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, BLANK_NAME)
  @MaxLength(200)
  name?: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Merged over the stored config (one level deep); a secret left out keeps its value; a field sent as null is removed',
  })
  @IsOptionalNotNull()
  @IsObject()
  config?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsBoolean() isActive?: boolean;
}

export class ListIntegrationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @QueryInteger() @IsIntId() subAccountId?: number;
  @ApiPropertyOptional({ enum: INTEGRATION_STATUSES })
  @IsOptional()
  @IsIn(INTEGRATION_STATUSES)
  status?: IntegrationStatusName;
  @ApiPropertyOptional() @IsOptional() @QueryInteger() @IsIntId() templateId?: number;
}

export class LimitsQueryDto {
  @ApiProperty() @QueryInteger() @IsIntId() subAccountId!: number;
}

export class TemplateSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty() category!: string;
  @ApiProperty() handler!: string;
}

export class IntegrationStatsDto {
  @ApiProperty({ description: 'leads (not test) whose first touch came through this integration' }) totalLeads!: number;
  @ApiProperty({ description: 'of those, created today in the sub-account’s time zone' }) leadsToday!: number;
  @ApiProperty({ nullable: true, type: String }) lastSyncStatus!: string | null;
}

export class IntegrationDto {
  @ApiProperty() id!: number;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() integrationTemplateId!: number;
  @ApiProperty({ type: TemplateSummaryDto }) template!: TemplateSummaryDto;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() isActive!: boolean;
  @ApiProperty({ enum: INTEGRATION_STATUSES }) status!: IntegrationStatusName;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Secrets appear as { "secret": true, "last4": "…" }',
  })
  config!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) lastSyncAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSyncStatus!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastWebhookAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) errorMessage!: string | null;
  @ApiProperty() webhookUrl!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ type: IntegrationStatsDto }) stats!: IntegrationStatsDto;
}

export class CreatedIntegrationDto extends IntegrationDto {
  @ApiProperty({ description: 'Returned this once only' }) webhookSecret!: string;
}

export class TestResultDto {
  @ApiProperty() success!: boolean;
  @ApiPropertyOptional({ enum: ['INVALID_CREDENTIALS', 'CONNECTION_FAILED'] }) code?: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: [Object] }) details?: unknown[];
}

export class WebhookSecretDto {
  @ApiProperty() webhookSecret!: string;
}

export class LimitsDto {
  @ApiProperty({ enum: ['STARTER', 'PRO', 'MAX'] }) tier!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { 'meta-lead-ads': { current: 1, limit: 3 } } })
  limits!: Record<string, { current: number; limit: number }>;
}
