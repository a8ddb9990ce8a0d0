import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsTimestamp } from '../../../common/http/date-range';
import { PageQueryDto } from '../../../common/http/pagination';
import { discoverProviders, LEAD_PLATFORMS } from '../../../handlers/providers';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export const LEAD_STATUSES = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'] as const;
export const LEAD_SORTS = ['createdAt', '-createdAt', 'score', '-score'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];
/** The registered providers' lead platforms (src/handlers/<provider>/provider.ts), and leads a person entered. */
export const PLATFORMS: readonly string[] = [...LEAD_PLATFORMS, 'manual'];

/**
 * Handler key → its lead platform (`google-ads-lead-forms` → `google-ads`). API.md names providers only
 * by their handler key (the `:provider` of the webhook URLs), so a client filters the leads list with it
 * as readily as with the platform a lead shows in `sourceTracking.platform`: both select the same leads.
 */
const PLATFORM_OF_HANDLER_KEY: ReadonlyMap<string, string> = new Map(
  discoverProviders().flatMap((definition) =>
    definition.platform === undefined ? [] : [[new definition.handler().key, definition.platform] as const],
  ),
);

/** The platform a `source` filter names: a handler key becomes its platform; anything else is left to @IsIn. */
export function sourcePlatform(value: unknown): unknown {
  return typeof value === 'string' ? (PLATFORM_OF_HANDLER_KEY.get(value) ?? value) : value;
}

export class ListLeadsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @QueryInteger() @IsIntId() subAccountId?: number;
  // Validated against the registry (@IsIn) but documented as a plain string: an enum here would put the
  // provider folders into openapi.json, and adding a provider folder must not change the API document.
  @ApiPropertyOptional({
    type: String,
    example: 'meta',
    description:
      "Leads with at least one touch from this platform: `manual` or a registered provider's lead platform " +
      '(meta, google-ads, linkedin, gohighlevel, whatsapp, messenger, instagram, generic at the time of writing); ' +
      'an unknown platform answers 400',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => sourcePlatform(value))
  @IsIn(PLATFORMS)
  source?: string;
  @ApiPropertyOptional({ enum: LEAD_STATUSES })
  @IsOptional()
  @IsIn(LEAD_STATUSES)
  status?: (typeof LEAD_STATUSES)[number];
  @ApiPropertyOptional({ description: 'Searches name, e-mail and phone' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
  @ApiPropertyOptional({
    description:
      "A timestamp, or a date (YYYY-MM-DD) from the start of that day in the sub-account's time zone (UTC without subAccountId)",
  })
  @IsOptional()
  @IsTimestamp()
  createdFrom?: string;
  @ApiPropertyOptional({
    description:
      "Inclusive: a timestamp, or a date (YYYY-MM-DD) for the whole of that day in the sub-account's time zone (UTC without subAccountId)",
  })
  @IsOptional()
  @IsTimestamp()
  createdTo?: string;
  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(100)
  minScore?: number;
  @ApiPropertyOptional({ enum: LEAD_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn(LEAD_SORTS)
  sort?: LeadSort;
}

export class LeadSourceDto {
  @ApiProperty() id!: string;
  @ApiProperty() platform!: string;
  @ApiProperty({ nullable: true, type: Number }) integrationId!: number | null;
  @ApiProperty() externalId!: string;
  @ApiProperty({ nullable: true, type: String }) campaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) campaignName!: string | null;
  @ApiProperty({ nullable: true, type: String }) adGroupId!: string | null;
  @ApiProperty({ nullable: true, type: String }) adGroupName!: string | null;
  @ApiProperty({ nullable: true, type: String }) adId!: string | null;
  @ApiProperty({ nullable: true, type: String }) adName!: string | null;
  @ApiProperty({ nullable: true, type: String }) formId!: string | null;
  @ApiProperty({ nullable: true, type: String }) formName!: string | null;
  @ApiProperty({ nullable: true, type: String }) creativeId!: string | null;
  @ApiProperty({ nullable: true, type: String }) assetGroupId!: string | null;
  @ApiProperty({ nullable: true, type: String }) gclid!: string | null;
  @ApiProperty({ nullable: true, type: Boolean }) isOrganic!: boolean | null;
  @ApiProperty({ nullable: true, type: String }) leadStage!: string | null;
  @ApiProperty({ nullable: true, type: Number }) cost!: number | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty() isTest!: boolean;
  @ApiProperty({ nullable: true, type: String }) submittedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      'Attribution beyond the columns above (UTM / hidden fields, Meta platform fb|ig and partner, WhatsApp ctwa_clid and referral) and `consents` given with this touch',
  })
  details!: unknown;
  @ApiProperty({ nullable: true, type: String }) deletedAt!: string | null;
  @ApiProperty() createdAt!: string;
}

export class LeadDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty({ nullable: true, type: String }) fullName!: string | null;
  @ApiProperty({ nullable: true, type: String }) firstName!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastName!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ description: 'false when the phone could not be read as a number (kept as given)' })
  phoneValid!: boolean;
  @ApiProperty({ nullable: true, type: String }) company!: string | null;
  @ApiProperty({ nullable: true, type: String }) jobTitle!: string | null;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty({ nullable: true, type: String }) region!: string | null;
  @ApiProperty({ nullable: true, type: String }) postalCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) country!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) customAnswers!: unknown;
  @ApiProperty({ enum: LEAD_STATUSES }) status!: string;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      "Where the CRM's pipeline has the lead: { platform, opportunityId, pipelineId, pipelineName?, stageId, stageName?, opportunityStatus?, changedAt }",
  })
  pipelineStage!: unknown;
  @ApiProperty() isTest!: boolean;
  @ApiProperty({ nullable: true, type: String }) assignedUserId!: string | null;
  @ApiProperty({ nullable: true, type: String }) assignedUserName!: string | null;
  @ApiProperty({ minimum: 0, maximum: 100, description: "0-100 from the lead's facts with the sub-account's weights" })
  score!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

