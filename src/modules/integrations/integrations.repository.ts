import { Injectable } from '@nestjs/common';
import { SubAccountScope } from '../../common/auth/sub-account-scope';
import { PrismaService } from '../../database/prisma.service';
import type {
  Integration,
  IntegrationStatus,
  IntegrationTemplate,
  Prisma,
  SubAccount,
} from '../../generated/prisma/client';

export type IntegrationRow = Integration & { template: IntegrationTemplate };

export interface IntegrationFilter {
  status?: IntegrationStatus;
  templateId?: number;
}

function scoped(scope: SubAccountScope): Prisma.IntegrationWhereInput {
  return scope === 'all' ? {} : { subAccountId: { in: [...scope] } };
}

/** Every query about integrations takes the caller's scope (or an explicit sub-account id). */
@Injectable()
export class IntegrationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(
    scope: SubAccountScope,
    filter: IntegrationFilter,
    skip: number,
    take: number,
  ): Promise<{ rows: IntegrationRow[]; total: number }> {
    const where: Prisma.IntegrationWhereInput = { ...scoped(scope), ...filter };
    const [rows, total] = await Promise.all([
      this.prisma.integration.findMany({ where, include: { template: true }, orderBy: { id: 'asc' }, skip, take }),
      this.prisma.integration.count({ where }),
    ]);
    return { rows, total };
  }

  findById(scope: SubAccountScope, id: number): Promise<IntegrationRow | null> {
    return this.prisma.integration.findFirst({ where: { id, ...scoped(scope) }, include: { template: true } });
  }

  findSubAccount(subAccountId: number): Promise<SubAccount | null> {
    return this.prisma.subAccount.findUnique({ where: { id: subAccountId } });
  }

  /**
   * Inserts unless the sub-account already has `limit` integrations of this handler. The sub-account
   * row is locked first, so concurrent creates for one sub-account are decided one at a time.
   */
  async createWithinLimit(
    data: Prisma.IntegrationUncheckedCreateInput,
    limitFor: (tier: SubAccount['tier']) => number,
  ): Promise<{ created: IntegrationRow } | { limitReached: { current: number; limit: number } }> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<
        Array<{ tier: SubAccount['tier'] }>
      >`SELECT tier FROM sub_accounts WHERE id = ${data.subAccountId} FOR UPDATE`;
      const limit = limitFor(locked[0].tier);
      const current = await tx.integration.count({ where: { subAccountId: data.subAccountId, handler: data.handler } });
      if (limit >= 0 && current >= limit) return { limitReached: { current, limit } };
      return { created: await tx.integration.create({ data, include: { template: true } }) };
    });
  }

  update(subAccountId: number, id: number, data: Prisma.IntegrationUncheckedUpdateInput): Promise<IntegrationRow> {
    return this.prisma.integration.update({ where: { id, subAccountId }, data, include: { template: true } });
  }

  async delete(subAccountId: number, id: number): Promise<void> {
    await this.prisma.integration.delete({ where: { id, subAccountId } });
  }

  async countByHandler(subAccountId: number): Promise<Map<string, number>> {
    const rows = await this.prisma.integration.groupBy({
      by: ['handler'],
      where: { subAccountId },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.handler, r._count._all]));
  }

  // Public webhook routing: the provider's request identifies the integration (by its unguessable
  // webhook id or the provider's routing key), so these are deliberately not sub-account scoped.

  findByWebhookId(webhookId: string): Promise<IntegrationRow | null> {
    return this.prisma.integration.findUnique({ where: { webhookId }, include: { template: true } });
  }

  findByRoutingKeys(handler: string, routingKeys: string[]): Promise<IntegrationRow[]> {
    return this.prisma.integration.findMany({
      where: { handler, routingKey: { in: routingKeys } },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
  }

  findActiveByHandler(handler: string): Promise<IntegrationRow[]> {
    return this.prisma.integration.findMany({
      where: { handler, isActive: true },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
  }

  /** For workers: the integration an event belongs to. */
  findForProcessing(id: number): Promise<IntegrationRow | null> {
    return this.prisma.integration.findUnique({ where: { id }, include: { template: true } });
  }

  async touchLastWebhook(id: number, at: Date): Promise<void> {
    await this.prisma.integration.updateMany({
      where: { id, OR: [{ lastWebhookAt: null }, { lastWebhookAt: { lt: at } }] },
      data: { lastWebhookAt: at },
    });
  }

  /** Key ids that sealed stored secrets (checked against ENCRYPTION_KEYS at boot). */
  async keyIdsInUse(): Promise<string[]> {
    const rows = await this.prisma.integration.findMany({ distinct: ['keyId'], select: { keyId: true } });
    return rows.map((r) => r.keyId);
  }
}
