import { createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import { StoredEvent, WebhookRequest } from '../integration-handler';
import { GHL_DEFAULT_ED25519_PUBLIC_KEY, GHL_DEFAULT_RSA_PUBLIC_KEY } from './ghl-public-key';
import { GoHighLevelHandler } from './gohighlevel.handler';
import { handlerContext } from '../../../test/support/handler-context';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const json = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));

const handler = new GoHighLevelHandler();
const webhook = handler.webhook;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const otherEd = generateKeyPairSync('ed25519');
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

const rsaSign = (data: Buffer | string, key: KeyObject = rsa.privateKey): string =>
  sign('sha256', Buffer.from(data), key).toString('base64');
const edSign = (data: Buffer | string, key: KeyObject = ed.privateKey): string =>
  sign(null, Buffer.from(data), key).toString('base64');

const RECEIVED_AT = new Date('2025-01-28T14:36:00Z');
function delivery(raw: Buffer | string, headers: Record<string, string>, receivedAt = RECEIVED_AT): WebhookRequest {
  return { rawBody: Buffer.from(raw), headers, receivedAt };
}
const configured = {
  locationId: 've9EPM428h8vShlRW1KT',
  privateIntegrationToken: 'pit-test',
  webhookPublicKey: pem(rsa.publicKey),
};
const keys = (config: Record<string, unknown> = configured) => ({ config, webhookSecrets: [] });

function event(payload: unknown): StoredEvent {
  const [extracted] = webhook.extractEvents(payload, delivery('{}', {}));
  return {
    id: '1',
    eventType: extracted.eventType,
    externalId: extracted.externalId,
    payload,
    receivedAt: RECEIVED_AT,
  };
}
const apply = (payload: unknown) => handler.processWebhook(event(payload), handlerContext(configured));

describe('GoHighLevelHandler: description and config', () => {
  it('describes itself as the standard CRM handler with GoHighLevel burst limits', () => {
    expect(handler.key).toBe('gohighlevel');
    expect(handler.displayName).toBe('GoHighLevel');
    expect(handler.category).toBe('CRM');
    expect(handler.capabilities).toEqual(['webhook', 'sync', 'test']);
    expect(handler.defaultRateLimitPerMinute).toBe(600);
    expect(handler.rateLimit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(webhook.routing).toBe('provider');
  });

  it('has a config schema that compiles under strict Ajv and marks only the token secret', () => {
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate({ locationId: 'loc1', privateIntegrationToken: 'pit' })).toBe(true);
    expect(
      validate({
        locationId: 'loc1',
        privateIntegrationToken: 'pit',
        calendarId: 'cal',
        webhookPublicKey: pem(rsa.publicKey),
      }),
    ).toBe(true);
    expect(validate({ locationId: 'loc1' })).toBe(false);
    expect(validate({ locationId: 'loc1', privateIntegrationToken: 'pit', extra: 1 })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets).toEqual(['privateIntegrationToken']);
    for (const property of Object.values(handler.defaultConfigSchema.properties))
      expect(typeof property.description).toBe('string');
  });

  it('embeds the published RSA-4096 key verbatim and checks configured keys by type', () => {
    expect(GHL_DEFAULT_RSA_PUBLIC_KEY).toBe(fixture('x-wh-signature.rsa-public-key.pem').toString('utf8').trim());
    const key = createPublicKey(GHL_DEFAULT_RSA_PUBLIC_KEY);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const unconfirmedEd = fixture('x-ghl-signature.ed25519-public-key.UNCONFIRMED.pem').toString('utf8');
    expect(handler.validateConfig({ ...configured, webhookEd25519PublicKey: unconfirmedEd })).toEqual([]);
    expect(handler.validateConfig({ ...configured, webhookPublicKey: unconfirmedEd })).toEqual([
      { pointer: '/webhookPublicKey', message: 'webhookPublicKey has key type ed25519, expected rsa' },
    ]);
    expect(handler.validateConfig({ ...configured, webhookEd25519PublicKey: 'not a key' })).toEqual([
      { pointer: '/webhookEd25519PublicKey', message: 'webhookEd25519PublicKey is not a PEM public key' },
    ]);
  });
});

