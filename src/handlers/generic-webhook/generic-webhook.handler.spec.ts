import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlerContext } from '../../../test/support/handler-context';
import { createAjv } from '../../common/json-schema/ajv';
import {
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  WebhookRequest,
} from '../integration-handler';
import { isJsonPointer } from './generic-webhook.config';
import { DELIVERY_BATCH_EVENT } from '../../modules/webhooks/webhook-batch';
import { GenericWebhookHandler, RESERVED_EVENT_TYPES } from './generic-webhook.handler';

const RAW = readFileSync(join(__dirname, 'fixtures', 'form-response.website-builder.json'));
const SECRET = 'whsec_current_5d1e0c';
const NOW = new Date('2026-11-23T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;

/** The template a super-admin would define for the fixture's sender, through the API only. */
const CONFIG = {
  mapping: {
    firstName: '/form_response/contact/first_name',
    lastName: '/form_response/contact/last_name',
    email: '/form_response/contact/email',
    phone: '/form_response/contact/phone',
    company: '/form_response/contact/company',
    city: '/form_response/contact/city',
    postalCode: '/form_response/contact/postal_code',
    country: '/form_response/contact/country',
    tags: '/form_response/tags',
    campaignId: '/form_response/hidden/campaign_id',
    campaignName: '/form_response/hidden/utm_campaign',
    adId: '/form_response/hidden/ad_id',
    formId: '/form_response/form_id',
    formName: '/form_response/form_title',
  },
  externalIdPointer: '/form_response/token',
  customAnswersPointer: '/form_response/answers',
  eventTypePointer: '/event_type',
};

/** Computed here, independently of the handler. */
const sign = (timestamp: string, raw: Buffer, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`;

const delivery = (raw: Buffer, headers: Record<string, string | undefined>, receivedAt = NOW): WebhookRequest => ({
  rawBody: raw,
  headers,
  receivedAt,
});
const signed = (raw: Buffer, timestamp = String(NOW_S), secret = SECRET, extra: Record<string, string> = {}) =>
  delivery(raw, { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': sign(timestamp, raw, secret), ...extra });

describe('GenericWebhookHandler', () => {
  const handler = new GenericWebhookHandler();
  const webhook = handler.webhook;
  /** The pipeline is expected to hand the integration's config to extractEvents (see the report). */
  const extract = (req: WebhookRequest, config: IntegrationConfig = CONFIG) =>
    webhook.extractEvents(JSON.parse(req.rawBody.toString('utf8')), req, config);
  const stored = (payload: unknown): StoredEvent => ({
    id: '1',
    eventType: 'lead',
    externalId: null,
    payload,
    receivedAt: NOW,
  });

  describe('metadata and config schema', () => {
    it('declares the handler contract values', () => {
      expect([handler.key, handler.displayName, handler.category]).toEqual([
        'generic-webhook',
        'Generic signed webhook',
        'Webhooks',
      ]);
      expect(handler.capabilities).toEqual(['webhook']);
      expect(handler.defaultRateLimitPerMinute).toBe(60);
      expect(webhook.routing).toBe('integration');
    });

    it('compiles under strict Ajv and validates a template config', () => {
      const validate = createAjv().compile(handler.defaultConfigSchema);
      expect(validate(CONFIG)).toBe(true);
      expect(
        validate({
          ...CONFIG,
          signatureHeader: 'X-Form-Signature',
          timestampHeader: 'X-Form-Time',
          eventIdHeader: 'X-Form-Id',
          toleranceSeconds: 600,
        }),
      ).toBe(true);
      expect(validate({ ...CONFIG, mapping: { favouriteColour: '/colour' } })).toBe(false);
      expect(validate({ ...CONFIG, mapping: { email: 'contact/email' } })).toBe(false);
      expect(validate({ ...CONFIG, toleranceSeconds: 10 })).toBe(false);
      expect(validate({ ...CONFIG, toleranceSeconds: 3601 })).toBe(false);
      expect(validate({ ...CONFIG, signatureHeader: 'X Signature' })).toBe(false);
      expect(validate({ mapping: {} })).toBe(false);
      expect(
        validate({
          ...CONFIG,
          signatureScheme: 'standard-webhooks',
          signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        }),
      ).toBe(true);
      expect(validate({ ...CONFIG, signatureScheme: 'hmac-sha256-body', signatureEncoding: 'base64' })).toBe(true);
      expect(validate({ ...CONFIG, signatureScheme: 'md5' })).toBe(false);
      expect(validate({ ...CONFIG, signatureEncoding: 'base32' })).toBe(false);
      // the only secret a template holds is one the sender generated; otherwise the hub's webhook secret signs
      const secrets = Object.entries(handler.defaultConfigSchema.properties)
        .filter(([, p]) => p['x-secret'] === true)
        .map(([name]) => name);
      expect(secrets).toEqual(['signingSecret']);
    });

    it('has nothing to test outbound', async () => {
      await expect((handler as IntegrationHandler).testConnection(handlerContext(CONFIG))).resolves.toEqual({
        success: true,
        message: 'Generic webhooks are verified by signature on delivery',
      });
    });
  });

  describe('validateConfig', () => {
    it('accepts the fixture template', () => {
      expect(handler.validateConfig(CONFIG)).toEqual([]);
    });

    it('reports each bad field with its pointer', () => {
      const problems = handler.validateConfig({
        mapping: { email: 'contact/email', phone: '/a~2b', favouriteColour: '/colour', 'odd/key~': '/x', city: 7 },
        externalIdPointer: '',
        customAnswersPointer: '/answers~',
        eventTypePointer: 12,
        signatureHeader: 'X-Webhook-Timestamp',
        eventIdHeader: 'bad header',
        toleranceSeconds: 5,
      });
      expect(problems.map((p) => p.pointer)).toEqual([
        '/mapping/email',
        '/mapping/phone',
        '/mapping/favouriteColour',
        '/mapping/odd~1key~0',
        '/mapping/city',
        '/externalIdPointer',
        '/customAnswersPointer',
        '/eventTypePointer',
        '/timestampHeader',
        '/eventIdHeader',
        '/toleranceSeconds',
      ]);
      expect(problems[2].message).toContain('"favouriteColour" is not a lead field');
      expect(problems[0].message).toContain('"contact/email" is not a JSON Pointer');
      expect(problems[8].message).toBe('is the same header as signatureHeader');
    });

    it('requires a mapping object and an id pointer', () => {
      expect(handler.validateConfig({ mapping: ['/email'] })).toEqual([
        { pointer: '/mapping', message: 'must be an object of lead field → JSON Pointer' },
        { pointer: '/externalIdPointer', message: 'must be a JSON Pointer string such as "/data/email"' },
      ]);
    });

    it('knows RFC 6901 pointers', () => {
      for (const ok of ['', '/', '/a', '/a/0', '/a~1b', '/m~0n', '/ c/%/é', '//']) expect(isJsonPointer(ok)).toBe(true);
      for (const bad of ['a', '#/a', '/a~', '/a~2', '~1']) expect(isJsonPointer(bad)).toBe(false);
      // a long near-miss is rejected (one pass: no nested quantifier can backtrack on it)
      expect(isJsonPointer(`${'/'.repeat(50_000)}~`)).toBe(false);
    });
  });

  describe('extractEvents: the dedup id comes from what the signature covers', () => {
    it('keys the hub scheme by a digest of the signed body, typed from the payload', () => {
      const [event] = extract(signed(RAW));
      expect(event.externalId).toBe(`sha256:${createHash('sha256').update(RAW).digest('hex')}`);
      expect(event.eventType).toBe('form_response');
    });

    it('ignores an unsigned event id header: a replay with new ids stays one event (issue 9 point 5)', () => {
      const ids = ['dlv_1', 'dlv_2', 'replay-3', undefined].map(
        (id) => extract(signed(RAW, String(NOW_S), SECRET, id ? { 'x-webhook-id': id } : {}))[0].externalId,
      );
      expect(new Set(ids).size).toBe(1);
      // a fresh timestamp re-signs the same body: still the same event
      expect(extract(signed(RAW, String(NOW_S + 60)))[0].externalId).toBe(ids[0]);
      // a different body is a different event
      expect(extract(signed(Buffer.from('{"x":1}')))[0].externalId).not.toBe(ids[0]);
    });

    it('keys Standard Webhooks deliveries by their signed webhook-id', () => {
      const config = { ...CONFIG, signatureScheme: 'standard-webhooks' };
      const req = delivery(RAW, {
        'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        'webhook-timestamp': String(NOW_S),
      });
      expect(extract(req, config)[0].externalId).toBe('webhook-id:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
      // Svix names the same headers svix-*
      const svix = delivery(RAW, { 'svix-id': 'msg_svix1', 'svix-timestamp': String(NOW_S) });
      expect(extract(svix, config)[0].externalId).toBe('webhook-id:msg_svix1');
    });

    it('keeps big integers exact in the stored payload', () => {
      const [event] = extract(signed(RAW));
      expect(event.payload).toMatchObject({
        form_response: { hidden: { campaign_id: '120226305854810726', ad_id: '120226305854810999' } },
      });
    });

    it("never types an event as the hub's own batch type, whatever the sender names it", () => {
      // a stored event of that type is expanded by a worker into the events its payload lists
      expect([...RESERVED_EVENT_TYPES]).toEqual([DELIVERY_BATCH_EVENT]);
      const raw = Buffer.from(JSON.stringify({ event_type: DELIVERY_BATCH_EVENT, events: [] }));
      expect(extract(signed(raw)).map((e) => e.eventType)).toEqual(['lead']);
      // other names, the internal one's look-alikes included, are the sender's as before
      const other = Buffer.from(JSON.stringify({ event_type: 'Delivery.Batch' }));
      expect(extract(signed(other)).map((e) => e.eventType)).toEqual(['Delivery.Batch']);
    });

    it('types events as "lead" when the pipeline passes no config', () => {
      const req = signed(RAW, String(NOW_S), SECRET, { 'x-webhook-id': 'dlv_1' });
      expect(webhook.extractEvents(JSON.parse(RAW.toString('utf8')), req).map((e) => e.eventType)).toEqual(['lead']);
    });
  });

  describe('processWebhook', () => {
    it('maps the fixture through the template alone', async () => {
      const [event] = extract(signed(RAW));
      const outcome = await handler.processWebhook(stored(event.payload), handlerContext(CONFIG));
      expect(outcome).toEqual({
        leads: [
          {
            platform: 'generic',
            externalIdScope: 'integration',
            externalId: 'a3a12ec67a1365927098a606107fac15',
            firstName: 'Laura',
            lastName: 'Mendes',
            email: 'laura.mendes@example.com',
            phone: '+351 912 345 678',
            city: 'Porto',
            postalCode: '4000',
            country: 'PT',
            tags: ['roofing', 'spring-promo'],
            customAnswers: {
              'Roof type': 'Clay tiles',
              'Roof area (m²)': '140',
              Services: 'Inspection, Gutter cleaning',
              'Wants a call back': 'true',
              'Preferred time': '{"day":"Saturday","slot":"morning"}',
            },
            source: {
              campaignId: '120226305854810726',
              campaignName: 'spring-roofing-2026',
              adId: '120226305854810999',
              formId: 'lT4Z3j',
              formName: 'Free roof inspection',
            },
          },
        ],
      });
    });

    it("maps a Typeform delivery's typed answers by array position, hidden UTM fields included", async () => {
      const typeform = readFileSync(join(__dirname, 'fixtures', 'form-response.typeform-shape.json'));
      const config = {
        mapping: {
          fullName: '/form_response/answers/0/text',
          email: '/form_response/answers/1/email',
          phone: '/form_response/answers/2/phone_number',
          campaignName: '/form_response/hidden/utm_campaign',
          formId: '/form_response/form_id',
          formName: '/form_response/definition/title',
        },
        externalIdPointer: '/form_response/token',
        customAnswersPointer: '/form_response/hidden',
        eventTypePointer: '/event_type',
        signatureScheme: 'hmac-sha256-body',
        signatureHeader: 'Typeform-Signature',
        signatureEncoding: 'base64',
      };
      const [event] = extract(delivery(typeform, {}), config);
      expect(event.eventType).toBe('form_response');
      const { leads } = await handler.processWebhook(stored(event.payload), handlerContext(config));
      expect(leads).toEqual([
        {
          platform: 'generic',
          externalIdScope: 'integration',
          externalId: '3k0c9vr8ee2h1bd3k0c9vr8r1y0sb7x0',
          fullName: 'Ines Duarte',
          email: 'ines.duarte@example.com',
          phone: '+351912000111',
          customAnswers: { utm_source: 'instagram', utm_medium: 'paid_social', utm_campaign: 'winter-boilers-2026' },
          source: { campaignName: 'winter-boilers-2026', formId: 'lT4Z3j', formName: 'Boiler service quote' },
        },
      ]);
    });

    it('maps Typeform answers by field.ref with array selectors, whatever their order', async () => {
      const answer = (ref: string, value: string) => ({
        pointer: '/form_response/answers',
        where: { '/field/ref': ref },
        value,
      });
      const config = {
        mapping: {
          fullName: answer('full_name', '/text'),
          email: answer('email', '/email'),
          phone: answer('phone', '/phone_number'),
          tags: answer('boiler_age', '/choice/label'),
        },
        externalIdPointer: '/form_response/token',
      };
      expect(handler.validateConfig(config)).toEqual([]);
      const payload = JSON.parse(
        readFileSync(join(__dirname, 'fixtures', 'form-response.typeform-shape.json'), 'utf8'),
      );
      const reordered = structuredClone(payload);
      reordered.form_response.answers = [3, 2, 0, 1].map((i) => payload.form_response.answers[i]);
      const leadOf = async (body: unknown) =>
        (await handler.processWebhook(stored(body), handlerContext(config))).leads[0];
      const expected = {
        platform: 'generic',
        externalIdScope: 'integration',
        externalId: '3k0c9vr8ee2h1bd3k0c9vr8r1y0sb7x0',
        fullName: 'Ines Duarte',
        email: 'ines.duarte@example.com',
        phone: '+351912000111',
        tags: ['More than 10 years'],
        source: {},
      };
      expect(await leadOf(payload)).toEqual(expected);
      expect(await leadOf(reordered)).toEqual(expected);
    });

    it('takes tags from an array, resolves escaped pointers, and turns numbers into text', async () => {
      const config = {
        mapping: {
          email: '/who/e~1mail',
          tags: '/labels',
          phone: '/who/phone',
          company: '/who/~0co',
          fullName: '/who/name',
        },
        externalIdPointer: '/id',
      };
      const payload = {
        id: 42,
        who: { 'e/mail': ' a@b.example ', phone: 5511987654321, '~co': 'Tilde Inc', name: { first: 'x' } },
        labels: ['vip', 7, '', null, 'vip'],
      };
      const { leads } = await handler.processWebhook(stored(payload), handlerContext(config));
      expect(leads).toEqual([
        {
          platform: 'generic',
          externalIdScope: 'integration',
          externalId: '42',
          email: 'a@b.example',
          phone: '5511987654321',
          company: 'Tilde Inc',
          tags: ['vip', '7'],
          source: {},
        },
      ]);
    });

    it('fails permanently, naming where it looked, when the mapping finds no e-mail, phone or name', async () => {
      // the form tool renamed its fields: the id and the extra answers are still there, the contact is not
      const renamed = { form_response: { token: 'tok-1', contact: { mail: 'a@b.example' }, form_id: 'f1' } };
      await expect(handler.processWebhook(stored(renamed), handlerContext(CONFIG))).rejects.toThrow(
        new PermanentEventError(
          'the mapping found no email, phone or name in the delivery (pointers email /form_response/contact/email, phone /form_response/contact/phone, firstName /form_response/contact/first_name, lastName /form_response/contact/last_name)',
        ),
      );
      const selector = {
        mapping: { email: { pointer: '/answers', where: { '/field/ref': 'email', '/n': 1 }, value: '/email' } },
        externalIdPointer: '/id',
      };
      await expect(handler.processWebhook(stored({ id: 7, answers: [] }), handlerContext(selector))).rejects.toThrow(
        new PermanentEventError(
          'the mapping found no email, phone or name in the delivery (pointers email /answers[/field/ref="email" and /n=1]/email)',
        ),
      );
      const companyOnly = { mapping: { company: '/company' }, externalIdPointer: '/id' };
      await expect(
        handler.processWebhook(stored({ id: 7, company: 'Acme' }), handlerContext(companyOnly)),
      ).rejects.toThrow(
        new PermanentEventError(
          'the mapping found no email, phone or name in the delivery (none of email, phone, fullName, firstName, lastName is mapped)',
        ),
      );
    });

    it('takes any one of e-mail, phone or a name as enough', async () => {
      const config = { mapping: { email: '/e', phone: '/p', lastName: '/l' }, externalIdPointer: '/id' };
      for (const payload of [{ e: 'a@b.example' }, { p: '+15550100' }, { l: 'Lovelace' }]) {
        const { leads } = await handler.processWebhook(stored({ id: 1, ...payload }), handlerContext(config));
        expect(leads).toHaveLength(1);
      }
    });

    it('fails permanently when the payload has no id where the template says', async () => {
      await expect(handler.processWebhook(stored({ form_response: {} }), handlerContext(CONFIG))).rejects.toThrow(
        new PermanentEventError('payload has no value at /form_response/token'),
      );
      await expect(
        handler.processWebhook(stored({ form_response: { token: '  ' } }), handlerContext(CONFIG)),
      ).rejects.toThrow(PermanentEventError);
    });
  });
});
