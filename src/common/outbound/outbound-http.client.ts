import { CircuitBreaker } from './circuit-breaker';
import { OutboundError, OutboundErrorKind, OutboundHttpClient, OutboundRequest, OutboundResponse } from './http-client';
import { SlidingWindowLimiter } from './rate-limiter';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out in-process: the caller (a job) reschedules. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

export interface ClientDeps {
  limiter: SlidingWindowLimiter;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  clock: () => number;
  random: () => number;
}

function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
  if (typeof error === 'string') return error.slice(0, 300);
  return undefined;
}

function kindOf(status: number): OutboundErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'client';
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
    const url = new URL(req.url);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const label = `${req.method} ${url.pathname}`;
    const retries = req.retry === false ? 0 : this.deps.retry.maxRetries;
    let last: OutboundError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (!this.deps.breaker.allow()) {
        throw new OutboundError('circuit_open', `${label}: provider unavailable (circuit open after repeated failures)`, last?.status, last?.body);
      }
      await this.deps.limiter.acquire();
      const outcome = await this.once(req, url, label);
      if (!(outcome instanceof OutboundError)) {
        this.deps.breaker.success();
        return outcome;
      }
      last = outcome;
      if (outcome.kind === 'server' || outcome.kind === 'network' || outcome.kind === 'timeout') this.deps.breaker.failure();
      else this.deps.breaker.success(); // the provider answered: it is up
      if (!outcome.transient || attempt === retries) break;
      const backoff = Math.min(this.deps.retry.maxDelayMs, this.deps.retry.baseDelayMs * 2 ** attempt) * (0.5 + this.deps.random() / 2);
      const wait = outcome.retryAfterMs ?? backoff;
      if (wait > this.deps.retry.maxRetryAfterMs) break;
      await this.deps.sleep(wait);
    }
    throw last ?? new OutboundError('network', `${label}: no attempt was made`);
  }

  private async once(req: OutboundRequest, url: URL, label: string): Promise<OutboundResponse | OutboundError> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(req.timeoutMs ?? this.deps.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return new OutboundError(timeout ? 'timeout' : 'network', `${label}: ${timeout ? 'timed out' : 'could not connect'}`);
    }
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => (responseHeaders[key] = value));
    this.observeRateHeaders(responseHeaders);
    const text = await res.text();
    let body: unknown = text;
    if ((responseHeaders['content-type'] ?? '').includes('json') || /^[[{]/.test(text)) {
      try {
        body = text === '' ? null : (JSON.parse(text) as unknown);
      } catch {
        body = text;
      }
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: responseHeaders, body };
    const kind = kindOf(res.status);
    const wait = retryAfterMs(responseHeaders['retry-after'], this.deps.clock());
    if (kind === 'rate_limited' && wait !== undefined) this.deps.limiter.pauseUntil(this.deps.clock() + wait);
    const message = providerMessage(body) ?? `HTTP ${res.status}`;
    return new OutboundError(kind, `${label} answered ${res.status}: ${message}`, res.status, body, wait);
  }

  /** X-RateLimit-* (GoHighLevel and others): remember the budget, and pause when it is spent. */
  private observeRateHeaders(headers: Record<string, string>): void {
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (headers['x-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return;
    this.lastRemaining = remaining;
    const intervalMs = Number(headers['x-ratelimit-interval-milliseconds']);
    const resetSeconds = Number(headers['x-ratelimit-reset']);
    const now = this.deps.clock();
    const resetAt = Number.isFinite(resetSeconds) && resetSeconds > 0
      ? (resetSeconds > 1e9 ? resetSeconds * 1000 : now + resetSeconds * 1000)
      : Number.isFinite(intervalMs) && intervalMs > 0
        ? now + intervalMs
        : undefined;
    this.lastResetAt = resetAt === undefined ? null : new Date(resetAt).toISOString();
    if (remaining <= 0 && resetAt !== undefined) this.deps.limiter.pauseUntil(resetAt);
  }
}