describe('GoHighLevelHandler: signature verification', () => {
  const raw = fixture('ContactCreate.json'); // pretty-printed, as the docs show it: exact bytes matter

  it('accepts x-wh-signature (RSA-SHA256) over the exact raw bytes with the configured key', () => {
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(raw) }), keys())).toEqual({ ok: true });
  });

  it('rejects a tampered body, a wrong key and a missing header', () => {
    const tampered = Buffer.from(raw.toString('utf8').replace('JohnDeo@gmail.comm', 'attacker@evil.test'));
    expect(webhook.verify(delivery(tampered, { 'x-wh-signature': rsaSign(raw) }), keys())).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(raw, otherRsa.privateKey) }), keys())).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(webhook.verify(delivery(raw, {}), keys())).toEqual({
      ok: false,
      reason: 'missing x-wh-signature / x-ghl-signature header',
    });
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': 'bm90IGEgc2lnbmF0dXJl' }), keys())).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it("uses GoHighLevel's published key when none is configured, so our own key's signature fails", () => {
    const unconfigured = { locationId: 'loc', privateIntegrationToken: 'pit' };
    const signature = rsaSign(raw);
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': signature }), keys(unconfigured))).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    // the same signature holds once its key is configured: the default was the only difference
    expect(
      webhook.verify(
        delivery(raw, { 'x-wh-signature': signature }),
        keys({ ...unconfigured, webhookPublicKey: pem(rsa.publicKey) }),
      ),
    ).toEqual({ ok: true });
    expect(
      webhook.verify(
        delivery(raw, { 'x-wh-signature': signature }),
        keys({ ...unconfigured, webhookPublicKey: 'garbage' }),
      ),
    ).toEqual({
      ok: false,
      reason: 'webhookPublicKey is not a PEM public key',
    });
  });

  it('falls back to re-serialized JSON only when the raw bytes do not verify', () => {
    const reserialized = JSON.stringify(JSON.parse(raw.toString('utf8')));
    expect(Buffer.from(reserialized).equals(raw)).toBe(false);
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(reserialized) }), keys())).toEqual({ ok: true });
    const other = JSON.stringify({ ...(JSON.parse(reserialized) as object), email: 'x@y.z' });
    expect(webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(other) }), keys())).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  describe('x-ghl-signature (Ed25519)', () => {
    const edConfig = { ...configured, webhookEd25519PublicKey: pem(ed.publicKey) };

    it('verifies with the configured Ed25519 key and prefers it over x-wh-signature', () => {
      expect(webhook.verify(delivery(raw, { 'x-ghl-signature': edSign(raw) }), keys(edConfig))).toEqual({ ok: true });
      expect(
        webhook.verify(delivery(raw, { 'x-ghl-signature': edSign(raw), 'x-wh-signature': 'AAAA' }), keys(edConfig)),
      ).toEqual({ ok: true });
    });

    it("accepts either header: both keys are GoHighLevel's, so a valid legacy signature still verifies", () => {
      const headers = { 'x-ghl-signature': edSign(raw, otherEd.privateKey), 'x-wh-signature': rsaSign(raw) };
      expect(webhook.verify(delivery(raw, headers), keys(edConfig))).toEqual({ ok: true });
      const bothWrong = {
        'x-ghl-signature': edSign(raw, otherEd.privateKey),
        'x-wh-signature': rsaSign(raw, otherRsa.privateKey),
      };
      expect(webhook.verify(delivery(raw, bothWrong), keys(edConfig))).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
      const tampered = Buffer.concat([raw, Buffer.from(' ')]);
      expect(webhook.verify(delivery(tampered, { 'x-ghl-signature': edSign(raw) }), keys(edConfig))).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
    });

    it('fails against the (unconfirmed) published Ed25519 key for a signature made with another key', () => {
      const published = fixture('x-ghl-signature.ed25519-public-key.UNCONFIRMED.pem').toString('utf8');
      const config = { ...configured, webhookEd25519PublicKey: published };
      expect(webhook.verify(delivery(raw, { 'x-ghl-signature': edSign(raw) }), keys(config))).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
    });

    it("checks x-ghl-signature against GoHighLevel's published Ed25519 key when none is configured", () => {
      // our own key's signature fails against the default: the default is in force, not "anything goes"
      expect(webhook.verify(delivery(raw, { 'x-ghl-signature': edSign(raw) }), keys())).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
      expect(GHL_DEFAULT_ED25519_PUBLIC_KEY).toBe(
        fixture('x-ghl-signature.ed25519-public-key.UNCONFIRMED.pem').toString('utf8').trim(),
      );
      expect(createPublicKey(GHL_DEFAULT_ED25519_PUBLIC_KEY).asymmetricKeyType).toBe('ed25519');
      // the legacy header next to it still verifies with its own key
      expect(
        webhook.verify(delivery(raw, { 'x-ghl-signature': edSign(raw), 'x-wh-signature': rsaSign(raw) }), keys()),
      ).toEqual({ ok: true });
      // a configured key that is not an Ed25519 PEM is named, never used
      expect(
        webhook.verify(
          delivery(raw, { 'x-ghl-signature': edSign(raw) }),
          keys({ ...configured, webhookEd25519PublicKey: pem(rsa.publicKey) }),
        ),
      ).toEqual({ ok: false, reason: 'webhookEd25519PublicKey has key type rsa, expected ed25519' });
    });
  });

  describe('timestamp (replay protection)', () => {
    const body = (timestamp: unknown): string =>
      JSON.stringify({ timestamp, webhookId: 'wh-1', type: 'ContactCreate', locationId: 'loc', id: 'c1' });
    const check = (raw: string, receivedAt: Date) =>
      webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(raw) }, receivedAt), keys());

    it("keeps GoHighLevel's own retries valid: up to 2 hours old (6 retries 10 minutes apart, plus jitter), 5 minutes ahead", () => {
      // the last documented retry, ~70 minutes after the first attempt, with an unrefreshed timestamp
      expect(check(body('2025-01-28T13:26:00Z'), RECEIVED_AT)).toEqual({ ok: true });
      expect(check(body('2025-01-28T12:36:00Z'), RECEIVED_AT)).toEqual({ ok: true });
      expect(check(body('2025-01-28T14:41:00Z'), RECEIVED_AT)).toEqual({ ok: true });
      expect(check(body('2025-01-28T12:35:59Z'), RECEIVED_AT)).toEqual({ ok: false, reason: 'stale timestamp' });
      expect(check(body('2025-01-28T14:41:01Z'), RECEIVED_AT)).toEqual({ ok: false, reason: 'stale timestamp' });
      expect(check(body(Date.parse('2025-01-28T14:00:00Z') / 1000), RECEIVED_AT)).toEqual({ ok: true });
      expect(check(body('yesterday'), RECEIVED_AT)).toEqual({ ok: false, reason: 'invalid timestamp' });
    });

    it('checks the signature before the timestamp', () => {
      const raw = body('2025-01-28T14:00:00Z');
      expect(webhook.verify(delivery(raw, { 'x-wh-signature': rsaSign(raw, otherRsa.privateKey) }), keys())).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
    });
  });

  describe('the auth guide example body (webhook-auth-guide.example-body.txt)', () => {
    const verbatim = fixture('webhook-auth-guide.example-body.txt');
    // the guide elides the event's own fields; fill them in so the body parses
    const completed = verbatim
      .toString('utf8')
      .replace(
        '...<add_other_webhook_data>',
        '"type": "ContactCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0"',
      );

    it('is not JSON as published, yet its exact bytes verify (no timestamp can be read from it)', () => {
      expect(() => JSON.parse(verbatim.toString('utf8'))).toThrow(SyntaxError);
      expect(webhook.verify(delivery(verbatim, { 'x-wh-signature': rsaSign(verbatim) }), keys())).toEqual({ ok: true });
    });

    it('yields webhookId as the event id and its timestamp bounds the delivery', () => {
      const payload: unknown = JSON.parse(completed);
      expect(webhook.extractEvents(payload, delivery(completed, {}))).toEqual([
        { externalId: 'abc123xyz', eventType: 'ContactCreate', payload },
      ]);
      expect(webhook.routingKeys?.(payload)).toEqual(['ve9EPM428h8vShlRW1KT']);
      const signed = { 'x-wh-signature': rsaSign(completed) };
      expect(webhook.verify(delivery(completed, signed, new Date('2025-01-28T16:35:00Z')), keys())).toEqual({
        ok: true,
      });
      expect(webhook.verify(delivery(completed, signed, new Date('2025-01-28T16:35:01Z')), keys())).toEqual({
        ok: false,
        reason: 'stale timestamp',
      });
    });
  });
});

