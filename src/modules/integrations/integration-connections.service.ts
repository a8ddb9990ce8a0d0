import { Injectable, Logger } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import type { TestResult } from '../../handlers/handler-types';
import type { HandlerContext, IntegrationHandler } from '../../handlers/integration-handler';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { ConfigCodec, ConfigObject } from '../integration-templates/config-codec';
import { ConfigSchemaService, missingOAuthCredentials } from '../integration-templates/config-schema.service';
import { IntegrationDto, TestConfigDto, TestResultDto } from './dto/integration.dto';
import { HandlerContextFactory, UnreadableConfigError } from './handler-context.factory';
import type { Integration, IntegrationChange } from './integration';
import { IntegrationsRepository } from './integrations.repository';
import { IntegrationConfigService, routingKeyTaken, sealScope } from './integration-config.service';
import { IntegrationsService } from './integrations.service';
import { OAuthTokensService } from './oauth-tokens.service';
import { WabaSubscriptionsService } from './waba-subscriptions.service';

const UNREADABLE: TestResult = {
  success: false,
  code: 'INVALID_CREDENTIALS',
  message: 'A stored secret of this integration cannot be decrypted; enter the credentials again',
};

/**
 * Connection tests (saved or not) and disconnection. A test is what proves that an integration's
 * credentials reach its routing resource (page, number, location, organisation), so only a passed
 * test lets it receive webhook deliveries (API.md "Integrations").
 */
@Injectable()
export class IntegrationConnectionsService {
  private readonly logger = new Logger(IntegrationConnectionsService.name);

  constructor(
    private readonly integrations: IntegrationsService,
    private readonly configs: IntegrationConfigService,
    private readonly repository: IntegrationsRepository,
    private readonly contexts: HandlerContextFactory,
    private readonly codec: ConfigCodec,
    private readonly schemas: ConfigSchemaService,
    private readonly registry: HandlerRegistry,
    private readonly oauth: OAuthTokensService,
    private readonly wabaSubscriptions: WabaSubscriptionsService,
  ) {}

  async test(user: AuthUser, id: number): Promise<TestResultDto> {
    const row = await this.integrations.find(user, id);
    let result: TestResult;
    try {
      result = await this.contexts.withContext(row, (handler, ctx, used) => {
        // created to be connected with OAuth, and not connected yet: a credential problem, no provider call
        const missing = used.oauthTokens === null ? missingOAuthCredentials(row.template.configSchema, ctx.config) : [];
        if (missing.length) return Promise.resolve(notConnected(missing));
        return this.run(handler, ctx, id);
      });
    } catch (err) {
      if (err instanceof DomainException && err.code === ErrorCode.REAUTHORIZATION_REQUIRED)
        result = { success: false, code: 'INVALID_CREDENTIALS', message: err.message };
      // an OAuth token the provider could not refresh: a failed test like any other (API.md), not a 500
      else if (
        err instanceof DomainException &&
        (err.code === ErrorCode.INVALID_CREDENTIALS || err.code === ErrorCode.CONNECTION_FAILED)
      )
        result = {
          success: false,
          code: err.code === ErrorCode.INVALID_CREDENTIALS ? 'INVALID_CREDENTIALS' : 'CONNECTION_FAILED',
          message: err.message,
        };
      else if (err instanceof UnreadableConfigError) result = UNREADABLE;
      else throw err;
    }
    const outcome = await this.repository.mutate(
      row.subAccountId,
      id,
      (current) => {
        // the provider was asked about the config read above: a change meanwhile is not what passed
        if (!isDeepStrictEqual(current.config, row.config)) {
          throw DomainException.conflict('The configuration changed during the connection test; test it again');
        }
        // disconnected meanwhile: the tokens it was tested with are erased (and possibly revoked), so a
        // pass would show `active` an integration that holds nothing to act with
        if (current.status === 'disconnected' && row.status !== 'disconnected') {
          throw DomainException.conflict('The integration was disconnected during the connection test');
        }
        // a failed test of a disconnected integration (its tokens erased) leaves it `disconnected`, as a background
        // failure does: as `error` it was offered syncs again and counted as a live user of a shared WABA
        if (current.status === 'disconnected' && !result.success) return {};
        return {
          status: result.success ? 'active' : 'error',
          errorMessage: result.success ? null : result.message,
          ...(result.success && switchesOn(current) ? { isActive: true, activatedAt: new Date() } : {}),
        };
      },
      this.integrations.audited(user, 'integration.test', () => ({ after: result })),
    );
    this.integrations.changed(outcome);
    return answer(result);
  }

