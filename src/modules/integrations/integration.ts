import type { IntegrationTemplate } from '../integration-templates/integration-template';

/** An integration's lifecycle (API.md "Integrations"): only `active` ones receive deliveries. */
export type IntegrationStatus = 'pending' | 'active' | 'error' | 'disconnected';

/**
 * One integration of a sub-account as the services see it (IntegrationsRepository maps the stored
 * row to it): its config with sealed secrets, its webhook identity and secrets, its health, and the
 * template it was made from.
 */
export interface Integration {
  id: number;
  subAccountId: number;
  templateId: number;
  /** The template's handler, copied so routing and plan limits need no join. */
  handler: string;
  name: string;
  description: string | null;
  isActive: boolean;
  /** When isActive first became true; null = never switched on (its first passed test does it). */
  activatedAt: Date | null;
  status: IntegrationStatus;
  /** Config as validated; secret properties hold sealed values (enc:…), never plaintext. */
  config: unknown;
  /** Id of the key that sealed the secrets. */
  keyId: string;
  /** Provider-level routing key (Meta page id, WhatsApp phone number id, GHL location id …). */
  routingKey: string | null;
  /** Public id in the integration's webhookUrl. */
  webhookId: string;
  webhookSecret: string;
  previousWebhookSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** Sealed values of verification secrets replaced by a config change, by field. */
  previousConfigSecrets: unknown;
  previousConfigSecretsExpireAt: Date | null;
  /** 2 = every sealed value is bound to this integration and field; 1 = legacy. */
  sealVersion: number;
  errorMessage: string | null;
  lastSyncAt: Date | null;
  lastSyncStatus: string | null;
  lastWebhookAt: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** Issue 15: the OAuth provider the integration is connected through, its sealed tokens and their expiry. */
  oauthProvider: string | null;
  oauthTokens: string | null;
  oauthExpiresAt: Date | null;
  /** sha256 hex naming the provider grant (person) the tokens come from; null when unknown. */
  oauthGrantKey: string | null;
  template: IntegrationTemplate;
}

/** What a new integration is stored with (its id is reserved first: secrets are sealed for it). */
export interface NewIntegration {
  subAccountId: number;
  templateId: number;
  handler: string;
  name: string;
  description: string | null;
  config: Readonly<Record<string, unknown>>;
  keyId: string;
  sealVersion: number;
  routingKey: string | null;
  webhookId: string;
  webhookSecret: string;
  createdBy: string;
}

/** The fields a change of an integration may write; absent fields stay as they are. */
export interface IntegrationChange {
  name?: string;
  description?: string | null;
  isActive?: boolean;
  activatedAt?: Date;
  status?: IntegrationStatus;
  config?: Readonly<Record<string, unknown>>;
  keyId?: string;
  sealVersion?: number;
  routingKey?: string | null;
  webhookSecret?: string;
  previousWebhookSecret?: string | null;
  previousSecretExpiresAt?: Date | null;
  previousConfigSecrets?: Readonly<Record<string, string>>;
  previousConfigSecretsExpireAt?: Date | null;
  errorMessage?: string | null;
  oauthProvider?: string | null;
  oauthTokens?: string | null;
  oauthExpiresAt?: Date | null;
  oauthRefreshedAt?: Date | null;
  oauthGrantKey?: string | null;
}
