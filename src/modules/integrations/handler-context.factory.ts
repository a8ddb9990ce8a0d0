import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnknownKeyError, UnreadableSecretError } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { OutboundHttpFactory } from '../../common/outbound/outbound-http.factory';
import { redactingSecrets } from '../../common/outbound/redacting-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { HandlerContext, HandlerLogger, IntegrationHandler, isTokenRefused } from '../../handlers/integration-handler';
import { withAppCredentials } from '../../handlers/oauth/oauth-provider';
import { ConfigCodec } from '../integration-templates/config-codec';
import type { Integration } from './integration';
import { OAuthTokensService } from './oauth-tokens.service';

/** A stored secret of the integration does not open (moved, tampered, or sealed with a key we lack). */
export class UnreadableConfigError extends DomainException {
  constructor() {
    super(
      ErrorCode.CONFLICT,
      'A stored secret of this integration cannot be decrypted; enter the credentials again (PATCH config)',
    );
  }
}

/** Builds what a handler gets for one integration: decrypted config, its rate-limited client, URLs, logger. */
@Injectable()
export class HandlerContextFactory {
  private readonly logger = new Logger('Handler');
  /**
   * The context built for a row object, while that object lives: a worker keeps an integration's row
   * for a few seconds (WebhookProcessor) and runs every event of a burst with it, so its secrets are
   * decrypted once per row rather than once per event. A changed integration is a new row object.
   */
  private readonly built = new WeakMap<Integration, { handler: IntegrationHandler; ctx: HandlerContext }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: OutboundHttpFactory,
    private readonly codec: ConfigCodec,
    private readonly registry: HandlerRegistry,
    private readonly oauth: OAuthTokensService,
  ) {}

  /**
   * build() after making sure an OAuth-connected integration's access token is usable (refreshed
   * ahead of expiry). Throws REAUTHORIZATION_REQUIRED (409) when its grant was refused.
   */
  async buildFresh(row: Integration): Promise<{ handler: IntegrationHandler; ctx: HandlerContext; row: Integration }> {
    const current = await this.oauth.fresh(row);
    return { ...this.build(current), row: current };
  }

  /** A context with a new token after the provider refused `row`'s (unless another caller already replaced it). */
  async afterUnauthorized(
    row: Integration,
  ): Promise<{ handler: IntegrationHandler; ctx: HandlerContext; row: Integration }> {
    const current = await this.oauth.afterUnauthorized(row);
    return { ...this.build(current), row: current };
  }

  /** After a refused token that a refresh did not replace: REAUTHORIZATION_REQUIRED to throw (OAuthTokensService). */
  refusedWithoutRefresh(row: Integration, err: unknown): Promise<unknown> {
    return this.oauth.refusedWithoutRefresh(row, err);
  }

  /**
   * Runs `work` with a fresh context; when the provider refuses an OAuth-connected integration's token
   * (a 401, or Meta's code 190: isTokenRefused; not a 403, which a new token would not change), the token is refreshed once under the integration's refresh lock
   * (a concurrent caller's refresh is shared, not repeated) and `work` runs once more with the new one.
   * A refused grant (invalid_grant) throws REAUTHORIZATION_REQUIRED without a second call; so does a
   * refresh that leaves the token as it was (a provider without refresh tokens, e.g. Meta): the same
   * token would only be refused again, and the integration asks for a reconnect (refusedWithoutRefresh).
   * `work` also gets the row whose token it used.
   */
  async withContext<T>(
    row: Integration,
    work: (handler: IntegrationHandler, ctx: HandlerContext, row: Integration) => Promise<T>,
  ): Promise<T> {
    const first = await this.buildFresh(row);
    try {
      return await work(first.handler, first.ctx, first.row);
    } catch (err) {
      if (!isTokenRefused(err) || first.row.oauthTokens === null) throw err;
      const retried = await this.afterUnauthorized(first.row);
      if (retried.row.oauthTokens === first.row.oauthTokens) throw await this.refusedWithoutRefresh(first.row, err);
      return work(retried.handler, retried.ctx, retried.row);
    }
  }

  /** Throws UnreadableConfigError (409) when a stored secret of the row does not open here. */
  build(row: Integration): { handler: IntegrationHandler; ctx: HandlerContext } {
    const known = this.built.get(row);
    if (known) return known;
    const built = this.open(row);
    this.built.set(row, built);
    return built;
  }

  private open(row: Integration): { handler: IntegrationHandler; ctx: HandlerContext } {
    let config: Record<string, unknown>;
    try {
      config = this.codec.open(row.template.configSchema, row.config as Record<string, unknown>, {
        integrationId: row.id,
        legacy: row.sealVersion < 2,
      });
      // an OAuth connection's access token fills the field an admin would otherwise paste, the hub
      // app's credentials (Meta appSecret …) the fields its app signs and proves calls with
      const oauth = this.registry.get(row.handler)?.oauth;
      config = withAppCredentials(config, oauth, row.oauthProvider, this.config.oauth.apps);
      if (oauth && row.oauthTokens !== null)
        config = { ...config, [oauth.tokenField]: this.oauth.open(row.id, row.oauthTokens).accessToken };
    } catch (err) {
      if (err instanceof UnreadableSecretError || err instanceof UnknownKeyError) {
        this.logger.warn({ integrationId: row.id, reason: err.message }, 'a stored secret does not decrypt');
        throw new UnreadableConfigError();
      }
      throw err;
    }
    return this.forConfig(row, `integration:${row.id}`, config);
  }

  /**
   * A context for a configuration that is not stored ("test before saving"): its own outbound
   * budget per sub-account and template, no integration id (0).
   */
  buildUnsaved(
    template: Integration['template'],
    subAccountId: number,
    config: Record<string, unknown>,
  ): { handler: IntegrationHandler; ctx: HandlerContext } {
    return this.forConfig(
      { id: 0, subAccountId, handler: template.handler, template },
      `test-config:${subAccountId}:${template.id}`,
      config,
    );
  }

  private forConfig(
    row: Pick<Integration, 'id' | 'subAccountId' | 'handler' | 'template'>,
    budgetKey: string,
    config: Record<string, unknown>,
  ): { handler: IntegrationHandler; ctx: HandlerContext } {
    const handler = this.registry.require(row.handler);
    // the template's per-minute override wins; else the provider's own window (GoHighLevel: 100 per 10 s); else the handler default
    const budget =
      row.template.rateLimitPerMinute === null && handler.rateLimit
        ? handler.rateLimit
        : { limit: row.template.rateLimitPerMinute ?? handler.defaultRateLimitPerMinute, windowMs: 60_000 };
    // every secret of the configuration, whichever schema marks it (a template may be stricter than the
    // handler's own), with the OAuth token that fills one: kept out of every provider error the handler sees
    const oauth = handler.oauth;
    const secrets = [
      ...this.codec.secretValues(row.template.configSchema, config),
      ...this.codec.secretValues(handler.defaultConfigSchema, config),
      ...(oauth && typeof config[oauth.tokenField] === 'string' ? [String(config[oauth.tokenField])] : []),
    ];
    const client = redactingSecrets(this.http.forKey(budgetKey, { ...budget, ...this.config.outbound }), secrets);
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
        config,
        http: client,
        urls: this.config.providerUrls,
        logger,
        now: () => new Date(),
      },
    };
  }
}
