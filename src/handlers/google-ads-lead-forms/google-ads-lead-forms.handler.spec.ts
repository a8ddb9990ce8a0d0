import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlerContext } from '../../../test/support/handler-context';
import { createAjv } from '../../common/json-schema/ajv';
import { IntegrationHandler, PermanentEventError, StoredEvent, WebhookRequest } from '../integration-handler';
import { GoogleAdsLeadFormsHandler, toLeadInput } from './google-ads-lead-forms.handler';
import { narrowGoogleLead, parseGoogleBody } from './google-ads-lead-forms.payload';
import { parseJsonLossless } from '../shared/lossless-json';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const TEST_LEAD = fixture('test-lead.send-test-data.capture-1.json');
const ALL_FIELDS = fixture('webhook-lead.all-fields.written-for-spec.json');
const TEST_LEAD_ID =
  'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl';

const request = (rawBody: Buffer | string): WebhookRequest => ({
  rawBody: Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8'),
  headers: { 'content-type': 'application/json' },
  receivedAt: new Date('2026-11-23T10:00:00Z'),
});

const storedEvent = (payload: unknown, externalId: string | null = null): StoredEvent => ({
  id: '1',
  eventType: 'lead',
  externalId,
  payload,
  receivedAt: new Date('2026-11-23T10:00:00Z'),
});

