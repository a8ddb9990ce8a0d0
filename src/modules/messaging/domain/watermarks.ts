// Delivery and read receipts of Messenger and Instagram, applied to outbound messages forward only.
// Messenger sends watermarks: "all messages that were sent before this timestamp were delivered"
// (message_deliveries, with `mids` sometimes) and "… before or at this timestamp were read"
// (message_reads); Instagram's messaging_seen names one message (`read.mid`). Receipts arrive in any
// order and are redelivered, so a message's status only moves forward (sent < delivered < read; a
// read also sets deliveredAt) and an older watermark changes nothing.

export type ReceiptStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<Exclude<ReceiptStatus, 'failed'>, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };

/** The outbound message columns a receipt can change. */
export interface ReceiptTarget {
  mid: string | null;
  status: ReceiptStatus;
  /** When Meta accepted it (the send's answer or its echo's timestamp). */
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
}

export interface Receipt {
  kind: 'delivery' | 'read';
  /** Messenger: every message sent at or before this instant. */
  watermark?: Date;
  /** Messenger deliveries may list message ids; Instagram's seen names one. */
  mids?: readonly string[];
  /** When the receipt happened (its event timestamp, else the watermark). */
  at: Date;
}

export type ReceiptPatch = Partial<Pick<ReceiptTarget, 'status' | 'deliveredAt' | 'readAt'>>;

/** Whether a receipt covers this message: named by id, or sent at or before the watermark. */
export function receiptCovers(receipt: Receipt, target: ReceiptTarget): boolean {
  if (target.mid !== null && receipt.mids?.includes(target.mid)) return true;
  return (
    receipt.watermark !== undefined && target.sentAt !== null && target.sentAt.getTime() <= receipt.watermark.getTime()
  );
}

/** The patch a receipt makes to a message, or null when it would move nothing forward. */
export function applyReceipt(target: ReceiptTarget, receipt: Receipt): ReceiptPatch | null {
  if (target.status === 'failed' || target.status === 'queued' || !receiptCovers(receipt, target)) return null;
  const to = receipt.kind === 'read' ? 'read' : 'delivered';
  const patch: ReceiptPatch = {};
  if (RANK[to] > RANK[target.status]) patch.status = to;
  if (target.deliveredAt === null) patch.deliveredAt = receipt.at;
  if (to === 'read' && target.readAt === null) patch.readAt = receipt.at;
  return Object.keys(patch).length > 0 ? patch : null;
}
