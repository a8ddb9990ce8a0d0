import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js';
import { IsOptionalNotNull } from '../../../common/http/optional-not-null.decorator';

export const FUNNEL_STATUSES = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'] as const;

/**
 * A region national phone numbers can be read in: two capitals that libphonenumber has a numbering plan
 * for. `ZZ` or `XX` (no country) passed the pattern alone, and then no national number of the
 * sub-account's leads was ever valid: stored as typed, never matched by phone.
 */
const IsPhoneRegion = (): PropertyDecorator =>
  ValidateBy({
    name: 'isPhoneRegion',
    validator: {
      validate: (value: unknown): boolean => typeof value === 'string' && isSupportedCountry(value),
      defaultMessage: () => 'defaultRegion must be a country with a telephone numbering plan, such as US or GB',
    },
  });

export const TIERS = ['STARTER', 'PRO', 'MAX'] as const;
export type TierName = (typeof TIERS)[number];

export class CreateSubAccountDto {
  @ApiProperty({ example: 'Acme Dental — Downtown' })
  @IsString()
  @IsNotEmpty()
  // a name of spaces is no name: no one could pick the sub-account out in the CRM
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ enum: TIERS, default: 'STARTER' })
  @IsOptionalNotNull()
  @IsIn(TIERS)
  tier?: TierName;

  @ApiPropertyOptional({
    description: 'ISO 3166-1 alpha-2 region for national phone numbers',
    example: 'US',
    default: 'US',
  })
  @IsOptionalNotNull()
  @Matches(/^[A-Z]{2}$/, { message: 'defaultRegion must be an ISO 3166-1 alpha-2 code such as US or GB' })
  @IsPhoneRegion()
  defaultRegion?: string;
}

// every field may be left out; null only where it means something (scoreWeights: back to the defaults)
export class UpdateSubAccountDto extends PartialType(CreateSubAccountDto, { skipNullProperties: false }) {
  @ApiPropertyOptional({
    description:
      'IANA time zone of the sub-account’s calendar (analytics buckets, report periods); a change rebuilds its analytics',
    example: 'America/Sao_Paulo',
    default: 'UTC',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({
    description: 'ordered, distinct statuses of the funnel (at least two)',
    enum: FUNNEL_STATUSES,
    isArray: true,
    default: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'],
  })
  @IsOptional()
  // without it a string answered only "must contain at least 2 elements", never that a list is expected
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(5)
  @IsIn(FUNNEL_STATUSES, { each: true })
  funnelStages?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'lead score weights overriding the defaults: { source: { <platform>|default: n }, stage: { <status>: n }, answeredCall, maxAnsweredCalls, whatsappReply, maxWhatsappReplies, recency (points of a lead whose latest fact is now), recencyHalfLifeDays (they halve every so many days) }',
  })
  @IsOptional()
  @IsObject()
  scoreWeights?: Record<string, unknown>;
}

export class SubAccountDto {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: TIERS }) tier!: TierName;
  @ApiProperty() defaultRegion!: string;
  @ApiProperty({ example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ type: [String] }) funnelStages!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) scoreWeights!: unknown;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
