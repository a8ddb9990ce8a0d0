import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { QueryInteger } from '../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';
import { PageQueryDto } from '../../../common/http/pagination';
import { REPORT_FORMATS, REPORT_TYPES, ReportFormatName, ReportTypeName } from '../templates/report-config';

const CONFIG_DESCRIPTION =
  '{ metrics: [totalLeads|newLeads|convertedLeads|lostLeads|conversionRate|spend|costPerLead|costPerConversion], ' +
  'filters?: { source?, status?, campaignId?, integrationId? }, groupBy?: ≤ 2 of source|status|campaign|integration|day|week|month, ' +
  'dateRange: LAST_7_DAYS|LAST_30_DAYS|THIS_MONTH|LAST_MONTH|{ from, to }, chartTypes?: [bar|line|pie|table] } — validated by a JSON Schema';
const SCHEDULE_DESCRIPTION =
  '{ frequency: DAILY|WEEKLY|MONTHLY, dayOfWeek? (1 = Monday … 7 = Sunday, WEEKLY), dayOfMonth? (1–31, MONTHLY), ' +
  'time: "HH:MM" (the sub-account\'s local time), recipients: [e-mail] }, or null';

export class CreateReportTemplateDto {
  @ApiProperty({ example: 1 })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  subAccountId!: number;

  @ApiProperty({ example: 'Weekly sources' })
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiProperty({ enum: REPORT_TYPES })
  @IsIn(REPORT_TYPES)
  type!: ReportTypeName;

  @ApiProperty({ type: 'object', additionalProperties: true, description: CONFIG_DESCRIPTION })
  @IsObject()
  config!: Record<string, unknown>;

  @ApiProperty({ enum: REPORT_FORMATS })
  @IsIn(REPORT_FORMATS)
  format!: ReportFormatName;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: SCHEDULE_DESCRIPTION,
  })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsObject()
  schedule?: Record<string, unknown> | null;

  // optional, but not nullable: null is 400, not the default (POST) or "no change" (PATCH)
  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  isActive?: boolean;
}

// skipNullProperties: false — name, type, config, format or isActive sent as null answer 400 (they cannot be
// cleared), instead of being ignored; description and schedule may still be cleared with null
export class UpdateReportTemplateDto extends PartialType(OmitType(CreateReportTemplateDto, ['subAccountId'] as const), {
  skipNullProperties: false,
}) {}

export class ListReportTemplatesQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  subAccountId?: number;
}

export class ReportScheduleDto {
  @ApiProperty({ enum: ['DAILY', 'WEEKLY', 'MONTHLY'] }) frequency!: string;
  @ApiPropertyOptional() dayOfWeek?: number;
  @ApiPropertyOptional() dayOfMonth?: number;
  @ApiProperty({ example: '08:00' }) time!: string;
  @ApiProperty({ type: [String] }) recipients!: string[];
}

export class ReportTemplateDto {
  @ApiProperty() id!: number;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: REPORT_TYPES }) type!: ReportTypeName;
  @ApiProperty({ type: 'object', additionalProperties: true }) config!: unknown;
  @ApiProperty({ enum: REPORT_FORMATS }) format!: ReportFormatName;
  @ApiProperty({ type: ReportScheduleDto, nullable: true }) schedule!: unknown;
  @ApiProperty() isActive!: boolean;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class GenerateReportDto {
  @ApiPropertyOptional({ enum: REPORT_FORMATS, description: "The template's format by default" })
  @IsOptionalNotNull()
  @IsIn(REPORT_FORMATS)
  format?: ReportFormatName;

  @ApiPropertyOptional({
    description:
      "Local date YYYY-MM-DD or ISO instant; the template's dateRange start by default (also when only `to` is given)",
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({
    description: "Local date YYYY-MM-DD (inclusive) or ISO instant; the template's dateRange end by default",
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(40)
  to?: string;
}

export class GenerateReportResponseDto {
  @ApiProperty({ example: '42' }) reportId!: string;
}

export class ListReportsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  subAccountId?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  templateId?: number;
}

export class SignedDownloadQueryDto {
  @ApiPropertyOptional({ description: 'Signed link: expiry (Unix seconds)' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  expires?: string;

  @ApiPropertyOptional({ description: 'Signed link: HMAC-SHA256, base64url' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  signature?: string;
}

export class ReportDto {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ nullable: true, type: Number }) templateId!: number | null;
  @ApiProperty() subAccountId!: number;
  @ApiProperty({ enum: ['queued', 'running', 'ready', 'failed'] }) status!: string;
  @ApiProperty({ enum: REPORT_FORMATS }) fileType!: ReportFormatName;
  @ApiProperty() fileName!: string;
  @ApiProperty({ description: 'Rows in the file; while running, the rows written so far' }) rows!: number;
  @ApiProperty({ nullable: true, type: Number }) bytes!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'While running: 0–1 of the rows expected' })
  progress!: number | null;
  @ApiProperty() periodStart!: string;
  @ApiProperty() periodEnd!: string;
  @ApiProperty() generatedBy!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Signed link (no bearer), once ready' })
  downloadUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}
