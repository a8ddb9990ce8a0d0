import { Injectable } from '@nestjs/common';
import type { JsonSchemaObject, TestResult, WebhookOutcome } from '../handler-types';
import {
  HandlerContext,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
} from '../integration-handler';
import { asBoolean, asId, asString, configString, isRecord, optionalConfigString } from '../shared/json';
import { graphRequest } from '../shared/meta-graph';
import { KEYWORD_SCHEMA_PROPERTIES } from '../shared/messaging-keywords';
import { MessagingContactProfile, parseEnvelope } from '../shared/meta-messaging';
import { messagingOutcome } from '../shared/meta-messaging-outcome';
import {
  MAX_TEXT_LENGTH,
  MessagingSendError,
  MessagingSendResult,
  sendMessagingText,
} from '../shared/meta-messaging-send';
import { graphTestFailure } from '../shared/meta-test-failure';
import { facebookMessengerWebhook } from './facebook-messenger.webhook';

const SECRETS = ['pageAccessToken', 'appSecret', 'verifyToken'];

/** Facebook Messenger: a page's conversations by webhook, replies through the Send API. */
@Injectable()
export class FacebookMessengerHandler implements IntegrationHandler {
  readonly key = 'facebook-messenger';
  readonly displayName = 'Facebook Messenger';
  readonly category = 'Messaging';
  readonly capabilities = ['webhook', 'test', 'send'] as const;
  readonly defaultRateLimitPerMinute = 200;
  readonly webhook = facebookMessengerWebhook;

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Facebook Messenger',
    properties: {
      pageId: {
        type: 'string',
        title: 'Facebook Page ID',
        description: 'Numeric id of the Page whose Messenger conversations are connected.',
        pattern: '^[0-9]+$',
      },
      pageAccessToken: {
        type: 'string',
        title: 'Page access token',
        description: 'Page token with pages_messaging (and pages_manage_metadata to subscribe the page to the app).',
        minLength: 1,
        'x-secret': true,
      },
      appSecret: {
        type: 'string',
        title: 'App secret',
        description: 'Secret of the Meta app; signs webhook deliveries (X-Hub-Signature-256).',
        minLength: 1,
        'x-secret': true,
      },
      verifyToken: {
        type: 'string',
        title: 'Verify token',
        description: "The token typed into the app's webhook settings; Meta echoes it in the subscription check.",
        minLength: 1,
        'x-secret': true,
      },
      humanAgentTag: {
        type: 'boolean',
        title: 'Human agent replies',
        description:
          'The app is approved for the Human Agent permission: agents may reply up to 7 days after the last message (HUMAN_AGENT tag).',
        default: false,
      },
      ...KEYWORD_SCHEMA_PROPERTIES,
    },
    required: ['pageId', 'pageAccessToken', 'appSecret', 'verifyToken'],
    additionalProperties: false,
  };

  async processWebhook(event: StoredEvent, _ctx: HandlerContext): Promise<WebhookOutcome> {
    const parsed = parseEnvelope(event.payload, 'messenger');
    if (!parsed) throw new PermanentEventError(`Messenger ${event.eventType} event without a person or message id`);
    return messagingOutcome(parsed);
  }

  /**
   * Proves the token is this page's: Graph's /me is "the person or Page whose access token is being
   * used" (developers.facebook.com/docs/graph-api/overview#me), so another page's token, or a user
   * token, cannot pass for it (as Meta Lead Ads checks the same page).
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const pageId = configString(ctx.config, 'pageId');
    try {
      const res = await this.graph(ctx, 'GET', 'me', { fields: 'id,name' });
      const id = isRecord(res.body) ? asId(res.body.id) : undefined;
      if (id !== pageId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The page access token is not a token of page ${pageId}${id ? ` (it belongs to ${id})` : ''}`,
        };
      }
      const name = (isRecord(res.body) ? asString(res.body.name) : undefined) ?? pageId;
      return { success: true, message: `Connected to the Messenger inbox of page ${name}` };
    } catch (err) {
      return graphTestFailure(ctx, err, { token: 'page access token', resource: 'page' }, SECRETS);
    }
  }

  /** The key of the shared Send API token bucket: Meta limits sends per page (SEND_API_CALLS_PER_SECOND). */
  sendRateKey(config: IntegrationConfig): string {
    return `messenger:page:${configString(config, 'pageId')}`;
  }

  /** Whether the integration may reply with the HUMAN_AGENT tag outside the 24-hour window. */
  humanAgentAllowed(config: IntegrationConfig): boolean {
    return asBoolean(config.humanAgentTag) === true;
  }

  /** Sends a text to a PSID: RESPONSE inside the 24-hour window, the HUMAN_AGENT tag outside it. */
  async sendText(
    ctx: HandlerContext,
    psid: string,
    text: string,
    options: { tag?: 'HUMAN_AGENT' } = {},
  ): Promise<MessagingSendResult> {
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH.messenger) {
      throw new MessagingSendError(
        'client',
        `Messenger text must be 1 to ${MAX_TEXT_LENGTH.messenger} characters`,
        'invalid',
        undefined,
        undefined,
        false,
      );
    }
    return sendMessagingText(ctx, {
      pageId: configString(ctx.config, 'pageId'),
      accessToken: configString(ctx.config, 'pageAccessToken'),
      appSecret: optionalConfigString(ctx.config, 'appSecret'),
      recipientId: psid,
      text,
      ...(options.tag ? { tag: options.tag } : {}),
    });
  }

  /**
   * The person's name from the User Profile API (GET /<PSID>?fields=first_name,last_name,name):
   * developers.facebook.com/docs/messenger-platform/identity/user-profile.
   */
  async fetchContactProfile(ctx: HandlerContext, psid: string): Promise<MessagingContactProfile> {
    const res = await this.graph(ctx, 'GET', encodeURIComponent(psid), { fields: 'first_name,last_name,name' });
    const body = isRecord(res.body) ? res.body : {};
    const firstName = asString(body.first_name);
    const lastName = asString(body.last_name);
    const name = asString(body.name) ?? ([firstName, lastName].filter(Boolean).join(' ') || undefined);
    return {
      ...(name ? { name } : {}),
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
    };
  }

  private graph(ctx: HandlerContext, method: 'GET', path: string, query: Record<string, string>) {
    return graphRequest(ctx, {
      method,
      path,
      query,
      accessToken: configString(ctx.config, 'pageAccessToken'),
      appSecret: optionalConfigString(ctx.config, 'appSecret'),
    });
  }
}
