import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class FreeSlotsQueryDto {
  @ApiProperty({ description: 'ISO-8601 date or epoch milliseconds' }) @IsString() @IsNotEmpty() startDate!: string;
  @ApiProperty({ description: 'ISO-8601 date or epoch milliseconds' }) @IsString() @IsNotEmpty() endDate!: string;
  @ApiPropertyOptional({ example: 'America/New_York' }) @IsOptional() @IsString() @MaxLength(64) timezone?: string;
}

export class BlockSlotDto {
  @ApiProperty() @IsString() @IsNotEmpty() startTime!: string;
  @ApiProperty() @IsString() @IsNotEmpty() endTime!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) title!: string;
}

export class PushContactDto {
  @ApiProperty({ description: 'The lead to upsert as a GoHighLevel contact' }) @Matches(/^\d{1,18}$/) leadId!: string;
}

export class PushedContactDto {
  @ApiProperty() contactId!: string;
  @ApiProperty() created!: boolean;
}

/** A GoHighLevel calendar of the integration's location (GET /calendars/, as ghl-api.ts projects it). */
export class GhlCalendarDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional({ example: 'round_robin' }) calendarType?: string;
  @ApiPropertyOptional() groupId?: string;
  @ApiPropertyOptional() isActive?: boolean;
}

/** The free slots of one day, in the calendar's (or the requested) time zone. */
export class GhlDaySlotsDto {
  @ApiProperty({ example: '2026-01-02', description: 'YYYY-MM-DD' }) date!: string;
  @ApiProperty({ type: [String], example: ['2026-01-02T10:00:00-05:00'] }) slots!: string[];
}

/** The block slot GoHighLevel created. */
export class GhlBlockedSlotDto {
  @ApiProperty() id!: string;
  @ApiPropertyOptional() calendarId?: string;
  @ApiPropertyOptional() title?: string;
  @ApiPropertyOptional() startTime?: string;
  @ApiPropertyOptional() endTime?: string;
}
