import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ATTRIBUTION_MODELS, type AttributionModel } from '../compute/attribution';
import { GRANULARITIES, type Granularity } from '../time/buckets';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export const TIMESERIES_METRICS = ['newLeads', 'convertedLeads', 'lostLeads', 'spend', 'messagesSent'] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];
export const GROUP_BYS = ['source', 'status', 'campaign', 'integration'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const SNAPSHOT_PERIODS = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const;
export type SnapshotPeriod = (typeof SNAPSHOT_PERIODS)[number];

const BOUND = /^\d{4}-\d{2}-\d{2}(T.+)?$/;
const BOUND_MESSAGE = 'must be a local date YYYY-MM-DD or an ISO-8601 instant with its offset';

export class AnalyticsRangeQueryDto {
  @ApiProperty() @QueryInteger() @IsIntId() subAccountId!: number;
  @ApiPropertyOptional({
    description:
      'local date YYYY-MM-DD (inclusive) or ISO instant; default 29 days before today (the last 30 local days)',
    example: '2026-03-01',
  })
  @IsOptional()
  @IsString()
  @Matches(BOUND, { message: `from ${BOUND_MESSAGE}` })
  from?: string;
  @ApiPropertyOptional({
    description: 'local date YYYY-MM-DD (inclusive) or ISO instant; default today',
    example: '2026-03-31',
  })
  @IsOptional()
  @IsString()
  @Matches(BOUND, { message: `to ${BOUND_MESSAGE}` })
  to?: string;
}

export class OverviewQueryDto extends AnalyticsRangeQueryDto {
  @ApiPropertyOptional({ enum: ['previous'] }) @IsOptional() @IsIn(['previous']) compare?: 'previous';
}

export class TimeseriesQueryDto extends AnalyticsRangeQueryDto {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity: Granularity = 'day';
  @ApiPropertyOptional({ enum: TIMESERIES_METRICS, default: 'newLeads' })
  @IsOptional()
  @IsIn(TIMESERIES_METRICS)
  metric: TimeseriesMetric = 'newLeads';
  @ApiPropertyOptional({ enum: GROUP_BYS }) @IsOptional() @IsIn(GROUP_BYS) groupBy?: GroupBy;
}

export class FunnelQueryDto extends AnalyticsRangeQueryDto {
  @ApiPropertyOptional({ description: 'comma-separated statuses; default the sub-account’s funnelStages' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  stages?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) source?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
}

export class AttributionQueryDto extends AnalyticsRangeQueryDto {
  @ApiPropertyOptional({ enum: ATTRIBUTION_MODELS, default: 'last' })
  @IsOptional()
  @IsIn(ATTRIBUTION_MODELS)
  model: AttributionModel = 'last';
}

export class SnapshotsQueryDto extends AnalyticsRangeQueryDto {
  @ApiPropertyOptional({ enum: SNAPSHOT_PERIODS, default: 'DAILY' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(SNAPSHOT_PERIODS)
  period: SnapshotPeriod = 'DAILY';
}

export class RebuildDto {
  @ApiProperty() @IsIntId() subAccountId!: number;
  @ApiPropertyOptional({
    description: 'first local date, or an ISO instant (its local date); default: the first fact',
    example: '2026-03-01',
  })
  @IsOptional()
  @IsString()
  @Matches(BOUND, { message: `from ${BOUND_MESSAGE}` })
  from?: string;
  @ApiPropertyOptional({
    description: 'last local date, inclusive, or an ISO instant (exclusive end); default: the last fact',
    example: '2026-03-31',
  })
  @IsOptional()
  @IsString()
  @Matches(BOUND, { message: `to ${BOUND_MESSAGE}` })
  to?: string;
}

export class RebuildAcceptedDto {
  @ApiProperty() jobId!: string;
}

export class TotalsDto {
  @ApiProperty({ description: 'leads (not test) that exist at the end of the range' }) totalLeads!: number;
  @ApiProperty({ description: 'leads created in the range' }) newLeads!: number;
  @ApiProperty({ description: 'changes to CONVERTED in the range' }) convertedLeads!: number;
  @ApiProperty({ description: 'changes to LOST in the range' }) lostLeads!: number;
  @ApiProperty({ description: 'convertedLeads / newLeads (0 when no new leads)' }) conversionRate!: number;
}

export class SourceFiguresDto {
  @ApiProperty() platform!: string;
  @ApiProperty({ nullable: true, type: Number }) integrationId!: number | null;
  @ApiProperty() leads!: number;
  @ApiProperty() converted!: number;
  @ApiProperty() conversionRate!: number;
  @ApiProperty({ nullable: true, type: String, description: 'decimal string' }) spend!: string | null;
  @ApiProperty({ nullable: true, type: String }) costPerLead!: string | null;
  @ApiProperty({ nullable: true, type: String }) costPerConversion!: string | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
}

export class PreviousDto {
  @ApiProperty({ type: TotalsDto }) totals!: TotalsDto;
}

export class OverviewDto {
  @ApiProperty() timezone!: string;
  @ApiProperty({ type: TotalsDto }) totals!: TotalsDto;
  @ApiProperty({ type: [SourceFiguresDto] }) bySource!: SourceFiguresDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'leads per status at the end of the range',
  })
  byStatus!: Record<string, number>;
  @ApiPropertyOptional({ type: PreviousDto }) previous?: PreviousDto;
}

export class PointDto {
  @ApiProperty() bucket!: string;
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], description: 'a decimal string for spend' })
  value!: number | string;
}

