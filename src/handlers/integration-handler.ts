import { OutboundError, type OutboundHttpClient } from '../common/outbound/http-client';
import type { HandlerOAuth } from './oauth/oauth-provider';
import { isRecord } from './shared/json';
import type {
  Capability,
  ConfigProblem,
  JsonSchemaObject,
  SyncPage,
  TestResult,
  WebhookOutcome,
} from './handler-types';

/** A decrypted, schema-validated integration config. Handlers narrow what they read (see shared/json.ts). */
export type IntegrationConfig = Readonly<Record<string, unknown>>;

/**
 * Base URLs of the providers' APIs by the keys their provider.ts declares (`metaGraph`, `ghlApi` …),
 * overridable from the environment (`META_GRAPH_URL`, `GHL_API_URL` …) so tests can point them at fakes.
 */
export type ProviderUrls = Readonly<Record<string, string>>;

export interface HandlerLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Everything a handler may use for one integration (its config typed as the handler declares it). */
export interface HandlerContext<TConfig extends object = IntegrationConfig> {
  integrationId: number;
  subAccountId: number;
  config: TConfig;
  /** Rate-limited for this integration; retries 429/5xx honouring Retry-After. */
  http: OutboundHttpClient;
  urls: ProviderUrls;
  logger: HandlerLogger;
  now(): Date;
  /** Waits between polls of a provider's long-running job; a real timer unless a test injects one. */
  sleep?: (ms: number) => Promise<void>;
}

/** One inbound webhook delivery, exactly as received. */
export interface WebhookRequest {
  rawBody: Buffer;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, string | undefined>>;
  receivedAt: Date;
}

