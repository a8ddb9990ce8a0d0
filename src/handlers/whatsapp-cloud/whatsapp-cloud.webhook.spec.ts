import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import type { WebhookRequest } from '../integration-handler';
import { WhatsAppCloudHandler } from './whatsapp-cloud.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const APP_SECRET = 'wa-app-secret-77d1';
const config = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  accessToken: 'EAAG-wa-token',
  appSecret: APP_SECRET,
  verifyToken: 'wa-verify-1',
};
const handler = new WhatsAppCloudHandler();
const webhook = handler.webhook;
const keys = { config, webhookSecrets: [] };

const sign = (body: Buffer, secret = APP_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const request = (rawBody: Buffer, headers: Record<string, string | undefined> = {}): WebhookRequest => ({
  rawBody,
  headers,
  receivedAt: new Date(),
});
const parsed = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));

const WEBHOOK_FIXTURES = [
  'inbound-text-message.json',
  'inbound-text-message-business-button.json',
  'status-delivered.json',
  'status-sent-marketing.json',
  'status-failed-131049.json',
  'inbound-order.openapi-example.json',
  'inbound-button.openapi-example.json',
  'inbound-interactive-list-reply.openapi-example.json',
  'inbound-interactive-button-reply.openapi-example.json',
  'inbound-interactive-nfm-reply.ASSEMBLED.json',
];

describe('WhatsAppCloudHandler definition', () => {
  it('declares its key and capabilities, and a config schema Ajv strict mode compiles (default included)', () => {
    expect([handler.key, handler.displayName, handler.category, handler.defaultRateLimitPerMinute]).toEqual([
      'whatsapp-cloud',
      'WhatsApp Cloud API',
      'Messaging',
      600,
    ]);
    expect(handler.capabilities).toEqual(['webhook', 'test', 'send']);
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, messagesPerSecond: 1000 })).toBe(true);
    for (const bad of [0, 1001, 12.5, '80']) expect(validate({ ...config, messagesPerSecond: bad })).toBe(false);
    expect(validate({ ...config, wabaId: undefined })).toBe(false);
    expect(validate({ ...config, phone: '+1' })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['accessToken', 'appSecret', 'verifyToken']);
  });

  it('reads the send throughput from the config, 80 by default', () => {
    expect(handler.messagesPerSecond(config)).toBe(80);
    expect(handler.messagesPerSecond({ ...config, messagesPerSecond: 1000 })).toBe(1000);
    expect(handler.messagesPerSecond({ ...config, messagesPerSecond: 0 })).toBe(80);
  });
});

