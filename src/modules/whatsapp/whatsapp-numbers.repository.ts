import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import type { IntegrationRow } from '../integrations/integrations.repository';

export const WHATSAPP_HANDLER = 'whatsapp-cloud';

/** The sub-account's WhatsApp integrations (numbers). */
@Injectable()
export class WhatsAppNumbersRepository {
  constructor(private readonly db: Db) {}

  listForSubAccount(subAccountId: number): Promise<IntegrationRow[]> {
    return this.db.prisma.integration.findMany({
      where: { subAccountId, handler: WHATSAPP_HANDLER },
      include: { template: true },
      orderBy: { id: 'asc' },
    });
  }

  find(id: number): Promise<IntegrationRow | null> {
    return this.db.prisma.integration.findFirst({
      where: { id, handler: WHATSAPP_HANDLER },
      include: { template: true },
    });
  }

  /** Every active WhatsApp integration (for the template reconcile schedule). */
  async activeIds(): Promise<number[]> {
    const rows = await this.db.prisma.integration.findMany({
      where: { handler: WHATSAPP_HANDLER, isActive: true, status: 'active' },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }
}