describe('GoHighLevelHandler: routing and event ids', () => {
  it('routes by locationId, location_id or appointment.locationId', () => {
    expect(webhook.routingKeys?.(json('ContactCreate.json'))).toEqual(['ve9EPM428h8vShlRW1KT']);
    expect(webhook.routingKeys?.(json('AppointmentCreate.json'))).toEqual(['0007BWpSzSwfiuSl0tR2']);
    expect(webhook.routingKeys?.(json('AppInstall.location-whitelabel.json'))).toEqual(['otg8dTQqGLh3Q6iQI55w']);
    expect(webhook.routingKeys?.(json('AppInstall.agency.json'))).toEqual([]);
    expect(webhook.routingKeys?.({ type: 'X', location_id: 'loc-snake' })).toEqual(['loc-snake']);
    expect(webhook.routingKeys?.({ type: 'AppointmentUpdate', appointment: { locationId: 'loc-appt' } })).toEqual([
      'loc-appt',
    ]);
    expect(webhook.routingKeys?.('not an object')).toEqual([]);
    expect(webhook.routingKeyOf?.(configured)).toBe('ve9EPM428h8vShlRW1KT');
    const payload = json('InboundMessage.sms.json');
    expect(webhook.selectForRoutingKey?.(payload, 'l1C08ntBrFjLS0elLIYU')).toBe(payload);
  });

  it('derives one event per delivery with a stable id', () => {
    const ids = (name: string) =>
      webhook.extractEvents(json(name), delivery('{}', {})).map((e) => [e.eventType, e.externalId]);
    expect(ids('AppointmentCreate.json')).toEqual([
      ['AppointmentCreate', 'AppointmentCreate:0007BWpSzSwfiuSl0tR2:2023-09-25T16:00:00+05:30'],
    ]);
    expect(ids('InboundMessage.sms.json')).toEqual([
      ['InboundMessage', 'InboundMessage:cI08i1Bls3iTB9bKgFJh:2021-04-21T11:31:45.750Z'],
    ]);
    expect(ids('InboundMessage.call-labelled-OutboundMessage-in-docs.json')).toEqual([
      ['OutboundMessage', 'OutboundMessage:tyW42xCD0HQpb3hhfLcx:2024-05-08T11:57:42.250Z'],
    ]);
    expect(ids('AppInstall.location-non-whitelabel.json')).toEqual([['INSTALL', null]]);
    expect(ids('ContactCreate.json')[0][1]).toMatch(/^ContactCreate:nmFmQEsNgz6AVpgLVUJ0:sha256-[0-9a-f]{32}$/);
    expect(ids('OpportunityStatusUpdate.json')[0][1]).toMatch(
      /^OpportunityStatusUpdate:wWhVuzqpRuOA1ZVWi4FC:sha256-[0-9a-f]{32}$/,
    );
  });

  it('keys dateless updates by content: a redelivery matches, a later update does not', () => {
    const update = json('ContactUpdate.json') as Record<string, unknown>;
    const id = (p: unknown) => webhook.extractEvents(p, delivery('{}', {}))[0].externalId;
    expect(id(structuredClone(update))).toBe(id(update));
    expect(id({ ...update, email: 'new@example.com' })).not.toBe(id(update));
    expect(id({ ...update, dateUpdated: '2024-01-01T00:00:00.000Z' })).toBe(
      'ContactUpdate:nmFmQEsNgz6AVpgLVUJ0:2024-01-01T00:00:00.000Z',
    );
    expect(id({ ...update, webhookId: 'wh-42' })).toBe('wh-42');
  });
});

