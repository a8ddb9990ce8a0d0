import { Injectable } from '@nestjs/common';
import { OutboundError } from '../../common/outbound/http-client';
import type { ConfigProblem, JsonSchemaObject, TestResult, WebhookOutcome } from '../handler-types';
import {
  HandlerContext,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
} from '../integration-handler';
import {
  asBoolean,
  asId,
  asNumber,
  asRecords,
  asString,
  configString,
  isRecord,
  JsonRecord,
  optionalConfigString,
} from '../shared/json';
import { keywordConfigProblems } from '../shared/messaging-keywords';
import { graphTestFailure } from '../shared/meta-test-failure';
import { postMessage, recipientOf, whatsAppCall, WhatsAppSendResult } from './whatsapp-cloud.api';
import { DEFAULT_MESSAGES_PER_SECOND, WHATSAPP_CLOUD_CONFIG_SCHEMA } from './whatsapp-cloud.config';
import { inboundMessageOutcome } from './whatsapp-cloud.lead';
import { narrowMessageEvent, narrowStatus } from './whatsapp-cloud.payload';
import { whatsAppWebhook } from './whatsapp-cloud.webhook';
import { WhatsAppSendError } from './whatsapp-send-error';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import type { WabaWebhookSubscriber } from '../capabilities';
import { WHATSAPP_CLOUD_SETUP } from './setup-instructions';

/** The config fields a connection test's message must never quote. */
const WHATSAPP_SECRETS = ['accessToken', 'appSecret', 'verifyToken'];

const MAX_TEXT_LENGTH = 4096;
/** Pages of a WABA's numbers a connection test reads (100 each) before it gives up finding the number. */
const WABA_NUMBER_PAGES = 10;

/** One component of a template message (header, body, button …) as the Cloud API takes it. */
export interface WhatsAppTemplateComponent {
  type: string;
  sub_type?: string;
  index?: string | number;
  parameters?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** WhatsApp Cloud API: inbound messages and statuses by webhook, text and template sends. */
@Injectable()
export class WhatsAppCloudHandler implements IntegrationHandler, WabaWebhookSubscriber {
  readonly key = 'whatsapp-cloud';
  readonly displayName = 'WhatsApp Cloud API';
  readonly setupInstructions = WHATSAPP_CLOUD_SETUP;
  readonly category = 'Messaging';
  readonly capabilities = ['webhook', 'test', 'send'] as const;
  readonly defaultRateLimitPerMinute = 600;
  // sends are paced by the number's shared token bucket (messagesPerSecond, up to 1,000/s across every
  // process); this in-process budget only has to stay out of its way
  readonly rateLimit = { limit: 1000, windowMs: 1000 } as const;
  readonly webhook = whatsAppWebhook;
  readonly wabaField = 'wabaId';
  /**
   * With META_WHATSAPP_CONFIG_ID: Facebook Login for Business with that configuration (token type
   * "System-user access token", the way Embedded Signup onboards a business), which gives the
   * business's own non-expiring token, and the app subscribed to the WABA's webhooks while connecting
   * (meta.oauth.ts). Without it: Facebook Login with the WhatsApp Business permissions
   * (developers.facebook.com/docs/whatsapp/business-management-api/get-started), the long-lived
   * (~60-day) token of the person who connected, who connects again before it runs out. A pasted
   * system-user token keeps working either way.
   */
  readonly oauth: HandlerOAuth = {
    provider: 'meta',
    scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'business_management'],
    tokenField: 'accessToken',
    appFields: { appSecret: 'clientSecret' },
    businessLogin: { config: 'whatsapp', subscribeWabaField: this.wabaField },
  };

  readonly defaultConfigSchema: JsonSchemaObject = WHATSAPP_CLOUD_CONFIG_SCHEMA;

  /** The configured send throughput, or Meta's default of 80 when the config leaves it out. */
  messagesPerSecond(config: IntegrationConfig): number {
    const value = asNumber(config.messagesPerSecond);
    return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 1000
      ? value
      : DEFAULT_MESSAGES_PER_SECOND;
  }

  async processWebhook(event: StoredEvent, _ctx: HandlerContext): Promise<WebhookOutcome> {
    if (event.eventType === 'status') {
      // delivery tracking of outbound messages comes with the WhatsApp messaging module
      return { leads: [], ignoredReason: `status ${narrowStatus(event.payload) ?? 'unknown'} recorded` };
    }
    // value.errors: a report about the number, kept on the event (WhatsAppEventsService), no lead in it
    if (event.eventType === 'errors') return { leads: [], ignoredReason: 'WhatsApp reported errors about the number' };
    if (event.eventType !== 'message') return { leads: [], ignoredReason: `unsupported event type ${event.eventType}` };
    const message = narrowMessageEvent(event.payload);
    if (!message) throw new PermanentEventError('WhatsApp message event without id, sender or phone number id');
    return inboundMessageOutcome(message);
  }

