// WhatsAppCloudHandler's webhook, unit tier: its definition, signature verification and the subscription
// handshake. Routing and event extraction are in whatsapp-cloud.webhook-events.spec.ts, orders, Flow answers
// and errors about the number in whatsapp-cloud.webhook-orders.spec.ts; the shared fixtures in
// test/support/whatsapp-cloud-webhook.ts.
import { createHmac } from 'node:crypto';
import { createAjv } from '../../common/json-schema/ajv';
import {
  APP_SECRET,
  config,
  fixture,
  handler,
  keys,
  request,
  webhook,
  WEBHOOK_FIXTURES,
} from '../../../test/support/whatsapp-cloud-webhook';

const sign = (body: Buffer, secret = APP_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('WhatsAppCloudHandler definition', () => {
  it('declares its key and capabilities, and a config schema Ajv strict mode compiles (default included)', () => {
    expect([handler.key, handler.displayName, handler.category, handler.defaultRateLimitPerMinute]).toEqual([
      'whatsapp-cloud',
      'WhatsApp Cloud API',
      'Messaging',
      600,
    ]);
    expect(handler.capabilities).toEqual(['webhook', 'test', 'send']);
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, messagesPerSecond: 1000 })).toBe(true);
    for (const bad of [0, 1001, 12.5, '80']) expect(validate({ ...config, messagesPerSecond: bad })).toBe(false);
    expect(validate({ ...config, wabaId: undefined })).toBe(false);
    expect(validate({ ...config, phone: '+1' })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['accessToken', 'appSecret', 'verifyToken']);
  });

  it('reads the send throughput from the config, 80 by default', () => {
    expect(handler.messagesPerSecond(config)).toBe(80);
    expect(handler.messagesPerSecond({ ...config, messagesPerSecond: 1000 })).toBe(1000);
    expect(handler.messagesPerSecond({ ...config, messagesPerSecond: 0 })).toBe(80);
  });
});

describe('WhatsApp webhook verification (X-Hub-Signature-256)', () => {
  it.each(WEBHOOK_FIXTURES)('accepts %s signed over its exact raw bytes, and rejects it tampered', (name) => {
    const raw = fixture(name);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({ ok: true });
    const tampered = Buffer.from(raw.toString('utf8').replace('16505551234', '16505551235'));
    expect(webhook.verify(request(tampered, { 'x-hub-signature-256': sign(raw) }), keys)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  const raw = fixture('inbound-text-message.json');

  it('rejects a wrong secret and a missing header', () => {
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw, 'not-the-secret') }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw), keys)).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
  });

  it('rejects sha1= and other malformed values; accepts uppercase hex', () => {
    const hex = sign(raw).slice('sha256='.length);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha1=${hex}` }), keys)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^malformed/),
    });
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': hex }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha256=${hex.slice(1)}` }), keys).ok).toBe(false);
    expect(webhook.verify(request(raw, { 'x-hub-signature-256': `sha256=${hex.toUpperCase()}` }), keys)).toEqual({
      ok: true,
    });
  });

  it('refuses everything when no app secret is configured', () => {
    expect(
      webhook.verify(request(raw, { 'x-hub-signature-256': sign(raw, '') }), {
        config: { ...config, appSecret: '' },
        webhookSecrets: [],
      }),
    ).toEqual({ ok: false, reason: 'no app secret configured' });
  });
});

describe('WhatsApp subscription handshake', () => {
  /** The doc's request, with its <PLACEHOLDERS> filled in. */
  const query = (): Record<string, string> => {
    const text = fixture('verification-request.http')
      .toString('utf8')
      .replace('<CALLBACK_URL>', 'https://hub.example.com/api/webhooks/whatsapp-cloud')
      .replace('<HUB.CHALLENGE>', '1158201444')
      .replace('<HUB.VERIFY_TOKEN>', 'wa-verify-1');
    return Object.fromEntries(new URL(text.replace(/^GET\s+/, '').replace(/\s+/g, '')).searchParams.entries());
  };

  it('echoes the challenge when the token matches, and nothing otherwise', () => {
    expect(webhook.handshake?.(query(), config)).toEqual({ contentType: 'text/plain', body: '1158201444' });
    expect(webhook.handshake?.({ ...query(), 'hub.verify_token': 'wa-verify-2' }, config)).toBeNull();
    expect(webhook.handshake?.({ ...query(), 'hub.mode': 'SUBSCRIBE' }, config)).toBeNull();
    expect(webhook.handshake?.({ ...query(), 'hub.challenge': '' }, config)).toBeNull();
  });
});
