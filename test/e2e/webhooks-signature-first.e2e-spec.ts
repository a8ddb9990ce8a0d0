/**
 * API.md "Webhooks (public, signed)": "Signatures are checked over the exact raw request bytes, in
 * constant time, before any parsing work beyond what routing needs."
 *
 * At an integration's own URL (POST /api/webhooks/:provider/:webhookId) routing needs only the URL, so
 * a body that does not parse is judged by its signature first: unsigned or wrongly signed it is a 401
 * (with the reason, like every failed signature there), correctly signed a 400. Google Ads lead forms
 * authenticate with google_key inside the body (parsing is their verification: 400), and a
 * provider-level URL routes by a key inside the payload (400). An unknown webhook id is a 404 whatever
 * the body.
 */
import { createIntegration, createSubAccount, CreatedIntegration, META_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, metaLeadgen, metaSignature } from '../support/webhooks';

const GENERIC_CONFIG = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };
const GOOGLE_KEY = 'sigfirst-google-key-0123456789';
const MALFORMED = '{"id":"x","email":';
const NOT_JSON = { statusCode: 400, code: 'VALIDATION_FAILED', message: 'Request body is not valid JSON', details: [] };

describe('webhook signatures before parsing (integration-level URLs)', () => {
  let t: TestApp;
  let generic: CreatedIntegration;
  let inactive: CreatedIntegration;
  let google: CreatedIntegration;
  let genericPath: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        APP_ROLE: 'api',
        WEBHOOK_RATE_PER_IP_PER_MINUTE: '100000',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '100000',
        WEBHOOK_CACHE_TTL_MS: '0',
      },
    });
    const sub = await createSubAccount(t, 'MAX');
    generic = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    inactive = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    for (const i of [generic, google, meta]) await activate(t, sub, i.id);
    genericPath = new URL(generic.webhookUrl).pathname;
  });

  afterAll(async () => {
    await t?.close();
  });

  const storedRows = async (): Promise<number> =>
    (await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;

  function post(path: string, body: string, headers: Record<string, string> = {}) {
    let req = t.http.post(path).set('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.serialize((data: unknown) => data as string).send(body);
  }

  function signed(body: string, secret = generic.webhookSecret, timestamp = Math.floor(Date.now() / 1000)) {
    return {
      'x-webhook-timestamp': String(timestamp),
      'x-webhook-signature': genericSignature(body, secret, timestamp),
    };
  }

  describe('generic-webhook', () => {
    it('answers an unsigned malformed body 401 with the reason, as it answers an unsigned well-formed one', async () => {
      const before = await storedRows();
      const wellFormed = await post(genericPath, '{"id":"x"}');
      const malformed = await post(genericPath, MALFORMED);
      expect(malformed.status).toBe(401);
      expect(malformed.body).toEqual({
        statusCode: 401,
        code: 'WEBHOOK_SIGNATURE_INVALID',
        message: expect.any(String),
        details: [{ field: 'signature', messages: [expect.any(String)] }],
      });
      expect(malformed.body).toEqual(wellFormed.body);
      expect(await storedRows()).toBe(before);
    });

    it('answers a wrongly signed malformed body 401: the signature does not match', async () => {
      const res = await post(genericPath, MALFORMED, signed(MALFORMED, 'not-the-secret'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        statusCode: 401,
        code: 'WEBHOOK_SIGNATURE_INVALID',
        message: expect.any(String),
        details: [{ field: 'signature', messages: ['signature does not match'] }],
      });
    });

    it('answers a stale signature over a malformed body 401 with the timestamp reason', async () => {
      const stale = Math.floor(Date.now() / 1000) - 3600;
      const res = await post(genericPath, MALFORMED, signed(MALFORMED, generic.webhookSecret, stale));
      expect(res.status).toBe(401);
      expect(res.body.details).toEqual([{ field: 'signature', messages: [expect.stringMatching(/old/)] }]);
    });

    it.each([
      ['truncated JSON', MALFORMED],
      ['an empty body', ''],
      ['whitespace only', ' \n '],
      ['two documents', '{"a":1}{"b":2}'],
      ['an unclosed 10k-deep array', '['.repeat(10_000)],
      ['a __proto__ key', '{"id":"p","__proto__":{"polluted":true}}'],
    ])('answers %s 401 unsigned and 400 correctly signed', async (_name, body) => {
      const before = await storedRows();
      const unsigned = await post(genericPath, body);
      expect([unsigned.status, unsigned.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      const good = await post(genericPath, body, signed(body));
      expect(good.status).toBe(400);
      expect(good.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: [],
      });
      expect(await storedRows()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers a correctly signed malformed body exactly as Fastify refused it before', async () => {
      const res = await post(genericPath, MALFORMED, signed(MALFORMED));
      expect([res.status, res.body]).toEqual([400, NOT_JSON]);
    });

    it.each([
      ['a NUL character', JSON.stringify({ id: 'nul-1', name: 'a\u0000b' })],
      ['a lone surrogate', '{"id":"sur-1","name":"\\ud800"}'],
      ['nesting over 64 levels', `{"id":"deep-1","x":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`],
    ])('answers JSON PostgreSQL cannot store (%s) 401 unsigned, 400 signed', async (_name, body) => {
      const before = await storedRows();
      const unsigned = await post(genericPath, body);
      expect([unsigned.status, unsigned.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      const good = await post(genericPath, body, signed(body));
      expect([good.status, good.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(await storedRows()).toBe(before);
    });

    it('still stores a correctly signed well-formed delivery', async () => {
      const body = JSON.stringify({ id: 'ok-1', email: 'ok@example.com', name: 'Ok' });
      const res = await post(genericPath, body, signed(body));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    });

    it('at an inactive integration: unsigned malformed 401, signed malformed 400 (as before)', async () => {
      const path = new URL(inactive.webhookUrl).pathname;
      const unsigned = await post(path, MALFORMED);
      expect([unsigned.status, unsigned.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      const good = await post(path, MALFORMED, signed(MALFORMED, inactive.webhookSecret));
      expect([good.status, good.body]).toEqual([400, NOT_JSON]);
    });

    it('keeps 413 and 415 ahead of the signature', async () => {
      const big = `{"id":"big","pad":"${'x'.repeat(2 * 1024 * 1024)}"`;
      const tooLarge = await post(genericPath, big);
      expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const text = await t.http.post(genericPath).set('content-type', 'text/plain').send(MALFORMED);
      expect([text.status, text.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    });
  });

  describe('unknown endpoints', () => {
    it.each([
      ['an unknown webhook id of the right shape', '/api/webhooks/generic-webhook/wh_AAAAAAAAAAAAAAAAAAAAAA'],
      ['an id that cannot be a webhook id', '/api/webhooks/generic-webhook/nosuchhook'],
      ['an unknown provider', '/api/webhooks/no-such-provider/wh_AAAAAAAAAAAAAAAAAAAAAA'],
      ['a Google provider with an unknown id', '/api/webhooks/google-ads-lead-forms/wh_AAAAAAAAAAAAAAAAAAAAAA'],
    ])('answers %s 404 whatever the body', async (_name, path) => {
      for (const body of [MALFORMED, '', '{"__proto__":{}}']) {
        const res = await post(path, body);
        expect([path, body, res.status, res.body.code]).toEqual([path, body, 404, 'NOT_FOUND']);
      }
    });

    it("answers the generic integration's id under Google's provider 404 with a malformed body", async () => {
      const res = await post(`/api/webhooks/google-ads-lead-forms/${genericPath.split('/').pop()}`, MALFORMED);
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('google-ads-lead-forms (google_key inside the body: parsing is its verification)', () => {
    it.each([
      ['truncated JSON', `{"google_key":"${GOOGLE_KEY}","lead_id":`],
      ['an empty body', ''],
      ['a __proto__ key', `{"google_key":"${GOOGLE_KEY}","__proto__":{}}`],
    ])('answers %s 400', async (_name, body) => {
      const res = await post(new URL(google.webhookUrl).pathname, body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers a well-formed body with a wrong google_key 401', async () => {
      const res = await post(new URL(google.webhookUrl).pathname, '{"google_key":"wrong"}');
      expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });
  });

  describe('provider-level URLs (routed by a key inside the payload)', () => {
    it('answers malformed JSON 400, signed or not', async () => {
      const body = metaLeadgen(META_CONFIG.pageId, ['1']).slice(0, 60);
      const unsigned = await post('/api/webhooks/meta-lead-ads', body);
      expect([unsigned.status, unsigned.body]).toEqual([400, NOT_JSON]);
      const good = await post('/api/webhooks/meta-lead-ads', body, {
        'x-hub-signature-256': metaSignature(body, META_CONFIG.appSecret),
      });
      expect([good.status, good.body]).toEqual([400, NOT_JSON]);
    });
  });
});