describe('GoHighLevelHandler: processing events', () => {
  const contactLead = {
    platform: 'gohighlevel',
    externalId: 'nmFmQEsNgz6AVpgLVUJ0',
    fullName: 'John Deo',
    firstName: 'John',
    lastName: 'Deo',
    email: 'JohnDeo@gmail.comm',
    phone: '+919509597501',
    company: 'Loram ipsum',
    city: 'ruDolomitebika',
    region: 'AL',
    postalCode: '452001',
    country: 'DE',
    tags: ['id magna sed Lorem', 'Duis dolor commodo aliqua'],
    customAnswers: { BcdmQEsNgz6AVpgLVUJ0: 'XYZ Corp' },
    submittedAt: '2021-11-26T12:41:02.193Z',
    source: {},
  };

  it('maps ContactCreate and ContactUpdate to a lead', async () => {
    expect(await apply(json('ContactCreate.json'))).toEqual({ leads: [contactLead] });
    expect(await apply(json('ContactUpdate.json'))).toEqual({ leads: [contactLead] });
  });

  it('takes form and campaign attribution from attributionSource', async () => {
    const attributionSource = {
      url: 'https://example.com/form',
      medium: 'form',
      mediumId: 'form-77',
      campaignId: 'cmp-9',
      campaign: 'Spring',
      gclid: 'g-1',
    };
    const outcome = await apply({ ...(json('ContactCreate.json') as object), attributionSource });
    expect(outcome.leads[0].source).toEqual({
      formId: 'form-77',
      campaignId: 'cmp-9',
      campaignName: 'Spring',
      gclid: 'g-1',
    });
    const calendarTouch = await apply({
      ...(json('ContactCreate.json') as object),
      attributionSource: { url: 'x', medium: 'calendar', mediumId: 'cal-1' },
    });
    expect(calendarTouch.leads[0].source).toEqual({});
  });

  it('keeps custom field values that have a text form, keyed by field id', async () => {
    const customFields = [
      { id: 'cf-number', value: 42 },
      { id: 'cf-multi', value: ['a', 'b', 3] },
      { id: 'cf-flag', value: false },
      { id: 'cf-object', value: { nested: true } },
      { id: 'cf-empty', value: '  ' },
      { value: 'no id' },
    ];
    const outcome = await apply({ ...(json('ContactCreate.json') as object), customFields });
    expect(outcome.leads[0].customAnswers).toEqual({ 'cf-number': '42', 'cf-multi': 'a, b, 3', 'cf-flag': 'false' });
  });

  it('maps AppointmentCreate to a booking of the contact', async () => {
    expect(await apply(json('AppointmentCreate.json'))).toEqual({
      leads: [],
      bookings: [
        {
          platform: 'gohighlevel',
          externalId: '9NkT25Vor1v4aQatFsv2',
          externalBookingId: '0007BWpSzSwfiuSl0tR2',
          calendarId: 'BqTwX8QFwXzpegMve9EQ',
          title: 'Appointment with GHL Dev team',
          startTime: '2023-09-25T16:00:00+05:30',
          endTime: '2023-09-25T16:00:00+05:30',
          status: 'confirmed',
        },
      ],
    });
  });

  it('maps opportunity statuses won/lost/abandoned and ignores open', async () => {
    const opportunity = json('OpportunityStatusUpdate.json') as Record<string, unknown>;
    expect(await apply(opportunity)).toEqual({ leads: [], ignoredReason: 'opportunity status open is not applied' });
    const change = (status: string) => ({
      leads: [],
      statusChanges: [{ platform: 'gohighlevel', externalId: 'cJAWDskpkJHbRbhAT7bs', status }],
    });
    expect(await apply({ ...opportunity, status: 'won' })).toEqual(change('CONVERTED'));
    expect(await apply({ ...opportunity, status: 'lost' })).toEqual(change('LOST'));
    expect(await apply({ ...opportunity, status: 'abandoned' })).toEqual(change('LOST'));
  });

  it('maps inbound messages to interactions, taking the direction from the payload', async () => {
    expect(await apply(json('InboundMessage.sms.json'))).toEqual({
      leads: [],
      interactions: [
        {
          platform: 'gohighlevel',
          externalId: 'cI08i1Bls3iTB9bKgFJh',
          channel: 'sms',
          direction: 'inbound',
          body: 'This is a test message',
          occurredAt: '2021-04-21T11:31:45.750Z',
        },
      ],
    });
    // the docs label this inbound call "OutboundMessage"; its direction field says inbound
    expect(await apply(json('InboundMessage.call-labelled-OutboundMessage-in-docs.json'))).toEqual({
      leads: [],
      interactions: [
        {
          platform: 'gohighlevel',
          externalId: 'gblakL5aYQC4glDtP1r2t3',
          channel: 'call',
          direction: 'inbound',
          occurredAt: '2024-05-08T11:57:42.250Z',
          externalMessageId: 'tyW42xCD0HQpb3hhfLcx',
        },
      ],
    });
    const { direction: _d, ...outbound } = json('InboundMessage.sms.json') as Record<string, unknown>;
    const sent = await apply({ ...outbound, type: 'OutboundMessage', messageType: 'Email', messageId: 'm-1' });
    expect(sent.interactions?.[0]).toMatchObject({ channel: 'email', direction: 'outbound', externalMessageId: 'm-1' });
  });

  it('ignores other event types and rejects unusable payloads permanently', async () => {
    for (const name of [
      'AppInstall.agency.json',
      'AppInstall.location-whitelabel.json',
      'AppInstall.location-non-whitelabel.json',
    ]) {
      expect(await apply(json(name))).toEqual({ leads: [], ignoredReason: 'event type INSTALL is not applied' });
    }
    await expect(apply({ type: 'ContactCreate', locationId: 'loc' })).rejects.toThrow(
      'ContactCreate has no contact id',
    );
    await expect(apply({ type: 'AppointmentCreate', locationId: 'loc', appointment: { id: 'a1' } })).rejects.toThrow(
      'AppointmentCreate has no appointment id or contactId',
    );
    await expect(apply({ type: 'InboundMessage', messageType: 'SMS' })).rejects.toThrow(
      'InboundMessage has no contactId',
    );
  });
});
