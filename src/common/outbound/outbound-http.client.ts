import { CircuitBreaker } from './circuit-breaker';
import {
  MAX_RETRY_AFTER_MS,
  OutboundError,
  OutboundErrorKind,
  OutboundHttpClient,
  OutboundRequest,
  OutboundResponse,
} from './http-client';
import { OutboundLimiter } from './rate-limiter';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out in-process: the caller (a job) reschedules. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
};

export interface ClientDeps {
  limiter: OutboundLimiter;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  clock: () => number;
  random: () => number;
}

// RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT. An HTTP-date
// (IMF-fixdate, or the obsolete RFC 850 and asctime forms, §5.6.7) starts with the day's name.
const DELAY_SECONDS = /^\d+$/;
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

/**
 * The wait a Retry-After asks for, or undefined for anything that is neither form: Date.parse reads
 * "-5", "1" or " 7 " as dates in 2001 (a wait of 0, a retry storm), so only the two grammars count.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let wait: number | undefined;
  if (DELAY_SECONDS.test(text)) wait = Number(text) * 1000;
  else if (HTTP_DATE.test(text)) {
    // asctime carries no zone, and an HTTP-date is always GMT: not the server's local time
    const date = Date.parse(/\b(?:GMT|UTC)\b/i.test(text) ? text : `${text} GMT`);
    wait = Number.isNaN(date) ? undefined : Math.max(0, date - now);
  }
  return wait === undefined ? undefined : Math.min(wait, MAX_RETRY_AFTER_MS);
}

/** The provider's own words for an error, from the usual envelopes (Meta, GoHighLevel, LinkedIn). */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string') {
    return String((error as Record<string, unknown>).message).slice(0, 300);
  }
  if (typeof record.message === 'string') return record.message.slice(0, 300);
  if (Array.isArray(record.message)) return record.message.map(String).join('; ').slice(0, 300);
  if (typeof error === 'string') {
    // OAuth (RFC 6749 §5.2): the code, then the human-readable description when there is one
    const description = typeof record.error_description === 'string' ? `: ${record.error_description}` : '';
    return `${error}${description}`.slice(0, 300);
  }
  return undefined;
}

function kindOf(status: number): OutboundErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'client';
}

/**
 * A failed fetch or body read: timeout or network. By name, not `instanceof Error`: the DOMException
 * an aborted fetch rejects with comes from Node's own realm, and jest runs tests in another one.
 */
function failureKind(err: unknown): 'timeout' | 'network' {
  const name = typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
}

/** fetch's refusal of a redirect (`redirect: 'error'`): a TypeError whose cause says "unexpected redirect". */
function isRedirectRefusal(err: unknown): boolean {
  // read by shape: fetch's errors come from Node's own realm, not always this one's Error
  const cause = typeof err === 'object' && err !== null && 'cause' in err ? err.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'message' in cause && cause.message === 'unexpected redirect';
}

/**
 * Providers sometimes echo the URL in their errors, or the credential they refuse ("Malformed access
 * token <token>"): what the call carried in its query, its credential headers and its form never
 * reaches a message (messages end up in answers, `errorMessage`, `lastError` and logs).
 */
function redactCarried(message: string, call: PreparedCall): string {
  return withoutValues(message.replace(/([?&][^=\s&?#]+=)[^&\s"'#]+/g, '$1[redacted]'), carriedValues(call));
}

export function withoutValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length < 8) continue; // short values (ids, flags) are not secrets and would mangle the text
    out = out.split(value).join('[redacted]').split(encodeURIComponent(value)).join('[redacted]');
  }
  return out;
}

function carriedValues(call: PreparedCall): string[] {
  const { url, init } = call;
  const values = [...url.searchParams.values(), ...credentialHeaders(call)];
  if (init.headers['content-type'] === 'application/x-www-form-urlencoded' && init.body)
    values.push(...new URLSearchParams(init.body).values());
  return values;
}

// names of the headers, query parameters and form fields that carry credentials
const CREDENTIAL_HEADER = /token|secret|key|signature|password|cookie/i;
const CREDENTIAL_FIELD = /token|secret|proof|assertion|password|key|code|signature/i;

/** "Bearer <token>" and "Basic <base64>" without their scheme, and headers such as Google Ads' developer-token. */
function credentialHeaders({ init }: PreparedCall): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(init.headers)) {
    if (name === 'authorization') values.push(value.replace(/^\S+\s+/, ''));
    else if (CREDENTIAL_HEADER.test(name)) values.push(value);
  }
  return values;
}

