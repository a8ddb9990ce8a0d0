// Audit 23 of API.md "Conventions", "Authentication and roles", "Integration templates", "Integrations" and
// "Sub-account settings", as an outside suite written from API.md alone would exercise them first: the
// seeded templates with the standard config field names, plan limits, status transitions, the audit trail,
// masked secrets, the once-only webhookSecret, other tenants (404 for a record, 403 for a subAccountId).
// Failed before its fix:
// - PATCH /api/sub-accounts/:id with `funnelStages` not an array (a string) answered only "must contain at
//   least 2 elements" / "no more than 5 elements": never that an array of statuses is expected.
import { createSubAccount, GHL_CONFIG, META_CONFIG, templateId } from '../support/factories';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';
import { eventsSettled, postGeneric } from '../support/webhooks';

const PAGE = (items: unknown[], page = 1, pageSize = 50, total = items.length) => ({ items, page, pageSize, total });

describe('API.md audit 23 (core: conventions, roles, templates, integrations, sub-account settings)', () => {
  let fx: IntegrationsFixture;

  beforeAll(async () => {
    fx = await setupIntegrations();
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

  /** Graph's answer to GET /me with a page access token: the page itself. */
  const metaPage = (pageId: string) =>
    fx.graph.on('GET', '/me', () => ({ status: 200, body: { id: pageId, name: 'Acme Page' } }));
  const metaRefuses = () =>
    fx.graph.on('GET', '/me', () => ({
      status: 401,
      body: { error: { message: 'Session has expired', type: 'OAuthException', code: 190 } },
    }));

  it('a Meta integration: pending → test → active; PATCH config → pending; masked secrets; rotate, disconnect, delete; audited', async () => {
    const { t } = fx;
    const sub = await createSubAccount(t, 'MAX', 'Lifecycle');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const manager = `Bearer ${t.token('MANAGER', [sub])}`;
    const config = { ...META_CONFIG, pageId: '2300001' };
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: await templateId(t, 'meta-lead-ads'), name: 'Meta', config });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      subAccountId: sub,
      status: 'pending',
      isActive: false,
      template: { name: 'meta-lead-ads', handler: 'meta-lead-ads', displayName: expect.any(String) },
      config: {
        pageId: config.pageId,
        appSecret: { secret: true, last4: config.appSecret.slice(-4) },
        pageAccessToken: { secret: true, last4: config.pageAccessToken.slice(-4) },
        verifyToken: { secret: true, last4: config.verifyToken.slice(-4) },
      },
      stats: { totalLeads: 0, leadsToday: 0, lastSyncStatus: null },
    });
    expect(created.body.webhookSecret).toEqual(expect.any(String));
    expect(created.body.webhookUrl).toMatch(/\/api\/webhooks\/meta-lead-ads\/[^/]+$/);
    const id = created.body.id as number;

    const read = await t.http.get(`/api/integrations/${id}`).set('authorization', manager);
    expect(read.status).toBe(200);
    expect(read.body.webhookSecret).toBeUndefined();
    for (const secret of [config.appSecret, config.pageAccessToken, config.verifyToken])
      expect(JSON.stringify(read.body)).not.toContain(secret);

    const early = await t.http.patch(`/api/integrations/${id}`).set('authorization', admin).send({ isActive: true });
    expect([early.status, early.body.code]).toEqual([409, 'CONFLICT']);

    metaRefuses();
    const refused = await t.http.post(`/api/integrations/${id}/test`).set('authorization', manager);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ statusCode: 422, code: 'INVALID_CREDENTIALS', success: false });
    const failed = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(failed.body).toMatchObject({ status: 'error', isActive: false, errorMessage: expect.any(String) });

    fx.graph.reset();
    metaPage(config.pageId);
    const passed = await t.http.post(`/api/integrations/${id}/test`).set('authorization', manager);
    expect([passed.status, passed.body]).toEqual([200, { success: true, message: expect.any(String) }]);
    const active = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(active.body).toMatchObject({ status: 'active', isActive: true, errorMessage: null });

    const renamed = await t.http.patch(`/api/integrations/${id}`).set('authorization', admin).send({ name: 'Renamed' });
    expect(renamed.body).toMatchObject({ name: 'Renamed', status: 'active', isActive: true });
    const patched = await t.http
      .patch(`/api/integrations/${id}`)
      .set('authorization', admin)
      .send({ config: { verifyToken: 'changed-verify-7788' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      status: 'pending',
      config: {
        appSecret: { secret: true, last4: config.appSecret.slice(-4) },
        verifyToken: { secret: true, last4: '7788' },
      },
    });
    expect(patched.body.webhookSecret).toBeUndefined();

    const rotated = await t.http.post(`/api/integrations/${id}/rotate-webhook-secret`).set('authorization', admin);
    expect([rotated.status, rotated.body]).toEqual([200, { webhookSecret: expect.any(String) }]);
    expect(rotated.body.webhookSecret).not.toBe(created.body.webhookSecret);
    for (const path of ['rotate-webhook-secret', 'disconnect']) {
      const res = await t.http.post(`/api/integrations/${id}/${path}`).set('authorization', manager);
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    const gone = await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin);
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ status: 'disconnected', isActive: false });
    expect(gone.body.config.pageAccessToken).toBeUndefined();

    const audit = await t.http
      .get(`/api/audit-log?subAccountId=${sub}&entity=integration&entityId=${id}`)
      .set('authorization', admin);
    expect(audit.status).toBe(200);
    expect((audit.body.items as Array<{ action: string }>).map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'integration.create',
        'integration.test',
        'integration.update',
        'integration.rotate-webhook-secret',
        'integration.disconnect',
      ]),
    );
    for (const secret of [config.appSecret, config.pageAccessToken, 'changed-verify-7788', rotated.body.webhookSecret])
      expect(JSON.stringify(audit.body)).not.toContain(secret);

    expect((await t.http.delete(`/api/integrations/${id}`).set('authorization', manager)).status).toBe(403);
    expect((await t.http.delete(`/api/integrations/${id}`).set('authorization', admin)).status).toBe(204);
    const deleted = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect([deleted.status, deleted.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('plan limits per handler: STARTER 1, PRO 3, MAX unlimited (-1), across templates of one handler; limits route', async () => {
    const { t } = fx;
    const starter = await createSubAccount(t, 'STARTER', 'Starter');
    const pro = await createSubAccount(t, 'PRO', 'Pro');
    const max = await createSubAccount(t, 'MAX', 'Max');
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const admin = `Bearer ${t.token('ADMIN', [starter, pro, max])}`;
    const ghl = await templateId(t, 'gohighlevel');
    let n = 0;
    const create = (sub: number, template: number) =>
      t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template,
          name: `g${++n}`,
          config: { ...GHL_CONFIG, locationId: `loc_l${n}` },
        });
    // another template on the same handler counts against the same limit
    const custom = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: 'ghl-front-desk',
        displayName: 'GoHighLevel (front desk)',
        category: 'CRM',
        handler: 'gohighlevel',
        configSchema: {
          type: 'object',
          required: ['locationId', 'privateIntegrationToken'],
          properties: { locationId: { type: 'string' }, privateIntegrationToken: { type: 'string', 'x-secret': true } },
        },
      });
    expect(custom.status).toBe(201);

    expect((await create(starter, ghl)).status).toBe(201);
    const over = await create(starter, custom.body.id as number);
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ statusCode: 403, code: 'PLAN_LIMIT_REACHED', message: expect.any(String) });
    const meta = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: starter,
        integrationTemplateId: await templateId(t, 'meta-lead-ads'),
        name: 'meta',
        config: { ...META_CONFIG, pageId: '2300002' },
      });
    expect(meta.status).toBe(201); // another provider: its own limit
    for (let i = 0; i < 3; i++)
      expect((await create(pro, i === 1 ? (custom.body.id as number) : ghl)).status).toBe(201);
    expect((await create(pro, ghl)).body.code).toBe('PLAN_LIMIT_REACHED');
    for (let i = 0; i < 5; i++) expect((await create(max, ghl)).status).toBe(201);

    const limits = async (sub: number) =>
      (
        await t.http
          .get(`/api/integrations/limits?subAccountId=${sub}`)
          .set('authorization', `Bearer ${t.token('MANAGER', [sub])}`)
      ).body;
    expect(await limits(starter)).toMatchObject({
      tier: 'STARTER',
      limits: { gohighlevel: { current: 1, limit: 1 }, 'meta-lead-ads': { current: 1, limit: 1 } },
    });
    expect(await limits(pro)).toMatchObject({ tier: 'PRO', limits: { gohighlevel: { current: 3, limit: 3 } } });
    expect(await limits(max)).toMatchObject({ tier: 'MAX', limits: { gohighlevel: { current: 5, limit: -1 } } });
    const foreign = await t.http
      .get(`/api/integrations/limits?subAccountId=${max}`)
      .set('authorization', `Bearer ${t.token('ADMIN', [starter])}`);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('another tenant: 404 NOT_FOUND for every integration route, 403 FORBIDDEN for an explicit subAccountId', async () => {
    const { t } = fx;
    const a = await createSubAccount(t, 'MAX', 'Tenant A');
    const b = await createSubAccount(t, 'MAX', 'Tenant B');
    const adminA = `Bearer ${t.token('ADMIN', [a])}`;
    const adminB = `Bearer ${t.token('ADMIN', [b])}`;
    const ghl = await templateId(t, 'gohighlevel');
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', adminA)
      .send({
        subAccountId: a,
        integrationTemplateId: ghl,
        name: 'G',
        config: { ...GHL_CONFIG, locationId: 'loc_tenant' },
      });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    for (const [method, path] of [
      ['get', `/api/integrations/${id}`],
      ['patch', `/api/integrations/${id}`],
      ['delete', `/api/integrations/${id}`],
      ['post', `/api/integrations/${id}/test`],
      ['post', `/api/integrations/${id}/sync`],
      ['post', `/api/integrations/${id}/disconnect`],
      ['post', `/api/integrations/${id}/rotate-webhook-secret`],
      ['get', `/api/integrations/${id}/health`],
      ['get', `/api/integrations/${id}/events`],
      ['get', `/api/integrations/${id}/sync-runs`],
    ] as const) {
      const req = t.http[method](path).set('authorization', adminB);
      const res = method === 'patch' ? await req.send({ name: 'taken over' }) : await req;
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'NOT_FOUND']);
    }
    const explicit = [
      t.http.get(`/api/integrations?subAccountId=${a}`),
      t.http.get(`/api/integrations/limits?subAccountId=${a}`),
      t.http
        .post('/api/integrations')
        .send({ subAccountId: a, integrationTemplateId: ghl, name: 'G', config: GHL_CONFIG }),
      t.http
        .post('/api/integrations/test-config')
        .send({ subAccountId: a, integrationTemplateId: ghl, config: GHL_CONFIG }),
    ];
    for (const req of explicit) {
      const res = await req.set('authorization', adminB);
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect((await t.http.get('/api/integrations').set('authorization', adminB)).body).toEqual(PAGE([]));
    const agent = `Bearer ${t.token('AGENT', [a])}`;
    for (const path of ['/api/integrations', `/api/integrations/${id}`, '/api/integration-templates']) {
      const res = await t.http.get(path).set('authorization', agent);
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    expect((await t.http.get(`/api/integrations/${id}`).set('authorization', adminA)).status).toBe(200);
  });

  it('conventions: pagination, the error shape, unknown fields, Ajv pointers, ids', async () => {
    const { t } = fx;
    const sub = await createSubAccount(t, 'MAX', 'Conventions');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const ghl = await templateId(t, 'gohighlevel');
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: ghl,
        name: 'G',
        config: { ...GHL_CONFIG, locationId: 'loc_conv' },
      });
    expect(created.status).toBe(201);
    expect(Number.isInteger(created.body.id)).toBe(true);

    const list = await t.http
      .get(`/api/integrations?subAccountId=${sub}&status=pending&templateId=${ghl}`)
      .set('authorization', admin);
    expect(list.body).toEqual(PAGE([expect.objectContaining({ id: created.body.id })]));
    expect(list.body.items[0].webhookSecret).toBeUndefined();
    expect((await t.http.get('/api/integrations?pageSize=200').set('authorization', admin)).body).toMatchObject({
      page: 1,
      pageSize: 200,
      total: 1,
    });
    expect((await t.http.get('/api/integrations?page=3&pageSize=1').set('authorization', admin)).body).toEqual(
      PAGE([], 3, 1, 1),
    );
    for (const query of ['pageSize=201', 'pageSize=0', 'page=0', 'page=abc', 'status=bogus']) {
      const res = await t.http.get(`/api/integrations?${query}`).set('authorization', admin);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }

    const anonymous = await t.http.get('/api/integrations');
    expect(anonymous.body).toEqual({
      statusCode: 401,
      code: 'UNAUTHENTICATED',
      message: expect.any(String),
      details: [],
    });
    const extra = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: ghl, name: 'G', config: GHL_CONFIG, isActive: true });
    expect(extra.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String) });
    const patchExtra = await t.http
      .patch(`/api/integrations/${created.body.id}`)
      .set('authorization', admin)
      .send({ status: 'active' });
    expect([patchExtra.status, patchExtra.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const missing = await t.http.post('/api/integrations').set('authorization', admin).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'subAccountId' }),
        expect.objectContaining({ field: 'config' }),
      ]),
    );

    const invalid = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({ subAccountId: sub, integrationTemplateId: ghl, name: 'G', config: { locationId: 42 } });
    expect(invalid.body).toMatchObject({ statusCode: 400, code: 'CONFIG_SCHEMA_INVALID' });
    expect(invalid.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/locationId' })]));
    const patchInvalid = await t.http
      .patch(`/api/integrations/${created.body.id}`)
      .set('authorization', admin)
      .send({ config: { locationId: 42 } });
    expect([patchInvalid.status, patchInvalid.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);

    expect((await t.http.get('/api/integrations/abc').set('authorization', admin)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/api/integrations/99999999999').set('authorization', admin)).body.code).toBe('NOT_FOUND');
  });

  it('test-config answers like a saved test and stores nothing; MANAGER may test', async () => {
    const { t } = fx;
    const sub = await createSubAccount(t, 'MAX', 'Test before saving');
    const manager = `Bearer ${t.token('MANAGER', [sub])}`;
    const meta = await templateId(t, 'meta-lead-ads');
    const config = { ...META_CONFIG, pageId: '2300003' };
    metaPage(config.pageId);
    const ok = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', manager)
      .send({ subAccountId: sub, integrationTemplateId: meta, config });
    expect([ok.status, ok.body]).toEqual([200, { success: true, message: expect.any(String) }]);
    fx.graph.reset();
    metaRefuses();
    const refused = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', manager)
      .send({ subAccountId: sub, integrationTemplateId: meta, config });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ statusCode: 422, code: 'INVALID_CREDENTIALS', success: false });
    expect(JSON.stringify(refused.body)).not.toContain(config.pageAccessToken);
    const invalid = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', manager)
      .send({ subAccountId: sub, integrationTemplateId: meta, config: { pageId: config.pageId } });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    const stored = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM integrations WHERE sub_account_id = $1',
      [sub],
    );
    expect(stored.rows[0].n).toBe(0);
  });

  it('generic webhook: events page, health counts, replay, the old secret during the grace period, 409 once disconnected', async () => {
    const { t } = fx;
    const sub = await createSubAccount(t, 'MAX', 'Events');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const manager = `Bearer ${t.token('MANAGER', [sub])}`;
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: await templateId(t, 'generic-webhook'),
        name: 'Form',
        config: { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' },
      });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const hook = { webhookUrl: created.body.webhookUrl as string, webhookSecret: created.body.webhookSecret as string };
    expect((await postGeneric(t, hook, { id: 'g0', email: 'a@example.org' })).body.code).toBe('INTEGRATION_NOT_ACTIVE');
    expect((await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin)).status).toBe(200);
    const delivered = await postGeneric(t, hook, { id: 'g1', email: 'a@example.org', name: 'Ana' });
    expect(delivered.body).toEqual({ status: 'received', eventId: expect.any(String) });
    await eventsSettled(t);

    const events = await t.http.get(`/api/integrations/${id}/events`).set('authorization', manager);
    expect(events.body).toEqual(
      PAGE([
        {
          id: delivered.body.eventId,
          provider: 'generic-webhook',
          eventType: expect.any(String),
          status: 'PROCESSED',
          attempts: 1,
          lastError: null,
          receivedAt: expect.any(String),
          processedAt: expect.any(String),
        },
      ]),
    );
    const health = await t.http.get(`/api/integrations/${id}/health`).set('authorization', manager);
    expect(health.body).toMatchObject({
      status: 'active',
      lastWebhookAt: expect.any(String),
      webhooks24h: { received: 1, processed: 1, failed: 0, rejected: 0 },
      pendingJobs: 0,
      rateLimit: { remaining: null, resetAt: null },
    });
    expect((await t.http.get(`/api/integrations/${id}`).set('authorization', manager)).body.stats).toMatchObject({
      totalLeads: 1,
    });
    expect((await t.http.get(`/api/integrations/${id}/sync-runs`).set('authorization', manager)).body).toEqual(
      PAGE([]),
    );

    const replay = await t.http
      .post(`/api/webhook-events/${delivered.body.eventId}/replay`)
      .set('authorization', manager);
    expect(replay.status).toBe(202);
    const other = `Bearer ${t.token('ADMIN', [await createSubAccount(t, 'MAX', 'Other')])}`;
    const foreign = await t.http
      .post(`/api/webhook-events/${delivered.body.eventId}/replay`)
      .set('authorization', other);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
    await eventsSettled(t);

    const rotated = await t.http.post(`/api/integrations/${id}/rotate-webhook-secret`).set('authorization', admin);
    expect((await postGeneric(t, hook, { id: 'g2', email: 'b@example.org' })).status).toBe(200);
    const fresh = { ...hook, webhookSecret: rotated.body.webhookSecret as string };
    expect((await postGeneric(t, fresh, { id: 'g3', email: 'c@example.org' })).status).toBe(200);
    await eventsSettled(t);
    expect((await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin)).status).toBe(200);
    const after = await postGeneric(t, fresh, { id: 'g4', email: 'd@example.org' });
    expect([after.status, after.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
  });

  it('templates: super-admin writes, slug and category rules, Ajv strict schemas, nonConforming, active ones for ADMIN', async () => {
    const { t } = fx;
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const sub = await createSubAccount(t, 'MAX', 'Templates');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const schema = {
      type: 'object',
      required: ['mapping', 'externalIdPointer'],
      properties: {
        mapping: { type: 'object', additionalProperties: { type: 'string' } },
        externalIdPointer: { type: 'string' },
        apiKey: { type: 'string', writeOnly: true },
        contact: { type: 'string', format: 'email' },
      },
    };
    const body = {
      name: 'audit23-form',
      displayName: 'Audit form',
      category: 'Social Media',
      handler: 'generic-webhook',
      configSchema: schema,
    };
    const post = (b: Record<string, unknown>, token = su) =>
      t.http.post('/api/integration-templates').set('authorization', token).send(b);
    const created = await post(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: body.name, category: 'Social Media', isActive: true });
    expect([(await post(body)).status, (await post(body)).body.code]).toEqual([409, 'CONFLICT']);
    expect((await post({ ...body, name: 'audit23-admin' }, admin)).body.code).toBe('FORBIDDEN');
    for (const name of ['a', 'Bad_Name', '-ab', 'a'.repeat(64)])
      expect([name, (await post({ ...body, name })).status]).toEqual([name, 400]);
    for (const name of ['ab', '0ab', 'ab-', 'a'.repeat(63)])
      expect([name, (await post({ ...body, name })).status]).toEqual([name, 201]);
    expect((await post({ ...body, name: 'audit23-c0', category: '' })).status).toBe(400);
    expect((await post({ ...body, name: 'audit23-c65', category: 'x'.repeat(65) })).status).toBe(400);
    expect((await post({ ...body, name: 'audit23-h', handler: 'no-such-handler' })).status).toBe(400);
    for (const configSchema of [
      { type: 'string' },
      { type: 'object', properties: { a: { type: 'strin' } } },
      { type: 'object', properties: { a: { type: 'string', format: 'no-such-format' } } },
      { type: 'object', properties: { a: { unknownKeyword: 1 } } },
    ]) {
      const res = await post({ ...body, name: 'audit23-bad-schema', configSchema });
      expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(res.body.details.length).toBeGreaterThan(0);
    }

    const integration = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: created.body.id,
        name: 'Form',
        config: { mapping: { email: '/email' }, externalIdPointer: '/id', apiKey: 'form-api-key-4321' },
      });
    expect(integration.status).toBe(201);
    expect(integration.body.config.apiKey).toEqual({ secret: true, last4: '4321' });
    const badFormat = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: created.body.id,
        name: 'Form',
        config: { mapping: {}, externalIdPointer: '/id', contact: 'not-an-email' },
      });
    expect(badFormat.body.details).toEqual([expect.objectContaining({ pointer: '/contact' })]);

    const stricter = await t.http
      .patch(`/api/integration-templates/${created.body.id}`)
      .set('authorization', su)
      .send({ configSchema: { ...schema, required: [...schema.required, 'contact'] } });
    expect([stricter.status, stricter.body.nonConforming]).toEqual([200, [integration.body.id]]);
    const inUse = await t.http.delete(`/api/integration-templates/${created.body.id}`).set('authorization', su);
    expect([inUse.status, inUse.body.code]).toEqual([409, 'CONFLICT']);

    const listed = await t.http.get('/api/integration-templates?category=social%20media').set('authorization', admin);
    expect(Object.keys(listed.body).sort()).toEqual(['items', 'page', 'pageSize', 'total']);
    expect((listed.body.items as Array<{ name: string }>).map((i) => i.name)).toEqual(
      expect.arrayContaining(['audit23-form', 'meta-lead-ads']),
    );
    await t.http
      .patch(`/api/integration-templates/${created.body.id}`)
      .set('authorization', su)
      .send({ isActive: false });
    const hidden = await t.http.get('/api/integration-templates?includeInactive=true').set('authorization', admin);
    expect((hidden.body.items as Array<{ name: string }>).map((i) => i.name)).not.toContain('audit23-form');
    const all = await t.http
      .get('/api/integration-templates?includeInactive=true&pageSize=200')
      .set('authorization', su);
    expect((all.body.items as Array<{ name: string }>).map((i) => i.name)).toContain('audit23-form');
    const handlers = await t.http.get('/api/integration-handlers').set('authorization', admin);
    expect(handlers.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: 'gohighlevel',
          displayName: expect.any(String),
          capabilities: expect.any(Array),
          defaultConfigSchema: expect.any(Object),
        }),
      ]),
    );
  });

  it('sub-account settings: timezone (IANA, default UTC) and funnelStages (default four) validated; ADMIN of its own only', async () => {
    const { t } = fx;
    const sub = await createSubAccount(t, 'PRO', 'Settings');
    const other = await createSubAccount(t, 'PRO', 'Not mine');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const patch = (body: Record<string, unknown>, id = sub, token = admin) =>
      t.http.patch(`/api/sub-accounts/${id}`).set('authorization', token).send(body);
    expect((await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', admin)).body).toMatchObject({
      timezone: 'UTC',
      funnelStages: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'],
    });
    const changed = await patch({ timezone: 'America/Sao_Paulo', funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      timezone: 'America/Sao_Paulo',
      funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'],
    });
    for (const body of [
      { timezone: 'Mars/Olympus_Mons' },
      { timezone: '' },
      { funnelStages: ['NEW', 'BOGUS'] },
      { funnelStages: ['NEW', 'NEW'] },
      { funnelStages: ['NEW'] },
      { unknownSetting: true },
    ]) {
      const res = await patch(body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
        JSON.stringify(body),
        400,
        'VALIDATION_FAILED',
      ]);
    }
    const notAnArray = await patch({ funnelStages: 'NEW,CONTACTED' });
    expect([notAnArray.status, notAnArray.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(notAnArray.body.details).toEqual([
      expect.objectContaining({
        field: 'funnelStages',
        messages: expect.arrayContaining(['funnelStages must be an array']),
      }),
    ]);
    expect((await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', admin)).body.timezone).toBe(
      'America/Sao_Paulo',
    );
    expect((await patch({ timezone: 'UTC' }, other)).body.code).toBe('NOT_FOUND');
    expect((await patch({ timezone: 'UTC' }, sub, `Bearer ${t.token('MANAGER', [sub])}`)).body.code).toBe('FORBIDDEN');
    expect((await patch({ tier: 'MAX' })).body.code).toBe('FORBIDDEN');
    const audit = await t.http.get(`/api/audit-log?subAccountId=${sub}&entity=sub-account`).set('authorization', admin);
    expect((audit.body.items as Array<{ action: string }>).map((e) => e.action)).toContain('sub-account.update');
  });
});
