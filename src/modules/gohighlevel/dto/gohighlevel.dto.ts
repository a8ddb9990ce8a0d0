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
