import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type {
  Booking,
  Lead,
  LeadActivity,
  LeadInteraction,
  LeadSource,
  LeadStatus,
  Prisma,
} from '../../generated/prisma/client';
import { likeLiteral } from '../../database/like-literal';
import { nationalPhonesOf, phoneSearch } from '../../database/phone-search';
import { foldName } from '../../database/name-fold';

export type LeadRow = Lead;
export type LeadSourceRow = LeadSource;
export type LeadInteractionRow = LeadInteraction;
export type BookingRow = Booking;
export type LeadDetailRow = LeadRow & {
  sources: LeadSourceRow[];
  interactions: LeadInteractionRow[];
  bookings: BookingRow[];
  activities: LeadActivity[];
};

export interface LeadFilter {
  platform?: string;
  status?: LeadStatus;
  q?: string;
  createdFrom?: Date;
  createdTo?: Date;
  minScore?: number;
}

export type LeadOrder = 'createdAt' | '-createdAt' | 'score' | '-score';

/** The interactions and activities a lead's detail shows: its latest ones. */
const TIMELINE_LIMIT = 500;

// ids follow creation order: the tie-breaker that keeps pages stable
const ORDERS: Record<LeadOrder, Prisma.LeadOrderByWithRelationInput[]> = {
  createdAt: [{ createdAt: 'asc' }, { id: 'asc' }],
  '-createdAt': [{ createdAt: 'desc' }, { id: 'desc' }],
  score: [{ score: 'asc' }, { id: 'asc' }],
  '-score': [{ score: 'desc' }, { id: 'desc' }],
};

/** Lead reads; every query takes the caller's sub-account scope. */
@Injectable()
export class LeadsRepository {
  constructor(private readonly db: Db) {}

  async subAccountExists(id: number): Promise<boolean> {
    return (await this.db.prisma.subAccount.count({ where: { id } })) > 0;
  }

  /** The sub-account's IANA time zone (its calendar), or null when it does not exist. */
  async timezoneOf(id: number): Promise<string | null> {
    return (
      (await this.db.prisma.subAccount.findUnique({ where: { id }, select: { timezone: true } }))?.timezone ?? null
    );
  }

  async list(
    scope: SubAccountScope,
    filter: LeadFilter,
    page: PageRequest,
    order: LeadOrder = '-createdAt',
  ): Promise<{ rows: LeadRow[]; total: number }> {
    // what a person typed, without the spaces a paste brings along (" ana " finds Ana)
    const q = filter.q?.trim();
    const nationalPhones = await nationalPhonesOf(this.db, scope, q);
    const where: Prisma.LeadWhereInput = {
      ...scopeWhere(scope),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.minScore !== undefined ? { score: { gte: filter.minScore } } : {}),
      ...(filter.platform ? { sources: { some: { platform: filter.platform } } } : {}),
      ...(filter.createdFrom || filter.createdTo
        ? {
            createdAt: {
              ...(filter.createdFrom ? { gte: filter.createdFrom } : {}),
              ...(filter.createdTo ? { lte: filter.createdTo } : {}),
            },
          }
        : {}),
      ...(q
        ? {
            OR: [
              // "jose" finds José, "josé" finds Jose: both sides folded (name-fold.ts), then case-insensitive
              { fullNameFolded: { contains: likeLiteral(foldName(q) || q), mode: 'insensitive' } },
              { email: { contains: likeLiteral(q.toLowerCase()) } },
              { phone: { contains: likeLiteral(phoneSearch(q)) } },
              ...nationalPhones.map((phone) => ({ phone: { contains: phone } })),
            ],
          }
        : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.lead.findMany({ where, orderBy: ORDERS[order], ...page }),
      this.db.prisma.lead.count({ where }),
    ]);
    return { rows, total };
  }

  /**
   * One query after another rather than one `include`: a manual lead's create reads its detail inside
   * its transaction (its Idempotency-Key answer), where every query shares one connection, and Prisma's
   * adapter-pg sends an include's relation queries at once on it (deprecated by pg 8, an error in pg 9).
   */
  async findDetail(scope: SubAccountScope, id: bigint): Promise<LeadDetailRow | null> {
    const prisma = this.db.prisma;
    const lead = await prisma.lead.findFirst({ where: { id, ...scopeWhere(scope) } });
    if (!lead) return null;
    const where = { leadId: lead.id };
    const sources = await prisma.leadSource.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    // the newest 500 of a long timeline, shown oldest first: the oldest 500 hid every message and call after them
    const interactions = await prisma.leadInteraction.findMany({
      where,
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: TIMELINE_LIMIT,
    });
    const bookings = await prisma.booking.findMany({ where, orderBy: { startTime: 'asc' } });
    const activities = await prisma.leadActivity.findMany({
      where,
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: TIMELINE_LIMIT,
    });
    return { ...lead, sources, interactions: interactions.reverse(), bookings, activities: activities.reverse() };
  }

  find(scope: SubAccountScope, id: bigint): Promise<LeadRow | null> {
    return this.db.prisma.lead.findFirst({ where: { id, ...scopeWhere(scope) } });
  }
}
