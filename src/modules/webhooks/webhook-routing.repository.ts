import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type { Prisma } from '../../generated/prisma/client';
import type { IntegrationRow } from '../integrations/integrations.repository';

/** Receiving deliveries: switched on by an admin and proven by a passed connection test. */
const RECEIVING: Prisma.IntegrationWhereInput = { isActive: true, status: 'active' };

/**
 * The deliberately unscoped lookups of public webhook routing: the provider's request identifies
 * the integration (by its unguessable webhook id, or by a routing key that one sub-account owns),
 * so no caller's sub-account can scope them. Nothing else may read integrations without a scope.
 */
@Injectable()
export class WebhookRoutingRepository {
  constructor(private readonly db: Db) {}

  findByWebhookId(webhookId: string): Promise<IntegrationRow | null> {
    return this.db.prisma.integration.findUnique({ where: { webhookId }, include: { template: true } });
  }

  /**
   * Integrations answering to these routing keys, restricted to the sub-account that owns each key
   * (an integration left holding a key another sub-account owns never receives its deliveries).
   */
  async findByRoutingKeys(handler: string, routingKeys: string[]): Promise<IntegrationRow[]> {
    const claims = await this.db.prisma.webhookRoutingClaim.findMany({
      where: { handler, routingKey: { in: routingKeys } },
    });
    if (claims.length === 0) return [];
    return this.db.prisma.integration.findMany({
      where: { handler, OR: claims.map((c) => ({ routingKey: c.routingKey, subAccountId: c.subAccountId })) },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * Integrations whose plain (never sealed) config field equals one of `values`, only those holding
   * a routing claim of their own sub-account (WhatsApp: the WABA of a number the sub-account owns).
   */
  async findByConfigValues(handler: string, field: string, values: string[]): Promise<IntegrationRow[]> {
    const rows = await this.db.prisma.integration.findMany({
      where: { handler, OR: values.map((value) => ({ config: { path: [field], equals: value } })) },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
    if (rows.length === 0) return [];
    const claims = await this.db.prisma.webhookRoutingClaim.findMany({
      where: { handler, routingKey: { in: rows.flatMap((r) => (r.routingKey ? [r.routingKey] : [])) } },
    });
    return rows.filter((r) => claims.some((c) => c.routingKey === r.routingKey && c.subAccountId === r.subAccountId));
  }

  /** Every receiving integration of a handler (subscription handshakes carry no routing key). */
  /** Receiving integrations of a handler, or with `connected` every one not disconnected (handshakeUntilDisconnected). */
  findReceivingByHandler(handler: string, connected = false): Promise<IntegrationRow[]> {
    return this.db.prisma.integration.findMany({
      where: connected ? { handler, status: { not: 'disconnected' } } : { handler, ...RECEIVING },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
  }
}
