import { Inject, Injectable, Logger } from '@nestjs/common';
import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import type { IntegrationConfig, VerificationKeys } from '../../handlers/integration-handler';
import { withAppCredentials } from '../../handlers/oauth/oauth-provider';
import { ConfigCodec } from '../integration-templates/config-codec';
import { IntegrationChanges } from '../integrations/integration-changes';
import type { IntegrationRow } from '../integrations/integrations.repository';
import {
  PREVIOUS_WEBHOOK_SECRET_POINTER,
  previousSecretPointer,
  WEBHOOK_SECRET_POINTER,
} from '../integrations/sealed-fields';
import { WebhookRoutingRepository } from './webhook-routing.repository';

/** What the ingest path needs of an integration: identity, state and its verification keys. */
export interface WebhookTarget {
  integrationId: number;
  subAccountId: number;
  handler: string;
  /** isActive and status "active": switched on and proven by a passed connection test. */
  receiving: boolean;
  status: string;
  routingKey: string | null;
  config: IntegrationConfig;
  keys: VerificationKeys;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/**
 * Integration lookups for inbound webhooks, cached for a few seconds so a burst of deliveries (or
 * of unauthenticated handshakes) does not cost a query and a decryption each. A change of an
 * integration drops them (IntegrationChanges, from any process); the TTL bounds what a missed one costs. A row whose secrets do not open is left out and logged: it
 * never fails a lookup for the others.
 */
@Injectable()
export class WebhookTargets {
  private readonly logger = new Logger(WebhookTargets.name);
  private readonly byWebhookId = new Map<string, Cached<WebhookTarget | null>>();
  private readonly byRoutingKey = new Map<string, Cached<WebhookTarget[]>>();
  private readonly receivingByHandler = new Map<string, Cached<WebhookTarget[]>>();
  private readonly connectedByHandler = new Map<string, Cached<WebhookTarget[]>>();
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: WebhookRoutingRepository,
    private readonly codec: ConfigCodec,
    private readonly box: SecretBox,
    private readonly registry: HandlerRegistry,
    changes: IntegrationChanges,
  ) {
    this.ttlMs = config.webhooks.cacheTtlMs;
    changes.subscribe((integrationId, scope) =>
      integrationId !== null && scope === 'own' ? this.forget(integrationId) : this.invalidate(),
    );
  }

  async forWebhookId(webhookId: string): Promise<WebhookTarget | null> {
    const hit = this.fresh(this.byWebhookId.get(webhookId));
    if (hit) return hit.value;
    const row = await this.repository.findByWebhookId(webhookId);
    const value = row ? this.toTarget(row) : null;
    this.remember(this.byWebhookId, webhookId, value);
    return value;
  }

  async forRoutingKeys(handler: string, keys: string[]): Promise<WebhookTarget[]> {
    const missing = keys.filter((k) => !this.fresh(this.byRoutingKey.get(`${handler}|${k}`)));
    if (missing.length) {
      const rows = await this.repository.findByRoutingKeys(handler, missing);
      for (const key of missing)
        this.remember(
          this.byRoutingKey,
          `${handler}|${key}`,
          rows.filter((r) => r.routingKey === key).flatMap((r) => this.toTarget(r) ?? []),
        );
    }
    return keys.flatMap((k) => this.byRoutingKey.get(`${handler}|${k}`)?.value ?? []);
  }

  /** Integrations of a handler whose (non-secret) config field holds one of these values, with the value matched. */
  async forConfigValues(
    handler: string,
    field: string,
    values: string[],
  ): Promise<Array<{ key: string; target: WebhookTarget }>> {
    const cacheKey = (v: string) => `${handler}|config:${field}=${v}`;
    const missing = values.filter((v) => !this.fresh(this.byRoutingKey.get(cacheKey(v))));
    if (missing.length) {
      const rows = await this.repository.findByConfigValues(handler, field, missing);
      for (const value of missing)
        this.remember(
          this.byRoutingKey,
          cacheKey(value),
          rows
            .filter((r) => {
              const config = r.config as Record<string, unknown> | null;
              return config !== null && typeof config === 'object' && config[field] === value;
            })
            .flatMap((r) => this.toTarget(r) ?? []),
        );
    }
    return values.flatMap((v) =>
      (this.byRoutingKey.get(cacheKey(v))?.value ?? []).map((target) => ({ key: v, target })),
    );
  }

