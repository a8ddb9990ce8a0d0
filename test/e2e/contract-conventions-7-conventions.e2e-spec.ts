// A seventh black-box audit: API.md's "Conventions" and "Authentication and roles" applied across every
// route family at once (one table per rule), and "Integration templates" at the edges the earlier audits
// leave open. contract-core, contract-audit*, security-* and integration-templates pin the rest.
// This part holds "Conventions"; "Authentication and roles" and "Integration templates" are in
// contract-conventions-7-roles-templates.e2e-spec.ts, the shared setup in
// test/support/contract-conventions-7-setup.ts.
// Failed before its fix: a PATCH whose JSON body is `null` answered 200 as if `{}` had been sent.
import { TestApp } from '../support/test-app';
import {
  ContractConventions7,
  Method,
  notEnvelope,
  REPORT_CONFIG,
  Res,
  setupContractConventions7,
} from '../support/contract-conventions-7-setup';

const withQuery = (path: string, query: string): string => `${path}${path.includes('?') ? '&' : '?'}${query}`;

const fieldsOf = (body: Record<string, unknown>): unknown[] =>
  Array.isArray(body.details) ? body.details.map((d: { field?: unknown }) => d.field) : [];

describe('API.md contract audit 7: conventions, roles and templates across route families', () => {
  let t: TestApp;
  let sub: number;
  let su: string;
  let ghlId: number;
  let leadId: string;
  let send: ContractConventions7['send'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, su, ghlId, leadId, send, close } = await setupContractConventions7());
  });
  afterAll(async () => close?.());

  describe('Conventions', () => {
    const lists = (): string[] => [
      `/api/integrations?subAccountId=${sub}`,
      `/api/integrations/${ghlId}/sync-runs`,
      `/api/leads?subAccountId=${sub}`,
      `/api/whatsapp/templates?subAccountId=${sub}`,
      `/api/whatsapp/messages?subAccountId=${sub}`,
      `/api/whatsapp/conversations?subAccountId=${sub}`,
      `/api/whatsapp/bulk?subAccountId=${sub}`,
      `/api/whatsapp/opt-outs?subAccountId=${sub}`,
      `/api/conversations?subAccountId=${sub}`,
      `/api/messages?subAccountId=${sub}`,
      `/api/report-templates?subAccountId=${sub}`,
      `/api/reports?subAccountId=${sub}`,
    ];

    it('answers every list { items, page, pageSize, total }, 1 and 50 by default, pageSize 200 taken', async () => {
      const wrong: string[] = [];
      for (const path of lists()) {
        const plain = await t.http.get(path).set('authorization', su);
        const shape = [plain.status, Object.keys(plain.body).sort().join(), plain.body.page, plain.body.pageSize];
        if (JSON.stringify(shape) !== JSON.stringify([200, 'items,page,pageSize,total', 1, 50]))
          wrong.push(`${path}: ${JSON.stringify(shape)}`);
        if (!Array.isArray(plain.body.items) || !Number.isInteger(plain.body.total)) wrong.push(`${path}: items/total`);
        const max = await t.http.get(withQuery(path, 'pageSize=200&page=3')).set('authorization', su);
        if (max.status !== 200 || max.body.pageSize !== 200 || max.body.page !== 3)
          wrong.push(`${path} pageSize=200&page=3: ${max.status}`);
      }
      expect(wrong).toEqual([]);
    });

    it('refuses pageSize over 200 and a page or pageSize that is not a positive integer, 400 naming it', async () => {
      const wrong: string[] = [];
      const bad: Array<[string, string]> = [
        ['pageSize', '201'],
        ['pageSize', '0'],
        ['pageSize', 'abc'],
        ['pageSize', '2.5'],
        ['page', '0'],
        ['page', '-1'],
        ['page', 'abc'],
        ['page', '1.5'],
      ];
      for (const path of lists()) {
        for (const [key, value] of bad) {
          const res = await t.http.get(withQuery(path, `${key}=${value}`)).set('authorization', su);
          const problem = notEnvelope(res, 400, 'VALIDATION_FAILED');
          if (problem || !fieldsOf(res.body).includes(key)) wrong.push(`${path} ${key}=${value}: ${problem}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    const writes = (): Array<[Method, string]> => [
      ['post', '/api/leads'],
      ['patch', `/api/leads/${leadId}`],
      ['post', `/api/leads/${leadId}/activities`],
      ['post', '/api/integration-templates'],
      ['patch', `/api/integration-templates/1`],
      ['patch', `/api/integrations/${ghlId}`],
      ['post', '/api/sub-accounts'],
      ['patch', `/api/sub-accounts/${sub}`],
      ['post', '/api/whatsapp/messages'],
      ['post', '/api/whatsapp/templates'],
      ['post', '/api/whatsapp/bulk'],
      ['post', '/api/whatsapp/opt-outs'],
      ['post', '/api/whatsapp/conversations/auto-link'],
      ['post', '/api/messages'],
      ['post', '/api/report-templates'],
      ['post', '/api/analytics/rebuild'],
    ];

    it('answers malformed JSON 400, another content type 415, on every REST write, in the error shape', async () => {
      const wrong: string[] = [];
      for (const [method, path] of writes()) {
        const req = () => t.http[method](path).set('authorization', su);
        const cases: Array<[string, Promise<Res>, number, string]> = [
          ['malformed', req().set('content-type', 'application/json').send('{"a":'), 400, 'VALIDATION_FAILED'],
          ['text/plain', req().set('content-type', 'text/plain').send('hello'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
          [
            'form',
            req().set('content-type', 'application/x-www-form-urlencoded').send('a=b'),
            415,
            'UNSUPPORTED_MEDIA_TYPE',
          ],
          ['array', req().set('content-type', 'application/json').send('[]'), 400, 'VALIDATION_FAILED'],
          ['unknown field', req().send({ zzUnknown: 1 }), 400, 'VALIDATION_FAILED'],
        ];
        for (const [name, pending, status, code] of cases) {
          const problem = notEnvelope(await pending, status, code);
          if (problem) wrong.push(`${method} ${path} ${name}: ${problem}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('answers a PATCH whose JSON body is null 400 VALIDATION_FAILED; {} stays an update of nothing', async () => {
      const wrong: string[] = [];
      for (const [method, path] of writes().filter(([m]) => m === 'patch')) {
        const res = await t.http[method](path)
          .set('authorization', su)
          .set('content-type', 'application/json')
          .send('null');
        const problem = notEnvelope(res, 400, 'VALIDATION_FAILED');
        if (problem) wrong.push(`${method} ${path}: ${problem}`);
      }
      expect(wrong).toEqual([]);
      // an empty object is still an update of nothing
      expect((await t.http.patch(`/api/leads/${leadId}`).set('authorization', su).send({})).status).toBe(200);
    });

    it('answers an unknown route or a method a route does not have 404 NOT_FOUND in the error shape, with or without a token', async () => {
      const cases: Array<[string, Promise<Res>]> = [
        ['PUT a lead', t.http.put(`/api/leads/${leadId}`).set('authorization', su).send({})],
        ['DELETE a lead', t.http.delete(`/api/leads/${leadId}`).set('authorization', su)],
        ['PATCH a message list', t.http.patch('/api/whatsapp/messages').set('authorization', su).send({})],
        ['unknown, no token', t.http.get('/api/nothing-here')],
        ['outside /api', t.http.get('/nothing-here')],
      ];
      const wrong: string[] = [];
      for (const [name, pending] of cases) {
        const problem = notEnvelope(await pending, 404, 'NOT_FOUND');
        if (problem) wrong.push(`${name}: ${problem}`);
      }
      expect(wrong).toEqual([]);
    });

    it('rejects unknown fields inside nested request objects too', async () => {
      const cases: Array<[Method, string, object]> = [
        ['post', '/api/whatsapp/messages', { subAccountId: sub, to: '14155550100', template: { id: '1', zz: 1 } }],
        ['post', '/api/whatsapp/bulk', { subAccountId: sub, filter: { status: 'NEW', zz: 1 }, text: 'hi' }],
        ['post', '/api/whatsapp/bulk', { subAccountId: sub, leadIds: [leadId], template: { id: '1', zz: 1 } }],
        [
          'post',
          '/api/report-templates',
          {
            subAccountId: sub,
            name: 'r',
            type: 'FUNNEL',
            config: REPORT_CONFIG,
            format: 'PDF',
            isActive: true,
            schedule: { frequency: 'DAILY', time: '09:00', recipients: ['a@example.org'], zz: 1 },
          },
        ],
      ];
      const wrong: string[] = [];
      for (const [method, path, body] of cases) {
        const res = await send(method, path, su, body);
        const problem = notEnvelope(res, 400, 'VALIDATION_FAILED');
        if (problem || !JSON.stringify(res.body.details).includes('zz')) wrong.push(`${path}: ${problem}`);
      }
      expect(wrong).toEqual([]);
    });
  });
});
