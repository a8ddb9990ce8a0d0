import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service';
import type { IntegrationTemplate, Prisma } from '../../generated/prisma/client';

export type TemplateRow = IntegrationTemplate;

/** Templates are global (not sub-account data): super-admins write them, everyone reads active ones. */
@Injectable()
export class IntegrationTemplatesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(
    filter: { category?: string; activeOnly: boolean },
    skip: number,
    take: number,
  ): Promise<{ rows: TemplateRow[]; total: number }> {
    const where: Prisma.IntegrationTemplateWhereInput = {
      // Prisma runs an insensitive `equals` as ILIKE: its wildcards must match only themselves
      ...(filter.category
        ? { category: { equals: filter.category.trim().replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } }
        : {}),
      ...(filter.activeOnly ? { isActive: true } : {}),
    };
    const [rows, total] = await Promise.all([
      this.prisma.integrationTemplate.findMany({ where, orderBy: { id: 'asc' }, skip, take }),
      this.prisma.integrationTemplate.count({ where }),
    ]);
    return { rows, total };
  }

  findById(id: number): Promise<TemplateRow | null> {
    return this.prisma.integrationTemplate.findUnique({ where: { id } });
  }

  findByName(name: string): Promise<TemplateRow | null> {
    return this.prisma.integrationTemplate.findUnique({ where: { name } });
  }

  create(data: Prisma.IntegrationTemplateCreateInput): Promise<TemplateRow> {
    return this.prisma.integrationTemplate.create({ data });
  }

  update(id: number, data: Prisma.IntegrationTemplateUpdateInput): Promise<TemplateRow> {
    return this.prisma.integrationTemplate.update({ where: { id }, data });
  }

  delete(id: number): Promise<TemplateRow> {
    return this.prisma.integrationTemplate.delete({ where: { id } });
  }

  countIntegrations(templateId: number): Promise<number> {
    return this.prisma.integration.count({ where: { templateId } });
  }

  /** Every integration's stored config for a template (a super-admin operation across sub-accounts). */
  async integrationConfigs(
    templateId: number,
  ): Promise<Array<{ id: number; sealVersion: number; config: Record<string, unknown> }>> {
    const rows = await this.prisma.integration.findMany({
      where: { templateId },
      select: { id: true, sealVersion: true, config: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((r) => ({ id: r.id, sealVersion: r.sealVersion, config: r.config as Record<string, unknown> }));
  }

  distinctHandlers(): Promise<string[]> {
    return this.prisma.integrationTemplate
      .findMany({ distinct: ['handler'], select: { handler: true } })
      .then((rows) => rows.map((r) => r.handler));
  }
}
