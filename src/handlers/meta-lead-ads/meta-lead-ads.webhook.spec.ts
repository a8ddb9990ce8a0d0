import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import type { WebhookRequest } from '../integration-handler';
import { parseJsonLossless } from '../shared/lossless-json';
import { MetaLeadAdsHandler } from './meta-lead-ads.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const APP_SECRET = 'test-app-secret-5f2c';
const config = {
  pageId: '153125381133',
  appSecret: APP_SECRET,
  pageAccessToken: 'page-token-abc',
  verifyToken: 'meatyhamhock',
};
const handler = new MetaLeadAdsHandler();
const webhook = handler.webhook;

const sign = (body: Buffer, secret = APP_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const request = (rawBody: Buffer, headers: Record<string, string | undefined>): WebhookRequest => ({
  rawBody,
  headers,
  receivedAt: new Date('2026-11-30T12:00:00Z'),
});
const keys = { config, webhookSecrets: [] };

/** The JSON body of an .http fixture (everything after the blank line). */
function httpBody(name: string): Buffer {
  const text = fixture(name).toString('utf8');
  return Buffer.from(text.slice(text.indexOf('\n\n') + 2), 'utf8');
}

/** The query of the verification .http fixture, whose URL the docs wrap over several lines. */
function httpQuery(name: string): Record<string, string> {
  const firstBlock = fixture(name).toString('utf8').split('\n\n')[0];
  const url = new URL(firstBlock.replace(/^GET\s+/, '').replace(/\s+/g, ''));
  return Object.fromEntries(url.searchParams.entries());
}

describe('MetaLeadAdsHandler definition', () => {
  it('declares its key, capabilities and a config schema that compiles in Ajv strict mode', () => {
    expect(handler.key).toBe('meta-lead-ads');
    expect(handler.displayName).toBe('Meta Lead Ads');
    expect(handler.category).toBe('Social Media');
    expect(handler.capabilities).toEqual(['webhook', 'sync', 'test']);
    expect(handler.defaultRateLimitPerMinute).toBe(200);
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, extra: 1 })).toBe(false);
    expect(validate({ pageId: '1', appSecret: 's', pageAccessToken: 't' })).toBe(false);
    expect(validate({ ...config, pageId: 'my-page' })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['appSecret', 'pageAccessToken', 'verifyToken']);
  });
});

describe('Meta Lead Ads webhook verification (X-Hub-Signature-256)', () => {
  const raw = fixture('leadgen-webhook.page-sample.json');

  it('accepts the signature computed over the exact raw bytes of the fixture', () => {
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({ ok: true });
  });

  it('rejects the same JSON re-serialized, since the bytes differ', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(webhook.verify(request(reserialized, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(raw.toString('utf8').replace('123123123124', '123123123125'));
    expect(webhook.verify(request(tampered, { 'x-hub-signature-256': sign(raw) }), keys).ok).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw, 'other-secret') }), keys)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('rejects a delivery without the header, or with only the legacy SHA-1 header', () => {
    expect(webhook.verify(request(raw, {}), keys)).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
    const sha1 = `sha1=${createHmac('sha1', APP_SECRET).update(raw).digest('hex')}`;
    expect(webhook.verify(request(raw, { 'x-hub-signature': sha1 }), keys).ok).toBe(false);
  });

  it('rejects a sha1= prefix and malformed values in X-Hub-Signature-256', () => {
    const hex = sign(raw).slice('sha256='.length);
    for (const value of [
      `sha1=${hex}`,
      hex,
      `sha256=${hex.slice(0, 40)}`,
      `sha256=${hex}00`,
      'sha256=',
      `sha256=${'z'.repeat(64)}`,
    ]) {
      const result = webhook.verify(request(raw, { 'x-hub-signature-256': value }), keys);
      expect(result.ok).toBe(false);
      expect(result).toMatchObject({ reason: expect.stringMatching(/^malformed/) });
    }
  });

  it('accepts uppercase hex (Meta sends lowercase; case carries no meaning)', () => {
    const upper = `sha256=${sign(raw).slice('sha256='.length).toUpperCase()}`;
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': upper }), keys)).toEqual({ ok: true });
  });

  it('accepts the previous app secret during its grace period, never the hub webhook secret', () => {
    const changed = { config: { ...config, appSecret: 'new-secret-9b1' }, webhookSecrets: [APP_SECRET] };
    // Meta signs with the app secret only: the hub's own webhook secret is not a key here (issue 9 point 6)
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw) }), changed).ok).toBe(false);
    const inGrace = { ...changed, webhookSecrets: [], previousSecrets: { appSecret: APP_SECRET } };
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw) }), inGrace)).toEqual({ ok: true });
  });

  it('verifies the generic event-notification example over its body bytes', () => {
    const body = httpBody('event-notification-request.generic-photos-example.http');
    expect(webhook.verify(request(body, { 'x-hub-signature-256': sign(body) }), keys)).toEqual({ ok: true });
  });
});

