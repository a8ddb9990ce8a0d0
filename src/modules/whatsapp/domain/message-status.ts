// Delivery statuses of outbound WhatsApp messages that never move backwards. Meta sends every
// status as its own webhook, retries them, and does not order them ("delivered" may be skipped when
// a message is read at once; a status can arrive before the send's HTTP answer). This is the pure
// merge the status processor runs on the message row (under a row lock) — and on the statuses kept
// for a wamid the hub does not know yet, once the message appears.
//
//   const incoming = incomingStatusOf(webhookStatus);         // null for garbage
//   const merged = mergeStatus(row, incoming);
//   if (merged.apply) repository.update(row.id, merged.patch); // else a no-op (merged.reason says why)
//   // orphan: store `incoming` keyed by wamid; when the message's wamid is written:
//   const { patch } = applyPendingStatuses(row, pendingRows);  // then delete the pending rows
//
// Source: Meta, messages webhook "status" reference (developers.facebook.com/documentation/
// business-messaging/whatsapp/webhooks/reference/messages/status): statuses sent | delivered | read |
// failed (and `played` for voice), unix-second string timestamps, `errors[]` on failed, `pricing`
// (`category`, `type`) on one of them, `biz_opaque_callback_data` echoed from the send.
import { asId, asNumber, asRecords, asString, isRecord } from '../../../handlers/shared/json';
import { instantMs } from '../../../handlers/shared/instant';
import { storedErrorOf, StoredSendError } from './send-errors';

export const OUTBOUND_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

const RANK: Record<Exclude<OutboundStatus, 'failed'>, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };
const AT_FIELD = { sent: 'sentAt', delivered: 'deliveredAt', read: 'readAt', failed: 'failedAt' } as const;

export interface Pricing {
  category: string;
  type: string | null;
}

/** The status columns of a message row. */
export interface MessageStatusState {
  status: OutboundStatus;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  error: StoredSendError | null;
  pricing: Pricing | null;
}

export type StatusPatch = Partial<MessageStatusState>;

/** One status of a webhook, narrowed. */
export interface IncomingStatus {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: Date;
  recipientId: string | null;
  error: StoredSendError | null;
  pricing: Pricing | null;
  /** Our message id, echoed from the send's `biz_opaque_callback_data` (matches a status that beats the send's answer). */
  callbackData: string | null;
}

export type MergeResult =
  { apply: true; patch: StatusPatch } | { apply: false; reason: 'duplicate' | 'stale' | 'after_failure' | 'conflict' };

export const QUEUED: MessageStatusState = {
  status: 'queued',
  sentAt: null,
  deliveredAt: null,
  readAt: null,
  failedAt: null,
  error: null,
  pricing: null,
};

/** A webhook `statuses[]` entry (as Meta sends it); null when it is not one we can apply (`played`, garbage). */
export function incomingStatusOf(raw: unknown): IncomingStatus | null {
  if (!isRecord(raw)) return null;
  const wamid = asString(raw.id);
  const status = asString(raw.status);
  const seconds = asNumber(raw.timestamp);
  if (!wamid || !status || !['sent', 'delivered', 'read', 'failed'].includes(status)) return null;
  // a stamp that is no time (0, negative, past year 9999) cannot order the status
  const ms = seconds === undefined ? undefined : instantMs(seconds * 1000);
  if (ms === undefined) return null;
  const firstError = asRecords(raw.errors)[0];
  const pricing = isRecord(raw.pricing) ? raw.pricing : undefined;
  const category = pricing ? asString(pricing.category) : undefined;
  return {
    wamid,
    status: status as IncomingStatus['status'],
    at: new Date(ms),
    recipientId: asId(raw.recipient_id) ?? null,
    error: firstError ? storedErrorOf(firstError) : null,
    pricing: category ? { category, type: asString(pricing?.type) ?? null } : null,
    callbackData: asString(raw.biz_opaque_callback_data) ?? null,
  };
}

const earlier = (a: Date | null, b: Date): Date => (a && a.getTime() <= b.getTime() ? a : b);
const samePricing = (a: Pricing | null, b: Pricing) => a?.category === b.category && a?.type === b.type;

/**
 * Merges one status into the row: only forward (queued < sent < delivered < read), `failed` final,
 * `read` also sets `deliveredAt`; each status keeps its earliest timestamp even when it arrives late;
 * pricing is stored once seen. An identical redelivery is a no-op.
 */
export function mergeStatus(current: MessageStatusState, incoming: IncomingStatus): MergeResult {
  const patch: StatusPatch = {};
  const setAt = (field: (typeof AT_FIELD)[keyof typeof AT_FIELD], at: Date) => {
    const value = earlier(current[field], at);
    if (value !== current[field]) patch[field] = value;
  };
  if (current.status === 'failed')
    return { apply: false, reason: incoming.status === 'failed' ? 'duplicate' : 'after_failure' };
  if (incoming.status === 'failed') {
    // the user has it: a failure reported after delivery or reading does not undo that
    if (current.status === 'delivered' || current.status === 'read') return { apply: false, reason: 'conflict' };
    patch.status = 'failed';
    patch.failedAt = incoming.at;
    patch.error = incoming.error ?? { code: null, title: 'Failed', details: null };
  } else {
    if (RANK[incoming.status] > RANK[current.status]) patch.status = incoming.status;
    setAt(AT_FIELD[incoming.status], incoming.at);
    if (incoming.status === 'read') setAt('deliveredAt', incoming.at);
  }
  if (incoming.pricing && !samePricing(current.pricing, incoming.pricing)) patch.pricing = incoming.pricing;
  if (Object.keys(patch).length > 0) return { apply: true, patch };
  return { apply: false, reason: incoming.status === current.status ? 'duplicate' : 'stale' };
}

/** The row after a patch (for folding several statuses in memory). */
export function applyPatch(state: MessageStatusState, patch: StatusPatch): MessageStatusState {
  return { ...state, ...patch };
}

/**
 * Folds statuses that arrived before the message row knew its wamid (kept as orphans) into the row,
 * in the order they happened; returns one patch for the row (empty when nothing changes).
 */
export function applyPendingStatuses(
  current: MessageStatusState,
  pending: readonly IncomingStatus[],
): { patch: StatusPatch; state: MessageStatusState } {
  const ordered = [...pending].sort((a, b) => a.at.getTime() - b.at.getTime() || order(a) - order(b));
  let state = current;
  const patch: StatusPatch = {};
  for (const status of ordered) {
    const merged = mergeStatus(state, status);
    if (!merged.apply) continue;
    Object.assign(patch, merged.patch);
    state = applyPatch(state, merged.patch);
  }
  return { patch, state };
}

function order(status: IncomingStatus): number {
  return status.status === 'failed' ? 4 : RANK[status.status];
}

/** Orphan statuses older than this are dropped: the send they belong to never recorded its wamid. */
export const ORPHAN_TTL_MS = 7 * 24 * 3600 * 1000;

export function isOrphanExpired(receivedAt: Date, now: Date, ttlMs = ORPHAN_TTL_MS): boolean {
  return now.getTime() - receivedAt.getTime() > ttlMs;
}
