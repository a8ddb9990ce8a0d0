import { Injectable } from '@nestjs/common';
import { SubAccountScope } from '../../common/auth/sub-account-scope';
import { PrismaService, PrismaTx } from '../../database/prisma.service';
import type { AuditLog, Prisma } from '../../generated/prisma/client';

export interface AuditInsert {
  actorSub: string;
  actorRole: string;
  action: string;
  entity: string;
  entityId: string;
  subAccountId: number | null;
  changes: Prisma.InputJsonValue | undefined;
}

export interface AuditFilter {
  scope: SubAccountScope;
  entity?: string;
  entityId?: string;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(row: AuditInsert, tx?: PrismaTx): Promise<void> {
    await (tx ?? this.prisma).auditLog.create({ data: row });
  }

  async list(filter: AuditFilter, skip: number, take: number): Promise<{ rows: AuditLog[]; total: number }> {
    const where: Prisma.AuditLogWhereInput = {
      ...(filter.scope === 'all' ? {} : { subAccountId: { in: [...filter.scope] } }),
      ...(filter.entity ? { entity: filter.entity } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
    };
    const [rows, total] = await Promise.all([
      this.prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, skip, take }),
      this.prisma.auditLog.count({ where }),
    ]);
    return { rows, total };
  }
}
