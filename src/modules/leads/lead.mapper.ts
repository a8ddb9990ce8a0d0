import { FLAT_TOUCH_FIELDS } from './dto/lead.dto';
import type {
  ActivityDto,
  BookingDto,
  FlatTouch,
  InteractionDto,
  LeadDetailDto,
  LeadDto,
  LeadSourceDto,
} from './dto/lead.dto';
import type { LeadActivityRow } from './lead-facts.repository';
import type { BookingRow, LeadDetailRow, LeadInteractionRow, LeadRow, LeadSourceRow } from './leads.repository';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function toLeadDto(l: LeadRow): LeadDto {
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
    assignedUserId: l.assignedUserId,
    assignedUserName: l.assignedUserName,
    score: l.score,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

export function toSourceDto(s: LeadSourceRow): LeadSourceDto {
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

export const toInteractionDto = (i: LeadInteractionRow): InteractionDto => ({
  id: i.id.toString(),
  platform: i.platform,
  channel: i.channel,
  direction: i.direction,
  body: i.body,
  occurredAt: i.occurredAt.toISOString(),
});

export const toActivityDto = (a: LeadActivityRow): ActivityDto => ({
  id: a.id.toString(),
  leadId: a.leadId.toString(),
  type: a.type,
  outcome: a.outcome,
  userId: a.userId,
  userName: a.userName,
  occurredAt: a.occurredAt.toISOString(),
  durationSeconds: a.durationSeconds,
  note: a.note,
  createdBy: a.createdBy,
  createdAt: a.createdAt.toISOString(),
});

export const toBookingDto = (b: BookingRow): BookingDto => ({
  id: b.id.toString(),
  platform: b.platform,
  externalBookingId: b.externalBookingId,
  calendarId: b.calendarId,
  title: b.title,
  startTime: iso(b.startTime),
  endTime: iso(b.endTime),
  status: b.status,
});

function flatTouch(touch: LeadSourceDto | null): FlatTouch {
  return Object.fromEntries(FLAT_TOUCH_FIELDS.map((field) => [field, touch ? touch[field] : null])) as FlatTouch;
}

/** A lead with its touches: first and latest among the live ones, every one listed (deleted ones too). */
export function toLeadDetailDto(row: LeadDetailRow): LeadDetailDto {
  const live = row.sources.filter((s) => s.deletedAt === null);
  const first = live.length ? toSourceDto(live[0]) : null;
  return {
    ...toLeadDto(row),
    sourceTracking: {
      ...flatTouch(first),
      firstTouch: first,
      latestTouch: live.length ? toSourceDto(live[live.length - 1]) : null,
      sources: row.sources.map(toSourceDto),
    },
    interactions: row.interactions.map(toInteractionDto),
    bookings: row.bookings.map(toBookingDto),
    activities: row.activities.map(toActivityDto),
  };
}
