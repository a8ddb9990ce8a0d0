import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsTimestamp } from '../../../../common/http/date-range';
import { PageQueryDto } from '../../../../common/http/pagination';
import { BULK_STATUSES, MAX_RECIPIENTS, RECIPIENT_STATES, RECIPIENT_STATUSES, SKIP_REASONS } from '../bulk-states';
import { IsBigIntId, IsIntId, QueryInteger } from '../../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../../common/http/optional-not-null.decorator';
import { LEAD_STATUSES, PLATFORMS } from '../../../leads/dto/lead.dto';

export class BulkTemplateRefDto {
  @ApiProperty({ description: 'Id of an APPROVED template of the integration', example: '12' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'number' ? String(value) : value))
  @IsString()
  @IsBigIntId()
  id!: string;
}

export class BulkLeadFilterDto {
  // checked as GET /api/leads checks them: an unknown value is a mistake (400), not a filter that selects nobody
  @ApiPropertyOptional({ enum: LEAD_STATUSES, example: 'NEW' })
  @IsOptional()
  @IsIn(LEAD_STATUSES)
  status?: string;
  @ApiPropertyOptional({
    type: String,
    example: 'meta',
    description:
      "A lead source platform, as the leads list's `source`: `manual` or a registered provider's; unknown answers 400",
  })
  @IsOptional()
  @IsIn(PLATFORMS)
  source?: string;
  @ApiPropertyOptional({
    description: "A timestamp, or a date (YYYY-MM-DD) from the start of that day in the sub-account's time zone",
  })
  @IsOptional()
  @IsTimestamp()
  createdFrom?: string;
  @ApiPropertyOptional({
    description:
      "Inclusive: a timestamp, or a date (YYYY-MM-DD) for the whole of that day in the sub-account's time zone",
  })
  @IsOptional()
  @IsTimestamp()
  createdTo?: string;
  @ApiPropertyOptional({ type: [String], description: 'Leads with any of these tags' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  tags?: string[];
}

// leadIds | filter and template | text may be left out but not sent as null: null passed "exactly one
// of" as if given, and queued a text bulk without text or a bulk to every lead
export class CreateBulkDto {
  @ApiProperty() @IsIntId() subAccountId!: number;

  @ApiPropertyOptional({
    description: 'May be left out when the sub-account has exactly one active WhatsApp integration',
  })
  @IsOptionalNotNull()
  @IsIntId()
  integrationId?: number;

  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: MAX_RECIPIENTS,
    description: 'Lead ids (strings of digits)',
  })
  @IsOptionalNotNull()
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'number' ? String(v) : v)) : value,
  )
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RECIPIENTS)
  @IsString({ each: true })
  @IsBigIntId({ each: true })
  leadIds?: string[];

  @ApiPropertyOptional({ type: BulkLeadFilterDto })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => BulkLeadFilterDto)
  filter?: BulkLeadFilterDto;

  @ApiPropertyOptional({ type: BulkTemplateRefDto })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => BulkTemplateRefDto)
  template?: BulkTemplateRefDto;

  @ApiPropertyOptional({ description: 'Free text: sent only to recipients whose 24-hour window is open' })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  text?: string;

  @ApiPropertyOptional({
    description: 'Template parameters: { "1": "Ana" } or { "first_name": "{{lead.firstName}}" }',
    example: { '1': '{{lead.firstName|there}}' },
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Start no earlier than this (ISO-8601)' })
  @IsOptional()
  @IsTimestamp()
  scheduledAt?: string;
}

export class BulkSkippedDto {
  @ApiProperty() noPhone!: number;
  @ApiProperty() optedOut!: number;
  @ApiProperty() duplicatePhone!: number;
  @ApiProperty() windowClosed!: number;
}

export class CreatedBulkDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
  @ApiProperty({ description: 'Recipients that will be sent to (skipped ones not included)' }) recipients!: number;
  @ApiProperty({ type: BulkSkippedDto }) skipped!: BulkSkippedDto;
}

export class BulkCountsDto {
  @ApiProperty() total!: number;
  @ApiProperty({ description: 'Not sent yet (waiting or being sent)' }) pending!: number;
  @ApiProperty({ description: 'Accepted by WhatsApp (delivered and read ones included)' }) sent!: number;
  @ApiProperty({ description: 'Delivered (read ones included)' }) delivered!: number;
  @ApiProperty() read!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty({ description: 'Sent, but the answer was lost (a worker stopped mid-request): never resent silently' })
  unknown!: number;
}

export class BulkTemplateDto {
  @ApiProperty({ nullable: true, type: String }) id!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty() language!: string;
  @ApiProperty({ nullable: true, type: String }) category!: string | null;
}

export class BulkDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty() integrationId!: number;
  @ApiProperty({ enum: BULK_STATUSES }) status!: string;
  @ApiProperty({ type: BulkCountsDto }) counts!: BulkCountsDto;
  @ApiProperty({ type: BulkSkippedDto, description: 'Skipped when accepted, by reason' })
  skippedReasons!: BulkSkippedDto;
  @ApiProperty({ type: BulkTemplateDto, nullable: true }) template!: BulkTemplateDto | null;
  @ApiProperty({ nullable: true, type: String }) text!: string | null;
  @ApiProperty() ratePerSecond!: number;
  @ApiProperty({ nullable: true, type: String }) scheduledAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) completedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) etaSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: string;
}

export class ListBulkQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @QueryInteger() @IsIntId() subAccountId?: number;
}

export class ListRecipientsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: RECIPIENT_STATUSES,
    description: 'A status as the recipients show it (`pending` includes recipients being sent)',
  })
  @IsOptional()
  // the ledger's own states (`claimed`, `accepted`) are still read, as clients may have used them; the
  // refusal names only the statuses recipients show (the merged list repeated most of them)
  @IsIn([...new Set<string>([...RECIPIENT_STATUSES, ...RECIPIENT_STATES])], {
    message: `status must be one of the following values: ${RECIPIENT_STATUSES.join(', ')}`,
  })
  status?: string;
}

export class BulkErrorDto {
  @ApiProperty({ nullable: true, type: Number }) code!: number | null;
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) details!: string | null;
}

export class BulkRecipientDto {
  @ApiProperty() leadId!: string;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({
    enum: RECIPIENT_STATUSES,
    description: 'sent: accepted by WhatsApp (as counts.sent); unknown: the answer to the send was lost',
  })
  status!: string;
  @ApiProperty({ enum: SKIP_REASONS, nullable: true, type: String }) skipReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) messageId!: string | null;
  @ApiProperty({ nullable: true, type: String }) wamid!: string | null;
  @ApiProperty({ type: BulkErrorDto, nullable: true }) error!: BulkErrorDto | null;
}
