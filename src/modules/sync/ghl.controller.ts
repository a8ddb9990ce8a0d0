import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { OutboundError } from '../../common/outbound/http-client';
import { GoHighLevelHandler } from '../../handlers/gohighlevel/gohighlevel.handler';
import type { HandlerContext } from '../../handlers/integration-handler';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationsService } from '../integrations/integrations.service';
import { LeadsService } from '../leads/leads.service';

class FreeSlotsQueryDto {
  @ApiProperty({ description: 'ISO-8601 date or epoch milliseconds' }) @IsString() @IsNotEmpty() startDate!: string;
  @ApiProperty({ description: 'ISO-8601 date or epoch milliseconds' }) @IsString() @IsNotEmpty() endDate!: string;
  @ApiPropertyOptional({ example: 'America/New_York' }) @IsOptional() @IsString() @MaxLength(64) timezone?: string;
}

class BlockSlotDto {
  @ApiProperty() @IsString() @IsNotEmpty() startTime!: string;
  @ApiProperty() @IsString() @IsNotEmpty() endTime!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) title!: string;
}

class PushContactDto {
  @ApiProperty({ description: 'The lead to upsert as a GoHighLevel contact' }) @Matches(/^\d{1,18}$/) leadId!: string;
}

/** The CRM's booking screens and lead push, passed through to GoHighLevel with the integration's token. */
@ApiTags('gohighlevel')
@ApiBearerAuth()
@Controller('integrations/:id/ghl')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class GhlController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly contexts: HandlerContextFactory,
    private readonly leads: LeadsService,
  ) {}

  @Get('calendars')
  async calendars(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<unknown> {
    const { handler, ctx } = await this.ghl(user, id);
    return this.call(() => handler.listCalendars(ctx));
  }

  @Get('calendars/:calendarId/free-slots')
  async freeSlots(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId') calendarId: string,
    @Query() q: FreeSlotsQueryDto,
  ): Promise<unknown> {
    const { handler, ctx } = await this.ghl(user, id);
    const asInput = (v: string): string | number => (/^\d+$/.test(v) ? Number(v) : v);
    return this.call(() => handler.freeSlots(ctx, calendarId, asInput(q.startDate), asInput(q.endDate), q.timezone));
  }

  @Post('calendars/:calendarId/block-slots')
  async blockSlot(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId') calendarId: string,
    @Body() dto: BlockSlotDto,
  ): Promise<unknown> {
    const { handler, ctx } = await this.ghl(user, id);
    return this.call(() => handler.blockSlot(ctx, calendarId, dto));
  }

  @Post('contacts')
  async pushContact(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: PushContactDto,
  ): Promise<{ contactId: string; created: boolean }> {
    const { handler, ctx } = await this.ghl(user, id);
    const lead = await this.leads.forPush(ctx.subAccountId, BigInt(dto.leadId));
    if (!lead) throw DomainException.notFound('Lead');
    const result = await this.call(() =>
      handler.upsertContact(ctx, {
        firstName: lead.firstName ?? undefined,
        lastName: lead.lastName ?? undefined,
        name: lead.fullName ?? undefined,
        email: lead.email ?? undefined,
        phone: lead.phoneValid ? (lead.phone ?? undefined) : undefined,
        companyName: lead.company ?? undefined,
        tags: lead.tags,
        source: 'integration-hub',
      }),
    );
    // later GoHighLevel webhooks about this contact now match the lead
    await this.leads.linkExternal(ctx.subAccountId, lead.id, 'gohighlevel', result.contactId);
    return result;
  }

  private async ghl(user: AuthUser, id: number): Promise<{ handler: GoHighLevelHandler; ctx: HandlerContext }> {
    const row = await this.integrations.find(user, id);
    const { handler, ctx } = this.contexts.build(row);
    if (!(handler instanceof GoHighLevelHandler)) throw DomainException.notFound('GoHighLevel integration');
    return { handler, ctx };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RangeError) throw DomainException.validation(err.message);
      if (err instanceof OutboundError) {
        if (err.kind === 'auth')
          throw new DomainException(ErrorCode.INVALID_CREDENTIALS, `GoHighLevel refused the token: ${err.message}`);
        if (err.kind === 'client') throw DomainException.validation(`GoHighLevel refused the request: ${err.message}`);
        throw new DomainException(ErrorCode.CONNECTION_FAILED, `GoHighLevel is unavailable: ${err.message}`);
      }
      throw err;
    }
  }
}
