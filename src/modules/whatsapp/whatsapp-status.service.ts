import { Injectable, Logger } from '@nestjs/common';
import { TransactionRunner } from '../../database/transaction-runner';
import type { JsonValue } from '../../common/json-value';
import {
  applyPendingStatuses,
  IncomingStatus,
  mergeStatus,
  MessageStatusState,
  OutboundStatus,
  StatusPatch,
} from './domain/message-status';
import { waIdToE164 } from './domain/phone-match';
import { isTemplateUnusable } from './domain/send-errors';
import { MessageChanges, MessageRow, MessagesRepository, OrphanRow } from './messages.repository';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppTemplatesResync } from './whatsapp-templates-resync';

/** What a listener (the bulk ledger) hears after a status changed a message row. */
export interface StatusApplied {
  messageId: string;
  integrationId: number;
  bulkJobId: bigint | null;
  bulkRecipientId: bigint | null;
  status: string;
}

/** A bulk message's status, for its ledger row (moved in the same transaction as the message). */
export interface LedgerStatus {
  messageId: string;
  bulkRecipientId: bigint;
  status: string;
  wamid: string | null;
  error: { code: number | null; title: string; details: string | null } | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function stateOf(row: MessageRow): MessageStatusState {
  return {
    status: (['queued', 'sent', 'delivered', 'read', 'failed'].includes(row.status)
      ? row.status
      : 'queued') as OutboundStatus,
    sentAt: row.sentAt,
    deliveredAt: row.deliveredAt,
    readAt: row.readAt,
    failedAt: row.failedAt,
    error: row.errorTitle !== null ? { code: row.errorCode, title: row.errorTitle, details: row.errorDetails } : null,
    pricing: row.pricingCategory !== null ? { category: row.pricingCategory, type: row.pricingType } : null,
  };
}

export function patchData(patch: StatusPatch): MessageChanges {
  const data: MessageChanges = {};
  if (patch.status !== undefined) data.status = patch.status;
  if (patch.sentAt !== undefined) data.sentAt = patch.sentAt;
  if (patch.deliveredAt !== undefined) data.deliveredAt = patch.deliveredAt;
  if (patch.readAt !== undefined) data.readAt = patch.readAt;
  if (patch.failedAt !== undefined) data.failedAt = patch.failedAt;
  if (patch.error !== undefined) {
    data.errorCode = patch.error?.code ?? null;
    data.errorTitle = patch.error?.title ?? null;
    data.errorDetails = patch.error?.details ?? null;
  }
  if (patch.pricing !== undefined) {
    data.pricingCategory = patch.pricing?.category ?? null;
    data.pricingType = patch.pricing?.type ?? null;
  }
  if (patch.status === 'failed') data.sendState = 'failed';
  return data;
}

function revive(row: OrphanRow): IncomingStatus {
  const p = (row.payload ?? {}) as Record<string, unknown>;
  return {
    wamid: row.wamid,
    status: row.status as IncomingStatus['status'],
    at: row.occurredAt,
    recipientId: typeof p.recipientId === 'string' ? p.recipientId : null,
    error: (p.error as IncomingStatus['error']) ?? null,
    pricing: (p.pricing as IncomingStatus['pricing']) ?? null,
    callbackData: row.callbackData,
  };
}

/**
 * Delivery statuses that never move backwards (domain/message-status.ts): every status of every
 * delivery merged into its message under a row lock; duplicates are no-ops; a status for a wamid
 * not known yet is kept and applied when the message's wamid is written.
 */
@Injectable()
export class WhatsAppStatusService {
  private readonly logger = new Logger(WhatsAppStatusService.name);
  private readonly listeners: Array<(event: StatusApplied) => void | Promise<void>> = [];
  private ledger: ((status: LedgerStatus) => Promise<void>) | null = null;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly transactions: TransactionRunner,
    private readonly resync: WhatsAppTemplatesResync,
  ) {}

