// Part of the integration templates spec (header in integration-templates.e2e-spec.ts): a schema changed while
// integrations use the template (non-conforming ones reported, deletion and secret shifts refused).
import { createIntegration, createSubAccount, META_CONFIG, templateId } from '../support/factories';
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

  beforeAll(async () => {
    fx = await setupIntegrationTemplates();
    ({ t, su } = fx);
  });
  afterAll(() => fx?.close());

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
