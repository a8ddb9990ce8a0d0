// Instagram Direct webhooks: story mentions and replies, attachments, ad referrals, echoes and seen receipts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import { handlerContext } from '../../../test/support/handler-context';
import type { ExtractedEvent, StoredEvent, WebhookRequest } from '../integration-handler';
import { InstagramDirectHandler } from './instagram-direct.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const parsed = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));
const IGID = '17841405822304914';
const IGSID = '1092310252982105';
const config = {
  instagramAccountId: IGID,
  pageId: '134895793791914',
  accessToken: 'EAAG-ig-page-token',
  appSecret: 'ig-app-secret',
  verifyToken: 'verify-ig',
};
const handler = new InstagramDirectHandler();
const webhook = handler.webhook;
const request = (rawBody: Buffer): WebhookRequest => ({ rawBody, headers: {}, receivedAt: new Date() });
const extract = (name: string): ExtractedEvent[] => webhook.extractEvents(parsed(name), request(fixture(name)), config);
const stored = (event: ExtractedEvent): StoredEvent => ({
  id: '1',
  eventType: event.eventType,
  externalId: event.externalId,
  payload: JSON.parse(JSON.stringify(event.payload)),
  receivedAt: new Date(),
});
const process = (event: ExtractedEvent) => handler.processWebhook(stored(event), handlerContext(config));

describe('InstagramDirectHandler definition', () => {
  it('declares its key and a config schema with the issue’s fields and secrets', () => {
    expect([handler.key, handler.displayName, handler.category]).toEqual([
      'instagram-direct',
      'Instagram Direct',
      'Messaging',
    ]);
    expect(handler.capabilities).toEqual(['webhook', 'test', 'send']);
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, pageId: undefined })).toBe(false);
    expect(validate({ ...config, instagramAccountId: '@acme' })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['accessToken', 'appSecret', 'verifyToken']);
    // the routing key is the Instagram account (entry.id), not the connected page
    expect(webhook.routingKeyOf?.(config)).toBe(IGID);
    expect(webhook.routingKeys?.(parsed('message-text.json'))).toEqual([IGID]);
  });
});

describe('Instagram webhook events', () => {
  it('takes a text message as a lead of the instagram platform and an inbound interaction', async () => {
    const [event] = extract('message-text.json');
    expect(event.eventType).toBe('message');
    const outcome = await process(event);
    expect(outcome.leads).toEqual([
      { platform: 'instagram', externalId: IGSID, submittedAt: '2019-09-23T18:14:45.349Z', source: {} },
    ]);
    expect(outcome.interactions?.[0]).toMatchObject({
      channel: 'instagram',
      direction: 'inbound',
      body: 'Hi! Is the spring offer still on?',
      externalMessageId: event.externalId,
    });
  });

  it('recognises story mentions and story replies', async () => {
    const [mention] = extract('story-mention.json');
    expect((await process(mention)).interactions?.[0].body).toBe('[story mention]');
    expect(mention.payload).toMatchObject({ object: 'instagram', entryId: IGID });
    const [reply] = extract('story-reply.ASSEMBLED.json');
    expect((await process(reply)).interactions?.[0].body).toBe('[story reply] Love this! Price?');
  });

  it('keeps a click-to-Instagram ad referral as the source and lists attachments by type and URL', async () => {
    const [event] = extract('message-attachments-and-ad-referral.ASSEMBLED.json');
    const outcome = await process(event);
    expect(outcome.leads[0].source).toMatchObject({
      adId: '23851234567899999',
      details: { ref: 'ig-spring', referralSource: 'ADS', adTitle: 'Spring whitening offer' },
    });
    expect(outcome.interactions?.[0].body).toBe(
      '[image https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18022222222222222&signature=ghi] ' +
        '[ig_reel https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18033333333333333&signature=jkl] I saw your ad',
    );
  });

  it('records echoes as outbound and keeps reactions and seen receipts for the conversation', async () => {
    const [echo] = extract('echo.ASSEMBLED.json');
    expect(echo.eventType).toBe('echo');
    expect(await process(echo)).toEqual({
      leads: [],
      interactions: [expect.objectContaining({ externalId: IGSID, direction: 'outbound', body: 'Yes, until Sunday!' })],
      messaging: expect.objectContaining({ kind: 'echo', contactId: IGSID, accountId: IGID }),
    });
    const [reaction] = extract('reaction.ASSEMBLED.json');
    const [seen] = extract('seen.json');
    expect(seen.externalId).toBe(`read:${IGSID}:aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OmVjaG8ZD`);
    for (const event of [reaction, seen]) expect((await process(event)).leads).toEqual([]);
  });

  it('reads an unsent message as an unsend of its mid, with its own event id (the message itself is already stored)', async () => {
    const [unsend] = extract('message-deleted.ASSEMBLED.json');
    const [original] = extract('message-text.json');
    expect(unsend).toMatchObject({ eventType: 'unsend', externalId: `unsend:${original.externalId}` });
    const outcome = await process(unsend);
    expect(outcome.leads).toEqual([]);
    expect(outcome.messaging).toMatchObject({ kind: 'unsend', mid: original.externalId, contactId: IGSID });
  });

  it('ignores Messenger deliveries', () => {
    const page = { ...(parsed('message-text.json') as object), object: 'page' };
    expect(webhook.extractEvents(page, request(Buffer.from('')))).toEqual([]);
    const unsent = {
      object: 'instagram',
      entry: [
        {
          id: IGID,
          messaging: [
            { sender: { id: IGSID }, recipient: { id: IGID }, timestamp: 1, message: { mid: 'm1', is_deleted: true } },
          ],
        },
      ],
    };
    expect(webhook.extractEvents(unsent, request(Buffer.from(''))).map((e) => e.externalId)).toEqual(['unsend:m1']);
  });
});
