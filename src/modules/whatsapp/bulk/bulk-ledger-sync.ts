import { Injectable, OnModuleInit } from '@nestjs/common';
import { LedgerStatus, WhatsAppStatusService } from '../whatsapp-status.service';
import { ledgerStatesBefore, RecipientState } from './bulk-states';
import { BulkLedgerRepository } from './bulk-ledger.repository';

const FOLLOWED: readonly string[] = ['sent', 'delivered', 'read', 'failed'];

/**
 * Statuses of a bulk's messages move its ledger: every status WhatsAppStatusService applies to a
 * message with a bulk recipient moves that recipient (sent → delivered → read, or failed) in the
 * same transaction, so the bulk's delivered/read counts are the messages' and never lag a crash.
 */
@Injectable()
export class BulkLedgerSync implements OnModuleInit {
  constructor(
    private readonly statuses: WhatsAppStatusService,
    private readonly ledger: BulkLedgerRepository,
  ) {}

  onModuleInit(): void {
    this.statuses.registerLedger((status) => this.advance(status));
  }

  async advance(status: LedgerStatus): Promise<void> {
    if (!FOLLOWED.includes(status.status)) return;
    await this.ledger.advance(
      status.bulkRecipientId,
      status.messageId,
      status.status as RecipientState,
      ledgerStatesBefore(status.status),
      status.wamid,
      status.error,
    );
  }
}
