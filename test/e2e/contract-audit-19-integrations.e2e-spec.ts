// Audit 19 of API.md's "Integration templates" and "Integrations" (the generic parts: schemas, secrets,
// PATCH semantics, plan limits, audit trail, health, list filters) as the CRM, a super-admin tool and
// another tenant. Probed and found to hold (not pinned again here: earlier specs cover them): Ajv's
// messages in `details` never echo a secret's value, audit rows and logs hold no secret, a masked secret
// sent back keeps its value, null removes an optional secret, three concurrent creates of a STARTER
// sub-account give one 201 and two 403 PLAN_LIMIT_REACHED, list filters refuse bad values (400).
// Failed before its fix:
// - an integration created while a super-admin changed its template's `configSchema` was sealed with the
//   schema read before the change: a field the new schema marks `"x-secret": true` was stored in plaintext
//   (API.md "A property marked x-secret … is encrypted at rest"), and answered `{ secret: true, last4: "" }`
//   because it no longer opened; the template's own check ("no integration holds a value there") had passed,
//   since the integration was not committed yet. The create now holds the template (FOR SHARE) and, when
//   the schema changed since it validated the config, validates and seals again with the current schema; a
//   template change waits for creates under way (FOR UPDATE) before it looks at the integrations;
// - a template change marking a field secret while an integration was being created (its row written, not
//   committed) passed its "no integration holds a value there" check and answered 200, leaving that
//   integration's value in plaintext under a schema that marks it secret; now it waits and answers 409;
// - the same for a config PATCH under way (IntegrationsRepository.mutate now holds the integration's template).
import { Client } from 'pg';
import { createSubAccount } from '../support/factories';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';

/** Waits until `count` statements of the test database wait for a lock (`fragment`: one of them is this one). */
async function waitForLockWaits(sql: Client, count: number, fragment = ''): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`%${fragment}%`],
    );
    if (res.rows[0].n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`fewer than ${count} statements waiting on a lock (${fragment})`);
}

