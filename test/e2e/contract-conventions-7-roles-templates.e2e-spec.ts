// The seventh contract audit's "Authentication and roles" and "Integration templates" sections, across every
// route family; "Conventions" is in contract-conventions-7-conventions.e2e-spec.ts, the shared setup in
// test/support/contract-conventions-7-setup.ts.
// Failed before its fix: a configSchema that is not an object at all (an array, a boolean, a string)
// answered VALIDATION_FAILED where API.md says CONFIG_SCHEMA_INVALID.
import { sign } from 'jsonwebtoken';
import { GHL_CONFIG, templateId } from '../support/factories';
import { auth } from '../support/security';
import { TEST_JWT_SECRET, TestApp } from '../support/test-app';
import {
  ContractConventions7,
  Method,
  notEnvelope,
  REPORT_CONFIG,
  Res,
  setupContractConventions7,
} from '../support/contract-conventions-7-setup';

type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';
const ROLES: Role[] = ['SUPER_ADMIN', 'ADMIN', 'MANAGER', 'AGENT'];
const MANAGERS: Role[] = ['SUPER_ADMIN', 'ADMIN', 'MANAGER'];
const ADMINS: Role[] = ['SUPER_ADMIN', 'ADMIN'];

describe('API.md contract audit 7: conventions, roles and templates across route families', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let su: string;
  let ghlId: number;
  let leadId: string;
  let send: ContractConventions7['send'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, other, su, ghlId, leadId, send, close } = await setupContractConventions7());
  });
  afterAll(async () => close?.());

  describe('Authentication and roles', () => {
    it('answers 401 UNAUTHENTICATED for a token without exp, expired, with a bad signature, alg none or another algorithm, on every family', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'u1', role: 'ADMIN', subAccountIds: [sub] };
      const unsigned = (payload: object): string =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
      const tokens: Array<[string, string]> = [
        ['no exp', sign({ ...claims, iat: now }, TEST_JWT_SECRET, { algorithm: 'HS256' })],
        ['expired', sign({ ...claims, iat: now - 120, exp: now - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' })],
        [
          'bad signature',
          sign(claims, 'another-secret-0123456789-abcdefghijklmnop', { algorithm: 'HS256', expiresIn: 600 }),
        ],
        ['alg none', unsigned({ ...claims, iat: now, exp: now + 600 })],
        ['HS384', sign(claims, TEST_JWT_SECRET, { algorithm: 'HS384', expiresIn: 600 })],
        ['unknown role', sign({ ...claims, role: 'OWNER' }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 })],
        [
          'ids as text',
          sign({ ...claims, subAccountIds: [String(sub)] }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 }),
        ],
      ];
      const paths = [
        `/api/leads?subAccountId=${sub}`,
        `/api/integrations/${ghlId}`,
        '/api/integration-templates',
        `/api/whatsapp/opt-outs?subAccountId=${sub}`,
        `/api/conversations?subAccountId=${sub}`,
        `/api/reports?subAccountId=${sub}`,
        `/api/analytics/overview?subAccountId=${sub}`,
      ];
      const wrong: string[] = [];
      for (const [name, token] of tokens)
        for (const path of paths) {
          const problem = notEnvelope(await send('get', path, `Bearer ${token}`), 401, 'UNAUTHENTICATED');
          if (problem) wrong.push(`${name} ${path}: ${problem}`);
        }
      expect(wrong).toEqual([]);
    });

    it('answers 403 FORBIDDEN exactly where the roles table says "no", across every family', async () => {
      const cells: Array<[Method, string, object | undefined, Role[]]> = [
        ['get', '/api/integration-handlers', undefined, MANAGERS],
        ['patch', `/api/integrations/${ghlId}`, {}, ADMINS],
        ['delete', '/api/integrations/999999', undefined, ADMINS],
        ['post', '/api/integrations/999999/rotate-webhook-secret', undefined, ADMINS],
        ['post', '/api/integrations/999999/disconnect', undefined, ADMINS],
        ['get', `/api/integrations/${ghlId}`, undefined, MANAGERS],
        ['post', '/api/integrations/999999/test', undefined, MANAGERS],
        ['post', '/api/integrations/999999/sync', undefined, MANAGERS],
        ['get', `/api/leads?subAccountId=${sub}`, undefined, ROLES],
        ['get', `/api/conversations?subAccountId=${sub}`, undefined, ROLES],
        ['get', '/api/conversations/999', undefined, ROLES],
        ['post', '/api/conversations/999/link', {}, ROLES],
        ['post', '/api/conversations/999/capture-lead', {}, ROLES],
        ['post', '/api/messages', {}, ROLES],
        ['get', `/api/messages?subAccountId=${sub}`, undefined, ROLES],
        ['post', '/api/whatsapp/conversations/auto-link', {}, ROLES],
        ['delete', '/api/whatsapp/conversations/999/link', undefined, ROLES],
        ['post', '/api/whatsapp/templates/sync', {}, MANAGERS],
        ['delete', '/api/whatsapp/templates/999', undefined, MANAGERS],
        ['get', '/api/whatsapp/bulk/999/recipients', undefined, MANAGERS],
        ['post', '/api/whatsapp/bulk/999/pause', undefined, MANAGERS],
        ['post', '/api/whatsapp/bulk/999/resume', undefined, MANAGERS],
        ['delete', '/api/whatsapp/opt-outs/999', undefined, MANAGERS],
        ['get', `/api/whatsapp/analytics?subAccountId=${sub}`, undefined, MANAGERS],
        ['get', `/api/analytics/team?subAccountId=${sub}`, undefined, MANAGERS],
        ['post', '/api/analytics/rebuild', {}, ADMINS],
        ['get', '/api/report-templates/999', undefined, MANAGERS],
        ['patch', '/api/report-templates/999', {}, MANAGERS],
        ['delete', '/api/report-templates/999', undefined, MANAGERS],
        ['post', '/api/report-templates/999/generate', {}, MANAGERS],
        ['get', '/api/reports/999/download', undefined, MANAGERS],
      ];
      const wrong: string[] = [];
      for (const [method, path, body, allowed] of cells)
        for (const role of ROLES) {
          const res = await send(method, path, auth(t, role, [sub]), body);
          const forbidden = res.status === 403 && res.body.code === 'FORBIDDEN';
          if (forbidden === allowed.includes(role)) wrong.push(`${method} ${path} as ${role}: ${res.status}`);
        }
      expect(wrong).toEqual([]);
    });

    it("answers 403 FORBIDDEN for another sub-account's explicit subAccountId, in a query or a body, on every family", async () => {
      const ghlTemplate = await templateId(t, 'gohighlevel');
      const cases: Array<[Method, string, object | undefined]> = [
        ['get', `/api/leads?subAccountId=${other}`, undefined],
        ['get', `/api/integrations?subAccountId=${other}`, undefined],
        ['get', `/api/integrations/limits?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/templates?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/messages?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/conversations?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/bulk?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/opt-outs?subAccountId=${other}`, undefined],
        ['get', `/api/whatsapp/analytics?subAccountId=${other}`, undefined],
        ['get', `/api/conversations?subAccountId=${other}`, undefined],
        ['get', `/api/messages?subAccountId=${other}`, undefined],
        ['get', `/api/reports?subAccountId=${other}`, undefined],
        ['get', `/api/report-templates?subAccountId=${other}`, undefined],
        ['get', `/api/analytics/overview?subAccountId=${other}`, undefined],
        ['get', `/api/analytics/funnel?subAccountId=${other}`, undefined],
        ['get', `/api/analytics/attribution?subAccountId=${other}`, undefined],
        ['get', `/api/analytics/team?subAccountId=${other}`, undefined],
        ['post', '/api/analytics/rebuild', { subAccountId: other }],
        ['post', '/api/leads', { subAccountId: other, email: 'x@example.org' }],
        [
          'post',
          '/api/integrations',
          { subAccountId: other, integrationTemplateId: ghlTemplate, name: 'x', config: GHL_CONFIG },
        ],
        [
          'post',
          '/api/integrations/test-config',
          { subAccountId: other, integrationTemplateId: ghlTemplate, config: GHL_CONFIG },
        ],
        ['post', '/api/whatsapp/opt-outs', { subAccountId: other, phone: '+14155550100', scope: 'all' }],
        ['post', '/api/whatsapp/conversations/auto-link', { subAccountId: other }],
        ['post', '/api/whatsapp/messages', { subAccountId: other, to: '14155550100', text: 'hi' }],
        ['post', '/api/messages', { subAccountId: other, channel: 'messenger', leadId, text: 'hi' }],
        ['post', '/api/whatsapp/bulk', { subAccountId: other, leadIds: [leadId], text: 'hi' }],
        [
          'post',
          '/api/report-templates',
          { subAccountId: other, name: 'r', type: 'FUNNEL', config: REPORT_CONFIG, format: 'PDF', isActive: true },
        ],
      ];
      const wrong: string[] = [];
      for (const [method, path, body] of cases) {
        const problem = notEnvelope(await send(method, path, auth(t, 'ADMIN', [sub]), body), 403, 'FORBIDDEN');
        if (problem) wrong.push(`${method} ${path}: ${problem}`);
      }
      expect(wrong).toEqual([]);
    });

    it("answers 404 NOT_FOUND for another sub-account's records, changing nothing", async () => {
      const cases: Array<[Method, string, object | undefined]> = [
        ['get', `/api/leads/${leadId}`, undefined],
        ['patch', `/api/leads/${leadId}`, { status: 'CONTACTED' }],
        ['get', `/api/leads/${leadId}/history`, undefined],
        ['post', `/api/leads/${leadId}/activities`, { type: 'NOTE', userId: 'u1' }],
        ['get', `/api/sub-accounts/${sub}`, undefined],
        ['patch', `/api/sub-accounts/${sub}`, { timezone: 'Europe/Lisbon' }],
        ['get', `/api/integrations/${ghlId}/health`, undefined],
        ['get', `/api/integrations/${ghlId}/events`, undefined],
        ['get', `/api/integrations/${ghlId}/sync-runs`, undefined],
        ['post', `/api/integrations/${ghlId}/sync`, undefined],
        ['post', `/api/integrations/${ghlId}/test`, undefined],
        ['patch', `/api/integrations/${ghlId}`, { name: 'taken over' }],
        ['post', `/api/integrations/${ghlId}/rotate-webhook-secret`, undefined],
        ['delete', `/api/integrations/${ghlId}`, undefined],
      ];
      const wrong: string[] = [];
      for (const [method, path, body] of cases) {
        const problem = notEnvelope(await send(method, path, auth(t, 'ADMIN', [other]), body), 404, 'NOT_FOUND');
        if (problem) wrong.push(`${method} ${path}: ${problem}`);
      }
      expect(wrong).toEqual([]);
      const mine = await send('get', `/api/integrations/${ghlId}`, auth(t, 'ADMIN', [sub]));
      expect([mine.status, mine.body.name === 'taken over']).toEqual([200, false]);
      expect((await send('get', `/api/leads/${leadId}`, auth(t, 'ADMIN', [sub]))).body.status).toBe('NEW');
    });
  });

  describe('Integration templates', () => {
    const base = { displayName: 'Probe', category: 'CRM', handler: 'generic-webhook' };
    let n = 0;
    const create = (body: object): Promise<Res> =>
      t.http
        .post('/api/integration-templates')
        .set('authorization', su)
        .send({ ...base, name: `probe-${++n}`, ...body });

    it('answers a configSchema that is not an object schema, or is no object at all, 400 CONFIG_SCHEMA_INVALID with the reason in details', async () => {
      const wrong: string[] = [];
      for (const configSchema of [
        [],
        [{ type: 'object' }],
        true,
        false,
        'object',
        42,
        { type: 'string' },
        { properties: {} },
      ]) {
        const res = await create({ configSchema });
        const problem = notEnvelope(res, 400, 'CONFIG_SCHEMA_INVALID');
        if (problem || !(Array.isArray(res.body.details) && res.body.details.length > 0))
          wrong.push(`${JSON.stringify(configSchema)}: ${problem}`);
      }
      const existing = (await create({ configSchema: { type: 'object' } })).body.id as number;
      for (const configSchema of [[], true, 'object']) {
        const res = await t.http
          .patch(`/api/integration-templates/${existing}`)
          .set('authorization', su)
          .send({ configSchema });
        const problem = notEnvelope(res, 400, 'CONFIG_SCHEMA_INVALID');
        if (problem) wrong.push(`PATCH ${JSON.stringify(configSchema)}: ${problem}`);
      }
      expect(wrong).toEqual([]);
      // left out or null is a missing field, as for every other required field
      expect((await create({ configSchema: undefined })).body.code).toBe('VALIDATION_FAILED');
      expect((await create({ configSchema: null })).body.code).toBe('VALIDATION_FAILED');
    });

    it("puts Ajv's strict-mode messages in details: unknown keyword, untyped keyword, unknown format, another draft", async () => {
      const cases: Array<[object, RegExp]> = [
        [{ type: 'object', colour: 'red' }, /unknown keyword: "colour"/],
        [{ type: 'object', properties: { a: { minLength: 2 } } }, /strictTypes|missing type/],
        [{ type: 'object', properties: { a: { type: 'string', format: 'nope' } } }, /unknown format "nope"/],
        [{ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }, /draft-07/],
      ];
      for (const [configSchema, message] of cases) {
        const res = await create({ configSchema });
        expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
        expect((res.body.details as string[]).join('\n')).toMatch(message);
      }
      const draft2020 = await create({
        configSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' },
      });
      expect(draft2020.status).toBe(201);
    });

    it('never returns a secret marked on a nested property, in any answer about the integration', async () => {
      const template = await create({
        configSchema: {
          type: 'object',
          properties: {
            mapping: { type: 'object' },
            externalIdPointer: { type: 'string' },
            auth: {
              type: 'object',
              properties: { token: { type: 'string', 'x-secret': true }, key: { type: 'string', writeOnly: true } },
            },
          },
        },
      });
      expect(template.status).toBe(201);
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', su)
        .send({
          subAccountId: sub,
          integrationTemplateId: template.body.id,
          name: 'nested secrets',
          config: {
            mapping: {},
            externalIdPointer: '/id',
            auth: { token: 'nested-token-1234', key: 'nested-key-5678' },
          },
        });
      expect(created.status).toBe(201);
      const answers = [
        created.body,
        (await t.http.get(`/api/integrations/${created.body.id}`).set('authorization', su)).body,
        (await t.http.get(`/api/integrations?subAccountId=${sub}&pageSize=200`).set('authorization', su)).body,
        (await t.http.get('/api/audit-log?pageSize=200').set('authorization', su)).body,
      ];
      expect(JSON.stringify(answers)).not.toMatch(/nested-token|nested-key/);
      expect(created.body.config.auth).toEqual({
        token: { secret: true, last4: '1234' },
        key: { secret: true, last4: '5678' },
      });
    });

    it('shows an ADMIN only active templates, whatever includeInactive says; a super-admin sees inactive ones only when asked', async () => {
      const inactive = (await create({ configSchema: { type: 'object' }, isActive: false })).body.id as number;
      const admin = auth(t, 'ADMIN', [sub]);
      const ids = async (token: string, query: string): Promise<number[]> => {
        const res = await t.http.get(`/api/integration-templates?pageSize=200${query}`).set('authorization', token);
        expect(res.status).toBe(200);
        return res.body.items.map((i: { id: number }) => i.id);
      };
      expect(await ids(admin, '&includeInactive=true')).not.toContain(inactive);
      expect((await t.http.get(`/api/integration-templates/${inactive}`).set('authorization', admin)).status).toBe(404);
      expect(await ids(su, '')).not.toContain(inactive);
      expect(await ids(su, '&includeInactive=true')).toContain(inactive);
    });
  });
});
