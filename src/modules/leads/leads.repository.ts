import { Injectable } from '@nestjs/common';
import { SubAccountScope } from '../../common/auth/sub-account-scope';
import { PrismaService } from '../../database/prisma.service';
import type { Booking, Lead, LeadInteraction, LeadSource, LeadStatus, Prisma } from '../../generated/prisma/client';

export interface LeadFilter {
  platform?: string;
  status?: LeadStatus;
  q?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

export type LeadDetailRow = Lead & { sources: LeadSource[]; interactions: LeadInteraction[]; bookings: Booking[] };

/** Lead reads; every query is scoped to the caller's sub-accounts. */
@Injectable()
export class LeadsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(
    scope: SubAccountScope,
    filter: LeadFilter,
    skip: number,
    take: number,
  ): Promise<{ rows: Lead[]; total: number }> {
    const where: Prisma.LeadWhereInput = {
      ...(scope === 'all' ? {} : { subAccountId: { in: [...scope] } }),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.platform ? { sources: { some: { platform: filter.platform } } } : {}),
      ...(filter.createdFrom || filter.createdTo
        ? {
            createdAt: {
              ...(filter.createdFrom ? { gte: filter.createdFrom } : {}),
              ...(filter.createdTo ? { lte: filter.createdTo } : {}),
            },
          }
        : {}),
      ...(filter.q
        ? {
            OR: [
              { fullName: { contains: filter.q, mode: 'insensitive' } },
              { email: { contains: filter.q.toLowerCase() } },
              { phone: { contains: filter.q.replace(/[^\d+]/g, '') || filter.q } },
            ],
          }
        : {}),
    };
    const [rows, total] = await Promise.all([
      this.prisma.lead.findMany({ where, orderBy: { id: 'desc' }, skip, take }),
      this.prisma.lead.count({ where }),
    ]);
    return { rows, total };
  }

  findDetail(scope: SubAccountScope, id: bigint): Promise<LeadDetailRow | null> {
    return this.prisma.lead.findFirst({
      where: { id, ...(scope === 'all' ? {} : { subAccountId: { in: [...scope] } }) },
      include: {
        sources: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
        interactions: { orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }], take: 500 },
        bookings: { orderBy: { startTime: 'asc' } },
      },
    });
  }
}
