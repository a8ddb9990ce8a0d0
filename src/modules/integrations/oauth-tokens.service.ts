import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CLOCK, Clock, systemClock } from '../../common/clock';
import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { OutboundHttpFactory } from '../../common/outbound/outbound-http.factory';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OAUTH_PROVIDER_REGISTRY } from '../../handlers/oauth/oauth-providers';
import {
  InvalidGrantError,
  isOAuthProviderKey,
  OAuthCall,
  OAuthExchangeError,
  OAuthProvider,
  OAuthProviderKey,
  OAuthTokens,
} from '../../handlers/oauth/oauth-provider';
import { IntegrationOAuthRepository } from './integration-oauth.repository';
import { OAUTH_TOKENS_POINTER } from './sealed-fields';
import type { IntegrationRow } from './integrations.repository';

export const REAUTHORIZATION_MESSAGE =
  'REAUTHORIZATION_REQUIRED: the provider refused the stored OAuth grant; connect the integration again';

export function reauthorizationRequired(): DomainException {
  return new DomainException(ErrorCode.REAUTHORIZATION_REQUIRED, REAUTHORIZATION_MESSAGE);
}

/**
 * A refresh the token endpoint could not answer (down, garbage) or refused otherwise than invalid_grant
 * (invalid_client): the grant is kept and tried again at the next use, and the caller answers in the
 * API's terms (502 CONNECTION_FAILED, 422 INVALID_CREDENTIALS) instead of a 500. The message names no
 * token (OAuthExchangeError never echoes the provider's body).
 */
function refreshFailed(err: OAuthExchangeError): DomainException {
  const code = err.code === 'INVALID_CREDENTIALS' ? ErrorCode.INVALID_CREDENTIALS : ErrorCode.CONNECTION_FAILED;
  return new DomainException(code, `The OAuth token could not be refreshed: ${err.message}`);
}

/** Whether `err` says the integration's OAuth grant was refused or ran out (a person must connect again). */
export function isReauthorizationRequired(err: unknown): boolean {
  return err instanceof DomainException && err.code === ErrorCode.REAUTHORIZATION_REQUIRED;
}

interface Current {
  /** Null when the tokens were erased meanwhile (a disconnect, a pasted token): the config's own token applies. */
  tokens: string | null;
  expiresAt: Date | null;
}

/**
 * An integration's OAuth tokens: sealed on its row, opened for its handler, refreshed ahead of expiry
 * (and after a 401) one refresh per integration at a time across every process. In a process,
 * concurrent callers share one refresh; across processes an advisory lock serialises them, and the
 * token row is read again once the lock is held, so a caller that waited uses the token its
 * predecessor stored instead of spending the (single-use, rotating) refresh token again.
 */
@Injectable()
export class OAuthTokensService {
  private readonly logger = new Logger('OAuthTokens');
  private readonly inflight = new Map<number, Promise<Current>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly http: OutboundHttpFactory,
    private readonly repository: IntegrationOAuthRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  seal(integrationId: number, tokens: OAuthTokens): string {
    return this.box.seal(JSON.stringify(tokens), integrationSecretContext(integrationId, OAUTH_TOKENS_POINTER));
  }

  /** Throws UnreadableSecretError / UnknownKeyError like any sealed value that does not open here. */
  open(integrationId: number, sealed: string): OAuthTokens {
    return JSON.parse(
      this.box.open(sealed, integrationSecretContext(integrationId, OAUTH_TOKENS_POINTER)),
    ) as OAuthTokens;
  }

  /** The provider call context for token endpoints; throws 409 when the app's credentials are not configured. */
  callFor(key: OAuthProviderKey): OAuthCall {
    const app = this.config.oauth.apps[key];
    if (!app.clientId || !app.clientSecret)
      throw DomainException.conflict(`No OAuth app is configured for ${key} (client id and secret)`);
    return {
      http: this.http.forKey(`oauth:${key}`, { limit: 600, ...this.config.outbound }),
      app: { ...app, clientId: app.clientId, clientSecret: app.clientSecret },
      apiBaseUrl: key === 'meta' ? this.config.providerUrls.metaGraph : this.config.providerUrls.ghlApi,
      now: () => new Date(this.clock.now()),
    };
  }

  /**
   * The row with a usable access token: refreshed first when it expires within OAUTH_REFRESH_AHEAD_SECONDS.
   * An integration whose grant was refused answers REAUTHORIZATION_REQUIRED without calling anyone.
   */
  async fresh(row: IntegrationRow): Promise<IntegrationRow> {
    if (row.oauthTokens === null) {
      if (row.oauthProvider !== null && row.status === 'error' && row.errorMessage === REAUTHORIZATION_MESSAGE)
        throw reauthorizationRequired();
      return row;
    }
    if (!this.expiring(row.oauthExpiresAt)) return row;
    const current = await this.refresh(row.id, row.oauthTokens, false);
    return { ...row, oauthTokens: current.tokens, oauthExpiresAt: current.expiresAt };
  }

