import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../clock';
import { CircuitBreaker } from './circuit-breaker';
import { OutboundHttpClient } from './http-client';
import { DEFAULT_RETRY, OutboundHttpClientImpl, RetryPolicy } from './outbound-http.client';
import { SlidingWindowLimiter } from './rate-limiter';

export interface ClientOptions {
  /** Requests allowed per window (default window one minute). */
  limit: number;
  windowMs?: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The key's breaker (shared by all its clients), taken from the first client made for the key. */
  circuit?: { threshold?: number; cooldownMs?: number };
}

/**
 * Hands out per-integration clients. The limiter and breaker of an integration live here, so every
 * call this process makes for it (tests, webhooks, syncs) shares one budget.
 */
@Injectable()
export class OutboundHttpFactory {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly clients = new Map<string, OutboundHttpClient>();

  constructor(@Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock) {}

  forKey(key: string, options: ClientOptions): OutboundHttpClient {
    const windowMs = options.windowMs ?? 60_000;
    const id = `${key}|${options.limit}|${windowMs}`;
    const existing = this.clients.get(id);
    if (existing) return existing;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new SlidingWindowLimiter(options.limit, windowMs, this.clock.now, this.clock.sleep);
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
      timeoutMs: options.timeoutMs ?? 10_000,
      sleep: this.clock.sleep,
      clock: this.clock.now,
      random: Math.random,
    });
    this.clients.set(id, client);
    return client;
  }

  /** The rate-limit state of a key's client in this process, if it has made calls. */
  peek(key: string): { remaining: number | null; resetAt: string | null } | undefined {
    for (const [id, client] of this.clients) if (id.startsWith(`${key}|`)) return client.rateLimit();
    return undefined;
  }

  forIntegration(integrationId: number, limitPerMinute: number): OutboundHttpClient {
    return this.forKey(`integration:${integrationId}`, { limit: limitPerMinute });
  }
}
