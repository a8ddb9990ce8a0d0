/**
 * What Facebook Messenger and Instagram Direct share: both are the Messenger Platform (the Messenger
 * API for Instagram sends and receives through the connected page), so webhooks, the Send API, the
 * 24-hour window with its HUMAN_AGENT tag, the profile read and the per-page rate limit are one
 * implementation here; each handler keeps its configuration, its connection test and its channel
 * facts (which id routes, which token, the text limit). Webhooks are verified by the one Meta
 * X-Hub-Signature-256 check Meta Lead Ads and WhatsApp Cloud use (meta-hub.ts verifyHubSignature).
 */
import type { ConfigProblem, TestResult, WebhookOutcome, JsonSchemaObject } from '../handler-types';
import {
  HandlerContext,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  WebhookSpec,
} from '../integration-handler';
import { asBoolean, asString, configString, isRecord, optionalConfigString } from './json';
import { graphRequest } from './meta-graph';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from './meta-hub';
import {
  entryIds,
  extractMessagingEvents,
  MessagingChannel,
  MessagingContactProfile,
  parseEnvelope,
  selectEntry,
} from './meta-messaging';
import { keywordConfigProblems } from './messaging-keywords';
import { messagingOutcome } from './meta-messaging-outcome';
import { MessagingSendError, MessagingSendResult, sendMessagingText } from './meta-messaging-send';

/** The facts that differ between the two channels. */
export interface MetaMessagingChannel {
  channel: MessagingChannel;
  /** For messages: "Messenger", "Instagram". */
  label: string;
  /** The config field `entry[].id` is matched against (the page, or the Instagram account). */
  routingField: string;
  /** The config field holding the page access token. */
  tokenField: string;
  /** The shared Send API bucket's key prefix (`<prefix>:<routing id>`). */
  rateKeyPrefix: string;
  /** The User Profile fields to read for a PSID / IGSID. */
  profileFields: string;
  /** The Send API's text limit, and how it is counted. */
  textLimit: { max: number; unit: 'characters' | 'bytes' };
}

/** The provider-level webhook of a channel: routed by `entry[].id`, signed with the app secret. */
export function metaMessagingWebhook(spec: Pick<MetaMessagingChannel, 'channel' | 'routingField'>): WebhookSpec {
  return {
    routing: 'provider',
    routingKeys: entryIds,
    routingKeyOf: (config) => optionalConfigString(config, spec.routingField),
    selectForRoutingKey: selectEntry,
    verificationFields: META_VERIFICATION_FIELDS,
    verify: verifyHubSignature,
    extractEvents: (payload) => extractMessagingEvents(payload, spec.channel),
    handshake: hubHandshake,
  };
}

/** A Graph profile as the conversation keeps it (Messenger: first/last name; Instagram: name, username). */
export function profileOf(body: unknown): MessagingContactProfile {
  const b = isRecord(body) ? body : {};
  const firstName = asString(b.first_name);
  const lastName = asString(b.last_name);
  const name = asString(b.name) ?? ([firstName, lastName].filter(Boolean).join(' ') || undefined);
  const username = asString(b.username);
  return {
    ...(name ? { name } : {}),
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
    ...(username ? { username } : {}),
  };
}

export abstract class MetaMessagingHandler implements IntegrationHandler {
  abstract readonly key: string;
  abstract readonly displayName: string;
  abstract readonly defaultConfigSchema: JsonSchemaObject;
  abstract readonly webhook: WebhookSpec;
  protected abstract readonly channel: MetaMessagingChannel;
  readonly category = 'Messaging';
  readonly capabilities = ['webhook', 'test', 'send'] as const;
  readonly defaultRateLimitPerMinute = 200;

  abstract testConnection(ctx: HandlerContext): Promise<TestResult>;

  /** Opt-out / opt-in keywords are single words, none in both lists (KEYWORD_SCHEMA_PROPERTIES). */
  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    return keywordConfigProblems(config);
  }

  async processWebhook(event: StoredEvent, _ctx: HandlerContext): Promise<WebhookOutcome> {
    const parsed = parseEnvelope(event.payload, this.channel.channel);
    if (!parsed)
      throw new PermanentEventError(`${this.channel.label} ${event.eventType} event without a person or message id`);
    return messagingOutcome(parsed);
  }

  /** The key of the shared Send API token bucket: Meta limits sends per page / Instagram account. */
  sendRateKey(config: IntegrationConfig): string {
    return `${this.channel.rateKeyPrefix}:${configString(config, this.channel.routingField)}`;
  }

  /** Whether the integration may reply with the HUMAN_AGENT tag outside the 24-hour window. */
  humanAgentAllowed(config: IntegrationConfig): boolean {
    return asBoolean(config.humanAgentTag) === true;
  }

  /** Sends a text to a PSID / IGSID through the page: RESPONSE inside 24 h, the HUMAN_AGENT tag outside. */
  async sendText(
    ctx: HandlerContext,
    to: string,
    text: string,
    options: { tag?: 'HUMAN_AGENT'; replyToMid?: string } = {},
  ): Promise<MessagingSendResult> {
    const { max, unit } = this.channel.textLimit;
    const size = unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
    if (text.length === 0 || size > max) {
      throw new MessagingSendError(
        'client',
        `${this.channel.label} text must be 1 to ${max} ${unit}`,
        'invalid',
        undefined,
        undefined,
        false,
      );
    }
    return sendMessagingText(ctx, {
      pageId: configString(ctx.config, 'pageId'),
      accessToken: configString(ctx.config, this.channel.tokenField),
      appSecret: optionalConfigString(ctx.config, 'appSecret'),
      recipientId: to,
      text,
      ...(options.tag ? { tag: options.tag } : {}),
      ...(options.replyToMid ? { replyToMid: options.replyToMid } : {}),
    });
  }

  /** The person's profile (GET /<PSID|IGSID>?fields=…), read once per conversation. */
  async fetchContactProfile(ctx: HandlerContext, id: string): Promise<MessagingContactProfile> {
    const res = await this.graph(ctx, encodeURIComponent(id), { fields: this.channel.profileFields });
    return profileOf(res.body);
  }

  protected graph(ctx: HandlerContext, path: string, query: Record<string, string>) {
    return graphRequest(ctx, {
      method: 'GET',
      path,
      query,
      accessToken: configString(ctx.config, this.channel.tokenField),
      appSecret: optionalConfigString(ctx.config, 'appSecret'),
    });
  }
}
