// Part of the integration templates spec (header in integration-templates.e2e-spec.ts): slugs and unknown fields,
// asynchronous schemas, null fields, categories, and who may write or see a template.
import { TestApp } from '../support/test-app';
import {
  formSchema,
  IntegrationTemplatesFixture,
  setupIntegrationTemplates,
} from '../support/integration-templates-setup';

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

  it('refuses a blank displayName on create and on change, as integration and sub-account names are', async () => {
    const res = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'blank-display-name',
      displayName: '   ',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['displayName']);
    const made = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'named-display-name',
      displayName: 'Named',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: formSchema,
    });
    expect(made.status).toBe(201);
    const patch = await t.http
      .patch(`/api/integration-templates/${made.body.id}`)
      .set('authorization', su)
      .send({ displayName: '\t \n' });
    expect([patch.status, patch.body.code]).toEqual([400, 'VALIDATION_FAILED']);
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
});