  /** Opt-out / opt-in keywords are single words, none in both lists: a phrase would never match. */
  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    return keywordConfigProblems(config);
  }

  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const phoneNumberId = configString(ctx.config, 'phoneNumberId');
    try {
      const res = await whatsAppCall(ctx, {
        method: 'GET',
        path: phoneNumberId,
        query: { fields: 'id,display_phone_number,verified_name' },
      });
      const body = isRecord(res.body) ? res.body : {};
      // the number is the routing key: the token must reach exactly this one (a number of a WABA the
      // token cannot manage answers an error instead)
      if (asId(body.id) !== phoneNumberId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The access token cannot read WhatsApp phone number ${phoneNumberId}`,
        };
      }
      const number = asString(body.display_phone_number) ?? phoneNumberId;
      const name = asString(body.verified_name);
      // templates, their webhooks and reconcile go through the WABA: it must be the number's own
      const wabaId = configString(ctx.config, 'wabaId');
      try {
        if (!(await this.wabaHasNumber(ctx, wabaId, phoneNumberId))) {
          return {
            success: false,
            code: 'INVALID_CREDENTIALS',
            message: `WhatsApp number ${phoneNumberId} is not a number of WhatsApp Business Account ${wabaId}`,
          };
        }
      } catch (err) {
        return graphTestFailure(
          ctx,
          err,
          { token: 'WhatsApp access token', resource: 'WhatsApp Business Account' },
          WHATSAPP_SECRETS,
        );
      }
      return { success: true, message: `Connected to WhatsApp number ${number}${name ? ` (${name})` : ''}` };
    } catch (err) {
      return graphTestFailure(
        ctx,
        err,
        { token: 'WhatsApp access token', resource: 'WhatsApp phone number' },
        WHATSAPP_SECRETS,
      );
    }
  }

  /**
   * Whether the WABA lists the number among its phone numbers (GET /{waba-id}/phone_numbers, cursor
   * paging; developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers).
   * A token that cannot read the WABA fails the call (Graph error 100 or 200), as Meta answers it.
   */
  private async wabaHasNumber(ctx: HandlerContext, wabaId: string, phoneNumberId: string): Promise<boolean> {
    let after: string | undefined;
    for (let page = 0; page < WABA_NUMBER_PAGES; page++) {
      const res = await whatsAppCall(ctx, {
        method: 'GET',
        path: `${wabaId}/phone_numbers`,
        query: { fields: 'id', limit: '100', ...(after ? { after } : {}) },
      });
      if (!isRecord(res.body) || !Array.isArray(res.body.data))
        throw new OutboundError('server', 'Meta answered the phone_numbers page without a data list', res.status);
      if (asRecords(res.body.data).some((n) => asId(n.id) === phoneNumberId)) return true;
      const paging = isRecord(res.body.paging) ? res.body.paging : {};
      const cursors = isRecord(paging.cursors) ? paging.cursors : {};
      after = asString(paging.next) ? asString(cursors.after) : undefined;
      if (!after) return false;
    }
    return false;
  }

  /**
   * Sends a free-form text (only inside the 24 h customer-service window; otherwise 131047). `to` is
   * a phone number / wa_id, or a BSUID for a user WhatsApp shows only by username.
   */
  async sendText(ctx: HandlerContext, to: string, body: string, replyTo?: string): Promise<WhatsAppSendResult> {
    if (body.length === 0 || body.length > MAX_TEXT_LENGTH) {
      throw new WhatsAppSendError(
        'client',
        `WhatsApp text must be 1 to ${MAX_TEXT_LENGTH} characters`,
        undefined,
        false,
      );
    }
    return postMessage(ctx, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...recipientOf(to),
      type: 'text',
      // WhatsApp only previews the first URL of the body, so ask for it only when there is one
      text: { preview_url: /https?:\/\//i.test(body), body },
      ...(replyTo ? { context: { message_id: replyTo } } : {}),
    });
  }

  /** Sends an approved template (the way to reach someone outside the 24 h window). */
  async sendTemplate(
    ctx: HandlerContext,
    to: string,
    name: string,
    languageCode: string,
    components: readonly WhatsAppTemplateComponent[],
  ): Promise<WhatsAppSendResult> {
    return postMessage(ctx, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...recipientOf(to),
      type: 'template',
      template: {
        name,
        language: { policy: 'deterministic', code: languageCode },
        ...(components.length > 0 ? { components } : {}),
      },
    });
  }

  /**
   * Sends a message body built by the WhatsApp module (text, template, with `biz_opaque_callback_data`
   * and `context`) once; the answer's wamid and the contact's wa_id. Errors are WhatsAppSendError
   * (with the Graph body, for classification by code).
   */
  async sendMessage(
    ctx: HandlerContext,
    body: Record<string, unknown>,
  ): Promise<WhatsAppSendResult & { waId?: string }> {
    const result = await postMessage(ctx, { messaging_product: 'whatsapp', recipient_type: 'individual', ...body });
    return result;
  }

  /**
   * One page of the WABA's templates (GET /{waba-id}/message_templates, cursor paging: Meta's
   * OpenAPI spec for the WhatsApp Business Management API, `paging.cursors.after` and `paging.next`).
   */
  async listTemplates(
    ctx: HandlerContext,
    after?: string,
    limit = 100,
  ): Promise<{ data: JsonRecord[]; after?: string }> {
    const res = await whatsAppCall(ctx, {
      method: 'GET',
      path: `${configString(ctx.config, 'wabaId')}/message_templates`,
      query: {
        limit: String(limit),
        fields: 'id,name,language,status,category,components,rejected_reason,quality_score,parameter_format',
        ...(after ? { after } : {}),
      },
    });
    // a page is an object with a `data` array; anything else (an HTML error page, an empty body sent
    // with 200) says nothing about the templates: taken as "no templates", it marked every row DELETED
    if (!isRecord(res.body) || !Array.isArray(res.body.data))
      throw new OutboundError('server', 'Meta answered the message_templates page without a data list', res.status);
    const body = res.body;
    const paging = isRecord(body.paging) ? body.paging : {};
    const cursors = isRecord(paging.cursors) ? paging.cursors : {};
    const next = asString(paging.next) ? asString(cursors.after) : undefined;
    return { data: asRecords(body.data), ...(next ? { after: next } : {}) };
  }

  /** POST /{waba-id}/message_templates: Meta answers `{ id, status, category }` (status PENDING while reviewed). */
  async createTemplate(
    ctx: HandlerContext,
    request: Record<string, unknown>,
  ): Promise<{ id: string; status: string; category?: string }> {
    const res = await whatsAppCall(ctx, {
      method: 'POST',
      path: `${configString(ctx.config, 'wabaId')}/message_templates`,
      body: request,
      retry: false,
    });
    const body = isRecord(res.body) ? res.body : {};
    const id = asId(body.id);
    if (!id) throw new OutboundError('server', 'Meta created the template without an id', res.status, res.body);
    return { id, status: asString(body.status) ?? 'PENDING', category: asString(body.category) };
  }

  /** DELETE /{waba-id}/message_templates?name=&hsm_id= (one language's template by its id). */
  async deleteTemplate(ctx: HandlerContext, name: string, templateId?: string): Promise<void> {
    await whatsAppCall(ctx, {
      method: 'DELETE',
      path: `${configString(ctx.config, 'wabaId')}/message_templates`,
      query: { name, ...(templateId ? { hsm_id: templateId } : {}) },
    });
  }

  /**
   * DELETE /{waba-id}/subscribed_apps with the integration's token (header) and appsecret_proof, as
   * the subscription is made (meta.oauth.ts). Meta's "Managing Webhooks" page for solution providers
   * (developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/manage-webhooks)
   * documents this DELETE to unsubscribe an app from a WABA's webhooks, with `Authorization: Bearer`
   * and the answer `{ "success": true }`. UNCONFIRMED there: the permission it needs (taken to be the
   * subscription's whatsapp_business_management), what it answers for an app that is not subscribed,
   * and that it takes appsecret_proof (Graph's general rule for apps that require it; the subscribe
   * call relies on the same). Asked once: the caller (a disconnect) waits for it and does not retry.
   */
  async unsubscribeApp(ctx: HandlerContext): Promise<boolean> {
    if (!optionalConfigString(ctx.config, 'accessToken')) return false;
    const res = await whatsAppCall(ctx, {
      method: 'DELETE',
      path: `${encodeURIComponent(configString(ctx.config, this.wabaField))}/subscribed_apps`,
      retry: false,
    });
    // Meta's body is not kept: an error must not carry what Meta may echo
    if (!isRecord(res.body) || asBoolean(res.body.success) !== true)
      throw new OutboundError('server', 'Meta did not confirm unsubscribing the app', res.status);
    return true;
  }
}
