// Facebook Messenger webhooks: Meta's documented payloads routed, verified, split into events and mapped to leads.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import type { ExtractedEvent, StoredEvent, WebhookRequest } from '../integration-handler';
import { handlerContext } from '../../../test/support/handler-context';
import { FacebookMessengerHandler } from './facebook-messenger.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const parsed = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));
const PAGE = '104620412345678';
const PSID = '6543210987654321';
const APP_SECRET = 'messenger-app-secret-41a';
const config = { pageId: PAGE, pageAccessToken: 'EAAG-page-token', appSecret: APP_SECRET, verifyToken: 'verify-me' };
const handler = new FacebookMessengerHandler();
const webhook = handler.webhook;
const request = (rawBody: Buffer, headers: Record<string, string | undefined> = {}): WebhookRequest => ({
  rawBody,
  headers,
  receivedAt: new Date(),
});
const sign = (body: Buffer, secret = APP_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const extract = (name: string): ExtractedEvent[] => webhook.extractEvents(parsed(name), request(fixture(name)), config);
const stored = (event: ExtractedEvent): StoredEvent => ({
  id: '1',
  eventType: event.eventType,
  externalId: event.externalId,
  payload: JSON.parse(JSON.stringify(event.payload)),
  receivedAt: new Date(),
});
const process = (event: ExtractedEvent) => handler.processWebhook(stored(event), handlerContext(config));

describe('FacebookMessengerHandler definition', () => {
  it('declares its key, category and a config schema Ajv strict mode compiles with the issue’s secrets', () => {
    expect([handler.key, handler.displayName, handler.category, handler.defaultRateLimitPerMinute]).toEqual([
      'facebook-messenger',
      'Facebook Messenger',
      'Messaging',
      200,
    ]);
    expect(handler.capabilities).toEqual(['webhook', 'test', 'send']);
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, humanAgentTag: true })).toBe(true);
    expect(validate({ ...config, pageId: 'acme' })).toBe(false);
    expect(validate({ ...config, appSecret: undefined })).toBe(false);
    expect(validate({ ...config, extra: 1 })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['appSecret', 'pageAccessToken', 'verifyToken']);
    expect(webhook.routingKeyOf?.(config)).toBe(PAGE);
    expect(handler.humanAgentAllowed(config)).toBe(false);
    expect(handler.humanAgentAllowed({ ...config, humanAgentTag: true })).toBe(true);
  });
});

describe('Messenger webhook routing and signature', () => {
  it('routes by entry id and keeps only the entries of one page', () => {
    const mixed = {
      object: 'page',
      entry: [
        { id: PAGE, time: 1, messaging: [] },
        { id: '999', time: 1, messaging: [] },
      ],
    };
    expect(webhook.routingKeys?.(mixed)).toEqual([PAGE, '999']);
    expect(webhook.selectForRoutingKey?.(mixed, PAGE)).toEqual({
      object: 'page',
      entry: [{ id: PAGE, time: 1, messaging: [] }],
    });
  });

  it('verifies X-Hub-Signature-256 over the raw bytes with the app secret only', () => {
    const body = fixture('message-text-quick-reply.json');
    const keys = { config, webhookSecrets: ['hub-secret'] };
    expect(webhook.verify(request(body, { 'x-hub-signature-256': sign(body) }), keys)).toEqual({ ok: true });
    expect(webhook.verify(request(body, { 'x-hub-signature-256': sign(body, 'hub-secret') }), keys)).toMatchObject({
      ok: false,
    });
    const tampered = Buffer.from(body.toString('utf8').replace('hello', 'HELLO'));
    expect(webhook.verify(request(tampered, { 'x-hub-signature-256': sign(body) }), keys)).toMatchObject({ ok: false });
    expect(webhook.verify(request(body), keys)).toMatchObject({ ok: false });
  });

  it('answers the subscription handshake with the verify token', () => {
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '1158201444' };
    expect(webhook.handshake?.(query, config)).toEqual({ contentType: 'text/plain', body: '1158201444' });
    expect(webhook.handshake?.({ ...query, 'hub.verify_token': 'nope' }, config)).toBeNull();
  });
});