export class SeriesDto {
  @ApiProperty() key!: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      'metric=spend only: the currency of its amounts (one series per currency; null when there is no spend)',
  })
  currency?: string | null;
  @ApiProperty({ type: [PointDto] }) points!: PointDto[];
}

export class TimeseriesDto {
  @ApiProperty() timezone!: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity!: Granularity;
  @ApiProperty({ type: [SeriesDto] }) series!: SeriesDto[];
}

export class FunnelStageDto {
  @ApiProperty() stage!: string;
  @ApiProperty() count!: number;
  @ApiProperty() percentage!: number;
  @ApiProperty() fromPrevious!: number;
  @ApiProperty() dropOff!: number;
  @ApiProperty() dropOffRate!: number;
}

export class FunnelDto {
  @ApiProperty({ type: [FunnelStageDto] }) stages!: FunnelStageDto[];
}

export class TeamMemberDto {
  @ApiProperty() userId!: string;
  @ApiProperty({ nullable: true, type: String }) userName!: string | null;
  @ApiProperty() leadsAssigned!: number;
  @ApiProperty() callsMade!: number;
  @ApiProperty() callsAnswered!: number;
  @ApiProperty() leadsConverted!: number;
  @ApiProperty({ description: 'leadsConverted / leadsAssigned (0 when none assigned)' }) conversionRate!: number;
}

export class AttributionRowDto {
  @ApiProperty() platform!: string;
  @ApiProperty({ nullable: true, type: String }) campaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) campaignName!: string | null;
  @ApiProperty({ description: 'may be fractional' }) conversions!: number;
  @ApiProperty({ nullable: true, type: String }) spend!: string | null;
  @ApiProperty({ nullable: true, type: String }) costPerConversion!: string | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
}

export class SnapshotMetricsDto {
  @ApiProperty() totalLeads!: number;
  @ApiProperty() newLeads!: number;
  @ApiProperty() convertedLeads!: number;
  @ApiProperty() lostLeads!: number;
  @ApiProperty() conversionRate!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'new leads per platform' })
  leadsBySource!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'leads per status at the end of the period (a stock, never summed over time)',
  })
  leadsByStatus!: Record<string, number>;
  @ApiProperty({ type: [TeamMemberDto] }) teamPerformance!: TeamMemberDto[];
}

export class SnapshotDto {
  @ApiProperty({ description: 'the bucket: YYYY-MM-DD, YYYY-Www, YYYY-MM, or an hour key' }) date!: string;
  @ApiProperty({ enum: SNAPSHOT_PERIODS }) period!: SnapshotPeriod;
  @ApiProperty({ type: SnapshotMetricsDto }) metrics!: SnapshotMetricsDto;
}