/** The credentials a call carried: redacted from the error's parsed body, which handlers store and show (Graph's error.message). */
function carriedCredentials(call: PreparedCall): string[] {
  const { url, init } = call;
  const values = credentialHeaders(call);
  for (const [name, value] of url.searchParams) if (CREDENTIAL_FIELD.test(name)) values.push(value);
  if (init.headers['content-type'] === 'application/x-www-form-urlencoded' && init.body)
    for (const [name, value] of new URLSearchParams(init.body)) if (CREDENTIAL_FIELD.test(name)) values.push(value);
  return values;
}

/** Every string of a parsed body with the given values replaced (the body's shape and other values kept). */
export function bodyWithout(body: unknown, values: readonly string[]): unknown {
  if (typeof body === 'string') return withoutValues(body, values);
  if (Array.isArray(body)) return body.map((item) => bodyWithout(item, values));
  if (typeof body === 'object' && body !== null)
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, bodyWithout(v, values)]));
  return body;
}

interface PreparedCall {
  url: URL;
  /** Method and path: what error messages name (never the query, where tokens travel). */
  label: string;
  init: { method: string; headers: Record<string, string>; body?: string };
  throttled?: OutboundRequest['throttled'];
}

function prepare(req: OutboundRequest): PreparedCall {
  if (req.body !== undefined && req.form !== undefined)
    throw new Error('OutboundRequest takes a JSON body or a form, not both');
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  // Lower-cased so a caller's "Accept" or "Content-Type" replaces the default instead of joining it.
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (req.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(req.form).toString();
  } else if (req.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(req.body);
  }
  return {
    url,
    label: `${req.method} ${url.pathname}`,
    init: { method: req.method, headers, body },
    throttled: req.throttled,
  };
}

/**
 * Outbound calls for one integration: rate-limited, retried with jittered exponential backoff on
 * 429/5xx/timeouts (honouring Retry-After), behind a circuit breaker. Error messages carry the
 * method, the path and the provider's message, never the query string (tokens travel there).
 */
export class OutboundHttpClientImpl implements OutboundHttpClient {
  private lastRemaining: number | null = null;
  private lastResetAt: string | null = null;

  constructor(private readonly deps: ClientDeps) {}

  rateLimit(): { remaining: number | null; resetAt: string | null } {
    return { remaining: this.lastRemaining ?? this.deps.limiter.remaining(), resetAt: this.lastResetAt };
  }

