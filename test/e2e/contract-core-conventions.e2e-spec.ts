// A black-box probe of API.md's first sections (Conventions, Authentication and roles, Integration
// templates, Integrations, GoHighLevel passthrough, Webhooks, Leads, Sub-account settings): the
// statements no other spec checks, read literally, over HTTP only.
import { META_CONFIG, templateId } from '../support/factories';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { metaSignature } from '../support/webhooks';
import { ISO_UTC, Method, setupContractCore } from '../support/contract-core-setup';

describe('API.md contract probe: conventions, roles, templates, integrations, webhooks, leads', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let leadId: string;
  let su: string;
  let admin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, other, ghlId, metaId, leadId, su, admin, close } = await setupContractCore());
  });
  afterAll(() => close());

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
});