/** The touch API.md's `sourceTracking` names field by field: the lead's original (first live) source. */
export const FLAT_TOUCH_FIELDS = [
  'platform',
  'integrationId',
  'externalId',
  'campaignId',
  'campaignName',
  'adGroupId',
  'adGroupName',
  'adId',
  'adName',
  'formId',
  'formName',
  'cost',
  'currency',
] as const;
export type FlatTouch = { [K in (typeof FLAT_TOUCH_FIELDS)[number]]: LeadSourceDto[K] | null };

export class SourceTrackingDto implements FlatTouch {
  // API.md "Leads": sourceTracking (platform, integrationId, externalId, campaign, ad group, ad, form,
  // cost) — the first touch's, null when the lead has no live source; every touch is in `sources`
  @ApiProperty({ nullable: true, type: String, description: "The first touch's platform" }) platform!: string | null;
  @ApiProperty({ nullable: true, type: Number }) integrationId!: number | null;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ nullable: true, type: String }) campaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) campaignName!: string | null;
  @ApiProperty({ nullable: true, type: String }) adGroupId!: string | null;
  @ApiProperty({ nullable: true, type: String }) adGroupName!: string | null;
  @ApiProperty({ nullable: true, type: String }) adId!: string | null;
  @ApiProperty({ nullable: true, type: String }) adName!: string | null;
  @ApiProperty({ nullable: true, type: String }) formId!: string | null;
  @ApiProperty({ nullable: true, type: String }) formName!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      "The first touch's attributed cost (the campaign's spend that day ÷ its leads that day), null when unknown",
  })
  cost!: number | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty({ type: LeadSourceDto, nullable: true }) firstTouch!: LeadSourceDto | null;
  @ApiProperty({ type: LeadSourceDto, nullable: true }) latestTouch!: LeadSourceDto | null;
  @ApiProperty({ type: [LeadSourceDto] }) sources!: LeadSourceDto[];
}

export class InteractionDto {
  @ApiProperty() id!: string;
  @ApiProperty() platform!: string;
  @ApiProperty() channel!: string;
  @ApiProperty() direction!: string;
  @ApiProperty({ nullable: true, type: String }) body!: string | null;
  @ApiProperty() occurredAt!: string;
}

export class BookingDto {
  @ApiProperty() id!: string;
  @ApiProperty() platform!: string;
  @ApiProperty() externalBookingId!: string;
  @ApiProperty({ nullable: true, type: String }) calendarId!: string | null;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty({ nullable: true, type: String }) startTime!: string | null;
  @ApiProperty({ nullable: true, type: String }) endTime!: string | null;
  @ApiProperty({ nullable: true, type: String }) status!: string | null;
}

export const ACTIVITY_TYPES = ['CALL', 'EMAIL', 'MEETING', 'NOTE', 'WHATSAPP'] as const;
export const ACTIVITY_OUTCOMES = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'FAILED'] as const;
export type ActivityTypeName = (typeof ACTIVITY_TYPES)[number];
export type ActivityOutcomeName = (typeof ACTIVITY_OUTCOMES)[number];

/** An activity the CRM reported (POST /api/leads/:id/activities). */
export class ActivityDto {
  @ApiProperty() id!: string;
  @ApiProperty() leadId!: string;
  @ApiProperty({ enum: ACTIVITY_TYPES }) type!: string;
  @ApiProperty({ enum: ACTIVITY_OUTCOMES, nullable: true, type: String }) outcome!: string | null;
  @ApiProperty() userId!: string;
  @ApiProperty({ nullable: true, type: String }) userName!: string | null;
  @ApiProperty() occurredAt!: string;
  @ApiProperty({ nullable: true, type: Number }) durationSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) note!: string | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: string;
}

export class LeadDetailDto extends LeadDto {
  @ApiProperty({ type: SourceTrackingDto }) sourceTracking!: SourceTrackingDto;
  @ApiProperty({
    type: [InteractionDto],
    description:
      "The lead's messages and other provider interactions, oldest first; the latest 500 when there are more",
  })
  interactions!: InteractionDto[];
  @ApiProperty({ type: [BookingDto] }) bookings!: BookingDto[];
  @ApiProperty({
    type: [ActivityDto],
    description:
      "The CRM's calls, e-mails, meetings, notes and WhatsApp work on the lead (POST …/activities), oldest first; the latest 500 when there are more",
  })
  activities!: ActivityDto[];
}
