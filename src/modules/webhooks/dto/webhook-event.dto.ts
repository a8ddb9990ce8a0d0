import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';

export const EVENT_STATUSES = ['PENDING', 'PROCESSING', 'PROCESSED', 'FAILED'] as const;

export class EventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EVENT_STATUSES })
  @IsOptional()
  // API.md names the statuses in upper case (PENDING → PROCESSING → PROCESSED | FAILED); `?status=failed`
  // means the same filter, as SnapshotsQueryDto's `period` does, rather than a 400. ASCII letters only:
  // toUpperCase also maps "ı" and "ſ" to I and S, and "pendıng" is no spelling of PENDING
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^[A-Za-z]+$/.test(value) ? value.toUpperCase() : value,
  )
  @IsIn(EVENT_STATUSES)
  status?: (typeof EVENT_STATUSES)[number];
}

export class WebhookEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() provider!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty({ enum: EVENT_STATUSES }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) processedAt!: string | null;
}

export class ReplayedEventDto {
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: ['PENDING'] }) status!: 'PENDING';
}

export class ReplayedFailedEventsDto {
  @ApiProperty({ description: 'FAILED events put back to PENDING, each with a new processing job' })
  replayed!: number;
  @ApiProperty({ description: 'FAILED events left for another call (one call replays at most 50,000)' })
  remaining!: number;
}

export class IntegrationHealthDto {
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) lastSyncAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSyncStatus!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastWebhookAt!: string | null;
  @ApiProperty({ example: { received: 10, processed: 9, failed: 1, rejected: 0 } }) webhooks24h!: {
    received: number;
    processed: number;
    failed: number;
    rejected: number;
  };
  @ApiProperty() pendingJobs!: number;
  @ApiProperty({ example: { remaining: 97, resetAt: null } }) rateLimit!: {
    remaining: number | null;
    resetAt: string | null;
  };
}
