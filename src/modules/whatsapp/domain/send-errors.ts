// What to do after WhatsApp refused (or may not have received) a send, decided by the Graph error
// code — never by its title, which Meta says will be deprecated. Works for both places errors
// come from: the HTTP answer of POST /{phone-number-id}/messages and `statuses[].errors` of a
// `failed` webhook (Meta: errors arrive "synchronously, asynchronously via webhook, or both").
//
//   const c = classifyGraphError({ status: res.status, body: res.body, retryAfterMs }, attempt);
//   switch (c.outcome) {
//     case 'throttled': pause c.scope ('number' → the number's shared bucket, 'pair' → this recipient) for c.retryAfterMs
//     case 'transient': retry the same message after c.retryAfterMs
//     case 'deferred':  keep the recipient pending until now + c.retryAfterMs (hours, not seconds)
//     case 'permanent': mark failed with c.error; c.optOut → add to the opt-out list; c.scope 'sender' → stop the number
//     case 'unknown':   the request may have reached Meta (timeout): mark `unknown`, never resend silently
//   }
//
// Source: Meta, "WhatsApp error codes" (developers.facebook.com/documentation/business-messaging/
// whatsapp/support/error-codes; throttling rows 4, 80007, 130429, 131048, 131056 …; 131049 "wait at
// least 24 hours"; 131050 "do not retry … subscribe to the user_preferences webhook"; 131047 "send a
// template instead"). Pair rate limit back-off 4^X seconds: Cloud API overview, "Pair rate limits".
// Throughput upgrade (131057) takes up to a minute: …/whatsapp/throughput. Graph-wide throttles
// (17 user, 32 page, 613 custom) and `is_transient`: developers.facebook.com/docs/graph-api/guides/error-handling.
import { asBoolean, asNumber, asString, isRecord } from '../../../handlers/shared/json';

export type SendOutcome = 'throttled' | 'transient' | 'deferred' | 'permanent' | 'unknown';
/** Who must wait or stop: the whole number, one recipient (pair), the app or the WABA (management limits), the message only. */
export type SendErrorScope = 'number' | 'pair' | 'app' | 'waba' | 'message' | 'template' | 'sender';

/** What a failed message stores (API.md `error: { code, title, details }`). */
export interface StoredSendError {
  code: number | null;
  title: string;
  details: string | null;
}

export interface ClassifiedSendError {
  outcome: SendOutcome;
  scope: SendErrorScope;
  /** Machine-readable cause, e.g. `window_closed`, `opted_out`, `throughput`, `pair_rate`. */
  reason: string;
  /** When the same message (or recipient) may be tried again; absent for permanent and unknown outcomes. */
  retryAfterMs?: number;
  /** 131050: the user stopped marketing messages from this business. */
  optOut?: 'marketing';
  error: StoredSendError;
}

export interface GraphFailure {
  /** HTTP status of the answer; absent for webhook errors. */
  status?: number;
  /** The answer's body (`{ error: {…} }`) or one entry of a webhook's `errors[]`. */
  body?: unknown;
  /** The provider's Retry-After, already in milliseconds. */
  retryAfterMs?: number;
}

export interface BackoffOptions {
  /** 0..1, for jitter; injected by tests. */
  random?: () => number;
}

/**
 * Whether a throttle holds the whole number back (its shared bucket pauses), not just this message:
 * the number's own throughput (130429 …) and the app- and WABA-level limits (4, 17, 32, 613, 80007),
 * which every further call of this number would hit as well. 131056 is the pair's alone.
 */
export function pausesNumber(c: Pick<ClassifiedSendError, 'outcome' | 'scope'>): boolean {
  return c.outcome === 'throttled' && (c.scope === 'number' || c.scope === 'app' || c.scope === 'waba');
}

