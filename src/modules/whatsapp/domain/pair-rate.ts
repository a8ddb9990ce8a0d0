// Meta's pair rate limit: how often one business number may message one WhatsApp user.
//
// Meta, WhatsApp Cloud API overview → "Pair rate limits"
// (https://developers.facebook.com/docs/whatsapp/cloud-api/overview#pair-rate-limits): a business
// phone number may send about 1 message every 6 seconds to the same WhatsApp user (0.17/s, 10 a
// minute, 600 an hour); short bursts are allowed but borrow from the quota that follows (the page's
// example: 45 messages in 6 seconds, then nothing to that user for the time those would have taken).
// Exceeding it answers error 131056 "(Business Account, Consumer Account) pair rate limit hit", and
// the error-codes page (…/whatsapp/cloud-api/support/error-codes) says to wait before sending to
// that user again: only that pair backs off, never the whole number (130429 is the number's limit).
//
// Modelled as GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): `tat`,
// the theoretical arrival time, moves `intervalMs` later with each send; a send is allowed while
// `tat - now <= (burst - 1) * intervalMs`. The state lives in PostgreSQL (every worker process
// shares it), see whatsapp-pair-limits.repository.ts; this file is the arithmetic and its defaults.

/** Meta's documented pace: one message per 6 seconds to one user. */
export const PAIR_INTERVAL_MS = 6_000;
/** The burst Meta's page gives as its example; a send beyond it waits instead of drawing 131056. */
export const PAIR_BURST = 45;

export interface PairLimit {
  intervalMs: number;
  burst: number;
}

export const DEFAULT_PAIR_LIMIT: PairLimit = { intervalMs: PAIR_INTERVAL_MS, burst: PAIR_BURST };

export interface PairState {
  /** Theoretical arrival time (ms since epoch); null for a pair never used. */
  tat: number | null;
  /** After a 131056: nothing to this user before then (ms since epoch). */
  blockedUntil: number | null;
}

export type PairDecision = { allowed: true; next: PairState } | { allowed: false; waitMs: number };

/** One send to the pair at `now`: allowed (with the state after it) or how long to wait. */
export function takePair(state: PairState, now: number, limit: PairLimit = DEFAULT_PAIR_LIMIT): PairDecision {
  if (state.blockedUntil !== null && state.blockedUntil > now)
    return { allowed: false, waitMs: state.blockedUntil - now };
  const tat = Math.max(state.tat ?? now, now);
  const slack = (limit.burst - 1) * limit.intervalMs;
  if (tat - now > slack) return { allowed: false, waitMs: tat - now - slack };
  return { allowed: true, next: { tat: tat + limit.intervalMs, blockedUntil: state.blockedUntil } };
}

/**
 * Meta answered 131056: its bucket for the pair is empty whatever ours says. The pair waits `backOffMs`
 * (4^n seconds, domain/send-errors.ts) and at least one interval, and our state is set to "empty".
 */
export function pairRefused(
  state: PairState,
  now: number,
  backOffMs: number,
  limit: PairLimit = DEFAULT_PAIR_LIMIT,
): PairState {
  return {
    tat: Math.max(state.tat ?? now, now + limit.burst * limit.intervalMs),
    blockedUntil: Math.max(state.blockedUntil ?? now, now + backOffMs),
  };
}

/** The pair's recipient key: the digits of a wa_id or an E.164 phone (both name the same user). */
export function pairRecipient(recipient: string): string {
  return recipient.replace(/[^0-9]/g, '');
}
