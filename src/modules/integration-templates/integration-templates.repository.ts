import { Injectable } from '@nestjs/common';
import type { PageRequest } from '../../common/http/pagination';
import { Db, isRecordGone, isUniqueViolation } from '../../database/db';
import type { Prisma } from '../../generated/prisma/client';
import type { IntegrationTemplate } from './integration-template';
import { likeLiteral } from '../../database/like-literal';

/** A template as stored (the domain type; Prisma's rows have exactly its shape). */
export type TemplateRow = IntegrationTemplate;

export interface TemplateFields {
  name: string;
  displayName: string;
  description?: string;
  category: string;
  icon?: string;
  handler: string;
  configSchema: Record<string, unknown>;
  setupInstructions?: string;
  apiVersion?: string;
  isActive?: boolean;
  rateLimitPerMinute?: number;
}

/** A write refused because another template already has the name (the unique index decided). */
export const NAME_TAKEN = 'name-taken';

/** Templates are global (not sub-account data): super-admins write them, everyone reads active ones. */
@Injectable()
export class IntegrationTemplatesRepository {
  constructor(private readonly db: Db) {}

  async list(
    filter: { category?: string; activeOnly: boolean },
    page: PageRequest,
  ): Promise<{ rows: TemplateRow[]; total: number }> {
    const where: Prisma.IntegrationTemplateWhereInput = {
      // Prisma runs an insensitive `equals` as ILIKE: its wildcards must match only themselves
      ...(filter.category ? { category: { equals: likeLiteral(filter.category.trim()), mode: 'insensitive' } } : {}),
      ...(filter.activeOnly ? { isActive: true } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.integrationTemplate.findMany({ where, orderBy: { id: 'asc' }, ...page }),
      this.db.prisma.integrationTemplate.count({ where }),
    ]);
    return { rows, total };
  }

  findById(id: number): Promise<TemplateRow | null> {
    return this.db.prisma.integrationTemplate.findUnique({ where: { id } });
  }

  findByName(name: string): Promise<TemplateRow | null> {
    return this.db.prisma.integrationTemplate.findUnique({ where: { name } });
  }

  async create(fields: TemplateFields): Promise<TemplateRow | typeof NAME_TAKEN> {
    try {
      return await this.db.prisma.integrationTemplate.create({
        data: { ...fields, configSchema: fields.configSchema as Prisma.InputJsonObject },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return NAME_TAKEN;
      throw err;
    }
  }

  /** A changed schema bumps the template's version; null when the template is gone. */
  async update(
    id: number,
    fields: Partial<TemplateFields>,
    schemaChanged: boolean,
  ): Promise<TemplateRow | typeof NAME_TAKEN | null> {
    try {
      return await this.db.prisma.integrationTemplate.update({
        where: { id },
        data: {
          ...fields,
          configSchema: fields.configSchema as Prisma.InputJsonObject | undefined,
          ...(schemaChanged ? { version: { increment: 1 } } : {}),
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return NAME_TAKEN;
      if (isRecordGone(err)) return null; // deleted since the caller read it
      throw err;
    }
  }

  /**
   * The standard template of each handler, created when missing and never overwritten (super-admins
   * may edit them). Returns the handler keys whose template was created.
   */
  async createMissing(templates: readonly TemplateFields[]): Promise<string[]> {
    const created: string[] = [];
    for (const template of templates) {
      const result = await this.db.prisma.integrationTemplate.createMany({
        data: [{ ...template, configSchema: template.configSchema as Prisma.InputJsonObject }],
        skipDuplicates: true,
      });
      if (result.count > 0) created.push(template.handler);
    }
    return created;
  }

  /**
   * Gives a standard template without setup instructions (null or empty: seeded before they existed)
   * its handler's; text a super-admin wrote is never overwritten. Returns the handler keys filled.
   */
  async fillMissingSetupInstructions(
    templates: ReadonlyArray<{ name: string; handler: string; setupInstructions: string }>,
  ): Promise<string[]> {
    const filled: string[] = [];
    for (const { name, handler, setupInstructions } of templates) {
      const { count } = await this.db.prisma.integrationTemplate.updateMany({
        where: { name, handler, OR: [{ setupInstructions: null }, { setupInstructions: '' }] },
        data: { setupInstructions },
      });
      if (count > 0) filled.push(handler);
    }
    return filled;
  }

  /**
   * Locks the template for the rest of the transaction (an integration being created from it holds it
   * until it commits); false when it is gone.
   */
  async lock(id: number): Promise<boolean> {
    const rows = await this.db.prisma.$queryRaw<
      Array<{ id: number }>
    >`SELECT id FROM integration_templates WHERE id = ${id} FOR UPDATE`;
    return rows.length > 0;
  }

  async delete(id: number): Promise<boolean> {
    const { count } = await this.db.prisma.integrationTemplate.deleteMany({ where: { id } });
    return count > 0;
  }

  countIntegrations(templateId: number): Promise<number> {
    return this.db.prisma.integration.count({ where: { templateId } });
  }

  /** Every integration's stored config for a template (a super-admin operation across sub-accounts). */
  async integrationConfigs(
    templateId: number,
  ): Promise<Array<{ id: number; sealVersion: number; config: Record<string, unknown> }>> {
    const rows = await this.db.prisma.integration.findMany({
      where: { templateId },
      select: { id: true, sealVersion: true, config: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((r) => ({ id: r.id, sealVersion: r.sealVersion, config: r.config as Record<string, unknown> }));
  }

  distinctHandlers(): Promise<string[]> {
    return this.db.prisma.integrationTemplate
      .findMany({ distinct: ['handler'], select: { handler: true } })
      .then((rows) => rows.map((r) => r.handler));
  }
}
