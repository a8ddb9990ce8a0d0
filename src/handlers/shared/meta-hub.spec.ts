import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '../integration-handler';
import { hubHandshake, verifyHubSignature } from './meta-hub';

const config = { appSecret: 'app-secret-now', verifyToken: 'tok' };
const body = Buffer.from('{"object":"page","entry":[]}');
const signed = (secret: string): WebhookRequest => ({
  rawBody: body,
  headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
  receivedAt: new Date(0),
});

describe('verifyHubSignature', () => {
  it('verifies with the app secret, and with the previous one only while it is handed over', () => {
    expect(verifyHubSignature(signed('app-secret-now'), { config, webhookSecrets: [] }).ok).toBe(true);
    expect(verifyHubSignature(signed('app-secret-old'), { config, webhookSecrets: [] }).ok).toBe(false);
    expect(
      verifyHubSignature(signed('app-secret-old'), {
        config,
        webhookSecrets: [],
        previousSecrets: { appSecret: 'app-secret-old' },
      }).ok,
    ).toBe(true);
  });

  it('takes the sha256= prefix and the hex digits in any case', () => {
    const header = signed('app-secret-now').headers['x-hub-signature-256'] as string;
    const upper = (value: string): WebhookRequest => ({
      ...signed('app-secret-now'),
      headers: { 'x-hub-signature-256': value },
    });
    expect(verifyHubSignature(upper(header.replace('sha256=', 'SHA256=')), { config, webhookSecrets: [] }).ok).toBe(
      true,
    );
    expect(verifyHubSignature(upper(header.toUpperCase()), { config, webhookSecrets: [] }).ok).toBe(true);
    expect(verifyHubSignature(upper(header.replace('sha256=', 'sha1=')), { config, webhookSecrets: [] }).ok).toBe(
      false,
    );
  });

  it("never verifies with the hub's own webhook secret (Meta does not sign with it)", () => {
    expect(verifyHubSignature(signed('hub-secret'), { config, webhookSecrets: ['hub-secret'] }).ok).toBe(false);
    expect(verifyHubSignature(signed('hub-secret'), { config: {}, webhookSecrets: ['hub-secret'] }).ok).toBe(false);
  });
});

describe('hubHandshake', () => {
  const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok', 'hub.challenge': '1158201444' };

  it('echoes the challenge for the exact request Meta sends', () => {
    expect(hubHandshake(query, config)).toEqual({ contentType: 'text/plain', body: '1158201444' });
  });

  it.each([
    ['an extra parameter', { ...query, foo: 'bar' }],
    ['a repeated (array) token', { ...query, 'hub.verify_token': undefined }],
    ['a challenge that is not a short token', { ...query, 'hub.challenge': '<b>hi</b>' }],
    ['an over-long challenge', { ...query, 'hub.challenge': '1'.repeat(257) }],
    ['an empty token', { ...query, 'hub.verify_token': '' }],
  ])('refuses %s', (_name, q) => {
    expect(hubHandshake(q, config)).toBeNull();
  });
});