describe('API.md audit 19 (integrations: templates, secrets, limits)', () => {
  let fx: IntegrationsFixture;

  beforeAll(async () => {
    fx = await setupIntegrations();
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

  it('a field the template marks secret while an integration is being created is stored encrypted, not in plaintext', async () => {
    const { t } = fx;
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const sub = await createSubAccount(t, 'MAX', 'Race');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const properties = {
      mapping: { type: 'object', additionalProperties: { type: 'string' } },
      externalIdPointer: { type: 'string' },
      formToken: { type: 'string' },
    };
    const template = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: 'race-form',
        displayName: 'Race form',
        category: 'CRM',
        handler: 'generic-webhook',
        configSchema: { type: 'object', required: ['mapping', 'externalIdPointer'], properties },
      });
    expect(template.status).toBe(201);

    // the sub-account's row held: the create validates its config, then waits for it (the plan limit's lock)
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    let create: Promise<{ status: number; body: Record<string, unknown> }> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM sub_accounts WHERE id = $1 FOR UPDATE', [sub]);
      create = t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'Race',
          config: { mapping: { email: '/email' }, externalIdPointer: '/id', formToken: 'form-token-plain-1234' },
        })
        .then((r) => ({ status: r.status, body: r.body as Record<string, unknown> }));
      await waitForLockWaits(t.sql, 1, 'FROM sub_accounts WHERE id');
      const patched = await t.http
        .patch(`/api/integration-templates/${template.body.id}`)
        .set('authorization', su)
        .send({
          configSchema: {
            type: 'object',
            required: ['mapping', 'externalIdPointer'],
            properties: { ...properties, formToken: { type: 'string', 'x-secret': true } },
          },
        });
      expect(patched.status).toBe(200);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    const created = await create;
    expect(created?.status).toBe(201);
    const id = created?.body.id as number;
    const stored = await t.sql.query<{ config: Record<string, unknown> }>(
      'SELECT config FROM integrations WHERE id = $1',
      [id],
    );
    const shown = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect({
      storedInPlaintext: JSON.stringify(stored.rows[0].config).includes('form-token-plain-1234'),
      shown: (shown.body.config as Record<string, unknown>).formToken,
    }).toEqual({ storedInPlaintext: false, shown: { secret: true, last4: '1234' } });
  });
  it('a template change that marks a field secret waits for a create under way, and then refuses (409) as for a stored one', async () => {
    const { t } = fx;
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const sub = await createSubAccount(t, 'MAX', 'Race 2');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const properties = {
      mapping: { type: 'object', additionalProperties: { type: 'string' } },
      externalIdPointer: { type: 'string' },
      formToken: { type: 'string' },
    };
    const template = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: 'race-form-2',
        displayName: 'Race form 2',
        category: 'CRM',
        handler: 'generic-webhook',
        configSchema: { type: 'object', required: ['mapping', 'externalIdPointer'], properties },
      });
    expect(template.status).toBe(201);

    // audit rows held: the create waits at its audit row, its integration written but not committed
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    let create: Promise<number> | undefined;
    let patch: Promise<{ status: number; code: unknown }> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE audit_logs IN SHARE MODE');
      create = t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'Race 2',
          config: { mapping: { email: '/email' }, externalIdPointer: '/id', formToken: 'form-token-plain-5678' },
        })
        .then((r) => r.status);
      await waitForLockWaits(t.sql, 1, 'audit_logs');
      patch = t.http
        .patch(`/api/integration-templates/${template.body.id}`)
        .set('authorization', su)
        .send({
          configSchema: {
            type: 'object',
            required: ['mapping', 'externalIdPointer'],
            properties: { ...properties, formToken: { type: 'string', 'x-secret': true } },
          },
        })
        .then((r) => ({ status: r.status, code: r.body.code }));
      await waitForLockWaits(t.sql, 2);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await create).toBe(201);
    expect(await patch).toEqual({ status: 409, code: 'CONFLICT' });
    const stored = await t.sql.query<{ config: Record<string, unknown> }>(
      'SELECT config FROM integrations WHERE template_id = $1',
      [template.body.id],
    );
    const schema = await t.sql.query<{ secret: boolean }>(
      `SELECT (config_schema #> '{properties,formToken}') ? 'x-secret' AS secret FROM integration_templates WHERE id = $1`,
      [template.body.id],
    );
    expect({ value: stored.rows[0].config.formToken, markedSecret: schema.rows[0].secret }).toEqual({
      value: 'form-token-plain-5678',
      markedSecret: false,
    });
  });
  it('a template change that marks a field secret waits for a config PATCH under way, and then refuses (409)', async () => {
    const { t } = fx;
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const sub = await createSubAccount(t, 'MAX', 'Race 3');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const properties = {
      mapping: { type: 'object', additionalProperties: { type: 'string' } },
      externalIdPointer: { type: 'string' },
      formToken: { type: 'string' },
    };
    const template = await t.http
      .post('/api/integration-templates')
      .set('authorization', su)
      .send({
        name: 'race-form-3',
        displayName: 'Race form 3',
        category: 'CRM',
        handler: 'generic-webhook',
        configSchema: { type: 'object', required: ['mapping', 'externalIdPointer'], properties },
      });
    expect(template.status).toBe(201);
    const integration = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: template.body.id,
        name: 'Race 3',
        config: { mapping: { email: '/email' }, externalIdPointer: '/id' },
      });
    expect(integration.status).toBe(201);

    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    let change: Promise<number> | undefined;
    let patch: Promise<{ status: number; code: unknown }> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE audit_logs IN SHARE MODE');
      change = t.http
        .patch(`/api/integrations/${integration.body.id}`)
        .set('authorization', admin)
        .send({ config: { formToken: 'form-token-plain-9012' } })
        .then((r) => r.status);
      await waitForLockWaits(t.sql, 1, 'audit_logs');
      patch = t.http
        .patch(`/api/integration-templates/${template.body.id}`)
        .set('authorization', su)
        .send({
          configSchema: {
            type: 'object',
            required: ['mapping', 'externalIdPointer'],
            properties: { ...properties, formToken: { type: 'string', 'x-secret': true } },
          },
        })
        .then((r) => ({ status: r.status, code: r.body.code }));
      await waitForLockWaits(t.sql, 2);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await change).toBe(200);
    expect(await patch).toEqual({ status: 409, code: 'CONFLICT' });
    const shown = await t.http.get(`/api/integrations/${integration.body.id}`).set('authorization', admin);
    expect(shown.body.config.formToken).toBe('form-token-plain-9012');
  });
});
