// Integration templates: the registered handlers, the seeded templates, creating one and the schemas (and handler
// secrets) it takes. Fields, categories and who may write are in integration-templates-fields.e2e-spec.ts, schema
// changes while integrations use a template in integration-templates-changes.e2e-spec.ts; the shared setup in
// test/support/integration-templates-setup.ts.
import { ALL_HANDLERS } from '../../src/handlers/providers';
import { createSubAccount, META_CONFIG } from '../support/factories';
import { TestApp } from '../support/test-app';
import {
  formSchema,
  IntegrationTemplatesFixture,
  setupIntegrationTemplates,
} from '../support/integration-templates-setup';

/** Every registered handler: one per provider folder of src/handlers (the registry is the only list). */
const HANDLERS = ALL_HANDLERS.map((Handler) => new Handler().key);

describe('integration templates (super-admins define them)', () => {
  let fx: IntegrationTemplatesFixture;
  let t: TestApp;
  let su: string;
  let admin: string;

  beforeAll(async () => {
    fx = await setupIntegrationTemplates();
    ({ t, su, admin } = fx);
  });
  afterAll(() => fx?.close());

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
});