/** Whether a permanent failure is about the sender or the template, so every further send would fail the same way. */
export function stopsSending(c: Pick<ClassifiedSendError, 'outcome' | 'scope'>): boolean {
  return c.outcome === 'permanent' && (c.scope === 'sender' || c.scope === 'template');
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

interface Rule {
  outcome: SendOutcome;
  scope: SendErrorScope;
  reason: string;
  /** Delay for attempt n (0-based), before jitter. */
  delay?: (attempt: number) => number;
  optOut?: 'marketing';
}

const exponential = (base: number, cap: number) => (attempt: number) => Math.min(cap, base * 2 ** attempt);

const RULES = new Map<number, Rule>([
  // throughput of the business number (80 mps by default): the number's shared bucket pauses
  [130429, { outcome: 'throttled', scope: 'number', reason: 'throughput', delay: exponential(SECOND, 30 * SECOND) }],
  // pair rate limit: only this recipient waits, 4^X seconds as Meta recommends
  [
    131056,
    { outcome: 'throttled', scope: 'pair', reason: 'pair_rate', delay: (a) => Math.min(4 ** a, 4 ** 6) * SECOND },
  ],
  // throughput upgrade / maintenance: the number is unusable for up to a minute
  [131057, { outcome: 'throttled', scope: 'number', reason: 'maintenance', delay: exponential(MINUTE, 10 * MINUTE) }],
  // quality-based limits on the number: hours, and retrying sooner hurts its standing
  [131048, { outcome: 'throttled', scope: 'number', reason: 'spam_rate', delay: exponential(15 * MINUTE, 6 * HOUR) }],
  [131064, { outcome: 'throttled', scope: 'number', reason: 'category_limit', delay: exponential(HOUR, 12 * HOUR) }],
  // management-API budgets (200 or 5,000 calls per hour): app-wide or per WABA
  [4, { outcome: 'throttled', scope: 'app', reason: 'app_rate', delay: exponential(MINUTE, HOUR) }],
  [17, { outcome: 'throttled', scope: 'app', reason: 'user_rate', delay: exponential(MINUTE, HOUR) }],
  [32, { outcome: 'throttled', scope: 'app', reason: 'page_rate', delay: exponential(MINUTE, HOUR) }],
  [613, { outcome: 'throttled', scope: 'app', reason: 'custom_rate', delay: exponential(MINUTE, HOUR) }],
  [80007, { outcome: 'throttled', scope: 'waba', reason: 'waba_rate', delay: exponential(MINUTE, HOUR) }],
  // Meta-side trouble: the same message may go through later
  [1, { outcome: 'transient', scope: 'message', reason: 'api_unknown', delay: exponential(2 * SECOND, 5 * MINUTE) }],
  [2, { outcome: 'transient', scope: 'message', reason: 'api_service', delay: exponential(2 * SECOND, 5 * MINUTE) }],
  [
    131000,
    { outcome: 'transient', scope: 'message', reason: 'something_wrong', delay: exponential(2 * SECOND, 5 * MINUTE) },
  ],
  [
    131016,
    {
      outcome: 'transient',
      scope: 'message',
      reason: 'service_unavailable',
      delay: exponential(5 * SECOND, 5 * MINUTE),
    },
  ],
  [
    131053,
    { outcome: 'transient', scope: 'message', reason: 'media_upload', delay: exponential(5 * SECOND, 5 * MINUTE) },
  ],
  // per-user marketing cap: Meta says wait at least 24 hours before sending that template again
  [131049, { outcome: 'deferred', scope: 'pair', reason: 'marketing_cap', delay: () => 24 * HOUR }],
  // about the recipient
  [131047, { outcome: 'permanent', scope: 'pair', reason: 'window_closed' }],
  [131026, { outcome: 'permanent', scope: 'pair', reason: 'undeliverable' }],
  [131050, { outcome: 'permanent', scope: 'pair', reason: 'opted_out', optOut: 'marketing' }],
  [131030, { outcome: 'permanent', scope: 'pair', reason: 'not_allowed_recipient' }],
  [131021, { outcome: 'permanent', scope: 'pair', reason: 'recipient_is_sender' }],
  [130472, { outcome: 'permanent', scope: 'pair', reason: 'experiment' }],
  // about the message itself
  [100, { outcome: 'permanent', scope: 'message', reason: 'invalid_parameter' }],
  [131008, { outcome: 'permanent', scope: 'message', reason: 'missing_parameter' }],
  [131009, { outcome: 'permanent', scope: 'message', reason: 'invalid_parameter' }],
  [131051, { outcome: 'permanent', scope: 'message', reason: 'unsupported_type' }],
  [131052, { outcome: 'permanent', scope: 'message', reason: 'media_download' }],
  // about the number or the account: nothing else will go out from it until someone acts
  [131031, { outcome: 'permanent', scope: 'sender', reason: 'account_locked' }],
  [368, { outcome: 'permanent', scope: 'sender', reason: 'policy_blocked' }],
  [131042, { outcome: 'permanent', scope: 'sender', reason: 'payment' }],
  [131037, { outcome: 'permanent', scope: 'sender', reason: 'display_name' }],
  [131045, { outcome: 'permanent', scope: 'sender', reason: 'registration' }],
  [133010, { outcome: 'permanent', scope: 'sender', reason: 'not_registered' }],
  [33, { outcome: 'permanent', scope: 'sender', reason: 'number_deleted' }],
  [0, { outcome: 'permanent', scope: 'sender', reason: 'auth' }],
  [3, { outcome: 'permanent', scope: 'sender', reason: 'permission' }],
  [10, { outcome: 'permanent', scope: 'sender', reason: 'permission' }],
  [190, { outcome: 'permanent', scope: 'sender', reason: 'auth' }],
]);

// template errors whose template is unusable as it stands (missing/unapproved, paused, disabled):
// the row should be re-synced; the other 132xxx are this message's parameters
const TEMPLATE_UNUSABLE = new Set([132001, 132015, 132016]);

/**
 * Whether Meta refused a send because the template itself can no longer be sent (132001 no such
 * name/language, 132015 paused, 132016 disabled): its status changed at Meta, and the row must follow.
 */
export function isTemplateUnusable(code: number | null): boolean {
  return code !== null && TEMPLATE_UNUSABLE.has(code);
}

/** `(#130429) Rate limit hit` → `Rate limit hit`. */
function titleOf(message: string | undefined): string {
  return (message ?? '').replace(/^\(#\d+\)\s*/, '').trim();
}

/**
 * A provider's error code as the hub stores it. error_code is an int column: a code beyond it (garbage,
 * 1e20) would fail every write of the message or status it comes with, so it is left out instead.
 */
export function errorCodeOf(value: unknown): number | null {
  const code = asNumber(value);
  return code !== undefined && Number.isInteger(code) && Math.abs(code) <= 2_147_483_647 ? code : null;
}

/** Reads `{ error: {…} }` (HTTP) or a webhook `errors[]` entry into code, title, details. */
export function storedErrorOf(body: unknown): StoredSendError & { transient?: boolean } {
  const error = isRecord(body) && isRecord(body.error) ? body.error : isRecord(body) ? body : {};
  const data = isRecord(error.error_data) ? error.error_data : {};
  return {
    code: errorCodeOf(error.code),
    title: asString(error.title) ?? titleOf(asString(error.message)),
    details: asString(data.details) ?? null,
    ...(asBoolean(error.is_transient) === true ? { transient: true } : {}),
  };
}

function ruleFor(code: number | null, status: number | undefined, transient: boolean): Rule {
  const known = code !== null ? RULES.get(code) : undefined;
  if (known) return known;
  if (code !== null && code >= 132000 && code < 133000) {
    const unusable = TEMPLATE_UNUSABLE.has(code);
    return {
      outcome: 'permanent',
      scope: unusable ? 'template' : 'message',
      reason: unusable ? 'template_unusable' : 'template_parameters',
    };
  }
  if (code !== null && code >= 200 && code <= 299)
    return { outcome: 'permanent', scope: 'sender', reason: 'permission' };
  const retryable = transient || (status !== undefined && status >= 500) || status === 429;
  if (retryable)
    return {
      outcome: 'transient',
      scope: 'message',
      reason: status === 429 ? 'http_429' : 'server_error',
      delay: exponential(2 * SECOND, 5 * MINUTE),
    };
  return { outcome: 'permanent', scope: 'message', reason: 'rejected' };
}

/** ±20 % so that many workers retrying the same throttle do not come back in step. */
function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (0.8 + 0.4 * Math.min(1, Math.max(0, random()))));
}

/**
 * Classifies a Graph error. `attempt` is how many times this message (or recipient, for the pair
 * limit) was already refused for this reason, starting at 0: it grows the back-off.
 */
export function classifyGraphError(
  failure: GraphFailure,
  attempt = 0,
  options: BackoffOptions = {},
): ClassifiedSendError {
  const { transient, ...error } = storedErrorOf(failure.body);
  const rule = ruleFor(error.code, failure.status, transient === true);
  if (!error.title)
    error.title = error.code !== null ? `WhatsApp error ${error.code}` : `HTTP ${failure.status ?? 'error'}`;
  const classified: ClassifiedSendError = { outcome: rule.outcome, scope: rule.scope, reason: rule.reason, error };
  if (rule.optOut) classified.optOut = rule.optOut;
  if (rule.delay) {
    const base = rule.delay(Math.max(0, Math.floor(attempt)));
    // Meta's own wait wins for throttles when it names one; never shorter than ours for the daily cap
    const fromProvider = rule.outcome === 'throttled' ? failure.retryAfterMs : undefined;
    classified.retryAfterMs =
      rule.outcome === 'deferred' ? base : (fromProvider ?? jittered(base, options.random ?? Math.random));
  }
  return classified;
}

/**
 * A send that never got an answer. `network`/`circuit_open`: nothing reached Meta, retry. `timeout`:
 * the request may have been accepted (and delivered) — the outcome is unknown and must not be resent silently.
 */
export function classifyTransportFailure(
  kind: 'timeout' | 'network' | 'circuit_open',
  attempt = 0,
  options: BackoffOptions = {},
): ClassifiedSendError {
  const error: StoredSendError = {
    code: null,
    title: kind === 'timeout' ? 'No answer from WhatsApp' : 'WhatsApp unreachable',
    details: null,
  };
  if (kind === 'timeout') return { outcome: 'unknown', scope: 'message', reason: 'timeout', error };
  const delay = exponential(2 * SECOND, 5 * MINUTE)(Math.max(0, attempt));
  return {
    outcome: 'transient',
    scope: 'message',
    reason: kind,
    retryAfterMs: jittered(delay, options.random ?? Math.random),
    error,
  };
}
