/** The one outbound HTTP client contract shared by every provider handler. */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OutboundRequest {
  method: HttpMethod;
  /** Absolute URL (the handler joins the configured provider base URL and a path). */
  url: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Serialized as JSON when present. */
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded (OAuth token endpoints); not together with `body`. */
  form?: Record<string, string>;
  timeoutMs?: number;
  /** Retries on 429/5xx/network errors (default true; false for non-idempotent calls that must not repeat). */
  retry?: boolean;
  /**
   * A provider that throttles with another status than 429 (Meta's codes 4, 17, 32, 613, 80000-range as
   * HTTP 400): a non-2xx answer this recognizes is handled as a 429 (`rate_limited`, retried, the
   * integration's calls paused for `waitMs` when it names one).
   */
  throttled?: (answer: OutboundResponse) => { waitMs?: number } | undefined;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  body: unknown;
}

export type OutboundErrorKind =
  | 'auth' // 401/403: credentials are wrong or revoked; never retried
  | 'rate_limited' // 429 after retries
  | 'server' // 5xx after retries
  | 'client' // other 4xx
  | 'network' // connection refused/reset, DNS
  | 'timeout'
  | 'circuit_open'; // the provider failed every recent call; not called at all

/**
 * What a log line may say about a failed provider call: the error's class, and for an OutboundError
 * its kind and HTTP status — never its message or body, which may quote what was sent (a token).
 */
export function failureFields(err: unknown): { reason: string; kind?: OutboundErrorKind; status?: number } {
  if (!(err instanceof Error)) return { reason: 'unknown' };
  if (!(err instanceof OutboundError)) return { reason: err.name };
  return { reason: err.name, kind: err.kind, ...(err.status === undefined ? {} : { status: err.status }) };
}

/**
 * The longest wait a provider's answer is believed for (a day: GoHighLevel's daily budget resets
 * within one); a longer Retry-After or usage header reads as a day.
 */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
    readonly status?: number,
    readonly body?: unknown,
    readonly retryAfterMs?: number,
    /** The answer's headers (lower-cased names), for provider-specific throttling signals (Meta's usage headers). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'OutboundError';
  }

  /** Worth trying again later (the job/queue level decides when). */
  get transient(): boolean {
    return this.kind !== 'auth' && this.kind !== 'client';
  }
}

/** Non-2xx answers become OutboundError; 2xx answers are returned. */
export interface OutboundHttpClient {
  request(req: OutboundRequest): Promise<OutboundResponse>;
  /** Rate-limit state as last seen (for the integration's health). */
  rateLimit(): { remaining: number | null; resetAt: string | null };
}