/** What verification may use: the integration's config and its webhook secrets (current first, then the previous one during a rotation's grace period). */
export interface VerificationKeys<TConfig extends object = IntegrationConfig> {
  config: TConfig;
  webhookSecrets: readonly string[];
  /**
   * Values a config change replaced in the spec's `verificationFields` (a previous Meta appSecret …),
   * by field name, while their grace period lasts (WEBHOOK_SECRET_GRACE_HOURS).
   */
  previousSecrets?: Readonly<Record<string, string>>;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** One event to store from a delivery: the slice of the payload it is about and its provider id. */
export interface ExtractedEvent {
  /** The provider's id for this event (Meta leadgen id, WhatsApp message id …); null when it has none. */
  externalId: string | null;
  eventType: string;
  payload: unknown;
}

export interface HandshakeResponse {
  contentType: 'text/plain' | 'application/json';
  body: string;
}

export interface WebhookSpec<TConfig extends object = IntegrationConfig> {
  /**
   * provider: one app-level URL routed by a key in the payload; integration: a URL per integration
   * (by its public webhook id); both: either.
   */
  routing: 'provider' | 'integration' | 'both';
  /** Provider-level routing: the routing keys a parsed payload carries (Meta page ids …). */
  routingKeys?(payload: unknown): string[];
  /** The routing key an integration answers to, from its config (Meta: pageId …). */
  routingKeyOf?(config: TConfig): string | undefined;
  /** The part of a provider-level delivery that belongs to one routing key (deliveries may mix several). */
  selectForRoutingKey?(payload: unknown, key: string): unknown;
  /**
   * Provider-level changes that carry no routing key but another id of the account (WhatsApp
   * template updates name the WABA, not a phone number): integrations whose config field equals
   * one of `keys(payload)` receive `select(payload, key)`. The signature still decides.
   */
  secondaryRouting?: {
    configField: string;
    keys(payload: unknown): string[];
    select(payload: unknown, key: string): unknown;
  };
  /**
   * Config fields the provider signs or authenticates deliveries with (Meta appSecret …): kept when an
   * integration is disconnected (deliveries can still be verified, then refused), and their previous
   * value keeps verifying for a grace period after a change.
   */
  verificationFields?: readonly string[];
  /**
   * Verification reads the parsed JSON body rather than a signature over the bytes (Google Ads lead
   * forms: `google_key` is a field of the body). At an integration's own URL a body that does not parse
   * is otherwise answered only after `verify` passes (401 before 400, API.md "Webhooks"); with this set
   * it cannot be verified at all and is refused 400 first.
   */
  verifyReadsBody?: boolean;
  /**
   * The provider validates the URL again on a schedule and blocks it after a few failures (LinkedIn:
   * every 2 hours, "Blocked" after 3 in a row until re-run by hand in the developer portal): the
   * handshake is answered for every integration of the handler that is not disconnected (pending before
   * its first test, in `error` for a while), not only for receiving ones. Deliveries still need a
   * receiving integration (409 INTEGRATION_NOT_ACTIVE otherwise).
   */
  handshakeUntilDisconnected?: boolean;
  /** Checks the delivery's signature over the exact raw bytes, in constant time. */
  verify(req: WebhookRequest, keys: VerificationKeys<TConfig>): VerifyResult;
  /** The events in a verified delivery (one per Meta change, WhatsApp message/status …); config is the integration's. */
  extractEvents(payload: unknown, req: WebhookRequest, config?: TConfig): ExtractedEvent[];
  /** A subscription handshake (GET) answered for an integration's config, or null if it does not match. */
  handshake?(query: Readonly<Record<string, string | undefined>>, config: TConfig): HandshakeResponse | null;
}

/** An event as the pipeline stored it. */
export interface StoredEvent {
  id: string;
  eventType: string;
  externalId: string | null;
  payload: unknown;
  receivedAt: Date;
}

/**
 * One class per provider (DESIGN.md "The handler contract"), in its own folder with a provider.ts
 * (src/handlers/provider.ts). `TConfig` is the shape of the integration config the handler reads
 * (validated against the template's JSON Schema before it gets here); extras such as sending
 * messages or calendars are capability interfaces (capabilities.ts).
 */
export interface IntegrationHandler<TConfig extends object = IntegrationConfig> {
  readonly key: string;
  readonly displayName: string;
  /** Template category this handler's standard template uses (lead-ads, crm, messaging, ads, analytics, webhook). */
  readonly category: string;
  readonly capabilities: readonly Capability[];
  readonly defaultConfigSchema: JsonSchemaObject;
  /**
   * Markdown for the admin connecting an integration: where in the provider's console each config field
   * is found, which webhook URL and verify token go where, which permissions the token needs. The seed
   * gives it to the handler's standard template (src/handlers/<provider>/setup-instructions.ts).
   */
  readonly setupInstructions?: string;
  /** Default outbound budget per integration, requests per minute. */
  readonly defaultRateLimitPerMinute: number;
  /** A provider window other than a minute (GoHighLevel: 100 per 10 s); used unless the template overrides. */
  readonly rateLimit?: { limit: number; windowMs: number };
  /** Checks JSON Schema cannot express; empty when the config is fine. */
  validateConfig?(config: TConfig): ConfigProblem[];
  testConnection(ctx: HandlerContext<TConfig>): Promise<TestResult>;
  readonly webhook?: WebhookSpec<TConfig>;
  /** Present when the provider offers OAuth: the connect flow fills `tokenField` (API.md "OAuth connections"). */
  readonly oauth?: HandlerOAuth;
  processWebhook?(event: StoredEvent, ctx: HandlerContext<TConfig>): Promise<WebhookOutcome>;
  syncData?(ctx: HandlerContext<TConfig>, cursor: string | null): Promise<SyncPage>;
  /**
   * A non-secret top-level config field without which an integration of this handler has nothing to
   * sync (Google Ads lead forms sync ad spend only with a customerId): such integrations answer 400 to
   * a sync and are never scheduled.
   */
  readonly syncRequires?: string;
}

/** Thrown by a handler when a stored event can never succeed (bad payload, 4xx other than rate limiting). */
export class PermanentEventError extends Error {
  /** `cause`: the provider's refusal it stands for (a 401 keeps its OutboundError here, see isTokenRefused). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

/**
 * A stored event or a sync that failed because of the integration's setup (a sunset API version,
 * a revoked permission): permanent, and reported on the integration (status `error`, this message)
 * so that a person fixes it instead of events failing one by one without a word.
 */
export class IntegrationSetupError extends PermanentEventError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntegrationSetupError';
  }
}

/**
 * Whether the provider refused the access token itself, also when a handler translated that refusal
 * into its own error and kept it as the `cause`: the pipelines refresh an OAuth token once on it and
 * try again. That is a 401 (RFC 6750 §3.1 invalid_token: Google, LinkedIn, GoHighLevel) or Graph's
 * OAuthException code 190 (an invalid or expired token, whatever the HTTP status). A 403 is not: the
 * token is valid but lacks a scope or a role, a new one would be refused the same way, and a refresh
 * would only spend a single-use refresh token (GoHighLevel rotates it on every refresh).
 */
export function isTokenRefused(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof OutboundError && refusesToken(e)) return true;
  return false;
}

function refusesToken(err: OutboundError): boolean {
  if (err.status === 401) return true;
  const error = isRecord(err.body) ? err.body.error : undefined;
  return isRecord(error) && error.code === META_INVALID_TOKEN;
}

/** Graph API: "Invalid OAuth 2.0 Access Token" (developers.facebook.com/docs/graph-api/guides/error-handling). */
const META_INVALID_TOKEN = 190;
