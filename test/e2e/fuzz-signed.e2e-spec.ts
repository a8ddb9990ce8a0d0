/**
 * Findings of a seeded fuzz of correctly signed webhook deliveries (every provider's fixtures with
 * values replaced by huge/odd numbers, bad times, NUL and surrogate escapes, wrong types, duplicate
 * keys …; see /work/notes/fuzz.md). Each case once answered 5xx or left its event FAILED with an
 * unexpected exception (a database error, a RangeError) instead of storing or refusing it.
 */
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { GHL_PUBLIC_KEY_PEM, ghlSig, metaSig } from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';

const MESSENGER = {
  pageId: '104620412345678',
  pageAccessToken: 'EAAG-fuzz-messenger-5151',
  appSecret: 'fuzz-messenger-secret',
  verifyToken: 'fuzz-messenger-verify',
};

describe('signed fuzz findings', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0', WEBHOOK_MAX_ATTEMPTS: '1' },
    });
    sub = await createSubAccount(t, 'MAX');
    const whatsapp = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const messenger = await createIntegration(t, sub, 'facebook-messenger', MESSENGER);
    const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, webhookPublicKey: GHL_PUBLIC_KEY_PEM });
    for (const i of [whatsapp, messenger, ghl]) await activate(t, sub, i.id);
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>) => {
    let req = t.http.post(path).set('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send(body);
  };
  const unhandledSince = (from: number): string[] =>
    t
      .logs()
      .slice(from)
      .split('\n')
      .filter((line) => line.includes('"unhandled error"'));

  describe('a routing key holding NUL (escaped \\u0000) names no integration: 401, not 500', () => {
    const whatsappBody = (phoneNumberId: string, wabaId = WHATSAPP_CONFIG.wabaId): string =>
      `{"object":"whatsapp_business_account","entry":[{"id":"${wabaId}","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"${phoneNumberId}"},"statuses":[]},"field":"messages"}]}]}`;
    const cases: Array<[string, string, string, string]> = [
      ['whatsapp phone_number_id', '/api/webhooks/whatsapp-cloud', whatsappBody('\\u0000'), WHATSAPP_CONFIG.appSecret],
      [
        'messenger page id',
        '/api/webhooks/facebook-messenger',
        '{"object":"page","entry":[{"id":"a\\u0000b","time":1,"messaging":[]}]}',
        MESSENGER.appSecret,
      ],
      [
        'instagram account id',
        '/api/webhooks/instagram-direct',
        '{"object":"instagram","entry":[{"id":"\\u0000","time":1,"messaging":[]}]}',
        'any',
      ],
      [
        'meta lead ads page id',
        '/api/webhooks/meta-lead-ads',
        '{"object":"page","entry":[{"id":"\\u0000","time":1,"changes":[]}]}',
        'any',
      ],
    ];
    it.each(cases)('%s', async (_name, path, body, secret) => {
      const from = t.logs().length;
      const signed: Record<string, string> = { 'x-hub-signature-256': metaSig(body, secret) };
      for (const headers of [signed, {}]) {
        const res = await post(path, body, headers);
        expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      }
      expect(unhandledSince(from)).toEqual([]);
    });

    it('gohighlevel locationId', async () => {
      const from = t.logs().length;
      const body = `{"type":"ContactCreate","locationId":"\\u0000","id":"c-nul","email":"nul@example.com"}`;
      const res = await post('/api/webhooks/gohighlevel', body, { 'x-wh-signature': ghlSig(body) });
      expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      expect(unhandledSince(from)).toEqual([]);
    });
  });
});