describe('Messenger webhook events', () => {
  it('takes a text message with its quick reply as one inbound message: a lead and an interaction', async () => {
    const [event, ...rest] = extract('message-text-quick-reply.json');
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ externalId: 'mid.1457764197618:41d102a3e1ae206a38', eventType: 'message' });
    await expect(process(event)).resolves.toEqual({
      leads: [{ platform: 'messenger', externalId: PSID, submittedAt: '2016-03-23T00:25:52.478Z', source: {} }],
      interactions: [
        {
          platform: 'messenger',
          externalId: PSID,
          channel: 'messenger',
          direction: 'inbound',
          body: 'hello, world!',
          occurredAt: '2016-03-23T00:25:52.478Z',
          externalMessageId: 'mid.1457764197618:41d102a3e1ae206a38',
        },
      ],
      // the typed event, for the conversation model
      messaging: {
        kind: 'message',
        channel: 'messenger',
        accountId: PAGE,
        contactId: PSID,
        timestamp: 1458692752478,
        standby: false,
        mid: 'mid.1457764197618:41d102a3e1ae206a38',
        text: 'hello, world!',
        attachments: [],
        quickReplyPayload: 'DEVELOPER_DEFINED_PAYLOAD',
      },
    });
  });

  it('describes attachments by type and URL', async () => {
    const [event] = extract('message-attachment.json');
    const outcome = await process(event);
    expect(outcome.interactions?.[0].body).toBe('[image https://scontent.xx.fbcdn.net/v/t1.15752-9/attachment.jpg]');
    expect(extract('message-reply.json')[0]).toMatchObject({ eventType: 'message' });
  });

  it('records an echo of the page’s own message as outbound, never as a new lead', async () => {
    const [event] = extract('message-echo.json');
    expect(event.eventType).toBe('echo');
    const outcome = await process(event);
    expect(outcome.leads).toEqual([]);
    expect(outcome.interactions).toEqual([
      expect.objectContaining({ externalId: PSID, direction: 'outbound', body: 'hello, world!' }),
    ]);
  });

  it('keeps a click-to-Messenger ad referral (ad id, ref) as the lead’s source', async () => {
    const [referral] = extract('referral-ad.json');
    expect(referral.eventType).toBe('referral');
    expect(referral.externalId).toBe(`referral:${PSID}:1458692752478`);
    const outcome = await process(referral);
    expect(outcome.leads[0].source).toEqual({
      adId: '23851234567890123',
      details: {
        ref: 'spring-offer',
        referralSource: 'ADS',
        referralType: 'OPEN_THREAD',
        adTitle: 'Spring whitening offer',
        adPhotoUrl: 'https://scontent.xx.fbcdn.net/v/ad-photo.jpg',
        adVideoUrl: 'https://scontent.xx.fbcdn.net/v/ad-video-thumb.jpg',
        adPostId: '104620412345678_998877665544',
        productId: '7788990011',
      },
    });
    const [postback] = extract('postback-get-started-from-ad.ASSEMBLED.json');
    const fromPostback = await process(postback);
    expect(fromPostback.leads[0].source).toMatchObject({ adId: '23851234567890123', details: { ref: 'spring-offer' } });
    expect(fromPostback.interactions?.[0]).toMatchObject({ direction: 'inbound', body: '[postback] Get Started' });
    const [link] = extract('referral-shortlink.json');
    expect((await process(link)).leads[0].source).toEqual({
      details: { ref: 'qr-front-desk', referralSource: 'SHORTLINK', referralType: 'OPEN_THREAD' },
    });
  });

  it('stores reactions, deliveries and reads for the conversation without touching leads', async () => {
    const [reaction] = extract('reaction.json');
    const [delivery] = extract('delivery.json');
    const [read] = extract('read.json');
    expect([reaction, delivery, read].map((e) => [e.eventType, e.externalId])).toEqual([
      ['reaction', `reaction:mid.1457764197618:41d102a3e1ae206a38:${PSID}:react:1458668856463`],
      ['delivery', `delivery:${PSID}:1458668856253`],
      ['read', `read:${PSID}:1458668856253`],
    ]);
    for (const event of [reaction, delivery, read]) {
      const outcome = await process(event);
      expect(outcome.leads).toEqual([]);
      expect(outcome.interactions).toBeUndefined();
      expect(outcome.messaging?.kind).toBe(event.eventType);
    }
  });

  it('applies every entry and every event of one delivery, standby included, with stable ids', () => {
    const text = (parsed('message-text-quick-reply.json') as { entry: Array<{ messaging: unknown[] }> }).entry[0];
    const read = (parsed('read.json') as { entry: Array<{ messaging: unknown[] }> }).entry[0];
    const echo = (parsed('message-echo.json') as { entry: Array<{ messaging: unknown[] }> }).entry[0];
    const delivery = {
      object: 'page',
      entry: [
        { ...text, messaging: [...text.messaging, ...read.messaging] },
        { id: PAGE, time: 2, standby: echo.messaging },
      ],
    };
    const events = webhook.extractEvents(delivery, request(Buffer.from(JSON.stringify(delivery))), config);
    expect(events.map((e) => e.eventType)).toEqual(['message', 'read', 'echo']);
    expect(events[2].payload).toMatchObject({ standby: true, entryId: PAGE });
    const again = webhook.extractEvents(delivery, request(Buffer.from(JSON.stringify(delivery))), config);
    expect(again.map((e) => e.externalId)).toEqual(events.map((e) => e.externalId));
  });

  it('gives no event for another object, a person without a PSID, or items it does not use', () => {
    expect(
      webhook.extractEvents({ ...(parsed('read.json') as object), object: 'instagram' }, request(Buffer.from(''))),
    ).toEqual([]);
    // Meta's own postback sample comes from a Chat Plugin guest (user_ref only, no PSID)
    const sample = parsed('postback.field-value.json');
    expect(
      webhook.extractEvents({ object: 'page', entry: [{ id: PAGE, changes: [sample] }] }, request(Buffer.from(''))),
    ).toEqual([]);
    const optin = {
      object: 'page',
      entry: [{ id: PAGE, messaging: [{ sender: { id: PSID }, recipient: { id: PAGE }, optin: {} }] }],
    };
    expect(webhook.extractEvents(optin, request(Buffer.from('')))).toEqual([]);
  });

  it('reads the field/value form of Meta’s samples and a timestamp in seconds', () => {
    const sample = parsed('postback.field-value.json') as { field: string; value: Record<string, unknown> };
    const withPsid = { ...sample, value: { ...sample.value, sender: { id: PSID }, recipient: { id: PAGE } } };
    const [event] = webhook.extractEvents(
      { object: 'page', entry: [{ id: PAGE, changes: [withPsid] }] },
      request(Buffer.from('')),
    );
    expect(event).toMatchObject({ eventType: 'postback', externalId: 'postback:m_MESSAGE-ID' });
  });

  it('refuses a stored event that is not a Messenger envelope as permanent', async () => {
    await expect(
      handler.processWebhook(
        { id: '1', eventType: 'message', externalId: 'x', payload: {}, receivedAt: new Date() },
        handlerContext(config),
      ),
    ).rejects.toThrow('Messenger message event without a person or message id');
  });
});
