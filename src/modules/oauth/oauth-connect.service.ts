import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import { CLOCK, Clock, systemClock } from '../../common/clock';
import { SecretBox } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { IntegrationChange } from '../integrations/integration';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { OAUTH_PROVIDER_REGISTRY } from '../../handlers/oauth/oauth-providers';
import {
  InvalidGrantError,
  isOAuthProviderKey,
  OAuthExchangeError,
  OAuthProviderKey,
  OAuthTokens,
} from '../../handlers/oauth/oauth-provider';
import { HandlerContextFactory } from '../integrations/handler-context.factory';
import { IntegrationConnectionsService } from '../integrations/integration-connections.service';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { IntegrationsService } from '../integrations/integrations.service';
import { OAuthTokensService } from '../integrations/oauth-tokens.service';
import { AuthorizationUrlDto } from './dto/oauth.dto';
import { allowListForm, OAuthStateSigner, pkcePair } from './oauth-state';
import { OAuthStatesRepository } from './oauth-states.repository';

export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

/** Outcome codes the CRM gets back in `code=` when the connection did not become active. */
type FailureCode =
  | ErrorCode.INVALID_CREDENTIALS
  | ErrorCode.CONNECTION_FAILED
  | ErrorCode.NOT_FOUND
  | ErrorCode.ROUTING_KEY_TAKEN
  | ErrorCode.CONFLICT
  | 'ACCESS_DENIED';

/**
 * "Connect with …" (API.md "OAuth connections"): start hands out the provider's consent URL with a
 * signed, single-use, 10-minute state (PKCE where the provider supports it); the callback consumes the
 * state, exchanges the code server-side, stores the tokens sealed on the integration, runs the
 * connection test and sends the admin back to the CRM with the outcome.
 */
