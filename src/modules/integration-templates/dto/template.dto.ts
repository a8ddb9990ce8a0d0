import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';
import { PageQueryDto } from '../../../common/http/pagination';

export class CreateTemplateDto {
  @ApiProperty({ example: 'meta-lead-ads-standard', description: 'Unique slug' })
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, {
    message: 'name must be a slug: lower-case letters, digits and dashes (2–63 characters)',
  })
  name!: string;

  @ApiProperty({ example: 'Meta Lead Ads' })
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, { message: 'displayName must not be blank' })
  @MaxLength(200)
  displayName!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  // a display label as the CRM writes it ("CRM", "Social Media"), not a slug (API.md "Integration templates")
  @ApiProperty({ example: 'Social Media', description: 'Display label, 1–64 characters; filtered case-insensitively' })
  @IsString()
  @Matches(/^\S(?:.{0,62}\S)?$/su, {
    message: 'category must be 1 to 64 characters, without leading or trailing spaces',
  })
  category!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  icon?: string;

  @ApiProperty({ example: 'meta-lead-ads', description: 'Key of a registered handler (GET /api/integration-handlers)' })
  @IsString()
  @IsNotEmpty()
  handler!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema (draft 2020-12) of the config; "x-secret": true marks secrets',
  })
  // any JSON value passes here: what is not an object schema (an array, true, a string) is API.md's
  // 400 CONFIG_SCHEMA_INVALID, which the service answers before anything is stored
  @IsDefined()
  configSchema!: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  setupInstructions?: string;

  @ApiPropertyOptional({ example: 'v25.0' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  apiVersion?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  isActive?: boolean;

  @ApiPropertyOptional({ description: 'Outbound requests per minute per integration (default: the handler’s)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rateLimitPerMinute?: number;
}

// every field may be left out; only the nullable ones (explicit @IsOptional) may be null
export class UpdateTemplateDto extends PartialType(CreateTemplateDto, { skipNullProperties: false }) {}

export class ListTemplatesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Display label; matched case-insensitively ("crm" finds "CRM")' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  @ApiPropertyOptional({ default: false, description: 'Super-admins only' })
  @IsOptional()
  // "true" or "false"; anything else is 400, not silently false (as ?includeInactive=1 or =yes were)
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeInactive: boolean = false;
}

export class TemplateDto {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() category!: string;
  @ApiProperty({ nullable: true, type: String }) icon!: string | null;
  @ApiProperty() handler!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) configSchema!: unknown;
  @ApiProperty({ nullable: true, type: String }) setupInstructions!: string | null;
  @ApiProperty({ nullable: true, type: String }) apiVersion!: string | null;
  @ApiProperty() isActive!: boolean;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerMinute!: number | null;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class UpdatedTemplateDto extends TemplateDto {
  @ApiProperty({ type: [Number], description: 'Integrations whose config no longer conforms to the new schema' })
  nonConforming!: number[];
}

export class HandlerInfoDto {
  @ApiProperty() key!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ type: [String], enum: ['webhook', 'sync', 'test', 'send'] }) capabilities!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) defaultConfigSchema!: unknown;
}