  /**
   * For the refresh sweep: like `fresh`, with a longer look-ahead (a token that would expire before the
   * next sweep is refreshed now, whether or not anything uses it). An unrefreshable token (Meta) that has
   * run out stops the integration (status error, REAUTHORIZATION_REQUIRED), as on use.
   */
  async refreshIfDue(row: IntegrationRow, aheadMs: number): Promise<IntegrationRow> {
    if (row.oauthTokens === null || !this.expiring(row.oauthExpiresAt, aheadMs)) return row;
    const current = await this.refresh(row.id, row.oauthTokens, false, aheadMs);
    return { ...row, oauthTokens: current.tokens, oauthExpiresAt: current.expiresAt };
  }

  /** After the provider answered 401 to `row`'s token: a new one, unless another caller already replaced it. */
  async afterUnauthorized(row: IntegrationRow): Promise<IntegrationRow> {
    if (row.oauthTokens === null) return row;
    const current = await this.refresh(row.id, row.oauthTokens, true);
    return { ...row, oauthTokens: current.tokens, oauthExpiresAt: current.expiresAt };
  }

  /**
   * The provider refused `row`'s token (a 401, Meta's code 190) and a refresh gave nothing new: the provider
   * has no refresh grant (Meta) or the connection no refresh token (LinkedIn apps without programmatic
   * refresh tokens). Only a person can connect again (Meta's code 190: the token "has expired, been revoked,
   * or is otherwise invalid", recovered by getting a new one, developers.facebook.com/docs/graph-api/guides/
   * error-handling; through the login flow again, …/facebook-login/guides/access-tokens/debugging), so as
   * after a refused refresh: status error with REAUTHORIZATION_REQUIRED, the dead tokens dropped, so that
   * nothing calls with them again. Returns that error to throw, or `err` when the tokens were replaced
   * meanwhile (a reconnect): the next call uses the new ones.
   */
  async refusedWithoutRefresh(row: IntegrationRow, err: unknown): Promise<unknown> {
    if (row.oauthTokens === null) return err;
    const now = new Date(this.clock.now());
    if (!(await this.repository.markReauthorizationRequired(row.id, row.oauthTokens, REAUTHORIZATION_MESSAGE, now)))
      return err;
    this.logger.warn(
      { integrationId: row.id, provider: row.oauthProvider },
      'OAuth token refused and nothing to refresh it with: reauthorization required',
    );
    return reauthorizationRequired();
  }

  /**
   * What names the grant `tokens` come from, as sha256 hex (never the id or token itself): the person
   * when the provider named them (Meta /me, Google's id_token), else the token a revocation takes.
   */
  grantKey(provider: OAuthProviderKey, tokens: OAuthTokens): string {
    const identity = tokens.subject
      ? `subject:${tokens.subject}`
      : `token:${tokens.userToken ?? tokens.refreshToken ?? tokens.accessToken}`;
    return createHash('sha256').update(`${provider}:${identity}`).digest('hex');
  }

  /**
   * Best effort: a revocation the provider refuses or cannot take never stops a disconnect. Skipped
   * while another live integration holds the same grant: Meta's DELETE /me/permissions and Google's
   * revoke end the person's whole grant to the app, which would cut that integration off too.
   */
  async revoke(row: Pick<IntegrationRow, 'id' | 'oauthProvider' | 'oauthTokens' | 'oauthGrantKey'>): Promise<void> {
    if (row.oauthTokens === null || row.oauthProvider === null || !isOAuthProviderKey(row.oauthProvider)) return;
    const provider = OAUTH_PROVIDER_REGISTRY[row.oauthProvider];
    if (!provider.revoke) return;
    if (row.oauthGrantKey !== null && (await this.repository.grantInUse(row.id, provider.key, row.oauthGrantKey))) {
      this.logger.log(
        { integrationId: row.id, provider: provider.key },
        'OAuth grant kept: another live integration was connected with it',
      );
      return;
    }
    try {
      await provider.revoke(this.callFor(provider.key), this.open(row.id, row.oauthTokens));
    } catch (err) {
      this.logger.warn(
        { integrationId: row.id, provider: provider.key, reason: err instanceof Error ? err.name : 'unknown' },
        'OAuth revocation failed',
      );
    }
  }

  private expiring(expiresAt: Date | null, aheadMs = this.config.oauth.refreshAheadMs): boolean {
    return expiresAt !== null && expiresAt.getTime() - this.clock.now() <= aheadMs;
  }

