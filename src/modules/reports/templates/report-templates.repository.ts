import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../../common/auth/sub-account-scope';
import type { PageRequest } from '../../../common/http/pagination';
import { Db } from '../../../database/db';
import { scopeWhere } from '../../../database/scope-where';
import type { JsonObject } from '../../../common/json-value';
import { Prisma, type ReportTemplate } from '../../../generated/prisma/client';
import type { ReportFormatName, ReportTypeName } from './report-config';

export type ReportTemplateRow = ReportTemplate;

export interface ReportTemplateFields {
  name: string;
  description: string | null;
  type: ReportTypeName;
  config: JsonObject;
  format: ReportFormatName;
  schedule: JsonObject | null;
  scheduleSince: Date | null;
  isActive: boolean;
}

/** Report templates, always within the caller's sub-accounts. */
@Injectable()
export class ReportTemplatesRepository {
  constructor(private readonly db: Db) {}

  async list(scope: SubAccountScope, page: PageRequest): Promise<{ rows: ReportTemplateRow[]; total: number }> {
    const where: Prisma.ReportTemplateWhereInput = { ...scopeWhere(scope) };
    const [rows, total] = await Promise.all([
      this.db.prisma.reportTemplate.findMany({ where, orderBy: { id: 'asc' }, ...page }),
      this.db.prisma.reportTemplate.count({ where }),
    ]);
    return { rows, total };
  }

  find(scope: SubAccountScope, id: number): Promise<ReportTemplateRow | null> {
    return this.db.prisma.reportTemplate.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  async subAccountExists(id: number): Promise<boolean> {
    return (await this.db.prisma.subAccount.count({ where: { id } })) > 0;
  }

  /**
   * The template, locked for the rest of the caller's transaction (a PATCH computes its fields from it;
   * a report is queued against it); null when it is gone, deleted meanwhile included.
   */
  async lock(subAccountId: number, id: number): Promise<ReportTemplateRow | null> {
    const rows = await this.db.prisma.$queryRaw<Array<{ id: number }>>`
      SELECT id FROM report_templates WHERE id = ${id} AND sub_account_id = ${subAccountId} FOR UPDATE`;
    return rows.length ? this.db.prisma.reportTemplate.findUnique({ where: { id } }) : null;
  }

  /** For the worker (the id came from a report row or a schedule). */
  findById(id: number): Promise<ReportTemplateRow | null> {
    return this.db.prisma.reportTemplate.findUnique({ where: { id } });
  }

  create(subAccountId: number, createdBy: string, fields: ReportTemplateFields): Promise<ReportTemplateRow> {
    return this.db.prisma.reportTemplate.create({
      data: { ...fields, schedule: fields.schedule ?? Prisma.DbNull, subAccountId, createdBy },
    });
  }

  update(id: number, fields: ReportTemplateFields): Promise<ReportTemplateRow> {
    return this.db.prisma.reportTemplate.update({
      where: { id },
      data: { ...fields, schedule: fields.schedule ?? Prisma.DbNull },
    });
  }

  async remove(scope: SubAccountScope, id: number): Promise<boolean> {
    const { count } = await this.db.prisma.reportTemplate.deleteMany({ where: { id, ...scopeWhere(scope) } });
    return count > 0;
  }

  /** Active templates with a schedule, for the scheduler (every sub-account: a system job). */
  scheduled(afterId: number, take: number): Promise<ReportTemplateRow[]> {
    return this.db.prisma.reportTemplate.findMany({
      where: { isActive: true, schedule: { not: Prisma.DbNull }, id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take,
    });
  }
}
