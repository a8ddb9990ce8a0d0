import { randomUUID } from 'node:crypto';
import { ClientOptions, OutboundHttpFactory } from '../../src/common/outbound/outbound-http.factory';
import { HandlerContext, HandlerLogger, IntegrationConfig, ProviderUrls } from '../../src/handlers/integration-handler';
import { PROVIDER_BASE_URLS } from '../../src/handlers/providers';

export interface TestLogger extends HandlerLogger {
  lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }>;
}

export function testLogger(): TestLogger {
  const lines: TestLogger['lines'] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

/**
 * A HandlerContext for handler unit specs: the real outbound client (fast retries) and provider
 * base URLs pointing wherever the spec's FakeServer listens.
 */
export function handlerContext(
  config: IntegrationConfig,
  urls: ProviderUrls = {},
  options: Partial<ClientOptions> & { now?: Date } = {},
): HandlerContext & { logger: TestLogger } {
  const unreachable = 'http://127.0.0.1:9';
  return {
    integrationId: 1,
    subAccountId: 1,
    config,
    http: new OutboundHttpFactory().forKey(`test:${randomUUID()}`, {
      limit: 1000,
      timeoutMs: 2000,
      ...options,
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 2, maxRetryAfterMs: 2000, ...options.retry },
    }),
    // every provider's base URL unreachable unless the spec points it at its fake
    urls: { ...Object.fromEntries(Object.keys(PROVIDER_BASE_URLS).map((key) => [key, unreachable])), ...urls },
    logger: testLogger(),
    now: () => options.now ?? new Date(),
  };
}
