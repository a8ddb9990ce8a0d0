// Part of the integrations spec (header in integrations.e2e-spec.ts): connection tests against the providers,
// webhook secret rotation, plan limits under concurrency, and the audit trail.
import {
  createIntegration,
  createSubAccount,
  GHL_CONFIG,
  META_CONFIG,
  templateId,
  WHATSAPP_CONFIG,
} from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';

describe('integrations', () => {
  let fx: IntegrationsFixture;
  let t: TestApp;
  let graph: FakeServer;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fx = await setupIntegrations();
    ({ t, graph, ghl, sub, admin } = fx);
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

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