describe('Meta Lead Ads routing and event extraction', () => {
  const raw = fixture('leadgen-webhook.page-sample.json');
  const payload: unknown = JSON.parse(raw.toString('utf8'));

  it("routes by page id (entry[].id), and by the page_id its leadgen changes name (Meta's sample differs)", () => {
    expect(webhook.routingKeys?.(payload)).toEqual(['153125381133', '123123123']);
    // either key selects the entry
    for (const key of ['153125381133', '123123123'])
      expect(webhook.selectForRoutingKey?.(payload, key)).toEqual(payload);
    expect(webhook.selectForRoutingKey?.(payload, '999')).toEqual({ ...(payload as object), entry: [] });
    expect(webhook.routingKeyOf?.(config)).toBe('153125381133');
  });

  it('extracts one leadgen event per change, with every id as a string', () => {
    const events = webhook.extractEvents(payload, request(raw, {}));
    expect(events).toEqual([
      {
        externalId: '123123123123',
        eventType: 'leadgen',
        payload: {
          leadgenId: '123123123123',
          pageId: '123123123',
          formId: '12312312312',
          adId: '12312312312',
          adgroupId: '12312312312',
          createdTime: '2015-08-21T01:26:24.000Z',
        },
      },
      {
        externalId: '123123123124',
        eventType: 'leadgen',
        payload: {
          leadgenId: '123123123124',
          pageId: '123123123',
          formId: '12312312312',
          adId: '12312312312',
          adgroupId: '12312312312',
          createdTime: '2015-08-21T01:26:24.000Z',
        },
      },
    ]);
  });

  it('keeps leadgen ids above 2^53 exact, read from the raw bytes', () => {
    const text = raw
      .toString('utf8')
      .replace('"leadgen_id": 123123123123', '"leadgen_id": 120226305854810726')
      .replace('"ad_id": 12312312312', '"ad_id": 120226305854810799');
    const rawBig = Buffer.from(text);
    const lossy: unknown = JSON.parse(text);
    const [first, second] = webhook.extractEvents(lossy, request(rawBig, {}));
    expect(first.externalId).toBe('120226305854810726');
    expect(first.payload).toMatchObject({ leadgenId: '120226305854810726', adId: '120226305854810799' });
    expect(second.externalId).toBe('123123123124');
    // what JSON.parse alone would have produced
    expect(
      String(
        (lossy as { entry: Array<{ changes: Array<{ value: { leadgen_id: number } }> }> }).entry[0].changes[0].value
          .leadgen_id,
      ),
    ).not.toBe('120226305854810726');
  });

  it('selects one page of a mixed delivery, and extracts only that page losslessly', () => {
    const text = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: '111',
          time: 1,
          changes: [{ field: 'leadgen', value: { leadgen_id: 'L1', page_id: '111', form_id: '9' } }],
        },
        {
          id: '222',
          time: 1,
          changes: [{ field: 'leadgen', value: { leadgen_id: 'L2', page_id: '222', form_id: '8' } }],
        },
      ],
    }).replace('"L2"', '987654321987654321987');
    const mixed: unknown = JSON.parse(text);
    expect(webhook.routingKeys?.(mixed)).toEqual(['111', '222']);
    const selected = webhook.selectForRoutingKey?.(mixed, '222');
    expect(selected).toMatchObject({ object: 'page', entry: [{ id: '222' }] });
    const events = webhook.extractEvents(selected, request(Buffer.from(text), {}));
    expect(events.map((e) => e.externalId)).toEqual(['987654321987654321987']);
    expect(events[0].payload).toMatchObject({ pageId: '222', formId: '8' });
  });

  it('ignores changes that are not leadgen, and non-page objects', () => {
    const body = httpBody('event-notification-request.generic-photos-example.http');
    expect(webhook.extractEvents(JSON.parse(body.toString('utf8')), request(body, {}))).toEqual([]);
    const mixed = {
      object: 'page',
      entry: [
        {
          id: '5',
          changes: [
            { field: 'feed', value: { item: 'post' } },
            { field: 'leadgen', value: { leadgen_id: '77', page_id: '5' } },
          ],
        },
      ],
    };
    const events = webhook.extractEvents(mixed, request(Buffer.from(JSON.stringify(mixed)), {}));
    expect(events).toEqual([{ externalId: '77', eventType: 'leadgen', payload: { leadgenId: '77', pageId: '5' } }]);
  });

  it('falls back to the given payload when the raw body is empty (a replay)', () => {
    expect(webhook.extractEvents(payload, request(Buffer.alloc(0), {})).map((e) => e.externalId)).toEqual([
      '123123123123',
      '123123123124',
    ]);
  });
});

