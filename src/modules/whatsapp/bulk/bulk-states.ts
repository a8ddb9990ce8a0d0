// The states of a bulk job and of its recipients (API.md "WhatsApp" → bulk sends), and the rules
// the runner follows between them. Pure: no database, no clock of its own.
//
// Recipient: pending → claimed → accepted → sent → delivered → read, or failed / skipped / unknown.
//   claimed:  a runner holds it under a lease; `request_at` says whether the Graph call may have left
//   accepted: Meta answered with a wamid (later states come from status webhooks on the message)
//   unknown:  the request may have reached Meta but its answer was lost (worker killed, timeout):
//             never resent silently (Chatwoot resends or drops; both are wrong for a campaign)
import { type ClassifiedSendError, pausesNumber, stopsSending } from '../domain/send-errors';

export const BULK_STATUSES = ['queued', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

export const RECIPIENT_STATES = [
  'pending',
  'claimed',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
  'unknown',
] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/**
 * A recipient's status as the API shows it, in the words of the bulk's counts: `claimed` (a runner
 * holds it) is still `pending`, and `accepted` (Meta answered with a wamid) is `sent`, as counts.sent
 * counts it. `unknown` stays itself (counted apart too).
 */
export const RECIPIENT_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed', 'skipped', 'unknown'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

export function recipientStatusOf(state: RecipientState): RecipientStatus {
  if (state === 'claimed') return 'pending';
  if (state === 'accepted') return 'sent';
  return state;
}

/** The ledger states a `?status=` filter selects (a status or, as before, a ledger state itself). */
export function ledgerStatesOf(status: RecipientStatus | RecipientState): RecipientState[] {
  if (status === 'pending') return ['pending', 'claimed'];
  if (status === 'sent') return ['accepted', 'sent'];
  return [status];
}

/** `bulkFailed`: not requested when the bulk stopped for good (its template or sender unusable). */
export const SKIP_REASONS = [
  'noPhone',
  'optedOut',
  'duplicatePhone',
  'windowClosed',
  'cancelled',
  'bulkFailed',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Most recipients one bulk may have (the target; the first plan allowed 100). */
export const MAX_RECIPIENTS = 100_000;

/**
 * The body limit of POST /api/whatsapp/bulk: MAX_RECIPIENTS lead ids of up to 19 digits (quoted, a
 * comma, a pretty-printer's indentation: 32 bytes each) and 1 MiB for the rest of the request. The
 * default BODY_LIMIT_BYTES (1 MiB) holds 100,000 ids only while they are at most 7 digits long.
 */
export const BULK_BODY_LIMIT_BYTES = MAX_RECIPIENTS * 32 + 1024 * 1024;

/** Transient failures (5xx, network) of one recipient before it is marked failed. */
export const MAX_TRANSIENT_ATTEMPTS = 5;

/** What the runner does with a recipient after the Graph call. */
export type SendResolution =
  | { kind: 'accepted'; wamid: string }
  /** Back to pending (nothing was sent): throttles, transient errors, deferrals. */
  | { kind: 'retry'; afterMs: number; countsAsAttempt: boolean; pauseNumberMs?: number; pausePairMs?: number }
  | {
      kind: 'failed';
      code: number | null;
      title: string;
      details: string | null;
      optOut?: 'marketing';
      /** The sender or the template is unusable (account locked, payment, policy, template gone): stop the bulk. */
      stopsBulk?: true;
    }
  | { kind: 'unknown'; title: string };

/**
 * From a classified Graph failure to the recipient's next state. `attempts` counts the requests
 * already made for this recipient (this one included). Throttles never use up attempts: the same
 * message was refused before it was sent and will be accepted once the number or pair has room.
 */
export function resolveFailure(classified: ClassifiedSendError, attempts: number): SendResolution {
  const { error } = classified;
  switch (classified.outcome) {
    case 'throttled':
      return {
        kind: 'retry',
        afterMs: classified.retryAfterMs ?? 1000,
        countsAsAttempt: false,
        ...(pausesNumber(classified) ? { pauseNumberMs: classified.retryAfterMs ?? 1000 } : {}),
        // 131056: only this recipient's pair backs off (domain/pair-rate.ts)
        ...(classified.scope === 'pair' ? { pausePairMs: classified.retryAfterMs ?? 1000 } : {}),
      };
    case 'deferred':
      return { kind: 'retry', afterMs: classified.retryAfterMs ?? 3_600_000, countsAsAttempt: false };
    case 'transient':
      if (attempts >= MAX_TRANSIENT_ATTEMPTS)
        return { kind: 'failed', code: error.code, title: error.title, details: error.details };
      return { kind: 'retry', afterMs: classified.retryAfterMs ?? 2000, countsAsAttempt: true };
    case 'unknown':
      return { kind: 'unknown', title: error.title };
    case 'permanent':
      return {
        kind: 'failed',
        code: error.code,
        title: error.title,
        details: error.details,
        ...(classified.optOut ? { optOut: classified.optOut } : {}),
        ...(stopsSending(classified) ? { stopsBulk: true as const } : {}),
      };
  }
}

export interface BulkCounts {
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  unknown: number;
}

/**
 * Seconds left at the rate the bulk achieved over the last measured interval, or the configured rate
 * when nothing was measured yet; null when the bulk is not moving (paused, finished, or `scheduled`:
 * queued for a start still to come).
 */
export function etaSeconds(
  status: BulkStatus,
  remaining: number,
  configuredPerSecond: number,
  recent: { sends: number; seconds: number } | null,
  scheduled = false,
): number | null {
  if (scheduled || (status !== 'running' && status !== 'queued')) return null;
  if (remaining <= 0) return 0;
  const measured = recent && recent.seconds > 0 && recent.sends > 0 ? recent.sends / recent.seconds : 0;
  const rate = measured > 0 ? Math.min(measured, configuredPerSecond) : configuredPerSecond;
  return Math.ceil(remaining / Math.max(rate, 0.001));
}

/** Ledger states a recipient may be in when its message reaches `status` (statuses only move forward). */
export function ledgerStatesBefore(status: string): RecipientState[] {
  switch (status) {
    case 'sent':
      return ['claimed', 'unknown', 'accepted'];
    case 'delivered':
      return ['claimed', 'unknown', 'accepted', 'sent'];
    case 'read':
      return ['claimed', 'unknown', 'accepted', 'sent', 'delivered'];
    case 'failed':
      // Meta's failed status after acceptance (131050, 131026 …); `read` stays read, as the message does
      return ['claimed', 'unknown', 'accepted', 'sent', 'delivered'];
    default:
      return [];
  }
}
