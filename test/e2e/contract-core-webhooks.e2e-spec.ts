// The contract-core probe's "Webhooks", "More literal readings" and generic-webhook signature sections; the
// others are in contract-core-*.e2e-spec.ts (conventions first), the shared setup in test/support/contract-core-setup.ts.
import { createHmac } from 'node:crypto';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, templateId } from '../support/factories';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { activate, metaSignature } from '../support/webhooks';
import { ISO_UTC, setupContractCore } from '../support/contract-core-setup';

describe('API.md contract probe: conventions, roles, templates, integrations, webhooks, leads', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let leadId: string;
  let admin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, other, ghlId, metaId, leadId, admin, close } = await setupContractCore());
  });
  afterAll(() => close());

  describe('Webhooks', () => {
    it('answers a verified Meta page change that is not leadgen 200 { status: "ignored", eventId: null }', async () => {
      const body = JSON.stringify({
        object: 'page',
        entry: [
          { id: META_CONFIG.pageId, time: 1, changes: [{ field: 'feed', value: { item: 'status', verb: 'add' } }] },
        ],
      });
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect([res.status, res.body]).toEqual([200, { status: 'ignored', eventId: null }]);
    });

    it('answers a provider-level delivery with a wrong content type 415, and malformed JSON 400', async () => {
      const body = '{"object":"page","entry":[]}';
      const wrongType = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'text/plain')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect([wrongType.status, wrongType.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const malformed = '{"object":"page",';
      const bad = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(malformed, META_CONFIG.appSecret))
        .send(malformed);
      expect(bad.status).toBe(400);
    });

    it('answers the Meta handshake on the integration-level URL with the challenge as text/plain', async () => {
      const integration = await t.http.get(`/api/integrations/${metaId}`).set('authorization', admin);
      const path = new URL(integration.body.webhookUrl as string).pathname;
      const res = await t.http.get(
        `${path}?hub.mode=subscribe&hub.verify_token=${META_CONFIG.verifyToken}&hub.challenge=1158201444`,
      );
      expect([res.status, res.text]).toEqual([200, '1158201444']);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });
  });

  describe('More literal readings', () => {
    /** Every string in a body that looks like a date-time. */
    const timestamps = (value: unknown, path = ''): Array<[string, string]> => {
      if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}T/.test(value) ? [[path, value]] : [];
      if (Array.isArray(value)) return value.flatMap((v, i) => timestamps(v, `${path}/${i}`));
      if (value && typeof value === 'object')
        return Object.entries(value).flatMap(([k, v]) => timestamps(v, `${path}/${k}`));
      return [];
    };

    it('answers JSON as application/json in UTF-8, and every timestamp of the API as ISO-8601 UTC', async () => {
      await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', admin)
        .send({ type: 'NOTE', userId: 'u1', occurredAt: '2026-12-01T10:00:00+02:00' });
      await t.http.patch(`/api/leads/${leadId}`).set('authorization', admin).send({ status: 'QUALIFIED' });
      const paths = [
        `/api/integrations/${metaId}`,
        `/api/integrations/${metaId}/health`,
        `/api/integrations/${metaId}/events`,
        `/api/integrations/${ghlId}/sync-runs`,
        `/api/integration-templates/${await templateId(t, 'meta-lead-ads')}`,
        `/api/leads/${leadId}`,
        `/api/leads/${leadId}/history`,
        `/api/leads?subAccountId=${sub}`,
        `/api/sub-accounts/${sub}`,
      ];
      const notUtc: string[] = [];
      for (const path of paths) {
        const res = await t.http.get(path).set('authorization', admin);
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers['content-type']).toMatch(/^application\/json; charset=utf-8$/i);
        for (const [field, value] of timestamps(res.body))
          if (!ISO_UTC.test(value)) notUtc.push(`${path} ${field}: ${value}`);
      }
      expect(notUtc).toEqual([]);
    });

    it('ignores subAccountIds for a SUPER_ADMIN, who may act on all sub-accounts', async () => {
      const token = auth(t, 'SUPER_ADMIN', [sub]);
      const list = await t.http.get(`/api/integrations?subAccountId=${other}`).set('authorization', token);
      expect(list.status).toBe(200);
      const lead = await t.http
        .post('/api/leads')
        .set('authorization', token)
        .send({ subAccountId: other, email: 'super@example.org' });
      expect(lead.status).toBe(201);
      expect((await t.http.get(`/api/leads/${lead.body.id}`).set('authorization', token)).status).toBe(200);
    });

    it('enforces the PRO tier limit of 3 per provider: the fourth create is 403 PLAN_LIMIT_REACHED', async () => {
      const pro = await createSubAccount(t, 'PRO', 'Pro Co');
      const token = auth(t, 'ADMIN', [pro]);
      const template = await templateId(t, 'google-ads-lead-forms');
      const statuses: number[] = [];
      let last: Record<string, unknown> = {};
      for (let i = 0; i < 4; i++) {
        const res = await t.http
          .post('/api/integrations')
          .set('authorization', token)
          .send({
            subAccountId: pro,
            integrationTemplateId: template,
            name: `g${i}`,
            config: { googleKey: `pro-key-${i}-0000` },
          });
        statuses.push(res.status);
        last = res.body;
      }
      expect(statuses).toEqual([201, 201, 201, 403]);
      expect(last.code).toBe('PLAN_LIMIT_REACHED');
      const limits = await t.http.get(`/api/integrations/limits?subAccountId=${pro}`).set('authorization', token);
      expect(limits.body).toMatchObject({ tier: 'PRO', limits: { 'google-ads-lead-forms': { current: 3, limit: 3 } } });
    });

    it('answers sync 202 { jobId, runId } and a rotation 200 { webhookSecret }, nothing else', async () => {
      const created = await createIntegration(t, sub, 'gohighlevel', {
        ...GHL_CONFIG,
        locationId: GHL_CONFIG.locationId,
      });
      await activate(t, sub, created.id);
      const sync = await t.http.post(`/api/integrations/${created.id}/sync`).set('authorization', admin);
      expect([sync.status, Object.keys(sync.body).sort()]).toEqual([202, ['jobId', 'runId']]);
      const rotated = await t.http
        .post(`/api/integrations/${created.id}/rotate-webhook-secret`)
        .set('authorization', admin);
      expect([rotated.status, Object.keys(rotated.body)]).toEqual([200, ['webhookSecret']]);
    });

    it('answers 404 for an unknown provider on the provider-level routes, and for a webhookId under another provider', async () => {
      const post = await t.http
        .post('/api/webhooks/no-such-provider')
        .set('content-type', 'application/json')
        .send('{}');
      expect([post.status, post.body.code]).toEqual([404, 'NOT_FOUND']);
      const get = await t.http.get(
        '/api/webhooks/no-such-provider?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1',
      );
      expect([get.status, get.body.code]).toEqual([404, 'NOT_FOUND']);
      const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'cross-provider-key-1' });
      await activate(t, sub, google.id);
      const webhookId = new URL(google.webhookUrl).pathname.split('/').pop() ?? '';
      const crossed = await t.http
        .post(`/api/webhooks/generic-webhook/${webhookId}`)
        .set('content-type', 'application/json')
        .send('{}');
      expect([crossed.status, crossed.body.code]).toEqual([404, 'NOT_FOUND']);
      // a deleted integration's URL is unknown too
      expect((await t.http.delete(`/api/integrations/${google.id}`).set('authorization', admin)).status).toBe(204);
      const gone = await t.http
        .post(new URL(google.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .send('{}');
      expect([gone.status, gone.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('echoes a Meta challenge only for the verify token of an active integration', async () => {
      const pending = await createIntegration(t, sub, 'meta-lead-ads', {
        ...META_CONFIG,
        pageId: '4242424242',
        verifyToken: 'pending-verify-token-1',
      });
      const res = await t.http.get(
        '/api/webhooks/meta-lead-ads?hub.mode=subscribe&hub.verify_token=pending-verify-token-1&hub.challenge=77',
      );
      expect(res.status).not.toBe(200);
      expect(res.text).not.toBe('77');
      await t.http.delete(`/api/integrations/${pending.id}`).set('authorization', admin);
    });

    it('takes a manual lead source only with platform "manual"; 404 for the history of a lead that does not exist', async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, email: 'meta-source@example.org', source: { platform: 'meta' } });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const history = await t.http.get('/api/leads/987654321/history').set('authorization', admin);
      expect([history.status, history.body.code]).toEqual([404, 'NOT_FOUND']);
      const activity = await t.http
        .post('/api/leads/987654321/activities')
        .set('authorization', admin)
        .send({ type: 'NOTE', userId: 'u1' });
      expect([activity.status, activity.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('generic-webhook signatures (Standard handler configuration)', () => {
    const deliver = (path: string, body: string, headers: Record<string, string>) => {
      const req = t.http.post(path).set('content-type', 'application/json');
      for (const [k, v] of Object.entries(headers)) void req.set(k, v);
      return req.send(body);
    };
    const hmacOf = (secret: string, data: string, encoding: 'hex' | 'base64') =>
      createHmac('sha256', secret).update(data).digest(encoding);
    const base = { mapping: { email: '/email' }, externalIdPointer: '/id' };

    it('keeps the old webhook secret verifying after a rotation (grace period), alongside the new one', async () => {
      const created = await createIntegration(t, sub, 'generic-webhook', base);
      await activate(t, sub, created.id);
      const path = new URL(created.webhookUrl).pathname;
      const rotated = await t.http
        .post(`/api/integrations/${created.id}/rotate-webhook-secret`)
        .set('authorization', admin);
      const now = Math.floor(Date.now() / 1000);
      for (const [name, secret, status] of [
        ['old', created.webhookSecret, 200],
        ['new', rotated.body.webhookSecret as string, 200],
        ['other', 'not-the-secret', 401],
      ] as const) {
        const body = JSON.stringify({ id: `rot-${name}`, email: `rot-${name}@example.org` });
        const res = await deliver(path, body, {
          'x-webhook-timestamp': String(now),
          'x-webhook-signature': `sha256=${hmacOf(secret, `${now}.${body}`, 'hex')}`,
        });
        expect([name, res.status]).toEqual([name, status]);
      }
    });

    it('hmac-sha256-body: a body HMAC in a named header, hex or base64, with or without a sha256= prefix', async () => {
      for (const [encoding, prefix] of [
        ['hex', ''],
        ['base64', 'sha256='],
      ] as const) {
        const created = await createIntegration(t, sub, 'generic-webhook', {
          ...base,
          signatureScheme: 'hmac-sha256-body',
          signatureHeader: 'Typeform-Signature',
          signatureEncoding: encoding,
        });
        await activate(t, sub, created.id);
        const path = new URL(created.webhookUrl).pathname;
        const body = JSON.stringify({ id: `body-${encoding}`, email: `body-${encoding}@example.org` });
        const ok = await deliver(path, body, {
          'typeform-signature': `${prefix}${hmacOf(created.webhookSecret, body, encoding)}`,
        });
        expect([encoding, ok.status, ok.body.status]).toEqual([encoding, 200, 'received']);
        const bad = await deliver(path, body, {
          'typeform-signature': `${prefix}${hmacOf('wrong-secret', body, encoding)}`,
        });
        expect([encoding, bad.status, bad.body.code]).toEqual([encoding, 401, 'WEBHOOK_SIGNATURE_INVALID']);
      }
    });

    it('hmac-sha256-timestamped: a timestamp within toleranceSeconds (default 300) verifies, an older one is 401', async () => {
      const byDefault = await createIntegration(t, sub, 'generic-webhook', base);
      const wider = await createIntegration(t, sub, 'generic-webhook', { ...base, toleranceSeconds: 900 });
      await activate(t, sub, byDefault.id);
      await activate(t, sub, wider.id);
      const send = (integration: typeof byDefault, age: number, id: string) => {
        const ts = Math.floor(Date.now() / 1000) - age;
        const body = JSON.stringify({ id, email: `${id}@example.org` });
        return deliver(new URL(integration.webhookUrl).pathname, body, {
          'x-webhook-timestamp': String(ts),
          'x-webhook-signature': `sha256=${hmacOf(integration.webhookSecret, `${ts}.${body}`, 'hex')}`,
        });
      };
      expect((await send(byDefault, 240, 'tol-a')).status).toBe(200);
      expect((await send(byDefault, 400, 'tol-b')).status).toBe(401);
      expect((await send(wider, 600, 'tol-c')).status).toBe(200);
      expect((await send(wider, 1000, 'tol-d')).status).toBe(401);
    });

    it('at its own URL, a refused delivery says what failed (a provider-level URL never does: security-routing-keys)', async () => {
      const created = await createIntegration(t, sub, 'generic-webhook', base);
      await activate(t, sub, created.id);
      const path = new URL(created.webhookUrl).pathname;
      const body = JSON.stringify({ id: 'why-1', email: 'why-1@example.org' });
      const now = Math.floor(Date.now() / 1000);
      const signed = (ts: number, secret = created.webhookSecret) => ({
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': `sha256=${hmacOf(secret, `${ts}.${body}`, 'hex')}`,
      });
      const why = async (headers: Record<string, string>): Promise<unknown> => {
        const res = await deliver(path, body, headers);
        expect([res.status, res.body.code, res.body.message]).toEqual([
          401,
          'WEBHOOK_SIGNATURE_INVALID',
          'Webhook signature is missing or invalid',
        ]);
        return res.body.details;
      };
      const reason = (text: string) => [{ field: 'signature', messages: [text] }];
      const signature = signed(now)['x-webhook-signature'];
      expect(await why({})).toEqual(reason('missing x-webhook-signature header'));
      expect(await why({ 'x-webhook-signature': signature })).toEqual(reason('missing x-webhook-timestamp header'));
      expect(await why({ 'x-webhook-signature': signature, 'x-webhook-timestamp': 'yesterday' })).toEqual(
        reason('x-webhook-timestamp is not Unix seconds'),
      );
      expect(await why(signed(now - 400))).toEqual(reason('timestamp is more than 300s old'));
      expect(await why({ ...signed(now), 'x-webhook-signature': 'md5=abc' })).toEqual(
        reason('x-webhook-signature is not sha256=<hex>'),
      );
      expect(await why(signed(now, 'wrong-secret'))).toEqual(reason('signature does not match'));
      // the secret itself, or what the signature should have been, is never in the answer
      const refused = await deliver(path, body, signed(now, 'wrong-secret'));
      expect(JSON.stringify(refused.body)).not.toContain(created.webhookSecret);
      expect(JSON.stringify(refused.body)).not.toContain(hmacOf(created.webhookSecret, `${now}.${body}`, 'hex'));
      expect((await deliver(path, body, signed(now))).status).toBe(200);
    });
  });
});
