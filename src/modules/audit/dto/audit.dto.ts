import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @QueryInteger() @IsIntId() subAccountId?: number;
  @ApiPropertyOptional({ example: 'integration' }) @IsOptional() @IsString() @MaxLength(100) entity?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) entityId?: string;
}

export class AuditEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() actorSub!: string;
  @ApiProperty() actorRole!: string;
  @ApiProperty() action!: string;
  @ApiProperty() entity!: string;
  @ApiProperty() entityId!: string;
  @ApiProperty({ nullable: true, type: Number }) subAccountId!: number | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) changes!: unknown;
  @ApiProperty() createdAt!: string;
}
