import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type { AuditLog, Prisma } from '../../generated/prisma/client';

export type AuditRow = AuditLog;

export interface AuditInsert {
  actorSub: string;
  actorRole: string;
  action: string;
  entity: string;
  entityId: string;
  subAccountId: number | null;
  /** A JSON value (already redacted), or undefined for none. */
  changes: unknown;
}

export interface AuditFilter {
  entity?: string;
  entityId?: string;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly db: Db) {}

  /** Part of the caller's transaction when there is one: the change and its record commit together. */
  async insert(row: AuditInsert): Promise<void> {
    await this.db.prisma.auditLog.create({
      data: { ...row, changes: row.changes as Prisma.InputJsonValue | undefined },
    });
  }

  async list(
    scope: SubAccountScope,
    filter: AuditFilter,
    page: PageRequest,
  ): Promise<{ rows: AuditRow[]; total: number }> {
    const where: Prisma.AuditLogWhereInput = {
      ...scopeWhere(scope),
      ...(filter.entity ? { entity: filter.entity } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, ...page }),
      this.db.prisma.auditLog.count({ where }),
    ]);
    return { rows, total };
  }
}