  /**
   * Every receiving integration of a handler, for handshakes (cached like the delivery path); with
   * `connected`, every one not disconnected (WebhookSpec.handshakeUntilDisconnected).
   */
  async receivingForHandler(handler: string, connected = false): Promise<WebhookTarget[]> {
    const map = connected ? this.connectedByHandler : this.receivingByHandler;
    const hit = this.fresh(map.get(handler));
    if (hit) return hit.value;
    const rows = await this.repository.findReceivingByHandler(handler, connected);
    const value = rows.flatMap((r) => this.toTarget(r) ?? []);
    this.remember(map, handler, value);
    return value;
  }

  /** Forgets cached lookups after a change of an integration, made here or told by another process (IntegrationChanges). */
  invalidate(): void {
    this.byWebhookId.clear();
    this.byRoutingKey.clear();
    this.receivingByHandler.clear();
    this.connectedByHandler.clear();
  }

  /**
   * Forgets the cached lookups that hold one integration, after a change that kept it where it is
   * routed (IntegrationChangeScope 'own'): the others' stay, so the next deliveries for them cost no query.
   */
  forget(integrationId: number): void {
    const holds = (value: WebhookTarget | WebhookTarget[] | null): boolean =>
      Array.isArray(value)
        ? value.some((t) => t.integrationId === integrationId)
        : value?.integrationId === integrationId;
    for (const map of [this.byWebhookId, this.byRoutingKey, this.receivingByHandler, this.connectedByHandler] as Array<
      Map<string, Cached<WebhookTarget | WebhookTarget[] | null>>
    >)
      for (const [key, entry] of map) if (holds(entry.value)) map.delete(key);
  }

  private fresh<T>(entry: Cached<T> | undefined): Cached<T> | undefined {
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  private remember<T>(map: Map<string, Cached<T>>, key: string, value: T): void {
    if (map.size > 10_000) map.clear();
    map.set(key, { value, expiresAt: Date.now() + this.ttlMs });
  }

  private toTarget(row: IntegrationRow): WebhookTarget | null {
    const scope = { integrationId: row.id, legacy: row.sealVersion < 2 };
    let config: IntegrationConfig;
    try {
      config = this.codec.open(row.template.configSchema, row.config as Record<string, unknown>, scope);
      // connected through the hub's OAuth app: that app signs the deliveries (Meta appSecret, LinkedIn clientSecret)
      config = withAppCredentials(
        config,
        this.registry.get(row.handler)?.oauth,
        row.oauthProvider,
        this.config.oauth.apps,
      );
    } catch (err) {
      // a value moved here from another row, tampered with, or under a key we lack: this row only is unusable
      this.logger.warn(
        { integrationId: row.id, reason: err instanceof Error ? err.message : String(err) },
        'integration skipped for webhooks: a stored secret does not decrypt',
      );
      return null;
    }
    const now = Date.now();
    const secrets = [this.tryOpen(row, row.webhookSecret, WEBHOOK_SECRET_POINTER)];
    if (row.previousWebhookSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > now)
      secrets.push(this.tryOpen(row, row.previousWebhookSecret, PREVIOUS_WEBHOOK_SECRET_POINTER));
    const previousSecrets: Record<string, string> = {};
    if (row.previousConfigSecretsExpireAt && row.previousConfigSecretsExpireAt.getTime() > now) {
      const sealed = row.previousConfigSecrets;
      if (sealed && typeof sealed === 'object' && !Array.isArray(sealed)) {
        for (const [field, value] of Object.entries(sealed)) {
          const plain = typeof value === 'string' ? this.tryOpen(row, value, previousSecretPointer(field)) : null;
          if (plain !== null) previousSecrets[field] = plain;
        }
      }
    }
    return {
      integrationId: row.id,
      subAccountId: row.subAccountId,
      handler: row.handler,
      receiving: row.isActive && row.status === 'active',
      status: row.status,
      routingKey: row.routingKey,
      config,
      keys: {
        config,
        webhookSecrets: secrets.filter((s): s is string => s !== null),
        previousSecrets,
      },
    };
  }

  private tryOpen(row: IntegrationRow, sealed: string, pointer: string): string | null {
    try {
      return this.box.open(sealed, integrationSecretContext(row.id, pointer), row.sealVersion < 2);
    } catch (err) {
      this.logger.warn(
        { integrationId: row.id, field: pointer, reason: err instanceof Error ? err.message : String(err) },
        'a stored webhook secret does not decrypt; it is not used',
      );
      return null;
    }
  }
}