describe('GoogleAdsLeadFormsHandler', () => {
  const handler = new GoogleAdsLeadFormsHandler();
  const webhook = handler.webhook;
  const keys = (googleKey?: string) => ({
    config: googleKey === undefined ? {} : { googleKey },
    webhookSecrets: ['whsec-unrelated'],
  });

  /** What the pipeline does: verify, then extract, then store and process. */
  const receive = async (raw: Buffer, googleKey: string) => {
    const req = request(raw);
    expect(webhook.verify(req, keys(googleKey))).toEqual({ ok: true });
    const events = webhook.extractEvents(JSON.parse(raw.toString('utf8')), req);
    expect(events).toHaveLength(1);
    const outcome = await handler.processWebhook(storedEvent(events[0].payload, events[0].externalId));
    return { event: events[0], outcome };
  };

  describe('metadata and config schema', () => {
    it('declares the handler contract values', () => {
      expect(handler.key).toBe('google-ads-lead-forms');
      expect(handler.displayName).toBe('Google Ads lead forms');
      expect(handler.category).toBe('Advertising');
      expect(handler.capabilities).toEqual(['webhook', 'sync', 'test']);
      expect(handler.defaultRateLimitPerMinute).toBe(60);
      expect(webhook.routing).toBe('integration');
    });

    it('compiles under strict Ajv and marks googleKey as a secret', () => {
      const validate = createAjv().compile(handler.defaultConfigSchema);
      expect(validate({ googleKey: 'bakerGoogleWebHookValue' })).toBe(true);
      expect(validate({})).toBe(false);
      expect(validate.errors?.[0]).toMatchObject({ keyword: 'required', params: { missingProperty: 'googleKey' } });
      expect(validate({ googleKey: 'k', extra: 1 })).toBe(false);
      expect(validate({ googleKey: '' })).toBe(false);
      expect(handler.defaultConfigSchema.properties.googleKey['x-secret']).toBe(true);
      expect(handler.defaultConfigSchema.additionalProperties).toBe(false);
    });

    it('tests the connection without any outbound call', async () => {
      // every provider URL of this context is unreachable, so a call would fail the test
      const ctx = handlerContext({ googleKey: 'k' });
      await expect((handler as IntegrationHandler).testConnection(ctx)).resolves.toEqual({
        success: true,
        message: 'Google Ads lead forms have no API to test; send test data from the form to verify the webhook',
      });
      expect(ctx.http.rateLimit().remaining).toBe(1000);
    });
  });

  describe('verify', () => {
    it('accepts the key the advertiser configured', () => {
      expect(webhook.verify(request(TEST_LEAD), keys('bakerGoogleWebHookValue'))).toEqual({ ok: true });
      expect(webhook.verify(request(ALL_FIELDS), keys('s3cr3t-google-key'))).toEqual({ ok: true });
    });

    it('rejects another key, a key differing only in case, and a prefix of it', () => {
      for (const wrong of [
        'bakerGoogleWebHookValuX',
        'bakergooglewebhookvalue',
        'bakerGoogleWebHook',
        'bakerGoogleWebHookValue ',
      ]) {
        expect(webhook.verify(request(TEST_LEAD), keys(wrong))).toEqual({
          ok: false,
          reason: 'google_key does not match',
        });
      }
    });

    it('rejects a body whose key was changed after Google sent it', () => {
      const tampered = TEST_LEAD.toString('utf8').replace('bakerGoogleWebHookValue', 'attackerValue');
      expect(webhook.verify(request(tampered), keys('bakerGoogleWebHookValue')).ok).toBe(false);
    });

    it('rejects bodies without a usable google_key, and garbage', () => {
      const body = JSON.parse(TEST_LEAD.toString('utf8'));
      delete body.google_key;
      expect(webhook.verify(request(JSON.stringify(body)), keys('bakerGoogleWebHookValue'))).toEqual({
        ok: false,
        reason: 'body has no google_key',
      });
      expect(webhook.verify(request('{"google_key": 12345}'), keys('12345'))).toEqual({
        ok: false,
        reason: 'body has no google_key',
      });
      expect(webhook.verify(request('{"google_key": ""}'), keys('x'))).toEqual({
        ok: false,
        reason: 'body has no google_key',
      });
      expect(webhook.verify(request('not json'), keys('x'))).toEqual({
        ok: false,
        reason: 'body is not a JSON object',
      });
      expect(webhook.verify(request('["google_key"]'), keys('x'))).toEqual({
        ok: false,
        reason: 'body is not a JSON object',
      });
      expect(webhook.verify(request(''), keys('x'))).toEqual({ ok: false, reason: 'body is not a JSON object' });
    });

    it('rejects everything when the integration has no key configured', () => {
      expect(webhook.verify(request(TEST_LEAD), keys())).toEqual({
        ok: false,
        reason: 'integration has no googleKey configured',
      });
      // an empty configured key must not match an empty or missing body key
      expect(webhook.verify(request('{"google_key": ""}'), keys(''))).toEqual({
        ok: false,
        reason: 'integration has no googleKey configured',
      });
    });
  });

  describe('the "Send test data" capture (fixture)', () => {
    it('stores one lead event without the secret and with ids as strings', async () => {
      const { event } = await receive(TEST_LEAD, 'bakerGoogleWebHookValue');
      expect(event.externalId).toBe(TEST_LEAD_ID);
      expect(event.eventType).toBe('lead');
      expect(event.payload).not.toHaveProperty('google_key');
      expect(JSON.stringify(event.payload)).not.toContain('bakerGoogleWebHookValue');
      expect(event.payload).toMatchObject({
        lead_id: TEST_LEAD_ID,
        api_version: '1.0',
        form_id: '18698608977',
        campaign_id: '991214827',
        adgroup_id: '20000000000',
        creative_id: '30000000000',
        is_test: true,
      });
    });

    it('maps it to a test lead', async () => {
      const { outcome } = await receive(TEST_LEAD, 'bakerGoogleWebHookValue');
      expect(outcome).toEqual({
        leads: [
          {
            platform: 'google-ads',
            externalId: TEST_LEAD_ID,
            fullName: 'FirstName LastName',
            phone: '+16505550123',
            email: 'test@example.com',
            postalCode: '94043',
            // SERVICE has no column_name: keyed by its column id
            customAnswers: { SERVICE: 'Roofing' },
            isTest: true,
            source: {
              campaignId: '991214827',
              adGroupId: '20000000000',
              creativeId: '30000000000',
              formId: '18698608977',
              gclid: TEST_LEAD_ID,
            },
          },
        ],
      });
    });
  });

  describe('a payload with every WebhookLead field (written for this spec)', () => {
    it('has every field of the official proto', () => {
      const proto = fixture('webhook-lead.proto.txt').toString('utf8');
      const message = /message WebhookLead \{([\s\S]*?)\n\}/.exec(proto)?.[1] ?? '';
      const fields = [...message.matchAll(/^(?:optional |repeated )?\w+ (\w+) = \d+/gm)].map((m) => m[1]);
      const body = JSON.parse(ALL_FIELDS.toString('utf8'));
      expect(fields).toHaveLength(13);
      expect(Object.keys(body)).toEqual(expect.arrayContaining(fields));
      // string_value sits in a oneof, hence the looser match for the column message
      expect(Object.keys(body.user_column_data[0]).sort()).toEqual(['column_id', 'column_name', 'string_value']);
      expect(proto).toContain('string string_value = 2;');
    });

    it('keeps int64 ids beyond 2^53 exact in the stored payload', async () => {
      const { event } = await receive(ALL_FIELDS, 's3cr3t-google-key');
      expect(event.externalId).toBe('Cj0KCQjw4Kq1BhCRARIsAHNf4hQ7c2xYVm9lTnBvQ1p3bXFfLUxEX3pL');
      expect(event.payload).toMatchObject({
        form_id: '9223372036854775807',
        campaign_id: '21474836470123',
        asset_group_id: '9007199254740993',
        future_field_google_may_add: { nested: true },
      });
      // the pipeline's own JSON.parse would have rounded these
      expect(String(JSON.parse(ALL_FIELDS.toString('utf8')).asset_group_id)).toBe('9007199254740992');
      expect(JSON.stringify(event.payload)).not.toContain('s3cr3t-google-key');
    });

    it('maps every field', async () => {
      const { outcome } = await receive(ALL_FIELDS, 's3cr3t-google-key');
      expect(outcome.leads).toEqual([
        {
          platform: 'google-ads',
          externalId: 'Cj0KCQjw4Kq1BhCRARIsAHNf4hQ7c2xYVm9lTnBvQ1p3bXFfLUxEX3pL',
          firstName: 'Ana',
          lastName: 'Souza',
          fullName: 'Ana Souza',
          email: 'ana.souza@example.com',
          // no PHONE_NUMBER column: the work phone is the phone
          phone: '+5511987654321',
          postalCode: '01310-100',
          city: 'São Paulo',
          region: 'SP',
          country: 'BR',
          company: 'RoofCo Ltda',
          jobTitle: 'Facilities manager',
          customAnswers: {
            // EMAIL is present, so the work email stays an answer
            'Work Email': 'ana@roofco.example',
            'What is your budget?': 'R$ 20.000 – 50.000',
            SERVICE: 'Roofing',
          },
          isTest: false,
          submittedAt: '2024-09-26T12:30:00.000Z',
          source: {
            campaignId: '21474836470123',
            adGroupId: '158326470901',
            creativeId: '700123456789',
            assetGroupId: '9007199254740993',
            formId: '9223372036854775807',
            gclid: 'EAIaIQobChMI8YyW4Kq1hQMVd0b_AR0x0w5mEAAYASAAEgJx9_D_BwE',
            leadStage: 'QUALIFIED',
          },
        },
      ]);
    });
  });

  describe('column mapping', () => {
    const lead = (columns: Array<Record<string, string>>, extra: Record<string, unknown> = {}) => {
      const narrowed = narrowGoogleLead({ lead_id: 'L1', user_column_data: columns, ...extra });
      if (!narrowed) throw new Error('fixture did not narrow');
      return toLeadInput(narrowed);
    };

    it('uses WORK_EMAIL as the email when there is no EMAIL, whatever the order', () => {
      expect(lead([{ column_id: 'WORK_EMAIL', string_value: 'w@corp.example' }]).email).toBe('w@corp.example');
      const both = lead([
        { column_id: 'WORK_EMAIL', column_name: 'Work email', string_value: 'w@corp.example' },
        { column_id: 'EMAIL', string_value: 'me@home.example' },
      ]);
      expect(both.email).toBe('me@home.example');
      expect(both.customAnswers).toEqual({ 'Work email': 'w@corp.example' });
    });

    it('keeps WORK_PHONE as an answer when PHONE_NUMBER is present', () => {
      const mapped = lead([
        { column_id: 'PHONE_NUMBER', string_value: '+15550001' },
        { column_id: 'WORK_PHONE', string_value: '+15550002' },
      ]);
      expect(mapped.phone).toBe('+15550001');
      expect(mapped.customAnswers).toEqual({ WORK_PHONE: '+15550002' });
    });

    it('never overwrites an answer: duplicates get a numbered key, a second standard value is kept', () => {
      const mapped = lead([
        { column_id: 'q1', column_name: 'Budget', string_value: '10k' },
        { column_id: 'q2', column_name: 'Budget', string_value: '20k' },
        { column_id: 'EMAIL', string_value: 'a@x.example' },
        { column_id: 'EMAIL', column_name: 'Confirm email', string_value: 'b@x.example' },
        { column_id: 'q3', column_name: '__proto__', string_value: 'odd question name' },
      ]);
      expect(mapped.email).toBe('a@x.example');
      expect(Object.entries(mapped.customAnswers ?? {})).toEqual([
        ['Budget', '10k'],
        ['Budget (2)', '20k'],
        ['Confirm email', 'b@x.example'],
        // an own property, not the prototype
        ['__proto__', 'odd question name'],
      ]);
      expect(Object.getPrototypeOf(mapped.customAnswers)).toBe(Object.prototype);
    });

    it('skips empty answers and omits an absent or zero asset group, and an unparseable submit time', () => {
      const mapped = lead([{ column_id: 'CITY', string_value: '  ' }], {
        asset_group_id: 0,
        lead_submit_time: 'yesterday',
      });
      expect(mapped).toEqual({ platform: 'google-ads', externalId: 'L1', source: {} });
    });
  });

  describe('bad stored events', () => {
    it('fails permanently without a lead_id', async () => {
      await expect(handler.processWebhook(storedEvent({ user_column_data: [] }))).rejects.toThrow(PermanentEventError);
      await expect(handler.processWebhook(storedEvent('garbage'))).rejects.toThrow('Google Ads lead has no lead_id');
    });

    it('extracts nothing from a body that is not an object', () => {
      expect(webhook.extractEvents([], request('[]'))).toEqual([]);
    });

    it('takes a delivery without lead_id as no event (answered ignored) rather than inventing an id', () => {
      for (const leadId of ['', '"lead_id":"",', '"lead_id":null,', '"lead_id":"  ",'])
        expect(webhook.extractEvents({}, request(`{${leadId}"google_key":"k","user_column_data":[]}`))).toEqual([]);
    });
  });

  describe('parseJsonLossless', () => {
    it('parses like JSON.parse except for unsafe integers', () => {
      const text =
        '{"a":9007199254740991,"b":9007199254740993,"c":-9223372036854775808,"d":1.5e300,"e":"12345678901234567890","f":[1,2.5,-0],"g":"\\"9999999999999999\\""}';
      expect(parseJsonLossless(text)).toEqual({
        a: 9007199254740991,
        b: '9007199254740993',
        c: '-9223372036854775808',
        d: 1.5e300,
        e: '12345678901234567890',
        f: [1, 2.5, -0],
        g: '"9999999999999999"',
      });
    });

    it('still rejects invalid JSON', () => {
      expect(() => parseJsonLossless('{"a": 01234567890123456789}')).toThrow(SyntaxError);
      expect(() => parseJsonLossless('{"a": 12345678901234567890abc}')).toThrow(SyntaxError);
      expect(() => parseJsonLossless('{"a": 1')).toThrow(SyntaxError);
    });
  });
  it('parses a delivery once: verification and extraction read the same parsed body', () => {
    const raw = Buffer.from('{"lead_id":"L1","google_key":"k","campaign_id":9223372036854775807}');
    const first = parseGoogleBody(raw);
    expect(first).toEqual({ lead_id: 'L1', google_key: 'k', campaign_id: '9223372036854775807' });
    expect(parseGoogleBody(raw)).toBe(first);
    // other bytes, even equal ones, are their own delivery; a body that is no object stays undefined
    expect(parseGoogleBody(Buffer.from(raw))).not.toBe(first);
    const bad = Buffer.from('[1]');
    expect(parseGoogleBody(bad)).toBeUndefined();
    expect(parseGoogleBody(bad)).toBeUndefined();
  });
});