describe('WhatsApp webhook verification (X-Hub-Signature-256)', () => {
  it.each(WEBHOOK_FIXTURES)('accepts %s signed over its exact raw bytes, and rejects it tampered', (name) => {
    const raw = fixture(name);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({ ok: true });
    const tampered = Buffer.from(raw.toString('utf8').replace('16505551234', '16505551235'));
    expect(webhook.verify(request(tampered, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  const raw = fixture('inbound-text-message.json');

  it('rejects a wrong secret and a missing header', () => {
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw, 'not-the-secret') }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw), keys)).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
  });

  it('rejects sha1= and other malformed values; accepts uppercase hex', () => {
    const hex = sign(raw).slice('sha256='.length);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha1=${hex}` }), keys)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^malformed/),
    });
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': hex }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha256=${hex.slice(1)}` }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha256=${hex.toUpperCase()}` }), keys)).toEqual({
      ok: true,
    });
  });

  it('refuses everything when no app secret is configured', () => {
    expect(
      webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw, '') }), {
        config: { ...config, appSecret: '' },
        webhookSecrets: [],
      }),
    ).toEqual({ ok: false, reason: 'no app secret configured' });
  });
});

describe('WhatsApp routing and event extraction', () => {
  it.each(WEBHOOK_FIXTURES)('routes %s by metadata.phone_number_id', (name) => {
    expect(webhook.routingKeys?.(parsed(name))).toEqual(['106540352242922']);
  });

  it('answers to the configured phoneNumberId and selects only its changes from a mixed delivery', () => {
    expect(webhook.routingKeyOf?.(config)).toBe('106540352242922');
    const mine = parsed('inbound-text-message.json') as { entry: Array<{ changes: unknown[] }> };
    const other = structuredClone(mine) as {
      entry: Array<{ id: string; changes: Array<{ value: { metadata: { phone_number_id: string } } }> }>;
    };
    other.entry[0].id = '999';
    other.entry[0].changes[0].value.metadata.phone_number_id = '200000000000001';
    const mixed = {
      object: 'whatsapp_business_account',
      entry: [{ ...mine.entry[0], changes: [...mine.entry[0].changes, ...other.entry[0].changes] }, other.entry[0]],
    };
    expect(webhook.routingKeys?.(mixed)).toEqual(['106540352242922', '200000000000001']);
    const selected = webhook.selectForRoutingKey?.(mixed, '106540352242922');
    expect(selected).toEqual({ object: 'whatsapp_business_account', entry: [mine.entry[0]] });
    expect(webhook.extractEvents(selected, request(Buffer.alloc(0)))).toHaveLength(1);
  });

  it('extracts an inbound text message', () => {
    expect(
      webhook.extractEvents(parsed('inbound-text-message.json'), request(fixture('inbound-text-message.json'))),
    ).toEqual([
      {
        externalId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        eventType: 'message',
        payload: {
          phoneNumberId: '106540352242922',
          from: '16505551234',
          contact: { waId: '16505551234', profileName: 'Sheena Nelson' },
          id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          timestamp: '1749416383',
          type: 'text',
          text: 'Does it come in another color?',
        },
      },
    ]);
  });

  it('extracts a message sent from a product ("message business" button) with its text', () => {
    const [event] = webhook.extractEvents(
      parsed('inbound-text-message-business-button.json'),
      request(Buffer.alloc(0)),
    );
    expect(event.externalId).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=');
    expect(event.payload).toMatchObject({
      from: '16505551234',
      contact: { waId: '16505551234', profileName: 'Sheena Nelson' },
      text: 'Is this still available?',
      timestamp: '1750016800',
    });
  });

  it('keeps the product a "message business" text asks about (context.referred_product) and the message it answers', () => {
    // developers.facebook.com/documentation/business-messaging/whatsapp/catalogs/receive-responses: the
    // text "includes a context property whose value is an object describing the product the user was viewing"
    const [event] = webhook.extractEvents(
      parsed('inbound-text-message-business-button.json'),
      request(Buffer.alloc(0)),
    );
    expect(event.payload).toMatchObject({
      type: 'text',
      contextId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA',
      content: { referredProduct: { catalogId: '194836987003835', productRetailerId: 'di9ozbzfi4' } },
    });
    // a plain text has no product, so no content
    const [plain] = webhook.extractEvents(parsed('inbound-text-message.json'), request(Buffer.alloc(0)));
    expect(plain.payload).not.toHaveProperty('content');
  });

  it('keeps why WhatsApp could not show an unsupported message (messages[].errors)', () => {
    // fixtures/NOTES (messages webhook reference): "Unsupported inbound: messages[].errors with
    // type: 'unsupported'"; the error objects are shaped like the statuses' (code, title, message,
    // error_data.details; fixtures/status-failed-131049.json)
    const official = parsed('inbound-text-message.json') as {
      entry: Array<{ changes: Array<{ value: { messages: Array<Record<string, unknown>> } }> }>;
    };
    const value = official.entry[0].changes[0].value;
    const { text: _text, ...message } = value.messages[0];
    value.messages = [
      {
        ...message,
        type: 'unsupported',
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            error_data: { details: 'Message type is currently not supported.' },
          },
        ],
      },
    ];
    const [event] = webhook.extractEvents(official, request(Buffer.alloc(0)));
    expect(event.payload).toMatchObject({
      type: 'unsupported',
      content: {
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            details: 'Message type is currently not supported.',
          },
        ],
      },
    });
  });

  it('extracts statuses with <wamid>:<status> ids', () => {
    const delivered = webhook.extractEvents(parsed('status-delivered.json'), request(Buffer.alloc(0)));
    expect(delivered).toEqual([
      {
        externalId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA:delivered',
        eventType: 'status',
        payload: {
          phoneNumberId: '106540352242922',
          id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
          status: 'delivered',
          timestamp: '1750263773',
          recipientId: '16505551234',
          errors: [],
          // issue 12: pricing is kept for the message row
          pricing: { category: 'service' },
        },
      },
    ]);
    const [sent] = webhook.extractEvents(parsed('status-sent-marketing.json'), request(Buffer.alloc(0)));
    expect(sent.externalId).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=:sent');
    expect(sent.payload).toMatchObject({ status: 'sent', timestamp: '1750030073' });
  });

  it('extracts template updates (routed by WABA) and user_preferences as their own events', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: 1750000000,
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'APPROVED',
                message_template_id: 123,
                message_template_name: 'x',
                message_template_language: 'en',
              },
            },
          ],
        },
      ],
    };
    expect(webhook.secondaryRouting?.keys(payload)).toEqual(['102290129340398']);
    const [event] = webhook.extractEvents(payload, request(Buffer.alloc(0)));
    expect(event).toMatchObject({
      eventType: 'template_update',
      payload: { message_template_id: '123', event: 'APPROVED' },
    });
    expect(webhook.routingKeys?.(payload)).toEqual([]);
  });

  it('extracts a failed status with its error code and details', () => {
    const [failed] = webhook.extractEvents(parsed('status-failed-131049.json'), request(Buffer.alloc(0)));
    expect(failed.externalId).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA:failed');
    expect(failed.payload).toMatchObject({
      status: 'failed',
      errors: [
        {
          code: 131049,
          title: 'This message was not delivered to maintain healthy ecosystem engagement.',
          message: 'This message was not delivered to maintain healthy ecosystem engagement.',
          details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
        },
      ],
    });
  });

  it('reads quick-reply buttons, interactive replies and click-to-WhatsApp referrals', () => {
    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [
        { profile: { name: 'Ana' }, wa_id: '351912345678' },
        { profile: { name: 'Bo' }, wa_id: '447700900123' },
      ],
      messages: [
        {
          from: '351912345678',
          id: 'wamid.B1',
          timestamp: '1750000000',
          type: 'button',
          button: { text: 'Yes, call me', payload: 'YES' },
        },
        {
          from: '447700900123',
          id: 'wamid.I1',
          timestamp: '1750000001',
          type: 'interactive',
          interactive: { type: 'list_reply', list_reply: { id: 'x', title: 'Tuesday 10:00' } },
        },
        {
          from: '351912345678',
          id: 'wamid.R1',
          timestamp: '1750000002',
          type: 'text',
          text: { body: 'Hi, I saw your ad' },
          referral: {
            source_url: 'https://fb.me/abc',
            source_id: '120226305854810726',
            source_type: 'ad',
            headline: 'Spring offer',
            ctwa_clid: 'ARAkL',
          },
        },
        { id: 'wamid.nofrom', type: 'text', text: { body: 'ignored' } },
      ],
    };
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            { field: 'messages', value },
            { field: 'account_update', value },
          ],
        },
      ],
    };
    const events = webhook.extractEvents(payload, request(Buffer.alloc(0)));
    expect(
      events.map((e) => [
        e.externalId,
        (e.payload as { text?: string }).text,
        (e.payload as { contact: { profileName?: string } }).contact.profileName,
      ]),
    ).toEqual([
      ['wamid.B1', 'Yes, call me', 'Ana'],
      ['wamid.I1', 'Tuesday 10:00', 'Bo'],
      ['wamid.R1', 'Hi, I saw your ad', 'Ana'],
    ]);
    expect(events[2].payload).toMatchObject({
      referral: {
        sourceUrl: 'https://fb.me/abc',
        sourceId: '120226305854810726',
        sourceType: 'ad',
        headline: 'Spring offer',
        ctwaClid: 'ARAkL',
      },
    });
  });
});

describe('WhatsApp orders, Flow answers, replies and errors about the number (official examples)', () => {
  const only = (name: string) => {
    const events = webhook.extractEvents(parsed(name), request(fixture(name)));
    expect(events).toHaveLength(1);
    return events[0];
  };

  it('keeps an order: its catalog, every item with quantity, unit price and currency, and a line naming them', () => {
    const event = only('inbound-order.openapi-example.json');
    expect(event.externalId).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTEyQjFGNzI1QTQxMjI5QTMyOQA=');
    expect(event.payload).toMatchObject({
      type: 'order',
      // order.text is "" in Meta's example: the items are what the order says
      text: 'Order: 2 × di9ozbzfi4 @ 30 USD, 1 × nqryix03ez @ 25 USD',
      content: {
        catalogId: '194836987003835',
        productItems: [
          { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
          { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 25, currency: 'USD' },
        ],
      },
    });
    expect((event.payload as { content: Record<string, unknown> }).content).not.toHaveProperty('text');
  });

  it("uses an order's own note as its text when the user wrote one", () => {
    const payload = parsed('inbound-order.openapi-example.json') as {
      entry: Array<{ changes: Array<{ value: { messages: Array<{ order: { text: string } }> } }> }>;
    };
    payload.entry[0].changes[0].value.messages[0].order.text = 'Please deliver after 6pm';
    const [event] = webhook.extractEvents(payload, request(Buffer.alloc(0)));
    expect(event.payload).toMatchObject({
      text: 'Please deliver after 6pm',
      content: { text: 'Please deliver after 6pm', catalogId: '194836987003835' },
    });
  });

  it('leaves out quantities and prices no order can have instead of storing them', () => {
    const payload = parsed('inbound-order.openapi-example.json') as {
      entry: Array<{ changes: Array<{ value: { messages: Array<{ order: { product_items: unknown[] } }> } }> }>;
    };
    payload.entry[0].changes[0].value.messages[0].order.product_items = [
      { product_retailer_id: 'neg', quantity: -5, item_price: -1, currency: 'USD' },
      { product_retailer_id: 'huge', quantity: 1e308, item_price: 1e308, currency: 'USD' },
      { product_retailer_id: 'hex', quantity: '0x10', item_price: '0x10', currency: 'USD' },
      { product_retailer_id: 'frac', quantity: 2.5, item_price: '12.50', currency: 'USD' },
      { product_retailer_id: 'text', quantity: ' 3 ', item_price: 30, currency: 'USD' },
    ];
    const [event] = webhook.extractEvents(payload, request(Buffer.alloc(0)));
    expect(event.payload).toMatchObject({
      text: 'Order: ? × neg, ? × huge @ 1e+308 USD, ? × hex, ? × frac @ 12.5 USD, 3 × text @ 30 USD',
      content: {
        productItems: [
          { productRetailerId: 'neg', currency: 'USD' },
          { productRetailerId: 'huge', itemPrice: 1e308, currency: 'USD' },
          { productRetailerId: 'hex', currency: 'USD' },
          { productRetailerId: 'frac', itemPrice: 12.5, currency: 'USD' },
          { productRetailerId: 'text', quantity: 3, itemPrice: 30, currency: 'USD' },
        ],
      },
    });
    const items = (event.payload as { content: { productItems: object[] } }).content.productItems;
    expect(items.slice(0, 4).every((item) => !('quantity' in item))).toBe(true);
    expect('itemPrice' in items[0]).toBe(false);
  });

  it('keeps a WhatsApp Flow answer (nfm_reply): response_json as sent, its flow_token, and the message it answers', () => {
    const event = only('inbound-interactive-nfm-reply.ASSEMBLED.json');
    expect(event.payload).toMatchObject({
      type: 'interactive',
      text: 'Sent',
      contextId: 'gBGGEiRVVgBPAgm7FUgc73noXjo',
      content: {
        kind: 'nfm_reply',
        name: 'flow',
        body: 'Sent',
        responseJson:
          '{"flow_token": "lead-form-7", "product_interest": "solar panels", "best_time_to_call": "morning"}',
        flowToken: 'lead-form-7',
      },
    });
  });

  it('keeps a Flow answer whose response_json is not JSON, without a flow token', () => {
    const payload = parsed('inbound-interactive-nfm-reply.ASSEMBLED.json') as {
      entry: Array<{
        changes: Array<{ value: { messages: Array<{ interactive: { nfm_reply: { response_json: string } } }> } }>;
      }>;
    };
    payload.entry[0].changes[0].value.messages[0].interactive.nfm_reply.response_json = '{not json';
    const [event] = webhook.extractEvents(payload, request(Buffer.alloc(0)));
    expect((event.payload as { content: Record<string, unknown> }).content).toEqual({
      kind: 'nfm_reply',
      name: 'flow',
      body: 'Sent',
      responseJson: '{not json',
    });
  });

  it.each([
    [
      'inbound-button.openapi-example.json',
      'button',
      'Unsubscribe',
      { payload: 'Unsubscribe', text: 'Unsubscribe' },
      'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA',
    ],
    [
      'inbound-interactive-list-reply.openapi-example.json',
      'interactive',
      'Priority Mail Express',
      { kind: 'list_reply', id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
      'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA',
    ],
    [
      'inbound-interactive-button-reply.openapi-example.json',
      'interactive',
      'Cancel',
      { kind: 'button_reply', id: 'cancel-button', title: 'Cancel' },
      'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA',
    ],
  ])('keeps %s as type %s with its words, its ids and the message it answers', (name, type, text, content, context) => {
    expect(only(name).payload).toMatchObject({ type, text, content, contextId: context });
  });

  it('turns value.errors into one errors event with each code, title and details (no id: the delivery hash dedupes)', () => {
    expect(webhook.routingKeys?.(parsed('errors-value-level-130429.json'))).toEqual(['106540352242922']);
    expect(webhook.extractEvents(parsed('errors-value-level-130429.json'), request(Buffer.alloc(0)))).toEqual([
      {
        externalId: null,
        eventType: 'errors',
        payload: {
          phoneNumberId: '106540352242922',
          errors: [
            {
              code: 130429,
              title: 'Rate limit hit',
              message: 'Rate limit hit',
              details:
                'Message failed to send because there were too many messages sent from this phone number in a short period of time',
            },
          ],
        },
      },
    ]);
  });

  it('keeps value.errors beside the messages of the same value, and ignores an empty or malformed errors array', () => {
    const payload = parsed('inbound-text-message.json') as {
      entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }>;
    };
    payload.entry[0].changes[0].value.errors = [{ code: 131000, title: 'Something went wrong' }];
    expect(webhook.extractEvents(payload, request(Buffer.alloc(0))).map((e) => e.eventType)).toEqual([
      'message',
      'errors',
    ]);
    for (const errors of [[], 'oops', [null, 7]]) {
      payload.entry[0].changes[0].value.errors = errors;
      expect(webhook.extractEvents(payload, request(Buffer.alloc(0))).map((e) => e.eventType)).toEqual(['message']);
    }
  });
});

describe('WhatsApp subscription handshake', () => {
  /** The doc's request, with its <PLACEHOLDERS> filled in. */
  const query = (): Record<string, string> => {
    const text = fixture('verification-request.http')
      .toString('utf8')
      .replace('<CALLBACK_URL>', 'https://hub.example.com/api/webhooks/whatsapp-cloud')
      .replace('<HUB.CHALLENGE>', '1158201444')
      .replace('<HUB.VERIFY_TOKEN>', 'wa-verify-1');
    return Object.fromEntries(new URL(text.replace(/^GET\s+/, '').replace(/\s+/g, '')).searchParams.entries());
  };

  it('echoes the challenge when the token matches, and nothing otherwise', () => {
    expect(webhook.handshake?.(query(), config)).toEqual({ contentType: 'text/plain', body: '1158201444' });
    expect(webhook.handshake?.({ ...query(), 'hub.verify_token': 'wa-verify-2' }, config)).toBeNull();
    expect(webhook.handshake?.({ ...query(), 'hub.mode': 'SUBSCRIBE' }, config)).toBeNull();
    expect(webhook.handshake?.({ ...query(), 'hub.challenge': '' }, config)).toBeNull();
  });
});
