import type { JsonSchemaObject } from '../handler-types';

/** Meta's default throughput for a registered business number (messages per second). */
export const DEFAULT_MESSAGES_PER_SECOND = 80;

/** What a WhatsApp Cloud integration is configured with (the handler's default config schema). */
export const WHATSAPP_CLOUD_CONFIG_SCHEMA: JsonSchemaObject = {
  type: 'object',
  title: 'WhatsApp Cloud API',
  properties: {
    phoneNumberId: {
      type: 'string',
      title: 'Phone number ID',
      description: 'Id of the registered business phone number (not the number itself).',
      pattern: '^[0-9]+$',
    },
    wabaId: {
      type: 'string',
      title: 'WhatsApp Business Account ID',
      description: 'Id of the WhatsApp Business Account that owns the number.',
      pattern: '^[0-9]+$',
    },
    accessToken: {
      type: 'string',
      title: 'Access token',
      description: 'System-user token with whatsapp_business_messaging and whatsapp_business_management.',
      minLength: 1,
      'x-secret': true,
      'x-oauth': true,
    },
    appSecret: {
      type: 'string',
      title: 'App secret',
      description:
        "Secret of the Meta app; signs webhook deliveries (X-Hub-Signature-256). Connected with OAuth: the hub's app secret (META_APP_SECRET), leave empty.",
      minLength: 1,
      'x-secret': true,
      'x-oauth': true,
    },
    verifyToken: {
      type: 'string',
      title: 'Verify token',
      description: "The token typed into the app's webhook settings; Meta echoes it in the subscription check.",
      minLength: 1,
      'x-secret': true,
    },
    messagesPerSecond: {
      type: 'integer',
      title: 'Messages per second',
      description:
        'Send throughput of the number: 80 by default, up to 1000 once Meta upgrades it; 20 for coexistence numbers.',
      minimum: 1,
      maximum: 1000,
      default: DEFAULT_MESSAGES_PER_SECOND,
    },
    optOutKeywords: {
      type: 'array',
      title: 'Opt-out keywords',
      description:
        'Single words that, sent alone, opt the contact out of every message (default STOP, UNSUBSCRIBE, SAIR, BAJA …).',
      items: { type: 'string', minLength: 1, maxLength: 40 },
      maxItems: 50,
    },
    optInKeywords: {
      type: 'array',
      title: 'Opt-in keywords',
      description: 'Single words that, sent alone, undo an opt-out (default START, UNSTOP, SUBSCRIBE …).',
      items: { type: 'string', minLength: 1, maxLength: 40 },
      maxItems: 50,
    },
  },
  required: ['phoneNumberId', 'wabaId', 'accessToken', 'appSecret', 'verifyToken'],
  additionalProperties: false,
};
