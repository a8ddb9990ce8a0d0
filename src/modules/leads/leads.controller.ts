import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import type { Booking, Lead, LeadInteraction, LeadSource } from '../../generated/prisma/client';
import { BookingDto, InteractionDto, LeadDetailDto, LeadDto, LeadSourceDto, ListLeadsQueryDto } from './dto/lead.dto';
import { LeadsRepository } from './leads.repository';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function toLeadDto(l: Lead): LeadDto {
  return {
    id: l.id.toString(),
    subAccountId: l.subAccountId,
    fullName: l.fullName,
    firstName: l.firstName,
    lastName: l.lastName,
    email: l.email,
    phone: l.phone,
    phoneValid: l.phoneValid,
    company: l.company,
    jobTitle: l.jobTitle,
    city: l.city,
    region: l.region,
    postalCode: l.postalCode,
    country: l.country,
    tags: l.tags,
    customAnswers: l.customAnswers,
    status: l.status,
    pipelineStage: l.pipelineStage ?? null,
    isTest: l.isTest,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

function toSourceDto(s: LeadSource): LeadSourceDto {
  return {
    id: s.id.toString(),
    platform: s.platform,
    integrationId: s.integrationId,
    externalId: s.externalId,
    campaignId: s.campaignId,
    campaignName: s.campaignName,
    adGroupId: s.adGroupId,
    adGroupName: s.adGroupName,
    adId: s.adId,
    adName: s.adName,
    formId: s.formId,
    formName: s.formName,
    creativeId: s.creativeId,
    assetGroupId: s.assetGroupId,
    gclid: s.gclid,
    isOrganic: s.isOrganic,
    leadStage: s.leadStage,
    cost: s.cost === null ? null : Number(s.cost),
    currency: s.currency,
    isTest: s.isTest,
    submittedAt: iso(s.submittedAt),
    details: s.details ?? null,
    deletedAt: iso(s.deletedAt),
    createdAt: s.createdAt.toISOString(),
  };
}

const toInteractionDto = (i: LeadInteraction): InteractionDto => ({
  id: i.id.toString(),
  platform: i.platform,
  channel: i.channel,
  direction: i.direction,
  body: i.body,
  occurredAt: i.occurredAt.toISOString(),
});

const toBookingDto = (b: Booking): BookingDto => ({
  id: b.id.toString(),
  platform: b.platform,
  externalBookingId: b.externalBookingId,
  calendarId: b.calendarId,
  title: b.title,
  startTime: iso(b.startTime),
  endTime: iso(b.endTime),
  status: b.status,
});

@ApiTags('leads')
@ApiBearerAuth()
@Controller('leads')
export class LeadsController {
  constructor(private readonly repository: LeadsRepository) {}

  @Get()
  async list(@CurrentUser() user: AuthUser, @Query() query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    const { skip, take } = skipTake(query);
    const { rows, total } = await this.repository.list(
      listScope(user, query.subAccountId),
      {
        platform: query.source,
        status: query.status,
        q: query.q,
        createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
        createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      },
      skip,
      take,
    );
    return toPage(rows.map(toLeadDto), total, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: LeadDetailDto })
  async get(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<LeadDetailDto> {
    if (!/^\d{1,18}$/.test(id)) throw DomainException.notFound('Lead');
    const row = await this.repository.findDetail(scopeOf(user), BigInt(id));
    if (!row) throw DomainException.notFound('Lead');
    const live = row.sources.filter((s) => s.deletedAt === null);
    return {
      ...toLeadDto(row),
      sourceTracking: {
        firstTouch: live.length ? toSourceDto(live[0]) : null,
        latestTouch: live.length ? toSourceDto(live[live.length - 1]) : null,
        sources: row.sources.map(toSourceDto),
      },
      interactions: row.interactions.map(toInteractionDto),
      bookings: row.bookings.map(toBookingDto),
    };
  }
}
