import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../clock';
import { PgTokenBucket } from '../rate-limit/pg-token-bucket';
import { CircuitBreaker } from './circuit-breaker';
import { OutboundHttpClient } from './http-client';
import { OutboundBudgetRepository } from './outbound-budget.repository';
import { DEFAULT_RETRY, OutboundHttpClientImpl, RetryPolicy } from './outbound-http.client';
import { OutboundLimiter, SlidingWindowLimiter } from './rate-limiter';
import { SharedWindowLimiter } from './shared-limiter';

export interface ClientOptions {
  /** Requests allowed per window (default window one minute). */
  limit: number;
  windowMs?: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The key's breaker (shared by all its clients), taken from the first client made for the key. */
  circuit?: { threshold?: number; cooldownMs?: number };
  /**
   * `local`: the limit holds in this process only, with no database round trip per call — for a
   * client whose calls a shared limit of their own already governs (a WhatsApp number's bucket).
   * Default: shared by every process when the database is there.
   */
  scope?: 'shared' | 'local';
}

export interface RateLimitState {
  remaining: number | null;
  resetAt: string | null;
}

/**
 * Hands out per-integration clients. With the database (the application), an integration's rate
 * limit, the pauses its provider asks for and its daily budget are shared by every process of the
 * deployment (PostgreSQL, {@link SharedWindowLimiter}); without it (specs, one-off clients) they
 * hold in this process. The circuit breaker is per process: it protects this process's callers.
 */
@Injectable()
export class OutboundHttpFactory {
  private readonly logger = new Logger(OutboundHttpFactory.name);
  private readonly limiters = new Map<string, OutboundLimiter>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly clients = new Map<string, OutboundHttpClient>();
  private readonly bucket: PgTokenBucket | undefined;

  constructor(
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
    @Optional() private readonly budgets?: OutboundBudgetRepository,
  ) {
    this.bucket = budgets ? new PgTokenBucket(budgets, { sleep: (ms) => this.clock.sleep(ms) }) : undefined;
  }

  forKey(key: string, options: ClientOptions): OutboundHttpClient {
    const windowMs = options.windowMs ?? 60_000;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const shared = options.scope !== 'local' && this.bucket !== undefined && this.budgets !== undefined;
    const id = `${key}|${options.limit}|${windowMs}|${shared ? 'shared' : 'local'}`;
    const existing = this.clients.get(id);
    if (existing) return existing;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter =
        shared && this.bucket && this.budgets
          ? new SharedWindowLimiter(
              sharedKey(key),
              options.limit,
              windowMs,
              timeoutMs,
              this.bucket,
              this.budgets,
              (err: unknown) => this.logger.warn({ key, err }, 'releasing a rate-limit token failed'),
            )
          : new SlidingWindowLimiter(options.limit, windowMs, this.clock.now, this.clock.sleep);
      this.limiters.set(id, limiter);
    }
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(options.circuit?.threshold, options.circuit?.cooldownMs, this.clock.now);
      this.breakers.set(key, breaker);
    }
    const client = new OutboundHttpClientImpl({
      limiter,
      breaker,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeoutMs,
      sleep: this.clock.sleep,
      clock: this.clock.now,
      random: Math.random,
    });
    this.clients.set(id, client);
    return client;
  }

  /** The rate-limit state of a key's client in this process, if it has made calls. */
  peek(key: string): RateLimitState | undefined {
    for (const [id, client] of this.clients) if (id.startsWith(`${key}|`)) return client.rateLimit();
    return undefined;
  }

  /**
   * The key's budget as every process sees it (the shared state in the database), or this
   * process's view without one; undefined before the first call.
   */
  async state(key: string): Promise<RateLimitState | undefined> {
    if (!this.budgets) return this.peek(key);
    const shared = await this.budgets.state(sharedKey(key));
    if (!shared) return undefined;
    return {
      remaining: shared.remaining,
      resetAt:
        shared.resetAt === null || !Number.isFinite(shared.resetAt) ? null : new Date(shared.resetAt).toISOString(),
    };
  }

  forIntegration(integrationId: number, limitPerMinute: number): OutboundHttpClient {
    return this.forKey(`integration:${integrationId}`, { limit: limitPerMinute });
  }
}

/** The shared bucket of an outbound key (other buckets, e.g. WhatsApp numbers, have their own prefixes). */
export function sharedKey(key: string): string {
  return `outbound:${key}`;
}
