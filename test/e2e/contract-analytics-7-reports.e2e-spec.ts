// Part of the API.md analytics and reports audit 7 (header in contract-analytics-7-figures.e2e-spec.ts):
// validation and tenancy of the routes' own parameters, report files, and report body/template validation.
import { binaryBody } from '../support/binary-body';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { Analytics7, startAnalytics7, analytics7Helpers, Json, names } from '../support/contract-analytics-7-setup';

describe('contract audit 7: analytics and reports on hand-computed figures', () => {
  let w: Analytics7;
  let t: TestApp;
  let sp: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;
  const { get, ok } = analytics7Helpers(() => w);

  beforeAll(async () => {
    w = await startAnalytics7();
    ({ t, sp, admin, manager, agent, adminB } = w);
  });
  afterAll(() => w?.close());

  describe('validation and tenancy of the routes’ own parameters', () => {
    it('a bad date, subAccountId or rebuild body is a 400 naming the field', async () => {
      for (const [path, field] of [
        [`/api/analytics/overview?subAccountId=${sp}&from=2024-02-30`, 'from'],
        [`/api/analytics/overview?subAccountId=${sp}&to=yesterday`, 'to'],
        [`/api/analytics/funnel?subAccountId=abc`, 'subAccountId'],
        [`/api/analytics/team?from=2024-01-01&to=2024-01-02`, 'subAccountId'],
      ] as const) {
        const res = await get(path);
        expect([path, res.status, res.body.code, names(res.body.details)]).toEqual([
          path,
          400,
          'VALIDATION_FAILED',
          [field],
        ]);
      }
      for (const [body, field] of [
        [{}, 'subAccountId'],
        [{ subAccountId: sp, extra: 1 }, 'extra'],
        [{ subAccountId: sp, from: 'soon' }, 'from'],
      ] as const) {
        const res = await t.http.post('/api/analytics/rebuild').set('authorization', admin).send(body);
        expect([body, res.status, res.body.code, names(res.body.details).includes(field)]).toEqual([
          body,
          400,
          'VALIDATION_FAILED',
          true,
        ]);
      }
    });

    it('another sub-account’s template is a 404 on every route; naming its sub-account is a 403', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sp,
          name: 'Mine',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      for (const [method, path] of [
        ['get', `/api/report-templates/${id}`],
        ['patch', `/api/report-templates/${id}`],
        ['delete', `/api/report-templates/${id}`],
        ['post', `/api/report-templates/${id}/generate`],
      ] as const) {
        const res = await t.http[method](path)
          .set('authorization', adminB)
          .send(method === 'patch' ? { name: 'x' } : {});
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'NOT_FOUND']);
      }
      const post = await t.http
        .post('/api/report-templates')
        .set('authorization', adminB)
        .send({
          subAccountId: sp,
          name: 'Theirs',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect([post.status, post.body.code]).toEqual([403, 'FORBIDDEN']);
      for (const path of [`/api/report-templates?subAccountId=${sp}`, `/api/reports?subAccountId=${sp}`]) {
        const res = await get(path, adminB);
        expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      }
      expect((await get(`/api/report-templates/${id}`, agent)).status).toBe(403);
    });
  });

  describe('report files', () => {
    it('a PDF is a PDF and an Excel file an XLSX (zip) by their magic bytes, of the listed size', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', manager)
        .send({
          subAccountId: sp,
          name: 'Leap',
          type: 'CONVERSION',
          config: { metrics: ['newLeads', 'convertedLeads'], dateRange: { from: '2020-02-29', to: '2020-03-02' } },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      for (const [format, magic, type] of [
        ['PDF', '%PDF-', 'application/pdf'],
        ['EXCEL', 'PK\u0003\u0004', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ] as const) {
        const gen = await t.http
          .post(`/api/report-templates/${created.body.id as number}/generate`)
          .set('authorization', manager)
          .send({ format });
        expect(gen.status).toBe(202);
        const report = await waitFor(
          async () => {
            const list = await ok(`/api/reports?subAccountId=${sp}&pageSize=200`, manager);
            const r = (list.items as Json[]).find((x) => x.id === gen.body.reportId);
            return r && (r.status === 'ready' || r.status === 'failed') ? r : undefined;
          },
          30_000,
          'the report',
        );
        expect(report).toMatchObject({
          status: 'ready',
          fileType: format,
          periodStart: '2020-02-29T03:00:00.000Z',
          periodEnd: '2020-03-03T03:00:00.000Z',
        });
        const file = await t.http
          .get(`/api/reports/${report.id as string}/download`)
          .set('authorization', manager)
          .buffer(true)
          .parse(binaryBody);
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe(type);
        const body = file.body as Buffer;
        expect([format, body.subarray(0, magic.length).toString('latin1')]).toEqual([format, magic]);
        expect(body.length).toBe(report.bytes);
      }
    });
  });

  describe('reports: the generate body and template updates are validated', () => {
    it('refuses a bad generate body or template PATCH with 400 naming the field', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sp,
          name: 'Checked',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      for (const [body, field] of [
        [{ format: 'CSV' }, 'format'],
        [{ from: '2024-02-30' }, 'from'],
        [{ to: 'tomorrow' }, 'to'],
        [{ from: '2024-03-05', to: '2024-03-01' }, 'from'],
        [{ extra: true }, 'extra'],
      ] as const) {
        const res = await t.http.post(`/api/report-templates/${id}/generate`).set('authorization', admin).send(body);
        expect([body, res.status, res.body.code]).toEqual([body, 400, 'VALIDATION_FAILED']);
        expect([body, names(res.body.details).some((n) => n === field || n === 'to')]).toEqual([body, true]);
      }
      for (const [body, field] of [
        [{ extra: true }, 'extra'],
        [{ format: 'CSV' }, 'format'],
        [{ config: { metrics: ['newLeads'], dateRange: 'YESTERDAY' } }, '/config/dateRange'],
        [{ name: '' }, 'name'],
      ] as const) {
        const res = await t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send(body);
        expect([body, res.status, names(res.body.details).includes(field)]).toEqual([body, 400, true]);
      }
      const after = await get(`/api/report-templates/${id}`);
      expect(after.body).toMatchObject({ name: 'Checked', format: 'PDF', config: { dateRange: 'LAST_7_DAYS' } });
    });
  });
});