describe('Meta Lead Ads subscription handshake', () => {
  const query = httpQuery('verification-request.http');

  it('echoes hub.challenge as text/plain when the verify token matches', () => {
    expect(query).toEqual({
      'hub.mode': 'subscribe',
      'hub.challenge': '1158201444',
      'hub.verify_token': 'meatyhamhock',
    });
    expect(webhook.handshake?.(query, config)).toEqual({ contentType: 'text/plain', body: '1158201444' });
  });

  it('answers null for a wrong token, another mode or a missing challenge', () => {
    expect(webhook.handshake?.({ ...query, 'hub.verify_token': 'meatyhamhocks' }, config)).toBeNull();
    expect(webhook.handshake?.({ ...query, 'hub.mode': 'unsubscribe' }, config)).toBeNull();
    expect(webhook.handshake?.({ 'hub.mode': 'subscribe', 'hub.verify_token': 'meatyhamhock' }, config)).toBeNull();
    expect(webhook.handshake?.(query, { ...config, verifyToken: undefined })).toBeNull();
  });
});

describe('parseJsonLossless', () => {
  it('turns only unsafe integers into strings and leaves strings, floats and safe numbers alone', () => {
    const text =
      '{"a": 9007199254740993, "b": -9007199254740993, "c": 9007199254740991, "d": "12345678901234567890", "e": 1.5e300, "f": [0, -1, 2.25], "g": "say \\"99999999999999999999\\""}';
    expect(parseJsonLossless(text)).toEqual({
      a: '9007199254740993',
      b: '-9007199254740993',
      c: 9007199254740991,
      d: '12345678901234567890',
      e: 1.5e300,
      f: [0, -1, 2.25],
      g: 'say "99999999999999999999"',
    });
  });

  it('throws on invalid JSON like JSON.parse', () => {
    expect(() => parseJsonLossless(fixture('lead-retrieve-response.verbatim.txt').toString('utf8'))).toThrow(
      SyntaxError,
    );
  });
});
