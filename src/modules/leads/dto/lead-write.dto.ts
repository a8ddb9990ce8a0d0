import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsTimestamp } from '../../../common/http/date-range';
import { ACTIVITY_OUTCOMES, ACTIVITY_TYPES, ActivityOutcomeName, ActivityTypeName, LEAD_STATUSES } from './lead.dto';
import { IsIntId } from '../../../common/http/int-id.decorator';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';

export type LeadStatusName = (typeof LEAD_STATUSES)[number];

/** The longest activity the CRM reports: one day. */
export const MAX_ACTIVITY_SECONDS = 24 * 3600;

export class UpdateLeadDto {
  @ApiPropertyOptional({ enum: LEAD_STATUSES, description: 'A change is recorded as a fact { from, to, at, by }' })
  @IsOptionalNotNull()
  @IsIn(LEAD_STATUSES)
  status?: LeadStatusName;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null unassigns' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  assignedUserId?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(200)
  assignedUserName?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the tags ([] clears them)' })
  @IsOptionalNotNull()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @ArrayMaxSize(100)
  tags?: string[];
}

export class CreateActivityDto {
  @ApiProperty({ enum: ACTIVITY_TYPES }) @IsIn(ACTIVITY_TYPES) type!: ActivityTypeName;
  @ApiPropertyOptional({ enum: ACTIVITY_OUTCOMES })
  @IsOptional()
  @IsIn(ACTIVITY_OUTCOMES)
  outcome?: ActivityOutcomeName;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) userId!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) userName?: string;
  @ApiPropertyOptional({
    description:
      'ISO-8601; default now. A late activity counts on its own day; not before 1970 nor more than a year ahead (a meeting may be logged when it is booked).',
  })
  @IsOptional()
  @IsTimestamp()
  occurredAt?: string;
  // a call or meeting of more than a day is a typo (ms for s), and 2^31-1 s (68 years) summed into talk time
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_ACTIVITY_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ACTIVITY_SECONDS)
  durationSeconds?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) note?: string;
}

export class StatusChangeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: LEAD_STATUSES, nullable: true, type: String }) from!: string | null;
  @ApiProperty({ enum: LEAD_STATUSES }) to!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ description: 'user id, or integration:<id> for a provider event' }) by!: string;
  @ApiProperty() origin!: string;
}

export class ManualSourceDto {
  @ApiProperty({ enum: ['manual'] }) @IsIn(['manual']) platform!: 'manual';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) campaignName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) adGroupId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) adGroupName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) adId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) adName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) formId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) formName?: string;
}

export class CreateLeadDto {
  @ApiProperty() @IsIntId() subAccountId!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(300) fullName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(300) company?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(300) jobTitle?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) city?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) region?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) postalCode?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) country?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @ArrayMaxSize(100)
  tags?: string[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  customAnswers?: Record<string, string>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() isTest?: boolean;
  @ApiPropertyOptional({ type: ManualSourceDto })
  @IsOptional()
  // ValidateNested alone checks each element of an array, which was then read as { "0": … }: its campaign lost
  @IsObject()
  @ValidateNested()
  @Type(() => ManualSourceDto)
  source?: ManualSourceDto;
}
