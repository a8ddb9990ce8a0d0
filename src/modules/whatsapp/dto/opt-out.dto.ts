import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export class ListOptOutsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @QueryInteger()
  @IsIntId()
  subAccountId?: number;
}

export class CreateOptOutDto {
  @ApiProperty()
  @IsIntId()
  subAccountId!: number;

  @ApiPropertyOptional({ description: 'E.164 or national (read in the sub-account region)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  @ApiPropertyOptional({ description: 'WhatsApp id (digits)' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6,20}$/)
  waId?: string;

  @ApiProperty({ enum: ['marketing', 'all'] })
  @IsIn(['marketing', 'all'])
  scope!: 'marketing' | 'all';
}

export class OptOutDto {
  @ApiProperty() id!: string;
  @ApiProperty() subAccountId!: number;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ nullable: true, type: String }) waId!: string | null;
  @ApiProperty({ enum: ['marketing', 'all'] }) scope!: 'marketing' | 'all';
  @ApiProperty({ enum: ['keyword', 'user_preferences', 'error_131050', 'manual'] })
  source!: 'keyword' | 'user_preferences' | 'error_131050' | 'manual';
  @ApiProperty() createdAt!: string;
}