  /** "Test before saving": the same answers for a configuration that is not stored; nothing is written. */
  async testConfig(user: AuthUser, dto: TestConfigDto): Promise<TestResultDto> {
    const { template, plain, routingKey } = await this.integrations.validatedForNew(
      user,
      dto.subAccountId,
      dto.integrationTemplateId,
      dto.config,
      // an unsaved config has no OAuth connection to fill its credentials: they are required here
      'none',
    );
    if (routingKey !== null) {
      const owner = await this.repository.routingKeyOwner(template.handler, routingKey);
      if (owner !== null && owner !== dto.subAccountId) throw routingKeyTaken(routingKey);
    }
    const { handler, ctx } = this.contexts.buildUnsaved(template, dto.subAccountId, plain);
    return answer(await this.run(handler, ctx, null));
  }

  /**
   * Stops the integration for good: inactive, `disconnected`, provider tokens erased. Only the
   * secrets its deliveries are verified with stay, so that they can still be told apart from
   * forgeries (and answered 409 INTEGRATION_NOT_ACTIVE). A config change and a passed test reconnect it.
   */
  async disconnect(user: AuthUser, id: number): Promise<IntegrationDto> {
    const row = await this.integrations.find(user, id);
    // while its token is still stored (best effort): the app unsubscribed from a WhatsApp Business
    // Account no other live integration uses, or Meta goes on delivering the number's messages
    const afterDisconnect = await this.wabaSubscriptions.beforeDisconnect(row);
    // the tokens as they are when erased (a refresh may have replaced those read above)
    let erased: Integration = row;
    let before: IntegrationDto | undefined;
    const outcome = await this.repository.mutate(
      row.subAccountId,
      id,
      (current): IntegrationChange => {
        erased = current;
        before = this.integrations.toDto(current);
        const schema = current.template.configSchema;
        const { config } = this.codec.openReadable(schema, current.config as ConfigObject, sealScope(current));
        const kept = new Set(this.registry.get(current.handler)?.webhook?.verificationFields ?? []);
        for (const path of this.schemas.secretPaths(schema)) {
          if (path.length === 1 && kept.has(path[0])) continue;
          eraseAt(config, path);
        }
        return {
          ...this.configs.resealed(current),
          config: this.codec.seal(schema, config, current.id),
          status: 'disconnected',
          isActive: false,
          oauthTokens: null,
          oauthExpiresAt: null,
          oauthGrantKey: null,
          errorMessage: null,
          previousConfigSecrets: {},
          previousConfigSecretsExpireAt: null,
        };
      },
      this.integrations.audited(user, 'integration.disconnect', (updated) => ({
        before,
        after: this.integrations.toDto(updated),
      })),
    );
    // revoked where the provider offers it (best effort), after the tokens are erased: two integrations
    // of one grant disconnected at once then each see the other gone, and the grant is revoked. The
    // WABA's second look (see beforeDisconnect) comes first: a revocation ends the token it calls with
    if ('updated' in outcome) {
      await afterDisconnect();
      await this.oauth.revoke(erased);
    }
    return this.integrations.answer(outcome);
  }

  private async run(handler: IntegrationHandler, ctx: HandlerContext, id: number | null): Promise<TestResult> {
    try {
      return await handler.testConnection(ctx);
    } catch (err) {
      this.logger.warn({ integrationId: id, err }, 'connection test threw');
      return { success: false, code: 'CONNECTION_FAILED', message: 'The connection test could not reach the provider' };
    }
  }
}

/**
 * Whether a passed test switches the integration on (API.md: "The first successful test of a pending
 * integration also sets isActive: true"): a `pending` one (new, or its config changed), and one never
 * switched on whose first tests failed — its first successful test is this one, and nobody switched it
 * off. One an admin switched off stays off; so does one disconnected, until its config changes.
 */
function switchesOn(current: Integration): boolean {
  if (current.isActive) return false;
  return current.status === 'pending' || (current.status === 'error' && current.activatedAt === null);
}

function notConnected(missing: readonly string[]): TestResult {
  return {
    success: false,
    code: 'INVALID_CREDENTIALS',
    message: `Not connected yet: connect the integration (POST /api/integrations/:id/oauth/start) or enter ${missing.join(', ')}`,
    details: missing.map((name) => ({ pointer: `/${name}`, message: 'missing: filled by the OAuth connection' })),
  };
}

function answer(result: TestResult): TestResultDto {
  if (result.success)
    return { success: true, message: result.message, ...(result.details ? { details: result.details } : {}) };
  const code = result.code === 'INVALID_CREDENTIALS' ? ErrorCode.INVALID_CREDENTIALS : ErrorCode.CONNECTION_FAILED;
  throw new DomainException(code, result.message, result.details, undefined, { success: false });
}

function eraseAt(config: ConfigObject, path: readonly string[]): void {
  let parent: unknown = config;
  for (const name of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return;
    parent = (parent as ConfigObject)[name];
  }
  if (typeof parent === 'object' && parent !== null && !Array.isArray(parent))
    delete (parent as ConfigObject)[path[path.length - 1]];
}
