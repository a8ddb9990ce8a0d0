import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IsIntId, QueryInteger } from '../../../common/http/int-id.decorator';

export class WhatsAppAnalyticsQueryDto {
  @ApiProperty()
  @QueryInteger()
  @IsIntId()
  subAccountId!: number;

  @ApiPropertyOptional({
    description:
      "YYYY-MM-DD (a day in the sub-account's time zone) or ISO instant with offset; default 29 days before today",
  })
  @IsOptional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({
    description: 'YYYY-MM-DD (the whole local day included) or ISO instant with offset; default today',
  })
  @IsOptional()
  @IsString()
  to?: string;
}

export class TemplateStatsDto {
  @ApiProperty({ nullable: true, type: String }) templateId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty() sent!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty() read!: number;
  @ApiProperty() failed!: number;
}

export class PricingCategoryStatsDto {
  @ApiProperty() marketing!: number;
  @ApiProperty() utility!: number;
  @ApiProperty() authentication!: number;
  @ApiProperty() service!: number;
}

export class WhatsAppAnalyticsDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ description: 'Outbound messages Meta accepted (sent, delivered, read)' }) sent!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty() read!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() deliveryRate!: number;
  @ApiProperty() readRate!: number;
  @ApiProperty() inbound!: number;
  @ApiProperty() conversations!: number;
  @ApiProperty() linkedConversations!: number;
  @ApiProperty({ description: 'Conversations whose contact became a lead through capture-lead ÷ conversations' })
  conversationToLeadRate!: number;
  @ApiProperty() optOuts!: number;
  @ApiProperty({ type: [TemplateStatsDto] }) byTemplate!: TemplateStatsDto[];
  @ApiProperty({ type: PricingCategoryStatsDto }) byPricingCategory!: PricingCategoryStatsDto;
}
