import type { OutboundHttpClient } from '../../common/outbound/http-client';
import { OutboundError } from '../../common/outbound/http-client';
import { asNumber, asString, isRecord } from '../shared/json';

/** The authorisation servers the hub connects integrations through (API.md "OAuth connections"). */
export const OAUTH_PROVIDERS = ['meta', 'linkedin', 'google', 'gohighlevel'] as const;
export type OAuthProviderKey = (typeof OAUTH_PROVIDERS)[number];

export function isOAuthProviderKey(value: string): value is OAuthProviderKey {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

/** The handlers that can connect through a Facebook Login for Business configuration of the hub's app. */
export type MetaLoginConfigKey = 'whatsapp';

/** One provider's app registration and endpoints, from the environment (tests point them at fakes). */
export interface OAuthAppConfig {
  clientId?: string;
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
}

/**
 * What a handler declares when its provider offers OAuth: which provider, the scopes it needs, and
 * the config field the resulting access token fills (the one an admin would otherwise paste).
 */
export interface HandlerOAuth {
  provider: OAuthProviderKey;
  scopes: readonly string[];
  tokenField: string;
  /** Meta: the config field naming the page whose page token the handler uses (Lead Ads); else the user token. */
  pageIdField?: string;
  /** GoHighLevel: the config field that must equal the location the token was issued for. */
  locationIdField?: string;
  /**
   * Config fields that hold the provider app's own credentials (Meta `appSecret`: webhook signatures
   * and appsecret_proof; LinkedIn `clientId`/`clientSecret`: notification signatures and challenges).
   * A token from the connect flow belongs to the hub's app, so for an integration connected through
   * OAuth the fields left empty are the environment's (META_APP_SECRET, LINKEDIN_CLIENT_ID/_SECRET),
   * resolved at use and never stored; marked `"x-oauth": true` in the schema. A pasted value is the
   * admin's choice and is used as it is (also without OAuth, as before).
   */
  appFields?: Readonly<Record<string, 'clientId' | 'clientSecret'>>;
  /**
   * Meta: the Facebook Login for Business configuration this handler connects through when the
   * environment names one (config.oauth.metaLoginConfigs, e.g. META_WHATSAPP_CONFIG_ID): the dialog then
   * carries its config_id instead of `scopes`, and the code is exchanged for the business integration
   * system user token the configuration issues. `subscribeWabaField`: the config field of the WhatsApp
   * Business Account whose webhooks the hub's app is subscribed to while connecting (with the business
   * token, or with the person's token when no configuration is set).
   */
  businessLogin?: { config: MetaLoginConfigKey; subscribeWabaField?: string };
}

/**
 * `config` with the hub app's credentials in the handler's empty `appFields` when the integration is
 * connected through that provider (also after a disconnect or a refused grant: its deliveries are
 * still signed by the hub's app). Unchanged otherwise, where a value was pasted, or where the
 * environment has none.
 */
export function withAppCredentials<T extends Readonly<Record<string, unknown>>>(
  config: T,
  spec: HandlerOAuth | undefined,
  oauthProvider: string | null,
  apps: Readonly<Record<OAuthProviderKey, OAuthAppConfig>>,
): T {
  if (!spec?.appFields || oauthProvider !== spec.provider) return config;
  const app = apps[spec.provider];
  const filled: Record<string, unknown> = { ...config };
  for (const [field, from] of Object.entries(spec.appFields)) {
    const value = app[from];
    if (value && (filled[field] === undefined || filled[field] === '')) filled[field] = value;
  }
  return filled as T;
}

/** Tokens as stored (sealed) on the integration. Never returned, never logged. */
export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** ISO instant; absent when the token does not expire (Meta page tokens). */
  expiresAt?: string;
  refreshExpiresAt?: string;
  scope?: string;
  /** Meta: the long-lived user token a page token was derived from (needed to revoke). */
  userToken?: string;
  /** GoHighLevel: the location the token belongs to. */
  locationId?: string;
  /**
   * Meta: a business integration system user token from a Facebook Login for Business configuration
   * (no person's grant behind it: nothing to revoke with DELETE /me/permissions, no refresh).
   */
  systemUser?: boolean;
  /**
   * The person who granted, as the provider names them to this app (Meta's app-scoped user id, Google's
   * OpenID `sub`): a revocation removes the app's grant for the whole person, so a disconnect revokes
   * only while no other live integration was connected by them (stored hashed: oauth_grant_key).
   */
  subject?: string;
}

export interface OAuthCall {
  http: OutboundHttpClient;
  app: Required<Pick<OAuthAppConfig, 'clientId' | 'clientSecret'>> & OAuthAppConfig;
  /** Versioned Graph base (Meta) or API base (GoHighLevel), for calls beyond the token endpoint. */
  apiBaseUrl: string;
  now(): Date;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
  codeChallenge?: string;
  /** Meta: a Facebook Login for Business configuration, asked for instead of `scopes`. */
  configId?: string;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier?: string;
  /** The integration's decrypted config (Meta: which page; GoHighLevel: which location). */
  config: Readonly<Record<string, unknown>>;
  spec: HandlerOAuth;
  /** Meta: the Facebook Login for Business configuration the dialog was opened with (its code is a business token's). */
  configId?: string;
}

/** The authorisation server refused a grant (RFC 6749 §5.2 `invalid_grant`): a person must connect again. */
export class InvalidGrantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGrantError';
  }
}

/** Anything else a token endpoint refused, or a token that cannot serve the configured resource. */
export class OAuthExchangeError extends Error {
  constructor(
    message: string,
    readonly code: 'INVALID_CREDENTIALS' | 'CONNECTION_FAILED',
  ) {
    super(message);
    this.name = 'OAuthExchangeError';
  }
}

