import { Injectable } from '@nestjs/common';
import { SubAccountScope } from '../../common/auth/sub-account-scope';
import { PrismaService } from '../../database/prisma.service';
import type { SubAccount } from '../../generated/prisma/client';
import type { TierName } from './dto/sub-account.dto';

export type SubAccountRow = SubAccount;

@Injectable()
export class SubAccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(scope: SubAccountScope): Promise<SubAccountRow[]> {
    return this.prisma.subAccount.findMany({
      where: scope === 'all' ? {} : { id: { in: [...scope] } },
      orderBy: { id: 'asc' },
    });
  }

  findById(id: number): Promise<SubAccountRow | null> {
    return this.prisma.subAccount.findUnique({ where: { id } });
  }

  create(data: { name: string; tier?: TierName; defaultRegion?: string }): Promise<SubAccountRow> {
    return this.prisma.subAccount.create({ data });
  }

  update(id: number, data: { name?: string; tier?: TierName; defaultRegion?: string }): Promise<SubAccountRow> {
    return this.prisma.subAccount.update({ where: { id }, data });
  }
}
