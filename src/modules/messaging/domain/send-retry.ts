// What the send worker does with a Messenger / Instagram send that Meta refused or that failed on the
// way, by its classification (handlers/shared/meta-messaging-send.ts, Graph codes from Messenger
// Platform "Common Error Codes"): a rate limit (codes 4, 17, 32, 613, 80000–80099, or HTTP 429) is
// throttled: the page's bucket pauses and the message waits; a temporary failure retries; a timeout may
// have reached Meta and is never resent (unknown); anything else is a final failure with Meta's code.
import type { MessagingSendFailure } from '../../../handlers/shared/meta-messaging-send';

/** Business attempts for one message before it fails for good (throttles and temporary errors). */
export const MAX_SEND_ATTEMPTS = 12;
/** Meta gives no Retry-After on Graph throttles: back off min(2^attempt, 60) seconds. */
const MAX_BACKOFF_MS = 60_000;

export interface SendFailureFacts {
  failure: MessagingSendFailure;
  /** Safe to send again (nothing reached Meta, or Meta refused before acting). */
  retryable: boolean;
  /** The request may have reached Meta (no answer). */
  timedOut: boolean;
  retryAfterMs?: number;
}

export type SendRetryDecision =
  | { kind: 'throttled'; afterMs: number }
  | { kind: 'retry'; afterMs: number }
  | { kind: 'unknown' }
  | { kind: 'failed' };

export function backoffMs(attempt: number): number {
  return Math.min(2 ** Math.max(attempt, 0) * 1000, MAX_BACKOFF_MS);
}

/** `attempt`: the attempt that just failed (1 for the first). */
export function sendRetryDecision(facts: SendFailureFacts, attempt: number): SendRetryDecision {
  if (facts.timedOut) return { kind: 'unknown' };
  if (!facts.retryable || attempt >= MAX_SEND_ATTEMPTS) return { kind: 'failed' };
  const afterMs = facts.retryAfterMs !== undefined && facts.retryAfterMs > 0 ? facts.retryAfterMs : backoffMs(attempt);
  if (facts.failure === 'rate_limited') return { kind: 'throttled', afterMs };
  return { kind: 'retry', afterMs };
}