  /** Called after commit for every status that changed a bulk message (the bulk ledger's counts). */
  onApplied(listener: (event: StatusApplied) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /**
   * The bulk ledger's writer: called inside the transaction that changed a bulk message's status, so
   * the recipient row (and the bulk's sent/delivered/read/failed counts) move with the message.
   */
  registerLedger(advance: (status: LedgerStatus) => Promise<void>): void {
    this.ledger = advance;
  }

  async apply(integrationId: number, subAccountId: number, incoming: IncomingStatus): Promise<string> {
    return this.transactions.run(async () => {
      let row = await this.messages.lockByWamid(integrationId, incoming.wamid);
      if (!row && incoming.callbackData && UUID.test(incoming.callbackData)) {
        // the status beat the send's answer: our id came back in biz_opaque_callback_data
        const byId = await this.messages.lock(incoming.callbackData);
        if (byId && byId.integrationId === integrationId && byId.direction === 'outbound') {
          if (byId.wamid === null) row = await this.messages.update(byId.id, { wamid: incoming.wamid });
          // the answer's wamid was written while this waited for the row lock: apply now, not as an orphan
          else if (byId.wamid === incoming.wamid) row = byId;
        }
      }
      if (!row) {
        await this.messages.keepOrphan({
          integrationId,
          wamid: incoming.wamid,
          callbackData: incoming.callbackData,
          status: incoming.status,
          occurredAt: incoming.at,
          payload: {
            recipientId: incoming.recipientId,
            error: incoming.error,
            pricing: incoming.pricing,
          } as unknown as JsonValue,
        });
        return 'orphan kept';
      }
      // statuses are of our sends: one naming a contact's own message is garbage, and moves nothing
      if (row.direction !== 'outbound') return 'status of an inbound message ignored';
      await this.optOutOn(subAccountId, row, incoming);
      const merged = mergeStatus(stateOf(row), incoming);
      if (!merged.apply) return merged.reason;
      const updated = await this.messages.update(row.id, patchData(merged.patch));
      await this.resyncOn(updated);
      await this.advanceLedger(updated);
      this.notify(updated);
      return `applied ${updated.status}`;
    });
  }

  /** After a message's wamid is known: fold in the statuses kept for it (inside the caller's transaction). */
  async applyOrphans(row: MessageRow): Promise<MessageRow> {
    const orphans = await this.messages.orphansFor(row.integrationId, row.wamid, row.id);
    if (orphans.length === 0) return row;
    const pending = orphans.map(revive);
    // kept statuses are the same news as statuses applied at once: a 131050 failure is an opt-out, a
    // 132001/132015/132016 one a re-sync of the templates (the status beat the send's answer)
    for (const status of pending) await this.optOutOn(row.subAccountId, row, status);
    const { patch } = applyPendingStatuses(stateOf(row), pending);
    await this.messages.deleteOrphans(orphans.map((o) => o.id));
    if (Object.keys(patch).length === 0) return row;
    const updated = await this.messages.update(row.id, patchData(patch));
    if (patch.status === 'failed') await this.resyncOn(updated);
    await this.advanceLedger(updated);
    this.notify(updated);
    return updated;
  }

  /** A `failed` status with 131050 (the user stopped marketing messages): the recipient is opted out. */
  private async optOutOn(subAccountId: number, row: MessageRow, status: IncomingStatus): Promise<void> {
    if (status.status !== 'failed' || status.error?.code !== 131050) return;
    await this.optOuts.add(
      subAccountId,
      // the recipient is a wa_id (digits) once Meta answered: the opt-out's phone is E.164, as a send's is
      { waId: status.recipientId, phone: row.recipient ? waIdToE164(row.recipient) : null },
      'marketing',
      'error_131050',
      { integrationId: row.integrationId },
    );
  }

  /**
   * Meta stopped the template after accepting the send (132015 paused …): its row follows Meta's list, as
   * for the same refusal in a send's answer (WhatsAppDeliveryService); one waiting re-sync per integration.
   */
  private async resyncOn(updated: MessageRow): Promise<void> {
    if (updated.status === 'failed' && isTemplateUnusable(updated.errorCode))
      await this.resync.request(updated.integrationId);
  }

  private async advanceLedger(row: MessageRow): Promise<void> {
    if (row.bulkRecipientId === null || this.ledger === null) return;
    await this.ledger({
      messageId: row.id,
      bulkRecipientId: row.bulkRecipientId,
      status: row.status,
      wamid: row.wamid,
      error:
        row.status === 'failed' && row.errorTitle !== null
          ? { code: row.errorCode, title: row.errorTitle, details: row.errorDetails }
          : null,
    });
  }

  private notify(row: MessageRow): void {
    if (row.bulkJobId === null || this.listeners.length === 0) return;
    const event: StatusApplied = {
      messageId: row.id,
      integrationId: row.integrationId,
      bulkJobId: row.bulkJobId,
      bulkRecipientId: row.bulkRecipientId,
      status: row.status,
    };
    this.transactions.afterCommit(() => {
      for (const listener of this.listeners)
        void Promise.resolve(listener(event)).catch((err: unknown) =>
          this.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'status listener failed'),
        );
    });
  }
}
