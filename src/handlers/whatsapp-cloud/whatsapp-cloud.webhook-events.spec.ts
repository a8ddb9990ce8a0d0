// WhatsAppCloudHandler's webhook, unit tier: routing by phone number id and event extraction (messages,
// statuses, template updates, user preferences, buttons and referrals). The definition, verification and
// handshake are in whatsapp-cloud.webhook.spec.ts, orders, Flow answers and errors about the number in
// whatsapp-cloud.webhook-orders.spec.ts; the shared fixtures in test/support/whatsapp-cloud-webhook.ts.
import {
  config,
  fixture,
  parsed,
  request,
  webhook,
  WEBHOOK_FIXTURES,
} from '../../../test/support/whatsapp-cloud-webhook';

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
