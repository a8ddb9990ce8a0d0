// WhatsAppCloudHandler's webhook, unit tier: orders, WhatsApp Flow answers, replies and errors about the
// number, from Meta's official examples. The definition, verification and handshake are in
// whatsapp-cloud.webhook.spec.ts, routing and the other events in whatsapp-cloud.webhook-events.spec.ts; the
// shared fixtures in test/support/whatsapp-cloud-webhook.ts.
import { fixture, parsed, request, webhook } from '../../../test/support/whatsapp-cloud-webhook';

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
