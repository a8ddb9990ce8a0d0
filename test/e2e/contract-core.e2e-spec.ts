// A black-box probe of API.md's first sections (Conventions, Authentication and roles, Integration
// templates, Integrations, GoHighLevel passthrough, Webhooks, Leads, Sub-account settings): the
// statements no other spec checks, read literally, over HTTP only.
import { createHmac } from 'node:crypto';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, templateId } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaSignature } from '../support/webhooks';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

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
  let ghl: FakeServer;
  let graph: FakeServer;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let leadId: string;
  let su: string;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    graph = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Contract Co');
    other = await createSubAccount(t, 'MAX', 'Other Co');
    su = auth(t, 'SUPER_ADMIN');
    admin = auth(t, 'ADMIN', [sub]);
    ghlId = (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
    metaId = (await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG)).id;
    await activate(t, sub, metaId);
    const lead = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Probe Lead', email: 'probe@example.org', phone: '+14155550123' });
    leadId = lead.body.id as string;
    ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [] } }));
    ghl.on('GET', /^\/calendars\/[^/]+\/free-slots$/, () => ({ status: 200, body: {} }));
    ghl.on('POST', '/calendars/events/block-slots', () => ({ status: 201, body: { id: 'block1' } }));
    ghl.on('POST', '/contacts/upsert', () => ({ status: 200, body: { contact: { id: 'ghl-contact-1' }, new: true } }));
    ghl.on('GET', `/locations/${GHL_CONFIG.locationId}`, () => ({
      status: 200,
      body: { location: { id: GHL_CONFIG.locationId, name: 'HQ' } },
    }));
    ghl.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: [], total: 0 } }));
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
    await graph.close();
  });

  describe('Conventions', () => {
    it('lists answer { items, page, pageSize, total } with page 1 and pageSize 50 by default', async () => {
      for (const path of [
        '/api/integration-templates',
        `/api/integrations/${metaId}/events`,
        `/api/integrations/${ghlId}/sync-runs`,
        '/api/leads',
        '/api/integrations',
      ]) {
        const res = await t.http.get(path).set('authorization', admin);
        expect([path, res.status, Object.keys(res.body).sort()]).toEqual([
          path,
          200,
          ['items', 'page', 'pageSize', 'total'],
        ]);
        expect([path, res.body.page, res.body.pageSize]).toEqual([path, 1, 50]);
      }
    });

    it('takes pageSize up to 200 and refuses more (or less than 1) with 400 VALIDATION_FAILED', async () => {
      for (const path of ['/api/integration-templates', `/api/integrations/${metaId}/events`, '/api/leads']) {
        const max = await t.http.get(`${path}?pageSize=200`).set('authorization', admin);
        expect([path, max.status, max.body.pageSize]).toEqual([path, 200, 200]);
        for (const bad of ['201', '0', '-1']) {
          const res = await t.http.get(`${path}?pageSize=${bad}`).set('authorization', admin);
          expect([path, bad, res.status, res.body.code]).toEqual([path, bad, 400, 'VALIDATION_FAILED']);
        }
        const zero = await t.http.get(`${path}?page=0`).set('authorization', admin);
        expect([path, zero.status]).toEqual([path, 400]);
      }
    });

    it('pages through a list: page 2 of size 1 is the second item, total counts all', async () => {
      const all = await t.http.get(`/api/integrations?subAccountId=${sub}`).set('authorization', admin);
      expect(all.body.total).toBeGreaterThanOrEqual(2);
      const second = await t.http
        .get(`/api/integrations?subAccountId=${sub}&page=2&pageSize=1`)
        .set('authorization', admin);
      expect(second.body).toEqual({ items: [all.body.items[1]], page: 2, pageSize: 1, total: all.body.total });
    });

    it('returns integer ids for sub-accounts, templates and integrations; strings for events, jobs and leads', async () => {
      const integration = await t.http.get(`/api/integrations/${ghlId}`).set('authorization', admin);
      expect(typeof integration.body.id).toBe('number');
      expect(typeof integration.body.subAccountId).toBe('number');
      expect(typeof integration.body.integrationTemplateId).toBe('number');
      const template = await t.http
        .get(`/api/integration-templates/${integration.body.integrationTemplateId}`)
        .set('authorization', admin);
      expect(typeof template.body.id).toBe('number');
      expect(typeof leadId).toBe('string');
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: META_CONFIG.pageId,
            time: 1,
            changes: [
              {
                field: 'leadgen',
                value: { leadgen_id: 'ids-1', page_id: META_CONFIG.pageId, form_id: '1', created_time: 1 },
              },
            ],
          },
        ],
      });
      const delivery = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect([delivery.status, typeof delivery.body.eventId]).toEqual([200, 'string']);
      const sync = await t.http.post(`/api/integrations/${ghlId}/sync`).set('authorization', admin);
      expect(sync.status).toBe(202);
      expect(typeof sync.body.jobId).toBe('string');
    });

    it('returns timestamps as ISO-8601 UTC', async () => {
      const integration = await t.http.get(`/api/integrations/${ghlId}`).set('authorization', admin);
      expect(integration.body.createdAt).toMatch(ISO_UTC);
      expect(integration.body.updatedAt).toMatch(ISO_UTC);
      const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
      expect(lead.body.createdAt).toMatch(ISO_UTC);
    });

    it('answers every error in one shape { statusCode, code, message, details }, details always an array', async () => {
      const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
        [
          'forbidden role',
          () => t.http.get('/api/integrations').set('authorization', auth(t, 'AGENT', [sub])),
          403,
          'FORBIDDEN',
        ],
        [
          'foreign record',
          () => t.http.get(`/api/integrations/${ghlId}`).set('authorization', auth(t, 'ADMIN', [other])),
          404,
          'NOT_FOUND',
        ],
        [
          'unknown template',
          () => t.http.get('/api/integration-templates/987654').set('authorization', su),
          404,
          'NOT_FOUND',
        ],
        [
          'bad query',
          () => t.http.get('/api/integrations?status=bogus').set('authorization', admin),
          400,
          'VALIDATION_FAILED',
        ],
        ['no token', () => t.http.get('/api/integrations'), 401, 'UNAUTHENTICATED'],
        ['unknown route', () => t.http.get('/api/no-such-route').set('authorization', admin), 404, 'NOT_FOUND'],
        [
          'malformed URL',
          () => t.http.get('/api/integrations/%E0%A4%A').set('authorization', admin),
          400,
          'VALIDATION_FAILED',
        ],
        [
          'malformed JSON',
          () =>
            t.http
              .post('/api/integrations')
              .set('authorization', admin)
              .set('content-type', 'application/json')
              .send('{"a":'),
          400,
          'VALIDATION_FAILED',
        ],
        [
          'wrong content type',
          () =>
            t.http.post('/api/integrations').set('authorization', admin).set('content-type', 'text/csv').send('a,b'),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
      ];
      for (const [name, send, status, code] of cases) {
        const res = await send();
        expect([
          name,
          res.status,
          res.body.statusCode,
          res.body.code,
          typeof res.body.message,
          Array.isArray(res.body.details),
        ]).toEqual([name, status, status, code, 'string', true]);
        expect([name, Object.keys(res.body).sort()]).toEqual([name, ['code', 'details', 'message', 'statusCode']]);
      }
    });

    it('rejects unknown JSON fields on every write body with 400 VALIDATION_FAILED, storing nothing', async () => {
      const metaTemplate = await templateId(t, 'meta-lead-ads');
      const cases: Array<[Method, string, Record<string, unknown>, string]> = [
        [
          'post',
          '/api/integrations',
          { subAccountId: sub, integrationTemplateId: metaTemplate, name: 'x', config: META_CONFIG, colour: 'red' },
          'colour',
        ],
        ['patch', `/api/integrations/${ghlId}`, { name: 'renamed', colour: 'red' }, 'colour'],
        [
          'post',
          '/api/integrations/test-config',
          { subAccountId: sub, integrationTemplateId: metaTemplate, config: META_CONFIG, name: 'x' },
          'name',
        ],
        ['patch', `/api/integration-templates/${metaTemplate}`, { displayName: 'x', colour: 'red' }, 'colour'],
        ['patch', `/api/leads/${leadId}`, { status: 'CONTACTED', priority: 'high' }, 'priority'],
        ['post', `/api/leads/${leadId}/activities`, { type: 'NOTE', userId: 'u1', mood: 'good' }, 'mood'],
        [
          'post',
          '/api/leads',
          { subAccountId: sub, email: 'nested@example.org', source: { platform: 'manual', medium: 'x' } },
          'source.medium',
        ],
        ['patch', `/api/sub-accounts/${sub}`, { timezone: 'UTC', colour: 'red' }, 'colour'],
        [
          'post',
          `/api/integrations/${ghlId}/ghl/calendars/cal1/block-slots`,
          { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x', colour: 'red' },
          'colour',
        ],
        ['post', `/api/integrations/${ghlId}/ghl/contacts`, { leadId, colour: 'red' }, 'colour'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await t.http[method](path).set('authorization', su).send(body);
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 400, 'VALIDATION_FAILED']);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
      expect(lead.body.status).toBe('NEW');
      expect((await t.http.get(`/api/integrations/${ghlId}`).set('authorization', admin)).body.name).not.toBe(
        'renamed',
      );
    });
  });

  describe('Authentication and roles', () => {
    // the cells of the roles table no other spec checks: [route family, method, path, body, roles allowed]
    const cells = (): Array<[string, Method, string, object | undefined, Role[]]> => [
      [
        'templates: read active ones',
        'get',
        `/api/integration-templates?pageSize=1`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'templates: read active ones',
        'get',
        `/api/integration-templates/${metaTemplateId}`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      ['integrations: create', 'post', '/api/integrations', {}, ['SUPER_ADMIN', 'ADMIN']],
      [
        'integrations: read',
        'get',
        `/api/integrations?subAccountId=${sub}`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'integrations: read',
        'get',
        `/api/integrations/limits?subAccountId=${sub}`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      ['integrations: test', 'post', '/api/integrations/test-config', {}, ['SUPER_ADMIN', 'ADMIN', 'MANAGER']],
      [
        'integrations: sync',
        'get',
        `/api/integrations/${ghlId}/sync-runs`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'integrations: events',
        'get',
        `/api/integrations/${metaId}/events`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'integrations: events',
        'post',
        '/api/webhook-events/987654321/replay',
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'integrations: health',
        'get',
        `/api/integrations/${metaId}/health`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'GoHighLevel calendars',
        'get',
        `/api/integrations/${ghlId}/ghl/calendars`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'GoHighLevel free slots',
        'get',
        `/api/integrations/${ghlId}/ghl/calendars/cal1/free-slots?startDate=2026-12-01T00:00:00Z&endDate=2026-12-02T00:00:00Z`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'GoHighLevel block slots',
        'post',
        `/api/integrations/${ghlId}/ghl/calendars/cal1/block-slots`,
        { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' },
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'GoHighLevel contact push',
        'post',
        `/api/integrations/${ghlId}/ghl/contacts`,
        { leadId },
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER'],
      ],
      [
        'OAuth start',
        'post',
        `/api/integrations/${metaId}/oauth/start`,
        { redirectUri: 'https://crm.example.com/done' },
        ['SUPER_ADMIN', 'ADMIN'],
      ],
      ['leads: read', 'get', `/api/leads/${leadId}`, undefined, ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT']],
      [
        'leads: history',
        'get',
        `/api/leads/${leadId}/history`,
        undefined,
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'],
      ],
      [
        'leads: activities',
        'post',
        `/api/leads/${leadId}/activities`,
        { type: 'NOTE', userId: 'u1' },
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'],
      ],
      [
        'leads: update',
        'patch',
        `/api/leads/${leadId}`,
        { tags: ['probe'] },
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'],
      ],
      [
        'leads: create',
        'post',
        '/api/leads',
        { subAccountId: sub, email: 'roles@example.org' },
        ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'],
      ],
    ];
    let metaTemplateId = 0;
    beforeAll(async () => {
      metaTemplateId = await templateId(t, 'meta-lead-ads');
    });

    it('answers each route family 403 FORBIDDEN exactly for the roles the table says "no"', async () => {
      const wrong: string[] = [];
      for (const [family, method, path, body, allowed] of cells()) {
        for (const role of ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'] as const) {
          const req = t.http[method](path).set('authorization', auth(t, role, [sub]));
          const res = await (body === undefined ? req : req.send(body));
          const forbidden = res.status === 403 && res.body.code === 'FORBIDDEN';
          if (forbidden === allowed.includes(role))
            wrong.push(`${family} ${method.toUpperCase()} ${path} as ${role}: ${res.status} ${res.body.code ?? ''}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('lets a SUPER_ADMIN without sub-accounts in the token update, test, rotate, disconnect and delete any integration', async () => {
      const token = auth(t, 'SUPER_ADMIN');
      const created = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
      const base = `/api/integrations/${created.id}`;
      const steps: Array<[Method, string, object | undefined, number]> = [
        ['patch', base, { name: 'by super-admin' }, 200],
        ['post', `${base}/test`, undefined, 200],
        ['post', `${base}/rotate-webhook-secret`, undefined, 200],
        ['post', `${base}/disconnect`, undefined, 200],
        ['delete', base, undefined, 204],
      ];
      for (const [method, path, body, status] of steps) {
        const req = t.http[method](path).set('authorization', token);
        const res = await (body === undefined ? req : req.send(body));
        expect([method, path, res.status]).toEqual([method, path, status]);
      }
    });

    it('answers 403 FORBIDDEN for an explicit subAccountId the caller may not act on, even one that does not exist', async () => {
      const metaTemplate = await templateId(t, 'meta-lead-ads');
      const token = auth(t, 'ADMIN', [sub]);
      for (const target of [other, 987654]) {
        const cases: Array<[Method, string, object | undefined]> = [
          ['get', `/api/integrations?subAccountId=${target}`, undefined],
          ['get', `/api/integrations/limits?subAccountId=${target}`, undefined],
          ['get', `/api/leads?subAccountId=${target}`, undefined],
          ['post', '/api/leads', { subAccountId: target, email: 'x@example.org' }],
          [
            'post',
            '/api/integrations',
            { subAccountId: target, integrationTemplateId: metaTemplate, name: 'x', config: META_CONFIG },
          ],
          [
            'post',
            '/api/integrations/test-config',
            { subAccountId: target, integrationTemplateId: metaTemplate, config: META_CONFIG },
          ],
        ];
        for (const [method, path, body] of cases) {
          const req = t.http[method](path).set('authorization', token);
          const res = await (body === undefined ? req : req.send(body));
          expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'FORBIDDEN']);
        }
      }
    });

    it("answers 404 NOT_FOUND for another sub-account's records on the GoHighLevel, disconnect and OAuth routes", async () => {
      const token = auth(t, 'ADMIN', [other]);
      const cases: Array<[Method, string, object | undefined]> = [
        ['get', `/api/integrations/${ghlId}/ghl/calendars`, undefined],
        [
          'get',
          `/api/integrations/${ghlId}/ghl/calendars/cal1/free-slots?startDate=2026-12-01T00:00:00Z&endDate=2026-12-02T00:00:00Z`,
          undefined,
        ],
        [
          'post',
          `/api/integrations/${ghlId}/ghl/calendars/cal1/block-slots`,
          { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' },
        ],
        ['post', `/api/integrations/${ghlId}/ghl/contacts`, { leadId }],
        ['post', `/api/integrations/${ghlId}/disconnect`, undefined],
        ['post', `/api/integrations/${metaId}/oauth/start`, { redirectUri: 'https://crm.example.com/done' }],
        ['get', `/api/leads/${leadId}`, undefined],
      ];
      const before = ghl.requests.length;
      for (const [method, path, body] of cases) {
        const req = t.http[method](path).set('authorization', token);
        const res = await (body === undefined ? req : req.send(body));
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'NOT_FOUND']);
      }
      expect(ghl.requests.length).toBe(before);
      expect((await t.http.get(`/api/integrations/${ghlId}`).set('authorization', admin)).body.status).not.toBe(
        'disconnected',
      );
    });
  });

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
      expect(Object.keys(res.body)).toEqual(
        expect.arrayContaining([
          'id',
          'subAccountId',
          'integrationTemplateId',
          'template',
          'name',
          'description',
          'isActive',
          'status',
          'config',
          'lastSyncAt',
          'lastWebhookAt',
          'errorMessage',
          'webhookUrl',
          'createdAt',
          'updatedAt',
          'createdBy',
          'stats',
        ]),
      );
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

  describe('The OpenAPI document agrees with the code', () => {
    interface Schema {
      $ref?: string;
      type?: string;
      properties?: Record<string, Schema>;
      items?: Schema;
      required?: string[];
      allOf?: Schema[];
      nullable?: boolean;
      additionalProperties?: unknown;
    }
    interface Doc {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
      >;
      components: { schemas: Record<string, Schema> };
    }

    /** Where an answer differs from its documented schema: undocumented keys, missing required ones, wrong types. */
    function differences(doc: Doc, value: unknown, schema: Schema, at = ''): string[] {
      const resolve = (s: Schema): Schema => {
        if (s.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop() ?? '']);
        if (!s.allOf) return s;
        const parts = s.allOf.map(resolve);
        return {
          type: 'object',
          properties: Object.assign({}, ...parts.map((x) => x.properties ?? {})) as Record<string, Schema>,
          required: parts.flatMap((x) => x.required ?? []),
        };
      };
      const r = resolve(schema);
      if (value === null) return r.nullable || r.type === undefined ? [] : [`${at}: null, documented ${r.type}`];
      if (Array.isArray(value)) {
        if (r.type !== 'array') return [`${at}: array, documented ${r.type}`];
        return value.slice(0, 3).flatMap((v, i) => (r.items ? differences(doc, v, r.items, `${at}/${i}`) : []));
      }
      if (typeof value === 'object' && value !== undefined) {
        if (r.type !== undefined && r.type !== 'object') return [`${at}: object, documented ${r.type}`];
        if (!r.properties) return [];
        const properties = r.properties;
        const own = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
          k in properties
            ? differences(doc, v, properties[k], `${at}/${k}`)
            : r.additionalProperties
              ? []
              : [`${at}/${k}: undocumented`],
        );
        const missing = (r.required ?? []).filter((k) => !(k in value)).map((k) => `${at}/${k}: missing`);
        return [...own, ...missing];
      }
      const type = typeof value;
      const fits = r.type === undefined || type === r.type || (type === 'number' && r.type === 'integer');
      return fits ? [] : [`${at}: ${type}, documented ${r.type}`];
    }

    it('documents each answer of these sections as it is sent: every key, every required key, every type', async () => {
      const doc = (await t.http.get('/api/docs-json')).body as Doc;
      const ghlTemplate = await templateId(t, 'gohighlevel');
      const metaBody = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: META_CONFIG.pageId,
            time: 1,
            changes: [
              {
                field: 'leadgen',
                value: { leadgen_id: 'oa-1', page_id: META_CONFIG.pageId, form_id: '1', created_time: 1 },
              },
            ],
          },
        ],
      });
      const cases: Array<[string, string, string, () => Promise<{ status: number; body: unknown }>]> = [
        [
          'get',
          '/api/integrations/{id}',
          '200',
          () => t.http.get(`/api/integrations/${ghlId}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations',
          '200',
          () => t.http.get(`/api/integrations?subAccountId=${sub}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integration-templates/{id}',
          '200',
          () => t.http.get(`/api/integration-templates/${ghlTemplate}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integration-templates',
          '200',
          () => t.http.get('/api/integration-templates').set('authorization', su),
        ],
        [
          'get',
          '/api/integration-handlers',
          '200',
          () => t.http.get('/api/integration-handlers').set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/limits',
          '200',
          () => t.http.get(`/api/integrations/limits?subAccountId=${sub}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/health',
          '200',
          () => t.http.get(`/api/integrations/${metaId}/health`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/events',
          '200',
          () => t.http.get(`/api/integrations/${metaId}/events`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/sync-runs',
          '200',
          () => t.http.get(`/api/integrations/${ghlId}/sync-runs`).set('authorization', su),
        ],
        ['get', '/api/leads', '200', () => t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', su)],
        ['get', '/api/leads/{id}', '200', () => t.http.get(`/api/leads/${leadId}`).set('authorization', su)],
        [
          'get',
          '/api/leads/{id}/history',
          '200',
          () => t.http.get(`/api/leads/${leadId}/history`).set('authorization', su),
        ],
        ['get', '/api/sub-accounts/{id}', '200', () => t.http.get(`/api/sub-accounts/${sub}`).set('authorization', su)],
        [
          'post',
          '/api/integrations/{id}/sync',
          '202',
          () => t.http.post(`/api/integrations/${ghlId}/sync`).set('authorization', su),
        ],
        [
          'post',
          '/api/integrations/{id}/test',
          '200',
          () => t.http.post(`/api/integrations/${ghlId}/test`).set('authorization', su),
        ],
        [
          'post',
          '/api/leads/{id}/activities',
          '201',
          () =>
            t.http
              .post(`/api/leads/${leadId}/activities`)
              .set('authorization', su)
              .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'u', userName: 'U', durationSeconds: 3, note: 'n' }),
        ],
        [
          'post',
          '/api/leads',
          '201',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', su)
              .send({
                subAccountId: sub,
                email: 'openapi@example.org',
                source: { platform: 'manual', campaignId: 'c' },
              }),
        ],
        [
          'patch',
          '/api/integration-templates/{id}',
          '200',
          () =>
            t.http
              .patch(`/api/integration-templates/${ghlTemplate}`)
              .set('authorization', su)
              .send({ displayName: 'GoHighLevel' }),
        ],
        [
          'post',
          '/api/webhooks/{provider}',
          '200',
          () =>
            t.http
              .post('/api/webhooks/meta-lead-ads')
              .set('content-type', 'application/json')
              .set('x-hub-signature-256', metaSignature(metaBody, META_CONFIG.appSecret))
              .send(metaBody),
        ],
      ];
      const found: string[] = [];
      for (const [method, route, status, send] of cases) {
        const res = await send();
        const schema = doc.paths[route]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
        if (String(res.status) !== status)
          found.push(`${method} ${route}: answered ${res.status}, documented ${status}`);
        else if (!schema) found.push(`${method} ${route}: no documented body`);
        else found.push(...differences(doc, res.body, schema).map((d) => `${method} ${route} ${d}`));
      }
      expect(found).toEqual([]);
    });
  });

  describe('Leads', () => {
    it('sorts by createdAt, -createdAt, score and -score, and refuses another sort 400', async () => {
      for (const sort of ['createdAt', '-createdAt', 'score', '-score']) {
        const res = await t.http.get(`/api/leads?subAccountId=${sub}&sort=${sort}`).set('authorization', admin);
        expect([sort, res.status]).toEqual([sort, 200]);
        const key = sort.replace('-', '') as 'createdAt' | 'score';
        const values = res.body.items.map((l: Record<string, string | number>) => l[key]);
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect([sort, values]).toEqual([sort, sort.startsWith('-') ? sorted.reverse() : sorted]);
      }
      const bad = await t.http.get(`/api/leads?subAccountId=${sub}&sort=name`).set('authorization', admin);
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('deduplicates a manual lead on the normalised E.164 phone: 200 with the existing lead', async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Same Person', phone: '(415) 555-0123' });
      expect([res.status, res.body.id]).toEqual([200, leadId]);
      // within the sub-account: the same e-mail in another sub-account is another lead
      const elsewhere = await t.http
        .post('/api/leads')
        .set('authorization', su)
        .send({ subAccountId: other, fullName: 'Probe Lead', email: 'PROBE@example.org' });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.id).not.toBe(leadId);
    });

    it('PATCH answers the lead; activities take every type and refuse an unknown one', async () => {
      const patched = await t.http
        .patch(`/api/leads/${leadId}`)
        .set('authorization', auth(t, 'AGENT', [sub]))
        .send({ status: 'CONTACTED' });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual(
        expect.objectContaining({ id: leadId, status: 'CONTACTED', sourceTracking: expect.any(Object) }),
      );
      for (const type of ['CALL', 'EMAIL', 'MEETING', 'NOTE', 'WHATSAPP']) {
        const res = await t.http
          .post(`/api/leads/${leadId}/activities`)
          .set('authorization', admin)
          .send({ type, userId: 'u1', occurredAt: '2026-12-01T10:00:00Z', durationSeconds: 30 });
        expect([type, res.status]).toEqual([type, 201]);
      }
      for (const outcome of ['ANSWERED', 'NO_ANSWER', 'BUSY', 'FAILED']) {
        const res = await t.http
          .post(`/api/leads/${leadId}/activities`)
          .set('authorization', admin)
          .send({ type: 'CALL', outcome, userId: 'u1' });
        expect([outcome, res.status]).toEqual([outcome, 201]);
      }
      const bad = await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', admin)
        .send({ type: 'SMS', userId: 'u1' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const noUser = await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', admin)
        .send({ type: 'NOTE' });
      expect(noUser.body.details.map((d: { field: string }) => d.field)).toEqual(['userId']);
    });
  });
});
