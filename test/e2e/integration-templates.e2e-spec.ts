import { ALL_HANDLERS } from '../../src/handlers/providers';
import { createIntegration, createSubAccount, META_CONFIG, templateId } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

/** Every registered handler: one per provider folder of src/handlers (the registry is the only list). */
const HANDLERS = ALL_HANDLERS.map((Handler) => new Handler().key);

const formSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mapping', 'externalIdPointer'],
  properties: {
    mapping: { type: 'object', additionalProperties: { type: 'string' } },
    externalIdPointer: { type: 'string' },
    formUrl: { type: 'string', format: 'uri' },
  },
};

describe('integration templates (super-admins define them)', () => {
  let t: TestApp;
  let su: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    su = `Bearer ${t.token('SUPER_ADMIN')}`;
    admin = `Bearer ${t.token('ADMIN', [1])}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists every registered handler with capabilities and a default schema marking secrets', async () => {
    const res = await t.http.get('/api/integration-handlers').set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body.map((h: { key: string }) => h.key).sort()).toEqual([...HANDLERS].sort());
    expect(HANDLERS).toEqual(
      expect.arrayContaining(['meta-lead-ads', 'gohighlevel', 'whatsapp-cloud', 'generic-webhook']),
    );
    const meta = res.body.find((h: { key: string }) => h.key === 'meta-lead-ads');
    expect(meta.capabilities).toEqual(expect.arrayContaining(['webhook', 'test']));
    expect(Object.keys(meta.defaultConfigSchema.properties)).toEqual(
      expect.arrayContaining(['pageId', 'appSecret', 'pageAccessToken', 'verifyToken']),
    );
    expect(meta.defaultConfigSchema.properties.appSecret['x-secret']).toBe(true);
    expect(meta.defaultConfigSchema.properties.pageId['x-secret']).toBeUndefined();
  });

  it('seeds one standard template per handler, idempotently', async () => {
    const res = await t.http.get('/api/integration-templates?pageSize=200').set('authorization', su);
    expect(res.body.items.map((x: { handler: string }) => x.handler).sort()).toEqual([...HANDLERS].sort());
    const { SeedService } = await import('../../src/seed/seed.service');
    expect(await t.app.get(SeedService).run('test')).toEqual([]);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM integration_templates')).rows[0].n).toBe(HANDLERS.length);
  });

  it('creates a template on an existing handler with no code, and refuses duplicates and unknown handlers', async () => {
    const created = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'tally-forms',
      displayName: 'Tally forms',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({
        id: expect.any(Number),
        name: 'tally-forms',
        handler: 'generic-webhook',
        isActive: true,
        version: 1,
      }),
    );

    const dup = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'tally-forms',
      displayName: 'x',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONFLICT');

    const unknown = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'nope',
      displayName: 'x',
      category: 'forms',
      handler: 'no-such-handler',
      configSchema: formSchema,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['a schema that does not compile', { type: 'object', properties: { a: { type: 'strin' } } }],
    ['an unknown keyword (strict mode)', { type: 'object', properties: { a: { type: 'string', colour: 'red' } } }],
    ['a non-object schema', { type: 'string' }],
    ['an object schema whose properties are not an object', { type: 'object', properties: ['a'] }],
    ['a secret that is not a string', { type: 'object', properties: { pin: { type: 'integer', 'x-secret': true } } }],
    ['an unknown format', { type: 'object', properties: { a: { type: 'string', format: 'colour' } } }],
  ])('refuses %s with 400 CONFIG_SCHEMA_INVALID and Ajv messages', async (_case, configSchema) => {
    const res = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: `bad-${Math.random().toString(36).slice(2, 8)}`,
        displayName: 'x',
        category: 'forms',
        handler: 'generic-webhook',
        configSchema,
      });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(res.body.details.length).toBeGreaterThan(0);
    expect(typeof res.body.details[0]).toBe('string');
  });

  // API.md: configSchema must compile and "be an object schema"; `{ "type": "object" }` is one (a free-form
  // config, or one described by additionalProperties alone), and was refused for lacking `properties`
  it.each([
    ['{ type: object }', { type: 'object' }],
    ['additionalProperties alone', { type: 'object', additionalProperties: { type: 'string' } }],
  ])('accepts an object schema without properties: %s', async (_case, configSchema) => {
    const res = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: `free-${Math.random().toString(36).slice(2, 8)}`,
        displayName: 'Free form',
        category: 'forms',
        handler: 'generic-webhook',
        configSchema,
      });
    expect([res.status, res.body.configSchema]).toEqual([201, configSchema]);
  });

  it("refuses a schema that declares one of its handler's secrets without marking it (it would be stored in plaintext)", async () => {
    const create = (name: string, configSchema: unknown) =>
      t.http
        .post('/api/integration-templates')
        .set('authorization', su)
        .send({ name, displayName: name, category: 'Advertising', handler: 'meta-lead-ads', configSchema });
    const secret = { type: 'string', 'x-secret': true };
    const properties = { pageId: { type: 'string' }, appSecret: secret, pageAccessToken: secret, verifyToken: secret };
    const hint = 'is a secret of the meta-lead-ads handler: mark it "x-secret": true';

    // Meta's app secret as a plain string: every admin's secret would be shown in GET /api/integrations
    const plain = await create('meta-plain-secret', {
      type: 'object',
      properties: { ...properties, appSecret: { type: 'string' }, verifyToken: { type: 'string', minLength: 8 } },
    });
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({
      code: 'CONFIG_SCHEMA_INVALID',
      message: `configSchema is invalid: /appSecret ${hint}`,
      details: [`/appSecret ${hint}`, `/verifyToken ${hint}`],
    });

    // marked ("x-secret" or "writeOnly"), or not declared: created
    expect((await create('meta-marked', { type: 'object', properties })).status).toBe(201);
    const fewer = await create('meta-fewer', {
      type: 'object',
      properties: { pageId: { type: 'string' }, appSecret: { type: 'string', writeOnly: true } },
    });
    expect(fewer.status).toBe(201);

    // and a change may not unmark one
    const unmark = await t.http
      .patch(`/api/integration-templates/${fewer.body.id}`)
      .set('authorization', su)
      .send({
        configSchema: { type: 'object', properties: { pageId: { type: 'string' }, appSecret: { type: 'string' } } },
      });
    expect([unmark.status, unmark.body.details]).toEqual([400, [`/appSecret ${hint}`]]);
  });

  // a loose template (`{ "type": "object" }`, or one that leaves a secret field out and accepts extra
  // properties) was created and used: the app secret an admin typed in was stored and shown in plaintext
  it('refuses a handler secret a loose template does not mark, on create, test-config and change, naming the field', async () => {
    const loose = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: 'meta-loose',
        displayName: 'Meta (loose)',
        category: 'Advertising',
        handler: 'meta-lead-ads',
        configSchema: { type: 'object', properties: { pageId: { type: 'string' } } },
      });
    expect(loose.status).toBe(201);
    const sub = await createSubAccount(t, 'MAX');
    const hint =
      'is a secret of the meta-lead-ads handler, but this template does not mark it secret ("x-secret"), so it would be stored in plaintext: ask a super-admin to mark it in the template (or send null to remove a stored value)';
    const body = { subAccountId: sub, integrationTemplateId: loose.body.id, name: 'loose', config: META_CONFIG };

    const created = await t.http.post('/api/integrations').set('authorization', su).send(body);
    expect(created.status).toBe(400);
    expect(created.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect(created.body.details).toEqual([
      { pointer: '/appSecret', message: hint },
      { pointer: '/pageAccessToken', message: hint },
      { pointer: '/verifyToken', message: hint },
    ]);
    expect(JSON.stringify(created.body)).not.toContain(META_CONFIG.appSecret);
    const tested = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', su)
      .send({ subAccountId: sub, integrationTemplateId: loose.body.id, config: META_CONFIG });
    expect([tested.status, tested.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM integrations WHERE name = $1', ['loose'])).rows[0].n,
    ).toBe(0);

    // an integration stored before this check holds one in plaintext: a config change must remove it
    const plainOnly = await t.http
      .post('/api/integrations')
      .set('authorization', su)
      .send({ ...body, config: { pageId: META_CONFIG.pageId } });
    expect(plainOnly.status).toBe(201);
    await t.sql.query(`UPDATE integrations SET config = config || '{"appSecret":"old-plain-secret"}' WHERE id = $1`, [
      plainOnly.body.id,
    ]);
    // never shown: masked with nothing of it, in the integration and in its audit trail
    const shown = await t.http.get(`/api/integrations/${plainOnly.body.id}`).set('authorization', su);
    expect(shown.body.config).toEqual({ pageId: META_CONFIG.pageId, appSecret: { secret: true, last4: '' } });
    const patch = (config: Record<string, unknown>) =>
      t.http.patch(`/api/integrations/${plainOnly.body.id}`).set('authorization', su).send({ config });
    const kept = await patch({ pageId: '555000111' });
    expect([kept.status, kept.body.details]).toEqual([400, [{ pointer: '/appSecret', message: hint }]]);
    const removed = await patch({ pageId: '555000111', appSecret: null });
    expect(removed.status).toBe(200);
    expect(removed.body.config).toEqual({ pageId: '555000111' });
    const trail = await t.http
      .get(`/api/audit-log?entity=integration&entityId=${plainOnly.body.id}&pageSize=200`)
      .set('authorization', su);
    expect(trail.status).toBe(200);
    expect(trail.body.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(trail.body)).not.toContain('old-plain-secret');
  });

  it('validates slugs and unknown fields', async () => {
    const res = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'Not A Slug',
      displayName: 'x',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
      colour: 'red',
    });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['colour', 'name']);
  });

  // Ajv compiles "$async": true into a validator that returns a promise: read as valid, every config passed
  // the schema, and its rejection went unhandled
  it('refuses an asynchronous schema ("$async": true) 400 CONFIG_SCHEMA_INVALID, on create and on change', async () => {
    const asyncSchema = { ...formSchema, $async: true };
    const created = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'async-schema',
      displayName: 'Async',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: asyncSchema,
    });
    expect([created.status, created.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    expect(created.body.details).toEqual([expect.stringContaining('$async')]);
    const plain = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'async-schema',
      displayName: 'Async',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect(plain.status).toBe(201);
    const changed = await t.http
      .patch(`/api/integration-templates/${plain.body.id}`)
      .set('authorization', su)
      .send({ configSchema: asyncSchema });
    expect([changed.status, changed.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
  });

  // API.md: a bad request is 400 VALIDATION_FAILED; null for a field that cannot be null was a 500 (NOT NULL violation)
  it('answers null for a field that cannot be null 400 VALIDATION_FAILED; null clears an optional text', async () => {
    const created = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'nullable-fields',
      displayName: 'Nullable fields',
      description: 'to be cleared',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect(created.status).toBe(201);
    for (const field of ['name', 'displayName', 'category', 'handler', 'configSchema', 'isActive']) {
      const res = await t.http
        .patch(`/api/integration-templates/${created.body.id}`)
        .set('authorization', su)
        .send({ [field]: null });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    }
    const posted = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'null-active',
      displayName: 'x',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
      isActive: null,
    });
    expect(posted.status).toBe(400);
    expect(posted.body.details.map((d: { field: string }) => d.field)).toEqual(['isActive']);
    const cleared = await t.http
      .patch(`/api/integration-templates/${created.body.id}`)
      .set('authorization', su)
      .send({ description: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.description).toBeNull();
  });

  it('takes category as a display label and filters it case-insensitively (issue 10 point 10)', async () => {
    const create = (name: string, category: unknown) =>
      t.http
        .post('/api/integration-templates')
        .set('authorization', su)
        .send({ name, displayName: name, category, handler: 'generic-webhook', configSchema: formSchema });
    const social = await create('social-leads-form', 'Social Media');
    expect(social.status).toBe(201);
    expect(social.body.category).toBe('Social Media');
    expect((await create('survey-relay', 'Forms & Surveys')).status).toBe(201);
    for (const bad of ['', ' CRM', 'CRM ', 'x'.repeat(65), 7]) {
      const res = await create(`bad-category-${Math.random().toString(36).slice(2, 8)}`, bad);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['category']);
    }
    const byLabel = async (category: string) =>
      (
        await t.http
          .get(`/api/integration-templates?category=${encodeURIComponent(category)}&pageSize=200`)
          .set('authorization', admin)
      ).body.items.map((x: { name: string }) => x.name);
    expect(await byLabel('social media')).toEqual(expect.arrayContaining(['social-leads-form', 'meta-lead-ads']));
    expect(await byLabel('SOCIAL MEDIA')).toEqual(await byLabel('Social Media'));
    expect(await byLabel('crm')).toEqual(['gohighlevel']);
    expect(await byLabel('forms & surveys')).toEqual(['survey-relay']);
    // an exact label, not a prefix or a pattern
    expect(await byLabel('Social')).toEqual([]);
    expect(await byLabel('%')).toEqual([]);
    expect(await byLabel('_RM')).toEqual([]);
    expect((await create('percent-label', '100% leads')).status).toBe(201);
    expect(await byLabel('100% LEADS')).toEqual(['percent-label']);
    // the seeded standard templates carry the CRM's labels
    const seeded = await t.sql.query<{ name: string; category: string }>(
      "SELECT name, category FROM integration_templates WHERE name IN ('gohighlevel','whatsapp-cloud','google-analytics','facebook-ads') ORDER BY name",
    );
    expect(seeded.rows).toEqual([
      { name: 'facebook-ads', category: 'Advertising' },
      { name: 'gohighlevel', category: 'CRM' },
      { name: 'google-analytics', category: 'Analytics' },
      { name: 'whatsapp-cloud', category: 'Messaging' },
    ]);
  });

  it('lets only super-admins write, hides inactive templates from others, and forbids agents', async () => {
    const created = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'inactive-one',
      displayName: 'Inactive',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
      isActive: false,
    });
    const id = created.body.id as number;
    for (const role of ['ADMIN', 'MANAGER', 'AGENT'] as const) {
      const token = `Bearer ${t.token(role, [1])}`;
      expect((await t.http.post('/api/integration-templates').set('authorization', token).send({})).status).toBe(403);
      expect(
        (await t.http.patch(`/api/integration-templates/${id}`).set('authorization', token).send({ isActive: true }))
          .status,
      ).toBe(403);
      expect((await t.http.delete(`/api/integration-templates/${id}`).set('authorization', token)).status).toBe(403);
    }
    expect(
      (await t.http.get('/api/integration-templates').set('authorization', `Bearer ${t.token('AGENT', [1])}`)).status,
    ).toBe(403);
    const asAdmin = await t.http
      .get('/api/integration-templates?includeInactive=true&pageSize=200')
      .set('authorization', admin);
    expect(asAdmin.body.items.some((x: { id: number }) => x.id === id)).toBe(false);
    expect((await t.http.get(`/api/integration-templates/${id}`).set('authorization', admin)).status).toBe(404);
    const asSu = await t.http
      .get('/api/integration-templates?includeInactive=true&pageSize=200')
      .set('authorization', su);
    expect(asSu.body.items.some((x: { id: number }) => x.id === id)).toBe(true);
    const hidden = await t.http
      .get('/api/integration-templates?includeInactive=false&pageSize=200')
      .set('authorization', su);
    expect(hidden.body.items.some((x: { id: number }) => x.id === id)).toBe(false);
    // a value that is not a boolean is a bad request, not a silent "false" (an empty one is no value: contract-audit)
    for (const bad of ['1', 'yes', 'TRUE']) {
      const res = await t.http.get(`/api/integration-templates?includeInactive=${bad}`).set('authorization', su);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    const byCategory = await t.http.get('/api/integration-templates?category=crm').set('authorization', admin);
    expect(byCategory.body.items.map((x: { handler: string }) => x.handler)).toEqual(['gohighlevel']);
  });

  it('reports integrations that no longer conform when the schema changes, and refuses to delete a template in use', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const metaTemplate = await templateId(t, 'meta-lead-ads');
    const a = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const b = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '123' });
    const current = await t.http.get(`/api/integration-templates/${metaTemplate}`).set('authorization', su);
    const stricter = structuredClone(current.body.configSchema);
    stricter.properties.pageId.pattern = '^[0-9]{6,}$';
    stricter.properties.appSecret.minLength = 30; // only checkable on the decrypted value
    const res = await t.http
      .patch(`/api/integration-templates/${metaTemplate}`)
      .set('authorization', su)
      .send({ configSchema: stricter });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(current.body.version + 1);
    expect(res.body.nonConforming).toEqual([a.id, b.id]);

    stricter.properties.appSecret.minLength = 10;
    const relaxed = await t.http
      .patch(`/api/integration-templates/${metaTemplate}`)
      .set('authorization', su)
      .send({ configSchema: stricter });
    expect(relaxed.body.nonConforming).toEqual([b.id]);

    const del = await t.http.delete(`/api/integration-templates/${metaTemplate}`).set('authorization', su);
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('CONFLICT');
    const unused = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'to-delete',
      displayName: 'x',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect((await t.http.delete(`/api/integration-templates/${unused.body.id}`).set('authorization', su)).status).toBe(
      204,
    );
    expect((await t.http.get(`/api/integration-templates/${unused.body.id}`).set('authorization', su)).status).toBe(
      404,
    );
    const audit = await t.sql.query(
      "SELECT action FROM audit_logs WHERE entity = 'integration-template' AND entity_id = $1 ORDER BY id",
      [String(unused.body.id)],
    );
    expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(['template.create', 'template.delete']);
  });

  it('refuses (409) a schema that changes which fields are secret while integrations hold values there', async () => {
    const secretSchema: {
      type: string;
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    } = {
      type: 'object',
      additionalProperties: false,
      required: ['mapping', 'externalIdPointer'],
      properties: {
        mapping: { type: 'object', additionalProperties: { type: 'string' } },
        externalIdPointer: { type: 'string' },
        sharedToken: { type: 'string', 'x-secret': true },
        apiKey: { type: 'string' },
      },
    };
    const created = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'secret-shift',
      displayName: 'Secret shift',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: secretSchema,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const sub = await createSubAccount(t, 'MAX');
    const integration = await t.http
      .post('/api/integrations')
      .set('authorization', su)
      .send({
        subAccountId: sub,
        integrationTemplateId: id,
        name: 'holds values',
        config: {
          mapping: { email: '/email' },
          externalIdPointer: '/id',
          sharedToken: 'whsec-value-123456',
          apiKey: 'key-plain-1234',
        },
      });
    expect(integration.status).toBe(201);
    const patch = (configSchema: unknown) =>
      t.http.patch(`/api/integration-templates/${id}`).set('authorization', su).send({ configSchema });

    // a secret that would stop being one: its sealed value would be shown as the value
    const unmarked = structuredClone(secretSchema);
    unmarked.properties.sharedToken = { type: 'string' };
    const r1 = await patch(unmarked);
    expect(r1.status).toBe(409);
    expect(r1.body).toMatchObject({
      code: 'CONFLICT',
      details: [{ pointer: '/sharedToken', change: 'is no longer secret', integrations: [integration.body.id] }],
    });
    // a plain value that would become secret: stored in plaintext, dropped by the next PATCH
    const marked = structuredClone(secretSchema);
    marked.properties.apiKey = { type: 'string', 'x-secret': true };
    const r2 = await patch(marked);
    expect(r2.status).toBe(409);
    expect(r2.body.details).toEqual([
      { pointer: '/apiKey', change: 'becomes secret', integrations: [integration.body.id] },
    ]);
    // a secret removed from the schema altogether: nothing would open it again
    const removed = structuredClone(secretSchema);
    delete removed.properties.sharedToken;
    expect((await patch(removed)).status).toBe(409);

    // nothing changed, and the integration still shows its secret masked and its plain value
    const stored = await t.http.get(`/api/integrations/${integration.body.id}`).set('authorization', su);
    expect(stored.body.config).toMatchObject({
      sharedToken: { secret: true, last4: '3456' },
      apiKey: 'key-plain-1234',
    });
    expect((await t.http.get(`/api/integration-templates/${id}`).set('authorization', su)).body.version).toBe(
      created.body.version,
    );

    // a new secret field no integration holds is free to add; with the integration gone, so is the rest
    const added = structuredClone(secretSchema);
    added.properties.webhookToken = { type: 'string', 'x-secret': true };
    expect((await patch(added)).status).toBe(200);
    expect((await t.http.delete(`/api/integrations/${integration.body.id}`).set('authorization', su)).status).toBe(204);
    expect((await patch(unmarked)).status).toBe(200);
  });
});
