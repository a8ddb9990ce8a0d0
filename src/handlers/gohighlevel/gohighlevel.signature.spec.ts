// GoHighLevel x-ghl-signature (Ed25519) and x-wh-signature (RSA) over the raw bytes, and the body timestamp window for retries.
import { createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookRequest } from '../integration-handler';
import { GHL_DEFAULT_ED25519_PUBLIC_KEY } from './ghl-public-key';
import { GoHighLevelHandler } from './gohighlevel.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));

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

    it('reads the timestamp of a body with a UTF-8 BOM, as the route parsed it', () => {
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body('2025-01-28T12:00:00Z'))]);
      expect(webhook.verify(delivery(bom, { 'x-wh-signature': rsaSign(bom) }), keys())).toEqual({
        ok: false,
        reason: 'stale timestamp',
      });
      // the JSON GoHighLevel signed, reaching us behind a BOM, verifies re-serialized
      const json = body('2025-01-28T14:30:00Z');
      const behindBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
      expect(webhook.verify(delivery(behindBom, { 'x-wh-signature': rsaSign(json) }), keys())).toEqual({ ok: true });
    });

    it('tries each value of a header sent twice (joined ", "), a bounded number of them', () => {
      const raw = body('2025-01-28T14:30:00Z');
      const valid = edSign(raw);
      const junk = edSign(raw, otherEd.privateKey);
      const config = { ...configured, webhookEd25519PublicKey: pem(ed.publicKey) };
      const verify = (value: string) => webhook.verify(delivery(raw, { 'x-ghl-signature': value }), keys(config));
      expect(verify(`${junk}, ${valid}`)).toEqual({ ok: true });
      expect(verify(`${junk},${junk}`)).toEqual({ ok: false, reason: 'signature mismatch' });
      expect(verify(`${[junk, junk, junk, junk].join(', ')}, ${valid}`)).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
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
