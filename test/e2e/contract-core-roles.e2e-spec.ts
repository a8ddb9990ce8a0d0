// The contract-core probe's "Authentication and roles" section; the other sections are in
// contract-core-*.e2e-spec.ts (conventions first), the shared setup in test/support/contract-core-setup.ts.
import { createIntegration, GHL_CONFIG, META_CONFIG, templateId } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { Method, setupContractCore } from '../support/contract-core-setup';

type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';

describe('API.md contract probe: conventions, roles, templates, integrations, webhooks, leads', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let leadId: string;
  let admin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, ghl, sub, other, ghlId, metaId, leadId, admin, close } = await setupContractCore());
  });
  afterAll(() => close());

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
});
