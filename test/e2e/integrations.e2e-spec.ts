import {
  createIntegration,
  createSubAccount,
  GHL_CONFIG,
  META_CONFIG,
  templateId,
  WHATSAPP_CONFIG,
} from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';

const ALL_SECRETS = [
  META_CONFIG.appSecret,
  META_CONFIG.pageAccessToken,
  META_CONFIG.verifyToken,
  GHL_CONFIG.privateIntegrationToken,
  WHATSAPP_CONFIG.accessToken,
];

describe('integrations', () => {
  let t: TestApp;
  let graph: FakeServer;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    graph = await FakeServer.start();
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, GHL_API_URL: ghl.url } });
    sub = await createSubAccount(t, 'MAX');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
    await ghl.close();
  });
  beforeEach(() => {
    graph.reset();
    ghl.reset();
  });

  it('creates pending and inactive, returns the webhook secret once, and masks every secret', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG, 'Main page');
    expect(created.body).toEqual(
      expect.objectContaining({
        subAccountId: sub,
        name: 'Main page',
        status: 'pending',
        isActive: false,
        template: {
          name: 'meta-lead-ads',
          displayName: expect.any(String),
          category: 'Social Media',
          handler: 'meta-lead-ads',
        },
        config: {
          pageId: META_CONFIG.pageId,
          appSecret: { secret: true, last4: '0001' },
          pageAccessToken: { secret: true, last4: 'abcd' },
          verifyToken: { secret: true, last4: '9999' },
        },
      }),
    );
    expect(created.webhookUrl).toMatch(
      /^https:\/\/hub\.example\.test\/api\/webhooks\/meta-lead-ads\/wh_[A-Za-z0-9_-]{20,}$/,
    );
    expect(Buffer.from(created.webhookSecret, 'base64url')).toHaveLength(32);

    const read = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
    expect(read.status).toBe(200);
    expect(read.body.webhookSecret).toBeUndefined();
    expect(read.body.config.appSecret).toEqual({ secret: true, last4: '0001' });
    const list = await t.http.get(`/api/integrations?subAccountId=${sub}`).set('authorization', admin);
    expect(list.body).toEqual(expect.objectContaining({ page: 1, pageSize: 50, total: expect.any(Number) }));
    expect(JSON.stringify(list.body)).not.toContain(META_CONFIG.appSecret);
  });

  it('stores no plaintext secret anywhere in the database and logs none', async () => {
    await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const dump = await t.sql.query(
      `SELECT string_agg(t::text, '\n') AS all FROM (SELECT row_to_json(i)::text AS t FROM integrations i UNION ALL SELECT row_to_json(a)::text FROM audit_logs a) x`,
    );
    const everything = String(dump.rows[0].all);
    expect(everything).toContain('enc:v2:k1:');
    for (const secret of ALL_SECRETS) expect(everything).not.toContain(secret);
    const logs = t.logs();
    for (const secret of ALL_SECRETS) expect(logs).not.toContain(secret);
  });

  it('answers 400 CONFIG_SCHEMA_INVALID with the JSON pointer of every bad field', async () => {
    const res = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: await templateId(t, 'meta-lead-ads'),
        name: 'Bad',
        config: { pageId: 42, appSecret: 'x', colour: 'red' },
      });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CONFIG_SCHEMA_INVALID');
    const pointers = res.body.details.map((d: { pointer: string }) => d.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/pageId', '/verifyToken', '/colour']));
    // issue 15: the page token is marked "x-oauth" (a "Connect with Facebook" fills it), so it may be left out
    expect(pointers).not.toContain('/pageAccessToken');
    expect(JSON.stringify(res.body)).not.toContain('"x"');
  });

  it('refuses opt-out/opt-in keywords that could never match (a phrase, no letters, in both lists) on WhatsApp', async () => {
    const res = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: await templateId(t, 'whatsapp-cloud'),
        name: 'Keywords',
        config: { ...WHATSAPP_CONFIG, optOutKeywords: ['STOP', 'stop all', '!!!'], optInKeywords: ['Stop'] },
      });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(res.body.details).toEqual([
      { pointer: '/optOutKeywords/1', message: '"stop all" must be a single word' },
      { pointer: '/optOutKeywords/2', message: '"!!!" has no letters or digits' },
      { pointer: '/optInKeywords', message: '"stop" cannot be both an opt-out and an opt-in keyword' },
    ]);
    const ok = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: await templateId(t, 'whatsapp-cloud'),
        name: 'Keywords',
        config: { ...WHATSAPP_CONFIG, phoneNumberId: '109999999999999', optOutKeywords: ['¡BAJA!', 'Sair'] },
      });
    expect(ok.status).toBe(201);
  });

  it('an "x-oauth" credential may be left out of a stored integration (a connect flow fills it), never out of a config under test; pasting it still works', async () => {
    const templateIdMeta = await templateId(t, 'meta-lead-ads');
    const { pageAccessToken, ...withoutToken } = META_CONFIG;
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: templateIdMeta, name: 'Connect later', config: withoutToken });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', isActive: false });
    expect(created.body.config.pageAccessToken).toBeUndefined();
    // nothing to call Meta with yet: the test fails as a credential problem, and Meta is not called
    const test = await t.http.post(`/api/integrations/${created.body.id}/test`).set('authorization', admin);
    expect(test.status).toBe(422);
    expect(test.body).toMatchObject({ code: 'INVALID_CREDENTIALS', success: false });
    expect(graph.requests).toHaveLength(0);
    // an unsaved config under test has no connection to fill it from
    const unsaved = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: templateIdMeta, config: withoutToken });
    expect(unsaved.status).toBe(400);
    expect(unsaved.body.details.map((d: { pointer: string }) => d.pointer)).toContain('/pageAccessToken');
    // API.md: every error body of a failed connection test carries success: false
    expect(unsaved.body.success).toBe(false);
    const unknown = await t.http.post('/api/integrations/987654/test').set('authorization', admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND', success: false });
    // the pasted-token path: the token PATCHed in is stored sealed and shown masked
    const pasted = await t.http
      .patch(`/api/integrations/${created.body.id}`)
      .set('authorization', admin)
      .send({ config: { pageAccessToken } });
    expect(pasted.status).toBe(200);
    expect(pasted.body.config.pageAccessToken).toEqual({ secret: true, last4: pageAccessToken.slice(-4) });
    // a template whose schema does not mark the field keeps requiring it
    const strict = await t.http
      .post('/api/integration-templates')
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN', [])}`)
      .send({
        name: 'meta-pasted-only',
        displayName: 'Meta (pasted token only)',
        category: 'Advertising',
        handler: 'meta-lead-ads',
        configSchema: {
          type: 'object',
          required: ['pageId', 'appSecret', 'pageAccessToken', 'verifyToken'],
          properties: {
            pageId: { type: 'string' },
            appSecret: { type: 'string', 'x-secret': true },
            pageAccessToken: { type: 'string', 'x-secret': true },
            verifyToken: { type: 'string', 'x-secret': true },
          },
          additionalProperties: false,
        },
      });
    expect(strict.status).toBe(201);
    const refused = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: strict.body.id, name: 'No token', config: withoutToken });
    expect(refused.status).toBe(400);
    expect(refused.body.details.map((d: { pointer: string }) => d.pointer)).toEqual(['/pageAccessToken']);
  });

  it('merges PATCHed config over the stored one: a secret left out or sent back masked keeps its value', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const patched = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ name: 'Renamed', config: { pageId: '555000111', verifyToken: { secret: true, last4: '9999' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    expect(patched.body.config.pageId).toBe('555000111');
    expect(patched.body.config.pageAccessToken).toEqual({ secret: true, last4: 'abcd' });

    // a page token's /me is its page (the test proves the token belongs to the configured page)
    graph.on('GET', '/me', (req) =>
      req.headers.authorization === `Bearer ${META_CONFIG.pageAccessToken}`
        ? { status: 200, body: { id: '555000111', name: 'Acme Dental' } }
        : { status: 401, body: {} },
    );
    const tested = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect(tested.status).toBe(200);
    expect(tested.body.success).toBe(true);

    const rotated = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ config: { pageAccessToken: 'EAAG-new-token-7890' } });
    expect(rotated.body.config.pageAccessToken).toEqual({ secret: true, last4: '7890' });
    expect(rotated.body.status).toBe('pending');
  });

  it('removes a config field sent as null: an optional field or secret once set can be unset, a required one cannot', async () => {
    const created = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
      eventTypePointer: '/type',
      signingSecret: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
    });
    const patch = (config: Record<string, unknown>) =>
      t.http.patch(`/api/integrations/${created.id}`).set('authorization', admin).send({ config });
    const unset = await patch({ eventTypePointer: null, signingSecret: null });
    expect(unset.status).toBe(200);
    // signatureScheme: the handler schema's default, filled in when the integration was created
    const remaining = {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
      signatureScheme: 'hmac-sha256-timestamped',
    };
    expect(unset.body.config).toEqual(remaining);
    const stored = await t.sql.query('SELECT config FROM integrations WHERE id = $1', [created.id]);
    expect(Object.keys(stored.rows[0].config).sort()).toEqual(['externalIdPointer', 'mapping', 'signatureScheme']);
    const required = await patch({ externalIdPointer: null });
    expect(required.status).toBe(400);
    expect(required.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect((await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin)).body.config).toEqual(
      remaining,
    );
  });

  // API.md: a bad request is 400 VALIDATION_FAILED; null for a field that cannot be null was a 500 (NOT NULL violation)
  it('answers null for name, config or isActive 400 VALIDATION_FAILED naming the field; a null description clears it', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    for (const field of ['name', 'config', 'isActive']) {
      const res = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ [field]: null });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    }
    const cleared = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ description: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.description).toBeNull();
  });

  it('reads a path id as digits only: hex, exponent or padded forms of a real id answer 400, not that integration', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    expect((await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin)).status).toBe(200);
    const forms = [`0x${created.id.toString(16)}`, `${created.id}e0`, `${created.id}.0`, `%20${created.id}`, 'abc'];
    for (const form of forms) {
      const res = await t.http.get(`/api/integrations/${form}`).set('authorization', admin);
      expect({ form, status: res.status, code: res.body.code, message: res.body.message }).toEqual({
        form,
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'The id in the path must be a positive integer',
      });
    }
  });

  // API.md "Conventions": sub-account and template ids are integers. Bodies went through Number(), so
  // "1", true and "0x1" named id 1; queries too (?subAccountId=0x1 listed sub-account 1)
  it('takes body and query ids as integers only: strings, booleans and hex forms answer 400', async () => {
    const template = await templateId(t, 'meta-lead-ads');
    const body = { subAccountId: sub, integrationTemplateId: template, name: 'typed', config: META_CONFIG };
    for (const [field, bad] of [
      ['subAccountId', String(sub)],
      ['subAccountId', true],
      ['integrationTemplateId', String(template)],
      ['integrationTemplateId', `0x${template.toString(16)}`],
    ] as const) {
      for (const path of ['/api/integrations', '/api/integrations/test-config']) {
        const sent = path.endsWith('test-config') ? { ...body, name: undefined } : body;
        const res = await t.http
          .post(path)
          .set('authorization', admin)
          .send({ ...sent, [field]: bad });
        expect([path, field, res.status, res.body.code]).toEqual([path, field, 400, 'VALIDATION_FAILED']);
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    }
    for (const query of [
      `subAccountId=0x${sub.toString(16)}`,
      `subAccountId=${sub}.0`,
      `templateId=${template}e0`,
      'pageSize=0x10',
    ]) {
      const res = await t.http.get(`/api/integrations?${query}`).set('authorization', admin);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    const limits = await t.http
      .get(`/api/integrations/limits?subAccountId=0x${sub.toString(16)}`)
      .set('authorization', admin);
    expect([limits.status, limits.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const ok = await t.http
      .get(`/api/integrations?subAccountId=${sub}&templateId=${template}&page=1&pageSize=10`)
      .set('authorization', admin);
    expect([ok.status, ok.body.pageSize]).toEqual([200, 10]);
  });

  it('tests the connection against the provider: success → active, 401 → 422 INVALID_CREDENTIALS and error status', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    graph.on('GET', '/me', () => ({
      status: 200,
      body: { id: META_CONFIG.pageId, name: 'Acme Dental' },
    }));
    const ok = await t.http
      .post(`/api/integrations/${created.id}/test`)
      .set('authorization', `Bearer ${t.token('MANAGER', [sub])}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ success: true, message: expect.stringContaining('Acme Dental') });
    const afterOk = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
    expect(afterOk.body).toEqual(expect.objectContaining({ status: 'active', isActive: true, errorMessage: null }));

    graph.on('GET', '/me', () => ({
      status: 401,
      body: {
        error: { message: 'Error validating access token: Session has expired', type: 'OAuthException', code: 190 },
      },
    }));
    const bad = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual(expect.objectContaining({ statusCode: 422, code: 'INVALID_CREDENTIALS', success: false }));
    expect(JSON.stringify(bad.body)).not.toContain(META_CONFIG.pageAccessToken);
    const afterBad = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
    expect(afterBad.body.status).toBe('error');
    expect(afterBad.body.errorMessage).toEqual(expect.any(String));
    expect(graph.count('GET', '/me')).toBe(2); // 401 is never retried
  });

  it('retries a 429 honouring Retry-After, and maps an unreachable provider to 502 CONNECTION_FAILED', async () => {
    const created = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    let calls = 0;
    ghl.on('GET', `/locations/${GHL_CONFIG.locationId}`, (req) => {
      calls += 1;
      expect(req.headers.version).toBe('2021-07-28');
      expect(req.headers.authorization).toBe(`Bearer ${GHL_CONFIG.privateIntegrationToken}`);
      return calls === 1
        ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } }
        : { status: 200, body: { location: { id: GHL_CONFIG.locationId, name: 'Acme HQ' } } };
    });
    const started = Date.now();
    const ok = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect(ok.status).toBe(200);
    expect(calls).toBe(2);
    const [first, second] = ghl.requests;
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(10_000);

    ghl.on('GET', `/locations/${GHL_CONFIG.locationId}`, () => ({ status: 503, body: { message: 'upstream down' } }));
    const down = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect(down.status).toBe(502);
    expect(down.body).toEqual(expect.objectContaining({ code: 'CONNECTION_FAILED', success: false }));
  });

  it('tests a WhatsApp Cloud number through the Graph API, and that the number is one of its WABA', async () => {
    const created = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    graph.on('GET', `/${WHATSAPP_CONFIG.phoneNumberId}`, (req) =>
      req.headers.authorization === `Bearer ${WHATSAPP_CONFIG.accessToken}`
        ? {
            status: 200,
            body: { id: WHATSAPP_CONFIG.phoneNumberId, display_phone_number: '+1 555-0100', verified_name: 'Acme' },
          }
        : { status: 401, body: {} },
    );
    // the WABA's numbers, two pages (Graph cursor paging): the configured one on the second
    const numbersOf = (wabaPages: Array<Array<{ id: string }>>) =>
      graph.on('GET', `/${WHATSAPP_CONFIG.wabaId}/phone_numbers`, (req) => {
        const page = Number(req.query.get('after') ?? '0');
        const next = page + 1 < wabaPages.length ? String(page + 1) : undefined;
        return {
          status: 200,
          body: {
            data: wabaPages[page],
            paging: { cursors: { before: 'x', after: next ?? 'end' }, ...(next ? { next: `https://graph/next` } : {}) },
          },
        };
      });
    numbersOf([[{ id: '100000000000009' }], [{ id: WHATSAPP_CONFIG.phoneNumberId }]]);
    const res = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect([res.status, res.body.success]).toEqual([200, true]);

    // a WABA that does not hold the number (templates would go to another business): refused, named
    numbersOf([[{ id: '100000000000009' }]]);
    const foreign = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect([foreign.status, foreign.body.code, foreign.body.success]).toEqual([422, 'INVALID_CREDENTIALS', false]);
    expect(foreign.body.message).toContain(`is not a number of WhatsApp Business Account ${WHATSAPP_CONFIG.wabaId}`);
    const stored = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
    expect(stored.body.status).toBe('error');

    // a WABA the token cannot read: Meta's error 100, as the number's own read answers it
    graph.on('GET', `/${WHATSAPP_CONFIG.wabaId}/phone_numbers`, () => ({
      status: 400,
      body: { error: { message: 'Unsupported get request.', type: 'GraphMethodException', code: 100 } },
    }));
    const unreadable = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect([unreadable.body.success, unreadable.body.message]).toEqual([
      false,
      expect.stringContaining('WhatsApp Business Account'),
    ]);
    expect(unreadable.status).toBeGreaterThanOrEqual(422);
  });

  it('rotates the webhook secret, keeping the previous one for the grace period', async () => {
    const created = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
    });
    const res = await t.http.post(`/api/integrations/${created.id}/rotate-webhook-secret`).set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body.webhookSecret).not.toBe(created.webhookSecret);
    expect(Buffer.from(res.body.webhookSecret, 'base64url')).toHaveLength(32);
    const row = await t.sql.query(
      'SELECT previous_secret_expires_at, previous_webhook_secret FROM integrations WHERE id = $1',
      [created.id],
    );
    const expires = new Date(row.rows[0].previous_secret_expires_at).getTime();
    expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(row.rows[0].previous_webhook_secret).toMatch(/^enc:v2:/);
  });

  it('enforces plan limits under concurrency: 20 parallel creates on STARTER → one 201, nineteen 403', async () => {
    const starter = await createSubAccount(t, 'STARTER', 'Tiny');
    const token = `Bearer ${t.token('ADMIN', [starter])}`;
    const template = await templateId(t, 'gohighlevel');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.http
          .post('/api/integrations')
          .set('authorization', token)
          .send({
            subAccountId: starter,
            integrationTemplateId: template,
            name: `GHL ${i}`,
            // its own location: GHL_CONFIG's belongs to the first sub-account of this file
            config: { ...GHL_CONFIG, locationId: 'loc_Tiny_0001' },
          }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(19);
    expect(results.find((r) => r.status === 403)?.body.code).toBe('PLAN_LIMIT_REACHED');
    // another handler still has its own allowance
    await createIntegration(t, starter, 'meta-lead-ads', { ...META_CONFIG, pageId: '777000111' });

    const limits = await t.http.get(`/api/integrations/limits?subAccountId=${starter}`).set('authorization', token);
    expect(limits.status).toBe(200);
    expect(limits.body.tier).toBe('STARTER');
    expect(limits.body.limits.gohighlevel).toEqual({ current: 1, limit: 1 });
    expect(limits.body.limits['meta-lead-ads']).toEqual({ current: 1, limit: 1 });
    expect(limits.body.limits['linkedin-lead-gen']).toEqual({ current: 0, limit: 1 });

    const max = await createSubAccount(t, 'MAX', 'Big');
    const maxLimits = await t.http
      .get(`/api/integrations/limits?subAccountId=${max}`)
      .set('authorization', `Bearer ${t.token('ADMIN', [max])}`);
    expect(maxLimits.body.limits.gohighlevel).toEqual({ current: 0, limit: -1 });
  });

  it('writes an audit trail with secrets redacted, readable by admins for their own sub-accounts', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await t.http.patch(`/api/integrations/${created.id}`).set('authorization', admin).send({ description: 'Ads page' });
    await t.http.post(`/api/integrations/${created.id}/rotate-webhook-secret`).set('authorization', admin);
    graph.on('GET', `/${META_CONFIG.pageId}`, () => ({ status: 200, body: { id: META_CONFIG.pageId, name: 'Acme' } }));
    await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect((await t.http.delete(`/api/integrations/${created.id}`).set('authorization', admin)).status).toBe(204);
    expect((await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin)).status).toBe(404);

    const audit = await t.http
      .get(`/api/audit-log?subAccountId=${sub}&entity=integration&entityId=${created.id}`)
      .set('authorization', admin);
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: { action: string }) => e.action).reverse()).toEqual([
      'integration.create',
      'integration.update',
      'integration.rotate-webhook-secret',
      'integration.test',
      'integration.delete',
    ]);
    expect(audit.body.items[0]).toEqual(
      expect.objectContaining({ actorSub: 'dev-admin', actorRole: 'ADMIN', subAccountId: sub }),
    );
    expect(JSON.stringify(audit.body)).not.toContain(META_CONFIG.appSecret);
    const other = await createSubAccount(t, 'PRO', 'Other');
    expect((await t.http.get(`/api/audit-log?subAccountId=${other}`).set('authorization', admin)).status).toBe(403);
    const mine = await t.http.get('/api/audit-log?pageSize=200').set('authorization', admin);
    expect(mine.body.items.every((e: { subAccountId: number }) => e.subAccountId === sub)).toBe(true);
    expect(
      (await t.http.get('/api/audit-log').set('authorization', `Bearer ${t.token('MANAGER', [sub])}`)).status,
    ).toBe(403);
  });
});
