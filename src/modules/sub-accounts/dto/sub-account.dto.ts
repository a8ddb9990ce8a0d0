import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const TIERS = ['STARTER', 'PRO', 'MAX'] as const;
export type TierName = (typeof TIERS)[number];

export class CreateSubAccountDto {
  @ApiProperty({ example: 'Acme Dental — Downtown' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ enum: TIERS, default: 'STARTER' })
  @IsOptional()
  @IsIn(TIERS)
  tier?: TierName;

  @ApiPropertyOptional({
    description: 'ISO 3166-1 alpha-2 region for national phone numbers',
    example: 'US',
    default: 'US',
  })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'defaultRegion must be an ISO 3166-1 alpha-2 code such as US or GB' })
  defaultRegion?: string;
}

export class UpdateSubAccountDto extends PartialType(CreateSubAccountDto) {}

export class SubAccountDto {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: TIERS }) tier!: TierName;
  @ApiProperty() defaultRegion!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
