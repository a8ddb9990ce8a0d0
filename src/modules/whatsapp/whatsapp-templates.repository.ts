import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import type { JsonValue } from '../../common/json-value';
import { jsonInput } from '../../database/json-input';
import { scopeWhere } from '../../database/scope-where';
import type { Prisma, WhatsAppTemplate } from '../../generated/prisma/client';
import { likeLiteral } from '../../database/like-literal';

export type TemplateRow = WhatsAppTemplate;

export interface TemplateFilter {
  integrationId?: number;
  status?: string;
  category?: string;
  language?: string;
  q?: string;
}

/** What Meta says of one template (webhook, list, create), as the row stores it. */
export interface TemplateFields {
  externalId?: string | null;
  name: string;
  language: string;
  category: string;
  status: string;
  rejectedReason?: string | null;
  qualityScore?: string | null;
  parameterFormat: string;
  components: JsonValue;
  variables: JsonValue;
  headerType: string | null;
  buttons: JsonValue;
}

@Injectable()
export class WhatsAppTemplatesRepository {
  constructor(private readonly db: Db) {}

  async list(
    scope: SubAccountScope,
    filter: TemplateFilter,
    page: PageRequest,
  ): Promise<{ rows: TemplateRow[]; total: number }> {
    // what a person typed, without the spaces a paste brings along (" ana " finds Ana)
    const q = filter.q?.trim();
    const where: Prisma.WhatsAppTemplateWhereInput = {
      ...scopeWhere(scope),
      ...(filter.integrationId !== undefined ? { integrationId: filter.integrationId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.category ? { category: filter.category } : {}),
      ...(filter.language ? { language: filter.language } : {}),
      ...(q ? { name: { contains: likeLiteral(q), mode: 'insensitive' } } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.whatsAppTemplate.findMany({
        where,
        orderBy: [{ name: 'asc' }, { language: 'asc' }, { id: 'asc' }],
        ...page,
      }),
      this.db.prisma.whatsAppTemplate.count({ where }),
    ]);
    return { rows, total };
  }

  find(scope: SubAccountScope, id: bigint): Promise<TemplateRow | null> {
    return this.db.prisma.whatsAppTemplate.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  findByName(integrationId: number, name: string, language: string): Promise<TemplateRow | null> {
    return this.db.prisma.whatsAppTemplate.findUnique({
      where: { integrationId_name_language: { integrationId, name, language } },
    });
  }

  findByExternalId(integrationId: number, externalId: string): Promise<TemplateRow | null> {
    return this.db.prisma.whatsAppTemplate.findFirst({ where: { integrationId, externalId } });
  }

  /** Inserts or updates the row of (integration, name, language) with what Meta said at `at`. */
  upsert(
    subAccountId: number,
    integrationId: number,
    fields: TemplateFields,
    at: Date,
    createdBy?: string,
  ): Promise<TemplateRow> {
    return this.db.prisma.whatsAppTemplate.upsert({
      where: { integrationId_name_language: { integrationId, name: fields.name, language: fields.language } },
      create: {
        subAccountId,
        integrationId,
        ...columns(fields),
        statusChangedAt: at,
        lastSyncedAt: at,
        createdBy: createdBy ?? null,
      },
      update: { ...columns(fields), statusChangedAt: at, lastSyncedAt: at },
    });
  }

  /**
   * What a reconcile listed, read at `at`: the row's components and ids, and its status, rejected
   * reason, quality and category unless a webhook reported them after `at` (a listing read before an
   * approval must not undo it). A template new to the hub is inserted.
   */
  async reconcile(subAccountId: number, integrationId: number, fields: TemplateFields, at: Date): Promise<TemplateRow> {
    const existing = await this.findByName(integrationId, fields.name, fields.language);
    if (!existing) return this.upsert(subAccountId, integrationId, fields, at);
    const { count } = await this.db.prisma.whatsAppTemplate.updateMany({
      where: { id: existing.id, OR: [{ statusChangedAt: null }, { statusChangedAt: { lte: at } }] },
      data: { ...columns(fields), statusChangedAt: at, lastSyncedAt: at },
    });
    if (count === 0) {
      // the fields webhooks report (applyStatus), as the later report left them
      const {
        status: _status,
        rejectedReason: _rejectedReason,
        qualityScore: _qualityScore,
        category: _category,
        ...listed
      } = columns(fields);
      await this.db.prisma.whatsAppTemplate.update({
        where: { id: existing.id },
        data: { ...listed, lastSyncedAt: at },
      });
    }
    return (await this.findByName(integrationId, fields.name, fields.language)) ?? existing;
  }

  /**
   * A status report (webhook): applied unless the row already holds a later one. A report that is no
   * status (quality, category) is held back the same way but does not date the status: an approval
   * Meta delivered after a newer quality rating must still be applied (the row stayed PENDING, every
   * send 422, until the next reconcile).
   */
  async applyStatus(
    id: bigint,
    data: { status?: string; rejectedReason?: string | null; qualityScore?: string; category?: string },
    at: Date,
  ): Promise<boolean> {
    const { count } = await this.db.prisma.whatsAppTemplate.updateMany({
      where: { id, OR: [{ statusChangedAt: null }, { statusChangedAt: { lte: at } }] },
      data: { ...data, ...(data.status !== undefined ? { statusChangedAt: at } : {}) },
    });
    return count > 0;
  }

  /** Rows of an integration Meta no longer lists (deleted in WhatsApp Manager): DELETED. */
  async markMissingDeleted(integrationId: number, seen: bigint[], at: Date): Promise<number> {
    const { count } = await this.db.prisma.whatsAppTemplate.updateMany({
      where: {
        integrationId,
        id: { notIn: seen },
        externalId: { not: null },
        status: { not: 'DELETED' },
        OR: [{ statusChangedAt: null }, { statusChangedAt: { lt: at } }],
      },
      data: { status: 'DELETED', statusChangedAt: at, lastSyncedAt: at },
    });
    return count;
  }

  async delete(id: bigint): Promise<void> {
    await this.db.prisma.whatsAppTemplate.deleteMany({ where: { id } });
  }
}

function columns(fields: TemplateFields) {
  return {
    ...fields,
    components: jsonInput(fields.components),
    variables: jsonInput(fields.variables),
    buttons: jsonInput(fields.buttons),
  };
}
