// The contract-core probe's "Integration templates" and "Integrations" sections; the other sections are in
// contract-core-*.e2e-spec.ts (conventions first), the shared setup in test/support/contract-core-setup.ts.
import {
  createIntegration,
  GHL_CONFIG,
  INTEGRATION_REPRESENTATION,
  META_CONFIG,
  templateId,
} from '../support/factories';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { deliverAndSync, setupContractCore } from '../support/contract-core-setup';

const formSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mapping', 'externalIdPointer'],
  properties: {
    mapping: { type: 'object', additionalProperties: { type: 'string' } },
    externalIdPointer: { type: 'string' },
  },
};

describe('API.md contract probe: conventions, roles, templates, integrations, webhooks, leads', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let su: string;
  let admin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const fx = await setupContractCore();
    ({ t, sub, other, ghlId, metaId, su, admin, close } = fx);
    // the list shapes below read a webhook event and a sync run, which the Conventions section made first
    await deliverAndSync(fx);
  });
  afterAll(() => close());

  describe('Integration templates', () => {
    const create = (body: Record<string, unknown>) =>
      t.http
        .post('/api/integration-templates')
        .set('authorization', su)
        .send({ displayName: 'x', category: 'Forms', handler: 'generic-webhook', configSchema: formSchema, ...body });

    it('takes a name matching ^[a-z0-9][a-z0-9-]{1,62}$ only (2 to 63 characters)', async () => {
      for (const name of ['ab', '0-', `a${'b'.repeat(62)}`]) {
        const res = await create({ name });
        expect([name, res.status]).toEqual([name, 201]);
      }
      for (const name of ['a', '-ab', `a${'b'.repeat(63)}`, 'Ab', 'a_b', 'a.b']) {
        const res = await create({ name });
        expect([name, res.status, res.body.code]).toEqual([name, 400, 'VALIDATION_FAILED']);
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['name']);
      }
    });

    it('stores every optional field of a create and answers 201 with them', async () => {
      const res = await create({
        name: 'all-fields',
        description: 'Every field',
        icon: 'https://cdn.example.com/icon.svg',
        setupInstructions: 'Paste the key',
        apiVersion: 'v2',
        isActive: false,
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        expect.objectContaining({
          id: expect.any(Number),
          name: 'all-fields',
          displayName: 'x',
          description: 'Every field',
          category: 'Forms',
          icon: 'https://cdn.example.com/icon.svg',
          handler: 'generic-webhook',
          configSchema: formSchema,
          setupInstructions: 'Paste the key',
          apiVersion: 'v2',
          isActive: false,
        }),
      );
    });

    it('answers 409 CONFLICT when a PATCH renames a template onto an existing name, 400 for an unknown handler', async () => {
      const a = await create({ name: 'rename-a' });
      const res = await t.http
        .patch(`/api/integration-templates/${a.body.id}`)
        .set('authorization', su)
        .send({ name: 'rename-b-missing' });
      expect(res.status).toBe(200);
      await create({ name: 'rename-b' });
      const dup = await t.http
        .patch(`/api/integration-templates/${a.body.id}`)
        .set('authorization', su)
        .send({ name: 'rename-b' });
      expect([dup.status, dup.body.code]).toEqual([409, 'CONFLICT']);
      const handler = await t.http
        .patch(`/api/integration-templates/${a.body.id}`)
        .set('authorization', su)
        .send({ handler: 'no-such-handler' });
      expect(handler.status).toBe(400);
      const schema = await t.http
        .patch(`/api/integration-templates/${a.body.id}`)
        .set('authorization', su)
        .send({ configSchema: { type: 'string' } });
      expect([schema.status, schema.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    });

    it('answers 404 for a template that does not exist (GET, PATCH, DELETE)', async () => {
      for (const [method, body] of [
        ['get', undefined],
        ['patch', { displayName: 'x' }],
        ['delete', undefined],
      ] as const) {
        const req = t.http[method]('/api/integration-templates/987654').set('authorization', su);
        const res = await (body === undefined ? req : req.send(body));
        expect([method, res.status, res.body.code]).toEqual([method, 404, 'NOT_FOUND']);
      }
    });

    it('treats "writeOnly": true like "x-secret": encrypted at rest, never returned', async () => {
      const schema = {
        type: 'object',
        additionalProperties: false,
        required: ['mapping', 'externalIdPointer'],
        properties: {
          mapping: { type: 'object', additionalProperties: { type: 'string' } },
          externalIdPointer: { type: 'string' },
          apiKey: { type: 'string', writeOnly: true },
        },
      };
      const template = await create({ name: 'write-only-key', configSchema: schema });
      expect(template.status).toBe(201);
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'write only',
          config: { mapping: { email: '/email' }, externalIdPointer: '/id', apiKey: 'wo-secret-value-9876' },
        });
      expect(created.status).toBe(201);
      expect(created.body.config.apiKey).toEqual({ secret: true, last4: '9876' });
      const read = await t.http.get(`/api/integrations/${created.body.id}`).set('authorization', admin);
      expect(read.body.config.apiKey).toEqual({ secret: true, last4: '9876' });
      const stored = await t.sql.query('SELECT config::text AS c FROM integrations WHERE id = $1', [created.body.id]);
      expect(stored.rows[0].c).not.toContain('wo-secret-value-9876');
    });

    it('supports the formats of ajv-formats in a configSchema, and checks configs against them', async () => {
      const schema = {
        ...formSchema,
        properties: {
          ...formSchema.properties,
          notify: { type: 'string', format: 'email' },
          since: { type: 'string', format: 'date-time' },
          site: { type: 'string', format: 'uri' },
        },
      };
      const template = await create({ name: 'with-formats', configSchema: schema });
      expect(template.status).toBe(201);
      const base = { mapping: { email: '/email' }, externalIdPointer: '/id' };
      const bad = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'bad formats',
          config: { ...base, notify: 'not-an-email', since: 'yesterday', site: 'no uri' },
        });
      expect([bad.status, bad.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(bad.body.details.map((d: { pointer: string }) => d.pointer).sort()).toEqual([
        '/notify',
        '/since',
        '/site',
      ]);
      const ok = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'good formats',
          config: { ...base, notify: 'ops@example.com', since: '2026-12-01T00:00:00Z', site: 'https://example.com' },
        });
      expect(ok.status).toBe(201);
    });

    it('lists handlers as [{ key, displayName, capabilities, defaultConfigSchema }] with capabilities from the four', async () => {
      const res = await t.http.get('/api/integration-handlers').set('authorization', admin);
      expect(res.status).toBe(200);
      for (const handler of res.body as Array<Record<string, unknown>>) {
        expect(handler).toEqual(
          expect.objectContaining({
            key: expect.any(String),
            displayName: expect.any(String),
            capabilities: expect.any(Array),
            defaultConfigSchema: expect.objectContaining({ type: 'object' }),
          }),
        );
        for (const c of handler.capabilities as string[]) expect(['webhook', 'sync', 'test', 'send']).toContain(c);
      }
    });
  });

  describe('Integrations', () => {
    it('represents an integration with every field API.md names', async () => {
      const res = await t.http.get(`/api/integrations/${ghlId}`).set('authorization', admin);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(expect.arrayContaining(INTEGRATION_REPRESENTATION));
      expect(Object.keys(res.body.template).sort()).toEqual(['category', 'displayName', 'handler', 'name']);
      expect(Object.keys(res.body.stats).sort()).toEqual(['lastSyncStatus', 'leadsToday', 'totalLeads']);
      expect(res.body.createdBy).toBe('dev-admin');
      expect(res.body.webhookSecret).toBeUndefined();
    });

    it('filters the list by status and templateId', async () => {
      const ghlTemplate = await templateId(t, 'gohighlevel');
      const byTemplate = await t.http
        .get(`/api/integrations?subAccountId=${sub}&templateId=${ghlTemplate}`)
        .set('authorization', admin);
      expect(byTemplate.body.items.map((i: { id: number }) => i.id)).toEqual([ghlId]);
      const active = await t.http
        .get(`/api/integrations?subAccountId=${sub}&status=active`)
        .set('authorization', admin);
      expect(active.body.items.map((i: { id: number }) => i.id)).toEqual([metaId]);
      expect(active.body.total).toBe(1);
      const pending = await t.http
        .get(`/api/integrations?subAccountId=${sub}&status=pending`)
        .set('authorization', admin);
      expect(pending.body.items.every((i: { status: string }) => i.status === 'pending')).toBe(true);
      expect(pending.body.items.map((i: { id: number }) => i.id)).toContain(ghlId);
    });

    it('answers a test 200 { success: true, message } and activates a pending integration', async () => {
      const created = await createIntegration(t, sub, 'gohighlevel', {
        ...GHL_CONFIG,
        locationId: GHL_CONFIG.locationId,
      });
      const res = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
      expect([res.status, Object.keys(res.body).sort()]).toEqual([200, ['message', 'success']]);
      expect(res.body.success).toBe(true);
      const after = await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin);
      expect(after.body).toMatchObject({ status: 'active', isActive: true });
      // switched off and on again once it has passed a test
      const off = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ isActive: false });
      expect([off.status, off.body.isActive]).toEqual([200, false]);
      const on = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ isActive: true });
      expect([on.status, on.body.isActive]).toEqual([200, true]);
      expect((await t.http.delete(`/api/integrations/${created.id}`).set('authorization', admin)).status).toBe(204);
    });

    // API.md "Conventions": every error body of a failed connection test also carries success: false. A body
    // Fastify refuses before the route runs (malformed JSON, wrong content type, too large) answered without it
    it('carries success: false on a connection test refused for its body (400, 415, 413) or its caller (401, 403)', async () => {
      const metaTemplate = await templateId(t, 'meta-lead-ads');
      const huge = JSON.stringify({
        subAccountId: sub,
        integrationTemplateId: metaTemplate,
        config: { ...META_CONFIG, pad: 'x'.repeat(1024 * 1024 + 10) },
      });
      for (const path of ['/api/integrations/test-config', `/api/integrations/${ghlId}/test`]) {
        for (const [type, body, status, code] of [
          ['application/json', '{"subAccountId":', 400, 'VALIDATION_FAILED'],
          ['text/plain', 'hello', 415, 'UNSUPPORTED_MEDIA_TYPE'],
          ['application/json', huge, 413, 'PAYLOAD_TOO_LARGE'],
        ] as const) {
          const res = await t.http.post(path).set('authorization', admin).set('content-type', type).send(body);
          expect([path, res.status, res.body.code, res.body.success]).toEqual([path, status, code, false]);
        }
      }
      // so do a guard's 401/403, and another sub-account's integration (404): the test did not run, it failed
      for (const path of ['/api/integrations/test-config', `/api/integrations/${ghlId}/test`]) {
        const agent = await t.http
          .post(path)
          .set('authorization', auth(t, 'AGENT', [sub]))
          .send({});
        const anonymous = await t.http.post(path).send({});
        expect([path, agent.status, agent.body.code, agent.body.success, agent.body.details]).toEqual([
          path,
          403,
          'FORBIDDEN',
          false,
          [],
        ]);
        expect([path, anonymous.status, anonymous.body.code, anonymous.body.success]).toEqual([
          path,
          401,
          'UNAUTHENTICATED',
          false,
        ]);
      }
      const foreign = await t.http
        .post(`/api/integrations/${ghlId}/test`)
        .set('authorization', auth(t, 'ADMIN', [other]));
      expect([foreign.status, foreign.body.code, foreign.body.success]).toEqual([404, 'NOT_FOUND', false]);
      // other routes are not connection tests
      const notATest = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .set('content-type', 'application/json')
        .send('{"name":');
      expect([notATest.status, notATest.body.success]).toEqual([400, undefined]);
    });

    it('answers the health of an integration in the shape API.md gives', async () => {
      const res = await t.http.get(`/api/integrations/${metaId}/health`).set('authorization', admin);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['lastSyncAt', 'lastSyncStatus', 'lastWebhookAt', 'pendingJobs', 'rateLimit', 'status', 'webhooks24h'].sort(),
      );
      expect(Object.keys(res.body.webhooks24h).sort()).toEqual(['failed', 'processed', 'received', 'rejected']);
      expect(Object.keys(res.body.rateLimit).sort()).toEqual(['remaining', 'resetAt']);
    });

    it('lists webhook events as { id, provider, eventType, status, attempts, lastError, receivedAt, processedAt }', async () => {
      const res = await t.http.get(`/api/integrations/${metaId}/events`).set('authorization', admin);
      expect(res.body.items.length).toBeGreaterThan(0);
      expect(Object.keys(res.body.items[0]).sort()).toEqual(
        ['attempts', 'eventType', 'id', 'lastError', 'processedAt', 'provider', 'receivedAt', 'status'].sort(),
      );
      const bad = await t.http.get(`/api/integrations/${metaId}/events?status=bogus`).set('authorization', admin);
      expect(bad.status).toBe(400);
    });

    it('lists sync runs as { id, status, trigger, startedAt, finishedAt, counts, error }', async () => {
      const runs = await t.http.get(`/api/integrations/${ghlId}/sync-runs`).set('authorization', admin);
      expect(runs.body.items.length).toBeGreaterThan(0);
      expect(Object.keys(runs.body.items[0]).sort()).toEqual(
        ['counts', 'error', 'finishedAt', 'id', 'startedAt', 'status', 'trigger'].sort(),
      );
    });

    it('answers 404 for a sub-account or template that does not exist (super-admin), never 500', async () => {
      const metaTemplate = await templateId(t, 'meta-lead-ads');
      const noSub = await t.http
        .post('/api/integrations')
        .set('authorization', su)
        .send({ subAccountId: 987654, integrationTemplateId: metaTemplate, name: 'x', config: META_CONFIG });
      expect([noSub.status, noSub.body.code]).toEqual([404, 'NOT_FOUND']);
      const noTemplate = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({ subAccountId: sub, integrationTemplateId: 987654, name: 'x', config: META_CONFIG });
      expect([noTemplate.status, noTemplate.body.code]).toEqual([404, 'NOT_FOUND']);
      const limits = await t.http.get('/api/integrations/limits?subAccountId=987654').set('authorization', su);
      expect([limits.status, limits.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });
});
