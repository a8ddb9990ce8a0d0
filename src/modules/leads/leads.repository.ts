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
import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

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

// ids follow creation order: the tie-breaker that keeps pages stable
const ORDERS: Record<LeadOrder, Prisma.LeadOrderByWithRelationInput[]> = {
  createdAt: [{ createdAt: 'asc' }, { id: 'asc' }],
  '-createdAt': [{ createdAt: 'desc' }, { id: 'desc' }],
  score: [{ score: 'asc' }, { id: 'asc' }],
  '-score': [{ score: 'desc' }, { id: 'desc' }],
};

/**
 * What `q` looks for in the stored E.164 phone: the digits of a phone however it is written
 * ("(415) 555-0100"); any other text as it is, so that the digits of an e-mail or a name
 * ("bob77@example.com") do not match every lead whose phone holds them.
 */
function phoneSearch(q: string): string {
  return isPhoneLike(q) ? q.replace(/[^\d+]/g, '') : q;
}

const isPhoneLike = (q: string): boolean => /^[\d\s+().-]+$/.test(q) && /\d/.test(q);

/**
 * More of what a `q` that reads as a phone finds, as people write a number in their country: its digits after a
 * trunk or international prefix of zeros ("07911 123456", "0044 7911 …" hold +44 7911 123456's
 * "7911123456"), and the whole number read in each region searched ("8 912 345-67-89" is +79123456789
 * in RU). The E.164 stored holds neither prefix, so the digits alone found no such lead.
 */
function nationalPhoneSearches(q: string, regions: readonly string[]): string[] {
  const unprefixed = q.replace(/\D/g, '').replace(/^0+/, '');
  const whole = [undefined, ...regions].map((region) => {
    const parsed = parsePhoneNumberFromString(q, region as CountryCode | undefined);
    return parsed?.isValid() ? parsed.number : null;
  });
  const found = [unprefixed.length >= 4 && /^[\s(]*0/.test(q) ? unprefixed : null, ...whole];
  return [...new Set(found.filter((s): s is string => s !== null && s !== phoneSearch(q)))];
}

/** Lead reads; every query takes the caller's sub-account scope. */
@Injectable()
export class LeadsRepository {
  constructor(private readonly db: Db) {}

  async subAccountExists(id: number): Promise<boolean> {
    return (await this.db.prisma.subAccount.count({ where: { id } })) > 0;
  }

  async list(
    scope: SubAccountScope,
    filter: LeadFilter,
    page: PageRequest,
    order: LeadOrder = '-createdAt',
  ): Promise<{ rows: LeadRow[]; total: number }> {
    // what a person typed, without the spaces a paste brings along (" ana " finds Ana)
    const q = filter.q?.trim();
    const nationalPhones = q && isPhoneLike(q) ? nationalPhoneSearches(q, await this.regions(scope)) : [];
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
              { fullName: { contains: likeLiteral(q), mode: 'insensitive' } },
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

  /** The regions national phones are read in, of the sub-accounts a list searches. */
  private async regions(scope: SubAccountScope): Promise<string[]> {
    const rows = await this.db.prisma.subAccount.findMany({
      where: scopeWhere(scope, 'id'),
      select: { defaultRegion: true },
      distinct: ['defaultRegion'],
    });
    return rows.map((row) => row.defaultRegion);
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
    const interactions = await prisma.leadInteraction.findMany({
      where,
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      take: 500,
    });
    const bookings = await prisma.booking.findMany({ where, orderBy: { startTime: 'asc' } });
    const activities = await prisma.leadActivity.findMany({
      where,
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      take: 500,
    });
    return { ...lead, sources, interactions, bookings, activities };
  }

  find(scope: SubAccountScope, id: bigint): Promise<LeadRow | null> {
    return this.db.prisma.lead.findFirst({ where: { id, ...scopeWhere(scope) } });
  }
}