export interface OAuthProvider {
  readonly key: OAuthProviderKey;
  /** PKCE (RFC 7636, S256) where the provider documents it for web-server clients. */
  readonly pkce: boolean;
  /** Whether each refresh answers a new refresh token that replaces the old one (GoHighLevel). */
  readonly rotatesRefreshTokens: boolean;
  authorizationUrl(app: OAuthAppConfig, req: AuthorizationRequest): string;
  exchangeCode(call: OAuthCall, exchange: CodeExchange): Promise<OAuthTokens>;
  /** Absent when the provider has no refresh grant (Meta: a person reconnects before the 60 days end). */
  refresh?(call: OAuthCall, tokens: OAuthTokens): Promise<OAuthTokens>;
  /** Absent when the provider offers no revocation endpoint. */
  revoke?(call: OAuthCall, tokens: OAuthTokens): Promise<void>;
}

/** RFC 6749 §5.1: `access_token`, `expires_in`, `refresh_token`, `scope` (numbers may arrive as strings). */
export function tokenResponse(body: unknown, now: Date): OAuthTokens {
  if (!isRecord(body)) throw new OAuthExchangeError('The token endpoint answered no JSON object', 'CONNECTION_FAILED');
  const accessToken = asString(body.access_token);
  if (!accessToken) throw new OAuthExchangeError('The token endpoint answered no access_token', 'CONNECTION_FAILED');
  // an instant `expires_in` seconds from now; none for a lifetime no date can hold (1e300): the tokens of
  // such an answer are kept (a rotating refresh token is already spent) and renewed after a 401 instead
  const after = (value: unknown): string | undefined => {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : asNumber(value);
    const at = n !== undefined && n > 0 ? new Date(now.getTime() + n * 1000) : undefined;
    return at && !Number.isNaN(at.getTime()) ? at.toISOString() : undefined;
  };
  const expiresAt = after(body.expires_in);
  const refreshExpiresAt = after(body.refresh_token_expires_in);
  const refreshToken = asString(body.refresh_token);
  return {
    accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(refreshExpiresAt ? { refreshExpiresAt } : {}),
    ...(asString(body.scope) ? { scope: asString(body.scope) } : {}),
  };
}

/**
 * Calls a token endpoint once (never retried: a code, and a rotating refresh token, is single-use, so a
 * retry after a lost answer would only be refused) and maps RFC 6749 §5.2 errors: `invalid_grant`
 * becomes InvalidGrantError, other refusals OAuthExchangeError. The error body is never echoed (it
 * may quote the grant).
 */
export async function tokenRequest(
  call: OAuthCall,
  req: { method?: 'GET' | 'POST'; url: string; form?: Record<string, string>; query?: Record<string, string> },
): Promise<unknown> {
  try {
    const res = await call.http.request({
      method: req.method ?? 'POST',
      url: req.url,
      ...(req.form ? { form: req.form } : {}),
      ...(req.query ? { query: req.query } : {}),
      headers: { accept: 'application/json' },
      retry: false,
    });
    return res.body;
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    const error = isRecord(err.body) ? err.body.error : undefined;
    const code = typeof error === 'string' ? error : isRecord(error) ? asString(error.type) : undefined;
    if (code === 'invalid_grant') throw new InvalidGrantError('The provider refused the grant (invalid_grant)');
    if (err.kind === 'auth' || err.kind === 'client')
      throw new OAuthExchangeError(
        `The provider's token endpoint refused the request (HTTP ${err.status ?? '?'}${code ? `, ${code}` : ''})`,
        'INVALID_CREDENTIALS',
      );
    throw new OAuthExchangeError(
      `The provider's token endpoint could not be reached (${err.kind})`,
      'CONNECTION_FAILED',
    );
  }
}

/**
 * RFC 6749 §4.1.3: the authorization_code grant, client credentials in the form (client_secret_post),
 * plus a provider's own parameters (GoHighLevel's user_type, a PKCE code_verifier).
 */
export function codeGrant(
  call: OAuthCall,
  exchange: CodeExchange,
  extra: Record<string, string> = {},
): Promise<unknown> {
  return tokenRequest(call, {
    url: call.app.tokenUrl,
    form: {
      grant_type: 'authorization_code',
      code: exchange.code,
      client_id: call.app.clientId,
      client_secret: call.app.clientSecret,
      redirect_uri: exchange.redirectUri,
      ...extra,
    },
  });
}

/** RFC 6749 §6: the refresh_token grant, client credentials in the form, plus a provider's own parameters. */
export function refreshGrant(
  call: OAuthCall,
  tokens: OAuthTokens,
  extra: Record<string, string> = {},
): Promise<unknown> {
  return tokenRequest(call, {
    url: call.app.tokenUrl,
    form: {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken ?? '',
      client_id: call.app.clientId,
      client_secret: call.app.clientSecret,
      ...extra,
    },
  });
}

/**
 * The `sub` of an OpenID Connect id_token in a token response (Google with the openid scope). Read
 * without checking its signature, which OpenID Connect Core §3.1.3.7 allows for a token received
 * directly from the token endpoint over TLS; it only names the grant, it authorises nothing.
 */
export function idTokenSubject(body: unknown): string | undefined {
  const idToken = isRecord(body) ? asString(body.id_token) : undefined;
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isRecord(claims) ? asString(claims.sub) : undefined;
  } catch {
    return undefined;
  }
}

/** `base?query` with the parameters in order, for authorisation URLs. */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}
