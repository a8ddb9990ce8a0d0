import { Inject, Injectable, Logger } from '@nestjs/common';
import { OutboundHttpFactory } from '../../common/outbound/outbound-http.factory';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { HandlerContext, HandlerLogger, IntegrationHandler } from '../../handlers/integration-handler';
import { ConfigCodec } from '../integration-templates/config-codec';
import type { IntegrationRow } from './integrations.repository';

/** Builds what a handler gets for one integration: decrypted config, its rate-limited client, URLs, logger. */
@Injectable()
export class HandlerContextFactory {
  private readonly logger = new Logger('Handler');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: OutboundHttpFactory,
    private readonly codec: ConfigCodec,
    private readonly registry: HandlerRegistry,
  ) {}

  build(row: IntegrationRow): { handler: IntegrationHandler; ctx: HandlerContext } {
    const handler = this.registry.require(row.handler);
    // the template's per-minute override wins; else the provider's own window (GoHighLevel: 100 per 10 s); else the handler default
    const budget =
      row.template.rateLimitPerMinute === null && handler.rateLimit
        ? handler.rateLimit
        : { limit: row.template.rateLimitPerMinute ?? handler.defaultRateLimitPerMinute, windowMs: 60_000 };
    const client = this.http.forKey(`integration:${row.id}`, { ...budget, ...this.config.outbound });
    const base = { integrationId: row.id, subAccountId: row.subAccountId, handler: row.handler };
    const logger: HandlerLogger = {
      info: (obj, msg) => this.logger.log({ ...base, ...obj }, msg),
      warn: (obj, msg) => this.logger.warn({ ...base, ...obj }, msg),
      error: (obj, msg) => this.logger.error({ ...base, ...obj }, msg),
    };
    return {
      handler,
      ctx: {
        integrationId: row.id,
        subAccountId: row.subAccountId,
        config: this.codec.open(row.template.configSchema, row.config as Record<string, unknown>),
        http: client,
        urls: this.config.providerUrls,
        logger,
        now: () => new Date(),
      },
    };
  }
}
