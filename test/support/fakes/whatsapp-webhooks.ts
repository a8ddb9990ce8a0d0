// Webhook deliveries exactly as Meta sends them to a WhatsApp Cloud API app: the JSON envelope
// (`object: whatsapp_business_account`, `entry[].changes[].field/value`), every id and timestamp a
// string, and `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Each builder
// returns a signed delivery a test (or a bench) can POST in any order, any number of times.
//
//   const hooks = new WhatsAppWebhooks(appSecret, { wabaId, phoneNumberId, displayPhoneNumber });
//   await deliver(`${app}/api/webhooks/whatsapp-cloud`, hooks.statuses([statusOf(wamid, 'read', { timestamp })]));
//   await deliver(url, hooks.inboundText({ from: '5511987654321', name: 'Ana', text: 'STOP' }));
//   await deliver(url, hooks.templateStatus({ event: 'APPROVED', templateId, name, language }));
//   await deliver(url, hooks.userPreferences({ waId: '16505551234', value: 'stop' }));
//
// Sources: messages webhook reference (…/whatsapp/webhooks/reference/messages, fixtures in
// src/handlers/whatsapp-cloud/fixtures), status reference (…/messages/status: pricing with
// `pricing_model: PMP`, `category`, `type`), message_template_status_update reference (`event`,
// `message_template_id`, `message_template_name`, `message_template_language`, `reason`,
// `message_template_category`), user_preferences reference (`user_preferences[{wa_id, detail,
// category: marketing_messages, value, timestamp}]`), signature: Meta "Validating Payloads" and the
// official WhatsApp Node SDK (src/api/webhooks.ts).
import { createHmac, randomBytes } from 'node:crypto';

export interface SignedDelivery {
  rawBody: string;
  headers: Record<string, string>;
}

export interface BusinessNumber {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber?: string;
}

export interface StatusOptions {
  /** Unix seconds. */
  timestamp: number;
  recipientId?: string;
  /** Pricing category (`marketing`, `utility`, `authentication`, `service`); omitted when undefined. */
  pricingCategory?: string;
  errors?: Array<{ code: number; title: string; details?: string }>;
  bizOpaqueCallbackData?: string;
}

export type StatusValue = 'sent' | 'delivered' | 'read' | 'failed';

/** One `statuses[]` entry. */
export function statusOf(wamid: string, status: StatusValue, options: StatusOptions): Record<string, unknown> {
  return {
    id: wamid,
    status,
    timestamp: String(options.timestamp),
    recipient_id: options.recipientId ?? '16505551234',
    ...(options.pricingCategory
      ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: options.pricingCategory } }
      : {}),
    ...(options.bizOpaqueCallbackData ? { biz_opaque_callback_data: options.bizOpaqueCallbackData } : {}),
    ...(options.errors
      ? {
          errors: options.errors.map((e) => ({
            code: e.code,
            title: e.title,
            message: e.title,
            ...(e.details ? { error_data: { details: e.details } } : {}),
            href: '/documentation/business-messaging/whatsapp/support/error-codes',
          })),
        }
      : {}),
  };
}

export function signHub(appSecret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody, 'utf8').digest('hex')}`;
}

export class WhatsAppWebhooks {
  constructor(
    private readonly appSecret: string,
    private readonly number: BusinessNumber,
  ) {}

  /** Any payload, serialised once and signed over those exact bytes. */
  sign(payload: unknown): SignedDelivery {
    const rawBody = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return {
      rawBody,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signHub(this.appSecret, rawBody) },
    };
  }

  /** A `messages` change with the given value fields (metadata added). */
  messagesChange(value: Record<string, unknown>): SignedDelivery {
    return this.change('messages', value);
  }

  /** Status updates of outbound messages (one delivery may carry several, as Meta batches them). */
  statuses(statuses: Array<Record<string, unknown>>): SignedDelivery {
    return this.messagesChange({ statuses });
  }

  /** An inbound message of any type (`text`, `image`, `button`, `interactive`, `reaction`, `location` …). */
  inbound(contact: { waId: string; name?: string }, message: Record<string, unknown>): SignedDelivery {
    return this.messagesChange({
      contacts: [{ profile: { name: contact.name ?? 'Sheena Nelson' }, wa_id: contact.waId }],
      messages: [{ from: contact.waId, id: message.id ?? newWamid(), ...message }],
    });
  }

  inboundText(input: { from: string; name?: string; text: string; id?: string; timestamp?: number }): SignedDelivery {
    return this.inbound(
      { waId: input.from, name: input.name },
      {
        ...(input.id ? { id: input.id } : {}),
        timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: input.text },
      },
    );
  }

  /** `message_template_status_update`: APPROVED, REJECTED, PAUSED, DISABLED, … for one template. */
  templateStatus(input: {
    event: string;
    templateId: string;
    name: string;
    language: string;
    reason?: string;
    category?: string;
    time?: number;
  }): SignedDelivery {
    return this.envelope(
      'message_template_status_update',
      {
        event: input.event,
        // Meta's syntax shows the id unquoted (a number); ids beyond 2^53 make that lossy, so the hub reads either
        message_template_id: Number(input.templateId),
        message_template_name: input.name,
        message_template_language: input.language,
        reason: input.reason ?? 'NONE',
        ...(input.category ? { message_template_category: input.category } : {}),
      },
      input.time,
    );
  }

  /** `message_template_quality_update`: the template's quality rating changed (GREEN, YELLOW, RED). */
  templateQuality(input: {
    templateId: string;
    name: string;
    language: string;
    score: string;
    previous?: string;
    time?: number;
  }): SignedDelivery {
    return this.envelope(
      'message_template_quality_update',
      {
        previous_quality_score: input.previous ?? 'UNKNOWN',
        new_quality_score: input.score,
        message_template_id: Number(input.templateId),
        message_template_name: input.name,
        message_template_language: input.language,
      },
      input.time,
    );
  }

  /** `user_preferences`: the user stopped or resumed marketing messages. */
  userPreferences(input: {
    waId: string;
    value: 'stop' | 'resume';
    name?: string;
    timestamp?: number;
  }): SignedDelivery {
    const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
    return this.change('user_preferences', {
      contacts: [{ profile: { name: input.name ?? 'Sheena Nelson' }, wa_id: input.waId }],
      user_preferences: [
        {
          wa_id: input.waId,
          detail:
            input.value === 'stop'
              ? 'User requested to stop marketing messages'
              : 'User requested to resume marketing messages',
          category: 'marketing_messages',
          value: input.value,
          timestamp,
        },
      ],
    });
  }

  /** A change of `field` whose value carries the business number's metadata. */
  private change(field: string, value: Record<string, unknown>): SignedDelivery {
    return this.envelope(field, {
      messaging_product: 'whatsapp',
      metadata: {
        display_phone_number: this.number.displayPhoneNumber ?? '15550783881',
        phone_number_id: this.number.phoneNumberId,
      },
      ...value,
    });
  }

  private envelope(field: string, value: Record<string, unknown>, time?: number): SignedDelivery {
    return this.sign({
      object: 'whatsapp_business_account',
      entry: [{ id: this.number.wabaId, ...(time !== undefined ? { time } : {}), changes: [{ value, field }] }],
    });
  }
}

/** A wamid shaped like Meta's (`wamid.` + base64). */
export function newWamid(): string {
  return `wamid.HBgL${randomBytes(24).toString('base64')}`;
}

/** POSTs a delivery as Meta would and returns the answer. */
export async function deliver(url: string, delivery: SignedDelivery): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.rawBody });
  return { status: res.status, body: await res.text() };
}