  private refresh(
    id: number,
    seen: string,
    force: boolean,
    aheadMs = this.config.oauth.refreshAheadMs,
  ): Promise<Current> {
    const running = this.inflight.get(id);
    if (running) return running;
    const started = this.refreshLocked(id, seen, force, aheadMs).finally(() => this.inflight.delete(id));
    this.inflight.set(id, started);
    return started;
  }

  private async refreshLocked(id: number, seen: string, force: boolean, aheadMs: number): Promise<Current> {
    const outcome = await this.repository.withRefreshLock(id, async (): Promise<Current | 'reauthorize'> => {
      const current = await this.repository.read(id);
      if (!current?.tokens || !current.provider || !isOAuthProviderKey(current.provider)) return 'reauthorize';
      const stored: Current = { tokens: current.tokens, expiresAt: current.expiresAt };
      // another caller refreshed while this one waited for the lock (or the token is not due after all)
      if (!this.expiring(current.expiresAt, aheadMs) && (current.tokens !== seen || !force)) return stored;
      const provider: OAuthProvider = OAUTH_PROVIDER_REGISTRY[current.provider];
      const tokens = this.open(id, current.tokens);
      const now = new Date(this.clock.now());
      if (!provider.refresh || !tokens.refreshToken) {
        // nothing to refresh with (Meta): usable until it expires, then a person connects again
        if (current.expiresAt !== null && current.expiresAt.getTime() <= now.getTime()) {
          if (await this.repository.markReauthorizationRequired(id, current.tokens, REAUTHORIZATION_MESSAGE, now))
            return 'reauthorize';
          return this.replaced(id);
        }
        return stored;
      }
      let next: OAuthTokens;
      try {
        next = await provider.refresh(this.callFor(provider.key), tokens);
      } catch (err) {
        if (err instanceof OAuthExchangeError) throw refreshFailed(err);
        if (!(err instanceof InvalidGrantError)) throw err;
        // committed with this transaction: no later caller spends a dead grant again; a grant connected
        // while this one was being refused is another grant, and stays
        const marked = await this.overGeneration(id, current.tokens, tokens, (expected) =>
          this.repository.markReauthorizationRequired(id, expected, REAUTHORIZATION_MESSAGE, now),
        );
        if (!marked) return this.replaced(id);
        this.logger.warn(
          { integrationId: id, provider: provider.key },
          'OAuth grant refused: reauthorization required',
        );
        return 'reauthorize';
      }
      const merged: OAuthTokens = { ...tokens, ...next };
      const sealed = this.seal(id, merged);
      const expiresAt = next.expiresAt ? new Date(next.expiresAt) : null;
      // the rotated refresh token is written in the transaction that holds the lock, and only over the
      // tokens it was refreshed from: a reconnect stored meanwhile wins over this older grant's result
      const kept = await this.overGeneration(id, current.tokens, tokens, (expected) =>
        this.repository.storeRefreshed(id, expected, sealed, expiresAt, now),
      );
      if (!kept) return this.replaced(id);
      return { tokens: sealed, expiresAt };
    });
    if (outcome === 'reauthorize') throw reauthorizationRequired();
    return outcome;
  }

  /**
   * Writes a refresh's outcome (its result, or the refused grant's reauthorization mark) over the generation
   * it was refreshed from. The compare-and-set is on the sealed text, and a re-seal of the same tokens (a key
   * rotation: `secrets:rotate`, or any change of a row still on an older key, re-seals its OAuth tokens)
   * lands under the row lock, not under the refresh lock: it is still the generation this refresh spent.
   * Dropping the result then would lose a rotated refresh token (GoHighLevel's are single-use) and the next
   * refresh would be refused; dropping the mark would let the next caller spend the dead grant again. So
   * when the stored tokens open to exactly what was refreshed, `write` is tried over them instead; anything
   * else is another generation (a reconnect), which stays.
   */
  private async overGeneration(
    id: number,
    seen: string,
    refreshedFrom: OAuthTokens,
    write: (expected: string) => Promise<boolean>,
  ): Promise<boolean> {
    let expected = seen;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await write(expected)) return true;
      const stored = (await this.repository.read(id))?.tokens ?? null;
      if (stored === null || stored === expected || !this.sameTokens(id, stored, refreshedFrom)) return false;
      expected = stored;
    }
    return false;
  }

  private sameTokens(id: number, sealed: string, tokens: OAuthTokens): boolean {
    try {
      return isDeepStrictEqual(this.open(id, sealed), tokens);
    } catch {
      return false;
    }
  }

  /** The tokens another writer stored while this refresh ran (a reconnect; none after a disconnect or a pasted token). */
  private async replaced(id: number): Promise<Current> {
    const now = await this.repository.read(id);
    this.logger.log({ integrationId: id }, 'OAuth tokens replaced during a refresh: the refresh result is dropped');
    return { tokens: now?.tokens ?? null, expiresAt: now?.expiresAt ?? null };
  }
}