  async request(req: OutboundRequest): Promise<OutboundResponse> {
    // Everything that can throw on a bad request happens here, before the breaker hands out a trial.
    const call = prepare(req);
    const { label } = call;
    const retries = req.retry === false ? 0 : this.deps.retry.maxRetries;
    let last: OutboundError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      // Before the breaker too: a call refused here must not take the half-open trial with it.
      const pausedMs = await this.deps.limiter.pausedForMs();
      if (pausedMs > this.deps.retry.maxRetryAfterMs) {
        throw (
          last ??
          new OutboundError(
            'rate_limited',
            `${label}: the provider asked to wait ${Math.ceil(pausedMs / 1000)} s`,
            undefined,
            undefined,
            pausedMs,
          )
        );
      }
      if (!this.deps.breaker.allow()) {
        throw new OutboundError(
          'circuit_open',
          `${label}: provider unavailable (circuit open after repeated failures)`,
          last?.status,
          last?.body,
        );
      }
      const release = await this.deps.limiter.acquire();
      let outcome: OutboundResponse | OutboundError;
      try {
        outcome = await this.once(call, req.timeoutMs ?? this.deps.timeoutMs);
      } finally {
        release();
      }
      if (!(outcome instanceof OutboundError)) {
        this.deps.breaker.success();
        return outcome;
      }
      last = outcome;
      if (outcome.kind === 'server' || outcome.kind === 'network' || outcome.kind === 'timeout')
        this.deps.breaker.failure();
      else this.deps.breaker.success(); // the provider answered: it is up
      if (!outcome.transient || attempt === retries) break;
      const backoff =
        Math.min(this.deps.retry.maxDelayMs, this.deps.retry.baseDelayMs * 2 ** attempt) *
        (0.5 + this.deps.random() / 2);
      const wait = outcome.retryAfterMs ?? backoff;
      if (wait > this.deps.retry.maxRetryAfterMs) break;
      await this.deps.sleep(wait);
    }
    throw last ?? new OutboundError('network', `${label}: no attempt was made`);
  }

  /** One attempt; never throws (the breaker must hear how every attempt it let through went). */
  private async once(call: PreparedCall, timeoutMs: number): Promise<OutboundResponse | OutboundError> {
    const { url, label, init } = call;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch (err) {
      // a redirect is never followed (it could point our call, and what it carries, anywhere): say so
      if (isRedirectRefusal(err))
        return new OutboundError('network', `${label}: answered a redirect, which is not followed`);
      const kind = failureKind(err);
      return new OutboundError(kind, `${label}: ${kind === 'timeout' ? 'timed out' : 'could not connect'}`);
    }
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => (responseHeaders[key] = value));
    await this.observeRateHeaders(responseHeaders);
    try {
      text = await res.text(); // the timeout covers the body too
    } catch (err) {
      const kind = failureKind(err);
      return new OutboundError(
        kind,
        `${label}: ${kind === 'timeout' ? 'timed out reading the answer' : 'connection lost reading the answer'}`,
      );
    }
    let parsed: unknown = text;
    if ((responseHeaders['content-type'] ?? '').includes('json') || /^[[{]/.test(text)) {
      try {
        parsed = text === '' ? null : (JSON.parse(text) as unknown);
      } catch {
        parsed = text;
      }
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: responseHeaders, body: parsed };
    let kind = kindOf(res.status);
    let wait = retryAfterMs(responseHeaders['retry-after'], this.deps.clock());
    const throttle =
      kind === 'rate_limited'
        ? undefined
        : call.throttled?.({ status: res.status, headers: responseHeaders, body: parsed });
    if (throttle) {
      kind = 'rate_limited';
      wait ??= throttle.waitMs;
    }
    if (kind === 'rate_limited' && wait !== undefined) await this.deps.limiter.pauseUntil(this.deps.clock() + wait);
    const message = redactCarried(providerMessage(parsed) ?? `HTTP ${res.status}`, call);
    return new OutboundError(
      kind,
      `${label} answered ${res.status}: ${message}`,
      res.status,
      bodyWithout(parsed, carriedCredentials(call)),
      wait,
      responseHeaders,
    );
  }

  /** X-RateLimit-* (GoHighLevel and others): remember the budget, and pause when it is spent. */
  private async observeRateHeaders(headers: Record<string, string>): Promise<void> {
    // a spent daily budget outweighs whatever the burst window says
    if (!(await this.observeDailyLimit(headers))) await this.observeBurstLimit(headers);
  }

  private async observeBurstLimit(headers: Record<string, string>): Promise<void> {
    const raw = headers['x-ratelimit-remaining'];
    const remaining = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(remaining)) return;
    this.lastRemaining = remaining;
    const intervalMs = Number(headers['x-ratelimit-interval-milliseconds']);
    const resetSeconds = Number(headers['x-ratelimit-reset']);
    const now = this.deps.clock();
    const resetAt =
      Number.isFinite(resetSeconds) && resetSeconds > 0
        ? resetSeconds > 1e9
          ? resetSeconds * 1000
          : now + resetSeconds * 1000
        : Number.isFinite(intervalMs) && intervalMs > 0
          ? now + intervalMs
          : undefined;
    // A reset beyond what a Date can hold would make toISOString() throw in the middle of a call; one
    // more than a day away (a burst window's reset is seconds away) is garbage that would stop every call.
    const valid =
      resetAt !== undefined && !Number.isNaN(new Date(resetAt).getTime()) && resetAt <= now + MAX_RETRY_AFTER_MS;
    this.lastResetAt = valid ? new Date(resetAt).toISOString() : null;
    await this.deps.limiter.observe({ remaining, resetAt: valid ? resetAt : null });
    if (remaining <= 0 && valid) await this.deps.limiter.pauseUntil(resetAt);
  }

  /**
   * GoHighLevel's daily budget (X-RateLimit-Daily-Remaining): when it is spent, no call goes out
   * before the next UTC day; the caller gets rate_limited with the wait instead of a provider 429.
   */
  private async observeDailyLimit(headers: Record<string, string>): Promise<boolean> {
    const raw = headers['x-ratelimit-daily-remaining'];
    if (raw === undefined || raw.trim() === '' || Number(raw) > 0 || !Number.isFinite(Number(raw))) return false;
    const now = new Date(this.deps.clock());
    const nextDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    this.lastRemaining = 0;
    this.lastResetAt = new Date(nextDay).toISOString();
    await this.deps.limiter.observe({ remaining: 0, resetAt: nextDay });
    await this.deps.limiter.pauseUntil(nextDay);
    return true;
  }
}
