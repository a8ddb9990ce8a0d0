import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlerContext } from '../../../test/support/handler-context';
import { createAjv } from '../../common/json-schema/ajv';
import {
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  VerificationKeys,
  WebhookRequest,
} from '../integration-handler';
import { isJsonPointer } from './generic-webhook.config';
import { GenericWebhookHandler } from './generic-webhook.handler';

const RAW = readFileSync(join(__dirname, 'fixtures', 'form-response.website-builder.json'));
const SECRET = 'whsec_current_5d1e0c';
const PREVIOUS = 'whsec_previous_a17b44';
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
  const keys = (config: IntegrationConfig = CONFIG, webhookSecrets: string[] = [SECRET]): VerificationKeys => ({
    config,
    webhookSecrets,
  });
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
        'webhook',
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
      // no secret lives in this config: deliveries are signed with the integration's webhook secret
      expect(JSON.stringify(handler.defaultConfigSchema)).not.toContain('x-secret');
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
      // a long near-miss is rejected promptly (no catastrophic backtracking)
      const started = Date.now();
      expect(isJsonPointer(`${'/'.repeat(50_000)}~`)).toBe(false);
      expect(Date.now() - started).toBeLessThan(500);
    });
  });

  describe('verify', () => {
    it('accepts the current secret, and the previous one during a rotation', () => {
      expect(webhook.verify(signed(RAW), keys())).toEqual({ ok: true });
      expect(webhook.verify(signed(RAW, String(NOW_S), PREVIOUS), keys(CONFIG, [SECRET, PREVIOUS]))).toEqual({
        ok: true,
      });
      expect(webhook.verify(signed(RAW, String(NOW_S), PREVIOUS), keys(CONFIG, [SECRET]))).toEqual({
        ok: false,
        reason: 'signature does not match',
      });
    });

    it('rejects a wrong secret, a tampered body, and a timestamp other than the signed one', () => {
      expect(webhook.verify(signed(RAW, String(NOW_S), 'whsec_guess'), keys()).ok).toBe(false);
      const good = signed(RAW);
      const tampered = Buffer.from(RAW.toString('utf8').replace('laura.mendes@example.com', 'attacker@example.com'));
      expect(webhook.verify({ ...good, rawBody: tampered }, keys())).toEqual({
        ok: false,
        reason: 'signature does not match',
      });
      // replaying an old signature with a fresh timestamp header
      expect(
        webhook.verify({ ...good, headers: { ...good.headers, 'x-webhook-timestamp': String(NOW_S + 1) } }, keys()).ok,
      ).toBe(false);
      // a signature over the body alone, without the timestamp
      const bodyOnly = `sha256=${createHmac('sha256', SECRET).update(RAW).digest('hex')}`;
      expect(
        webhook.verify({ ...good, headers: { ...good.headers, 'x-webhook-signature': bodyOnly } }, keys()).ok,
      ).toBe(false);
    });

    it('accepts the hex in any case but requires the sha256= prefix', () => {
      const good = signed(RAW);
      const hex = (good.headers['x-webhook-signature'] ?? '').slice('sha256='.length);
      const withSignature = (value: string) => ({
        ...good,
        headers: { ...good.headers, 'x-webhook-signature': value },
      });
      expect(webhook.verify(withSignature(`sha256=${hex.toUpperCase()}`), keys())).toEqual({ ok: true });
      expect(webhook.verify(withSignature(`SHA256=${hex}`), keys())).toEqual({ ok: true });
      expect(webhook.verify(withSignature(hex), keys())).toEqual({
        ok: false,
        reason: 'x-webhook-signature is not sha256=<hex>',
      });
      expect(webhook.verify(withSignature(`sha1=${hex}`), keys()).ok).toBe(false);
    });

    it('rejects missing headers', () => {
      const good = signed(RAW);
      expect(webhook.verify(delivery(RAW, { 'x-webhook-timestamp': String(NOW_S) }), keys())).toEqual({
        ok: false,
        reason: 'missing x-webhook-signature header',
      });
      expect(
        webhook.verify(delivery(RAW, { 'x-webhook-signature': good.headers['x-webhook-signature'] }), keys()),
      ).toEqual({
        ok: false,
        reason: 'missing x-webhook-timestamp header',
      });
      expect(webhook.verify(good, keys(CONFIG, []))).toEqual({
        ok: false,
        reason: 'integration has no webhook secret',
      });
    });

    it('rejects stale and future timestamps beyond the tolerance, and non-seconds', () => {
      const at = (offset: number) => webhook.verify(signed(RAW, String(NOW_S + offset)), keys());
      expect(at(-300)).toEqual({ ok: true });
      expect(at(300)).toEqual({ ok: true });
      expect(at(-301)).toEqual({ ok: false, reason: 'timestamp is more than 300s old' });
      expect(at(301)).toEqual({ ok: false, reason: 'timestamp is more than 300s in the future' });
      expect(at(-86_400)).toMatchObject({ ok: false });
      expect(webhook.verify(signed(RAW, String(NOW.getTime())), keys())).toEqual({
        ok: false,
        reason: 'x-webhook-timestamp is not Unix seconds',
      });
      expect(webhook.verify(signed(RAW, NOW.toISOString()), keys())).toEqual({
        ok: false,
        reason: 'x-webhook-timestamp is not Unix seconds',
      });
      expect(webhook.verify(signed(RAW, '-5'), keys()).ok).toBe(false);
    });

    it('reads the configured header names and tolerance', () => {
      const config = {
        ...CONFIG,
        signatureHeader: 'X-Form-Signature',
        timestampHeader: 'X-Form-Time',
        toleranceSeconds: 60,
      };
      const timestamp = String(NOW_S - 90);
      const req = delivery(RAW, { 'x-form-time': timestamp, 'x-form-signature': sign(timestamp, RAW) });
      expect(webhook.verify(req, keys(config))).toEqual({ ok: false, reason: 'timestamp is more than 60s old' });
      expect(webhook.verify(req, keys({ ...config, toleranceSeconds: 120 }))).toEqual({ ok: true });
      // the default headers mean nothing once others are configured
      expect(webhook.verify(signed(RAW), keys(config))).toEqual({
        ok: false,
        reason: 'missing x-form-signature header',
      });
    });
  });

  describe('extractEvents', () => {
    it('keys the event by the event id header, typed from the payload', () => {
      const [event] = extract(signed(RAW, String(NOW_S), SECRET, { 'x-webhook-id': 'dlv_7781' }));
      expect(event.externalId).toBe('dlv_7781');
      expect(event.eventType).toBe('form_response');
    });

    it('falls back to the submission id, then to no id', () => {
      expect(extract(signed(RAW))[0].externalId).toBe('a3a12ec67a1365927098a606107fac15');
      expect(extract(signed(Buffer.from('{"x":1}')))[0]).toEqual({
        externalId: null,
        eventType: 'lead',
        payload: { x: 1 },
      });
      // a numeric id beyond 2^53 keeps its digits
      expect(extract(signed(Buffer.from('{"form_response":{"token":120226305854810726}}')))[0].externalId).toBe(
        '120226305854810726',
      );
    });

    it('keeps big integers exact in the stored payload', () => {
      const [event] = extract(signed(RAW));
      expect(event.payload).toMatchObject({
        form_response: { hidden: { campaign_id: '120226305854810726', ad_id: '120226305854810999' } },
      });
    });

    it('uses the default event id header when the pipeline passes no config', () => {
      const req = signed(RAW, String(NOW_S), SECRET, { 'x-webhook-id': 'dlv_1' });
      expect(
        webhook.extractEvents(JSON.parse(RAW.toString('utf8')), req).map((e) => [e.externalId, e.eventType]),
      ).toEqual([['dlv_1', 'lead']]);
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
          externalId: '42',
          email: 'a@b.example',
          phone: '5511987654321',
          company: 'Tilde Inc',
          tags: ['vip', '7'],
          source: {},
        },
      ]);
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
