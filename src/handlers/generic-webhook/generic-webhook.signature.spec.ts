// The generic webhook's three signature schemes, signed exactly as the hub, Standard Webhooks (spec test vector) and Typeform document them.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrationConfig, VerificationKeys, WebhookRequest } from '../integration-handler';
import { GenericWebhookHandler } from './generic-webhook.handler';

// Every signature below is computed here, independently of the handler, exactly as each sender
// documents it; the clock is the delivery's receivedAt, fixed per test (never the wall clock).
const RAW = readFileSync(join(__dirname, 'fixtures', 'form-response.website-builder.json'));
const TYPEFORM = readFileSync(join(__dirname, 'fixtures', 'form-response.typeform-shape.json'));
const VECTOR_BODY = readFileSync(join(__dirname, 'fixtures', 'standard-webhooks.spec-test-vector.body.txt'));
const SECRET = 'hub-webhook-secret-5d1e0c';
const PREVIOUS = 'hub-webhook-secret-a17b44';
const NOW = new Date('2026-11-30T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const BASE = { mapping: { email: '/email' }, externalIdPointer: '/id' };

const hmac = (key: string | Buffer, data: string | Buffer) => createHmac('sha256', key).update(data);
const delivery = (raw: Buffer, headers: Record<string, string | undefined>, receivedAt = NOW): WebhookRequest => ({
  rawBody: raw,
  headers,
  receivedAt,
});

describe('GenericWebhookHandler signature schemes', () => {
  const webhook = new GenericWebhookHandler().webhook;
  const keys = (config: IntegrationConfig, webhookSecrets: string[] = [SECRET]): VerificationKeys => ({
    config,
    webhookSecrets,
  });

  describe('hmac-sha256-timestamped (default)', () => {
    const sign = (timestamp: string, raw: Buffer, secret = SECRET) =>
      `sha256=${hmac(secret, Buffer.concat([Buffer.from(`${timestamp}.`), raw])).digest('hex')}`;
    const signed = (raw: Buffer, timestamp = String(NOW_S), secret = SECRET) =>
      delivery(raw, { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': sign(timestamp, raw, secret) });

    it('accepts the current secret, and the previous one during a rotation', () => {
      expect(webhook.verify(signed(RAW), keys(BASE))).toEqual({ ok: true });
      expect(webhook.verify(signed(RAW, String(NOW_S), PREVIOUS), keys(BASE, [SECRET, PREVIOUS]))).toEqual({
        ok: true,
      });
      expect(webhook.verify(signed(RAW, String(NOW_S), PREVIOUS), keys(BASE))).toEqual({
        ok: false,
        reason: 'signature does not match',
      });
    });

    it('rejects a tampered body, a re-dated signature and a body-only signature', () => {
      const good = signed(RAW);
      const tampered = Buffer.from(RAW.toString('utf8').replace('laura.mendes@example.com', 'attacker@example.com'));
      expect(webhook.verify({ ...good, rawBody: tampered }, keys(BASE)).ok).toBe(false);
      expect(
        webhook.verify({ ...good, headers: { ...good.headers, 'x-webhook-timestamp': String(NOW_S + 1) } }, keys(BASE))
          .ok,
      ).toBe(false);
      const bodyOnly = `sha256=${hmac(SECRET, RAW).digest('hex')}`;
      expect(
        webhook.verify({ ...good, headers: { ...good.headers, 'x-webhook-signature': bodyOnly } }, keys(BASE)).ok,
      ).toBe(false);
    });

    it('accepts the hex in any case, requires the sha256= prefix, and base64 when the template says so', () => {
      const good = signed(RAW);
      const hex = (good.headers['x-webhook-signature'] ?? '').slice('sha256='.length);
      const withSignature = (value: string) => ({
        ...good,
        headers: { ...good.headers, 'x-webhook-signature': value },
      });
      expect(webhook.verify(withSignature(`sha256=${hex.toUpperCase()}`), keys(BASE))).toEqual({ ok: true });
      expect(webhook.verify(withSignature(`SHA256=${hex}`), keys(BASE))).toEqual({ ok: true });
      expect(webhook.verify(withSignature(hex), keys(BASE))).toEqual({
        ok: false,
        reason: 'x-webhook-signature is not sha256=<hex>',
      });
      const b64 = `sha256=${Buffer.from(hex, 'hex').toString('base64')}`;
      expect(webhook.verify(withSignature(b64), keys(BASE)).ok).toBe(false);
      expect(webhook.verify(withSignature(b64), keys({ ...BASE, signatureEncoding: 'base64' }))).toEqual({ ok: true });
    });

    it('rejects missing headers and an integration without a secret', () => {
      const good = signed(RAW);
      expect(webhook.verify(delivery(RAW, { 'x-webhook-timestamp': String(NOW_S) }), keys(BASE))).toEqual({
        ok: false,
        reason: 'missing x-webhook-signature header',
      });
      expect(
        webhook.verify(delivery(RAW, { 'x-webhook-signature': good.headers['x-webhook-signature'] }), keys(BASE)),
      ).toEqual({ ok: false, reason: 'missing x-webhook-timestamp header' });
      expect(webhook.verify(good, keys(BASE, []))).toEqual({ ok: false, reason: 'integration has no webhook secret' });
    });

    it('bounds the timestamp by the tolerance around the time of receipt', () => {
      const at = (offset: number) => webhook.verify(signed(RAW, String(NOW_S + offset)), keys(BASE));
      expect(at(-300)).toEqual({ ok: true });
      expect(at(300)).toEqual({ ok: true });
      expect(at(-301)).toEqual({ ok: false, reason: 'timestamp is more than 300s old' });
      expect(at(301)).toEqual({ ok: false, reason: 'timestamp is more than 300s in the future' });
      expect(webhook.verify(signed(RAW, String(NOW.getTime())), keys(BASE))).toEqual({
        ok: false,
        reason: 'x-webhook-timestamp is not Unix seconds',
      });
      expect(webhook.verify(signed(RAW, NOW.toISOString()), keys(BASE)).ok).toBe(false);
      // the same signed delivery, received later: stale
      const later = { ...signed(RAW), receivedAt: new Date(NOW.getTime() + 301_000) };
      expect(webhook.verify(later, keys(BASE))).toEqual({ ok: false, reason: 'timestamp is more than 300s old' });
    });

    it('reads the configured header names and tolerance', () => {
      const config = {
        ...BASE,
        signatureHeader: 'X-Form-Signature',
        timestampHeader: 'X-Form-Time',
        toleranceSeconds: 60,
      };
      const timestamp = String(NOW_S - 90);
      const req = delivery(RAW, { 'x-form-time': timestamp, 'x-form-signature': sign(timestamp, RAW) });
      expect(webhook.verify(req, keys(config))).toEqual({ ok: false, reason: 'timestamp is more than 60s old' });
      expect(webhook.verify(req, keys({ ...config, toleranceSeconds: 120 }))).toEqual({ ok: true });
      expect(webhook.verify(signed(RAW), keys(config))).toEqual({
        ok: false,
        reason: 'missing x-form-signature header',
      });
    });
  });

  describe('standard-webhooks (Svix)', () => {
    const VECTOR_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const VECTOR_AT = new Date(1614265330 * 1000);
    const STANDARD = { ...BASE, signatureScheme: 'standard-webhooks', signingSecret: VECTOR_SECRET };
    const vector = (headers: Record<string, string> = {}, receivedAt = VECTOR_AT) =>
      delivery(
        VECTOR_BODY,
        {
          'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
          'webhook-timestamp': '1614265330',
          'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
          ...headers,
        },
        receivedAt,
      );
    /** As the spec says: HMAC-SHA256 with the base64 secret's bytes over `${id}.${timestamp}.${body}`. */
    const sign = (id: string, timestamp: number, raw: Buffer, secret: string) =>
      `v1,${hmac(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'), Buffer.concat([Buffer.from(`${id}.${timestamp}.`), raw])).digest('base64')}`;

    it("verifies the specification's published test vector", () => {
      expect(webhook.verify(vector(), keys(STANDARD))).toEqual({ ok: true });
      // a secret pasted without its whsec_ prefix is the same key
      expect(webhook.verify(vector(), keys({ ...STANDARD, signingSecret: VECTOR_SECRET.slice(6) }))).toEqual({
        ok: true,
      });
    });

    it('accepts any v1 signature of a rotation list and skips v1a ones', () => {
      const rotating = `v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`;
      expect(webhook.verify(vector({ 'webhook-signature': rotating }), keys(STANDARD))).toEqual({ ok: true });
      expect(
        webhook.verify(
          vector({ 'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' }),
          keys(STANDARD),
        ),
      ).toEqual({ ok: false, reason: 'signature does not match' });
      expect(
        webhook.verify(vector({ 'webhook-signature': 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }), keys(STANDARD)),
      ).toEqual({
        ok: false,
        reason: 'webhook-signature has no v1,<base64> signature',
      });
    });

    it('signs the id: a replay under another webhook-id fails', () => {
      expect(webhook.verify(vector({ 'webhook-id': 'msg_replayed' }), keys(STANDARD)).ok).toBe(false);
      expect(webhook.verify(vector({ 'webhook-id': 'msg.p5jX' }), keys(STANDARD))).toEqual({
        ok: false,
        reason: 'webhook-id is not a message id',
      });
    });

    it('bounds webhook-timestamp by the tolerance', () => {
      const late = new Date(VECTOR_AT.getTime() + 301_000);
      expect(webhook.verify(vector({}, late), keys(STANDARD))).toEqual({
        ok: false,
        reason: 'timestamp is more than 300s old',
      });
      expect(webhook.verify(vector({}, late), keys({ ...STANDARD, toleranceSeconds: 600 }))).toEqual({ ok: true });
    });

    it("reads Svix's svix-* header names when the template keeps the defaults", () => {
      const svix = delivery(
        VECTOR_BODY,
        {
          'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
          'svix-timestamp': '1614265330',
          'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        },
        VECTOR_AT,
      );
      expect(webhook.verify(svix, keys(STANDARD))).toEqual({ ok: true });
      expect(webhook.verify(svix, keys({ ...STANDARD, signatureHeader: 'x-sig' })).ok).toBe(false);
    });

    it("without a signingSecret, the integration's webhook secrets sign (current or previous)", () => {
      const config = { ...BASE, signatureScheme: 'standard-webhooks' };
      const body = Buffer.from('{"id":"42","email":"a@b.example"}');
      const current = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
      const previous = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
      const req = (secret: string) =>
        delivery(body, {
          'webhook-id': 'msg_1',
          'webhook-timestamp': String(NOW_S),
          'webhook-signature': sign('msg_1', NOW_S, body, secret),
        });
      expect(webhook.verify(req(current), keys(config, [current, previous]))).toEqual({ ok: true });
      expect(webhook.verify(req(previous), keys(config, [current, previous]))).toEqual({ ok: true });
      expect(webhook.verify(req(previous), keys(config, [current])).ok).toBe(false);
      // a configured sender secret replaces the hub's
      expect(webhook.verify(req(current), keys({ ...config, signingSecret: previous }, [current])).ok).toBe(false);
    });
  });

  describe('hmac-sha256-body (Typeform and form tools)', () => {
    const TYPEFORM_CONFIG = {
      ...BASE,
      signatureScheme: 'hmac-sha256-body',
      signatureHeader: 'Typeform-Signature',
      signatureEncoding: 'base64',
      signingSecret: 'typeform-secret-typed-by-the-user',
    };
    const typeformSignature = (raw: Buffer, secret = TYPEFORM_CONFIG.signingSecret) =>
      `sha256=${hmac(secret, raw).digest('base64')}`;

    it('verifies Typeform-Signature: sha256=<base64 HMAC of the raw body>', () => {
      const req = delivery(TYPEFORM, { 'typeform-signature': typeformSignature(TYPEFORM) });
      expect(webhook.verify(req, keys(TYPEFORM_CONFIG))).toEqual({ ok: true });
      expect(
        webhook.verify({ ...req, rawBody: Buffer.concat([TYPEFORM, Buffer.from(' ')]) }, keys(TYPEFORM_CONFIG)).ok,
      ).toBe(false);
      expect(
        webhook.verify(
          delivery(TYPEFORM, { 'typeform-signature': typeformSignature(TYPEFORM, 'guess') }),
          keys(TYPEFORM_CONFIG),
        ),
      ).toEqual({ ok: false, reason: 'signature does not match' });
    });

    it('takes a bare hex digest, with or without the prefix, when the template says hex', () => {
      const config = { ...BASE, signatureScheme: 'hmac-sha256-body', signatureHeader: 'X-Signature' };
      const hex = hmac(SECRET, RAW).digest('hex');
      expect(webhook.verify(delivery(RAW, { 'x-signature': hex }), keys(config))).toEqual({ ok: true });
      expect(webhook.verify(delivery(RAW, { 'x-signature': `sha256=${hex}` }), keys(config))).toEqual({ ok: true });
      expect(webhook.verify(delivery(RAW, { 'x-signature': 'not-a-digest' }), keys(config))).toEqual({
        ok: false,
        reason: 'x-signature is not a hex SHA-256 digest',
      });
      expect(webhook.verify(delivery(RAW, {}), keys(config))).toEqual({
        ok: false,
        reason: 'missing x-signature header',
      });
    });

    it('needs no timestamp: the same body is verified whenever it arrives (dedup makes a replay a duplicate)', () => {
      const req = delivery(
        TYPEFORM,
        { 'typeform-signature': typeformSignature(TYPEFORM) },
        new Date('2027-06-01T00:00:00Z'),
      );
      expect(webhook.verify(req, keys(TYPEFORM_CONFIG))).toEqual({ ok: true });
    });
  });
});
