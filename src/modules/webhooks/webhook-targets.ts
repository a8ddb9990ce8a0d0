import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '../../common/crypto/secret-box';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { IntegrationConfig, VerificationKeys } from '../../handlers/integration-handler';
import { ConfigCodec } from '../integration-templates/config-codec';
import { IntegrationRow, IntegrationsRepository } from '../integrations/integrations.repository';

/** What the ingest path needs of an integration: identity, state and its verification keys. */
export interface WebhookTarget {
  integrationId: number;
  subAccountId: number;
  handler: string;
  isActive: boolean;
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
 * Integration lookups for inbound webhooks, cached for a few seconds so a burst of deliveries does
 * not cost a query and a decryption each. A change made elsewhere is seen within the TTL.
 */
@Injectable()
export class WebhookTargets {
  private readonly byWebhookId = new Map<string, Cached<WebhookTarget | null>>();
  private readonly byRoutingKey = new Map<string, Cached<WebhookTarget[]>>();
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: IntegrationsRepository,
    private readonly codec: ConfigCodec,
    private readonly box: SecretBox,
  ) {
    this.ttlMs = config.webhooks.cacheTtlMs;
  }

  async forWebhookId(webhookId: string): Promise<WebhookTarget | null> {
    const hit = this.byWebhookId.get(webhookId);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const row = await this.repository.findByWebhookId(webhookId);
    const value = row ? this.toTarget(row) : null;
    this.remember(this.byWebhookId, webhookId, value);
    return value;
  }

  async forRoutingKeys(handler: string, keys: string[]): Promise<WebhookTarget[]> {
    const missing = keys.filter((k) => !((this.byRoutingKey.get(`${handler}|${k}`)?.expiresAt ?? 0) > Date.now()));
    if (missing.length) {
      const rows = await this.repository.findByRoutingKeys(handler, missing);
      for (const key of missing)
        this.remember(
          this.byRoutingKey,
          `${handler}|${key}`,
          rows.filter((r) => r.routingKey === key).map((r) => this.toTarget(r)),
        );
    }
    return keys.flatMap((k) => this.byRoutingKey.get(`${handler}|${k}`)?.value ?? []);
  }

  async activeForHandler(handler: string): Promise<WebhookTarget[]> {
    return (await this.repository.findActiveByHandler(handler)).map((r) => this.toTarget(r));
  }

  /** Forget cached lookups after a change in this process (other processes wait for the TTL). */
  invalidate(): void {
    this.byWebhookId.clear();
    this.byRoutingKey.clear();
  }

  private remember<T>(map: Map<string, Cached<T>>, key: string, value: T): void {
    if (map.size > 10_000) map.clear();
    map.set(key, { value, expiresAt: Date.now() + this.ttlMs });
  }

  private toTarget(row: IntegrationRow): WebhookTarget {
    const secrets = [this.box.open(row.webhookSecret)];
    if (
      row.previousWebhookSecret &&
      row.previousSecretExpiresAt &&
      row.previousSecretExpiresAt.getTime() > Date.now()
    ) {
      secrets.push(this.box.open(row.previousWebhookSecret));
    }
    const config = this.codec.open(row.template.configSchema, row.config as Record<string, unknown>);
    return {
      integrationId: row.id,
      subAccountId: row.subAccountId,
      handler: row.handler,
      isActive: row.isActive,
      status: row.status,
      routingKey: row.routingKey,
      config,
      keys: { config, webhookSecrets: secrets },
    };
  }
}