@Injectable()
export class OAuthConnectService {
  private readonly logger = new Logger(OAuthConnectService.name);
  private readonly signer: OAuthStateSigner;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly integrations: IntegrationsService,
    private readonly repository: IntegrationsRepository,
    private readonly connections: IntegrationConnectionsService,
    private readonly contexts: HandlerContextFactory,
    private readonly tokens: OAuthTokensService,
    private readonly states: OAuthStatesRepository,
    private readonly registry: HandlerRegistry,
    private readonly box: SecretBox,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.signer = new OAuthStateSigner(config.encryptionKeys[0].key);
  }

  async start(user: AuthUser, id: number, redirectUri: string): Promise<AuthorizationUrlDto> {
    const row = await this.integrations.find(user, id);
    const spec = this.registry.require(row.handler).oauth;
    if (!spec) throw DomainException.validation(`Integrations of ${row.handler} do not connect through OAuth`);
    const target = allowListForm(redirectUri);
    if (target === null || !this.config.oauth.redirectAllowlist.includes(target))
      throw DomainException.validation('redirectUri is not on the allow-list (OAUTH_REDIRECT_ALLOWLIST)', [
        { pointer: '/redirectUri', message: 'not an allowed redirect URI' },
      ]);
    const provider = OAUTH_PROVIDER_REGISTRY[spec.provider];
    const call = this.tokens.callFor(provider.key); // 409 when the app is not configured
    const { state, id: stateId } = this.signer.issue(provider.key);
    const pkce = provider.pkce ? pkcePair() : undefined;
    // a Facebook Login for Business configuration for this handler, when the environment names one
    const configId = spec.businessLogin ? this.config.oauth.metaLoginConfigs[spec.businessLogin.config] : undefined;
    const now = new Date(this.clock.now());
    const stored = await this.states.create(
      {
        id: stateId,
        integrationId: row.id,
        subAccountId: row.subAccountId,
        provider: provider.key,
        redirectUri,
        codeVerifier: pkce ? this.box.seal(pkce.verifier, `oauth-state:${stateId}`) : null,
        loginConfigId: configId ?? null,
        createdBy: user.sub,
        expiresAt: new Date(now.getTime() + this.config.oauth.stateTtlMs),
      },
      now,
    );
    if (!stored) throw DomainException.notFound('Integration');
    return {
      authorizationUrl: provider.authorizationUrl(call.app, {
        clientId: call.app.clientId,
        redirectUri: this.callbackUrl(provider.key),
        state,
        scopes: spec.scopes,
        codeChallenge: pkce?.challenge,
        configId,
      }),
    };
  }

  /** The URL to send the browser to. A state that is forged, replayed, expired or for another provider is refused (400). */
  async callback(providerKey: string, query: CallbackQuery): Promise<string> {
    if (!isOAuthProviderKey(providerKey)) throw DomainException.notFound('OAuth provider');
    const stateId = query.state ? this.signer.verify(providerKey, query.state) : null;
    const flow = stateId ? await this.states.consume(stateId) : null;
    if (!flow || flow.provider !== providerKey || flow.expiresAt.getTime() <= this.clock.now())
      throw DomainException.validation(
        'The OAuth state is invalid, already used or expired; start the connection again',
      );
    const back = (status: 'active' | 'error', code?: FailureCode): string => {
      const url = new URL(flow.redirectUri);
      url.searchParams.set('integrationId', String(flow.integrationId));
      url.searchParams.set('status', status);
      if (code) url.searchParams.set('code', code);
      return url.toString();
    };
    // the person who started the flow acts again, within the sub-account the flow was started for
    const user: AuthUser = { sub: flow.createdBy, role: 'ADMIN', subAccountIds: [flow.subAccountId] };
    const row = await this.repository.findById([flow.subAccountId], flow.integrationId);
    if (!row) return back('error', ErrorCode.NOT_FOUND);
    if (query.error || !query.code) return back('error', 'ACCESS_DENIED');
    const spec = this.registry.require(row.handler).oauth;
    if (!spec || spec.provider !== providerKey) return back('error', ErrorCode.INVALID_CREDENTIALS);

    let tokens: OAuthTokens;
    try {
      tokens = await OAUTH_PROVIDER_REGISTRY[providerKey].exchangeCode(this.tokens.callFor(providerKey), {
        code: query.code,
        redirectUri: this.callbackUrl(providerKey),
        codeVerifier: flow.codeVerifier ? this.box.open(flow.codeVerifier, `oauth-state:${flow.id}`) : undefined,
        config: this.contexts.build(row).ctx.config,
        spec,
        // the dialog this flow opened decides what its code is exchanged for (not today's setting)
        configId: flow.loginConfigId ?? undefined,
      });
    } catch (err) {
      const code =
        err instanceof OAuthExchangeError
          ? (err.code as FailureCode)
          : err instanceof InvalidGrantError
            ? ErrorCode.INVALID_CREDENTIALS
            : ErrorCode.CONNECTION_FAILED;
      this.logger.warn(
        { integrationId: row.id, provider: providerKey, reason: err instanceof Error ? err.message : 'unknown' },
        'OAuth code exchange failed',
      );
      await this.markError(
        user,
        row.subAccountId,
        row.id,
        err instanceof Error ? err.message : 'The code exchange failed',
      );
      return back('error', code);
    }

    const stored = await this.repository.mutate(
      row.subAccountId,
      row.id,
      (): IntegrationChange => ({
        oauthProvider: providerKey,
        oauthTokens: this.tokens.seal(row.id, tokens),
        oauthExpiresAt: tokens.expiresAt ? new Date(tokens.expiresAt) : null,
        oauthRefreshedAt: new Date(this.clock.now()),
        oauthGrantKey: this.tokens.grantKey(providerKey, tokens),
        status: 'pending',
        errorMessage: null,
      }),
      this.integrations.audited(user, 'integration.oauth.connect', () => ({ after: { provider: providerKey } })),
    );
    if ('notFound' in stored) return back('error', ErrorCode.NOT_FOUND);
    if ('routingKeyTaken' in stored) return back('error', ErrorCode.ROUTING_KEY_TAKEN);
    try {
      await this.connections.test(user, row.id);
      return back('active');
    } catch (err) {
      // the person is sent back to the CRM whatever the test ran into (API.md: the callback redirects): also
      // an integration deleted (404) or disconnected or reconfigured (409) while it was being tested, which
      // would otherwise leave them on an error body of the API
      if (
        err instanceof DomainException &&
        (err.code === ErrorCode.INVALID_CREDENTIALS ||
          err.code === ErrorCode.CONNECTION_FAILED ||
          err.code === ErrorCode.NOT_FOUND ||
          err.code === ErrorCode.CONFLICT)
      )
        return back('error', err.code);
      throw err;
    }
  }

  private callbackUrl(provider: OAuthProviderKey): string {
    return `${this.config.publicBaseUrl}/api/oauth/callback/${provider}`;
  }

  /**
   * A connect flow that failed before any token was stored. The integration shows the failure unless it
   * is working (`active`, e.g. a reconnect of a live connection): its stored tokens were not touched and
   * still serve it, so a cancelled or misdirected reconnect must not stop its deliveries (API.md: only an
   * `active` integration receives them). A `disconnected` one stays so, as after a failed connection test
   * (IntegrationConnectionsService.test): as `error` it would count again as a live user of what it shared.
   * The CRM learns the outcome from the redirect either way, and the attempt is audited.
   */
  private async markError(user: AuthUser, subAccountId: number, id: number, message: string): Promise<void> {
    await this.repository.mutate(
      subAccountId,
      id,
      (current): IntegrationChange =>
        current.status === 'active' || current.status === 'disconnected'
          ? {}
          : { status: 'error', errorMessage: `OAuth connection failed: ${message}`.slice(0, 1000) },
      this.integrations.audited(user, 'integration.oauth.failed', () => ({ after: { message } })),
    );
  }
}
