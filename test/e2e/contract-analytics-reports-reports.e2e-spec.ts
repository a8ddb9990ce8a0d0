// Part of the analytics and reports contract audit (header in contract-analytics-reports.e2e-spec.ts): report
// templates, and reports generated, listed and downloaded (bearer and signed link) inside their tenant; the
// shared setup is in test/support/contract-analytics-reports-setup.ts.
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  AnalyticsReportsFixture,
  CONFIG,
  getAs,
  Json,
  names,
  setupAnalyticsReports,
} from '../support/contract-analytics-reports-setup';

describe('contract audit: analytics and reports', () => {
  let fx: AnalyticsReportsFixture;
  let t: TestApp;
  let sub: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;
  const get = getAs(() => fx);

  beforeAll(async () => {
    fx = await setupAnalyticsReports();
    ({ t, sub, admin, manager, agent, adminB } = fx);
  });
  afterAll(() => fx?.close());

  describe('report templates', () => {
    const create = (body: Json, auth = admin) =>
      t.http.post('/api/report-templates').set('authorization', auth).send(body);
    const base = { subAccountId: 0, name: 'T', type: 'SOURCE', config: CONFIG, format: 'PDF' };

    it('takes every dateRange form, chart type and schedule frequency listed', async () => {
      for (const dateRange of [
        'LAST_7_DAYS',
        'LAST_30_DAYS',
        'THIS_MONTH',
        'LAST_MONTH',
        { from: '2024-01-01', to: '2024-01-31' },
      ]) {
        const res = await create({
          ...base,
          subAccountId: sub,
          config: { ...CONFIG, dateRange, chartTypes: ['bar', 'line', 'pie', 'table'], groupBy: ['source', 'day'] },
        });
        expect([dateRange, res.status]).toEqual([dateRange, 201]);
      }
      for (const schedule of [
        { frequency: 'DAILY', time: '00:00', recipients: ['a@example.com'] },
        { frequency: 'WEEKLY', dayOfWeek: 7, time: '23:59', recipients: ['a@example.com', 'b@example.org'] },
        { frequency: 'MONTHLY', dayOfMonth: 31, time: '08:30', recipients: ['a@example.com'] },
      ]) {
        const res = await create({ ...base, subAccountId: sub, schedule }, manager);
        expect([schedule.frequency, res.status, res.body.schedule]).toEqual([schedule.frequency, 201, schedule]);
        expect(res.body).toMatchObject({ isActive: true, subAccountId: sub, type: 'SOURCE', format: 'PDF' });
      }
    });

    it('refuses each bad config or schedule naming the field', async () => {
      for (const [what, patch, field] of [
        ['groupBy of 3', { config: { ...CONFIG, groupBy: ['source', 'status', 'day'] } }, '/config/groupBy'],
        ['unknown chart', { config: { ...CONFIG, chartTypes: ['donut'] } }, '/config/chartTypes/0'],
        ['unknown preset', { config: { ...CONFIG, dateRange: 'LAST_YEAR' } }, '/config/dateRange'],
        ['half a range', { config: { ...CONFIG, dateRange: { from: '2024-01-01' } } }, '/config/dateRange'],
        ['no metrics', { config: { dateRange: 'LAST_7_DAYS' } }, '/config/metrics'],
        [
          'weekly without day',
          { schedule: { frequency: 'WEEKLY', time: '08:00', recipients: ['a@example.com'] } },
          'schedule.dayOfWeek',
        ],
        [
          'dayOfWeek 8',
          { schedule: { frequency: 'WEEKLY', dayOfWeek: 8, time: '08:00', recipients: ['a@example.com'] } },
          'schedule.dayOfWeek',
        ],
        [
          'dayOfMonth 0',
          { schedule: { frequency: 'MONTHLY', dayOfMonth: 0, time: '08:00', recipients: ['a@example.com'] } },
          'schedule.dayOfMonth',
        ],
        [
          'time 8:00',
          { schedule: { frequency: 'DAILY', time: '8:00', recipients: ['a@example.com'] } },
          'schedule.time',
        ],
        [
          'time 24:00',
          { schedule: { frequency: 'DAILY', time: '24:00', recipients: ['a@example.com'] } },
          'schedule.time',
        ],
        [
          'time with seconds',
          { schedule: { frequency: 'DAILY', time: '08:00:00', recipients: ['a@example.com'] } },
          'schedule.time',
        ],
        [
          'bad e-mail',
          { schedule: { frequency: 'DAILY', time: '08:00', recipients: ['not-an-email'] } },
          'schedule.recipients.0',
        ],
        ['no recipients', { schedule: { frequency: 'DAILY', time: '08:00', recipients: [] } }, 'schedule.recipients'],
        [
          'hourly',
          { schedule: { frequency: 'HOURLY', time: '08:00', recipients: ['a@example.com'] } },
          'schedule.frequency',
        ],
        ['bad format', { format: 'CSV' }, 'format'],
        ['bad type', { type: 'FOO' }, 'type'],
        ['isActive null', { isActive: null }, 'isActive'],
      ] as const) {
        const res = await create({ ...base, subAccountId: sub, ...patch });
        expect([
          what,
          res.status,
          ['VALIDATION_FAILED', 'CONFIG_SCHEMA_INVALID'].includes(res.body.code),
          names(res.body.details).includes(field) ? field : names(res.body.details),
        ]).toEqual([what, 400, true, field]);
      }
    });

    it('PATCH keeps what it is not given, isActive toggles, DELETE is 204 then 404', async () => {
      const created = await create({ ...base, subAccountId: sub, description: 'd' });
      const id = created.body.id as number;
      const patched = await t.http
        .patch(`/api/report-templates/${id}`)
        .set('authorization', manager)
        .send({ isActive: false });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, isActive: false, description: 'd', name: 'T', format: 'PDF' });
      const listed = await get(`/api/report-templates?subAccountId=${sub}&pageSize=200`);
      expect(listed.body).toMatchObject({ page: 1, pageSize: 200 });
      expect((listed.body.items as Json[]).find((r) => r.id === id)).toMatchObject({ isActive: false });
      expect((await get(`/api/report-templates?pageSize=201`)).status).toBe(400);
      expect((await t.http.delete(`/api/report-templates/${id}`).set('authorization', admin)).status).toBe(204);
      const gone = await get(`/api/report-templates/${id}`);
      expect([gone.status, gone.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('reports: generate, list, download', () => {
    let templateA: number;
    let templateA2: number;
    let report: Json;

    const generate = async (templateId: number, body: Json = {}): Promise<string> => {
      const res = await t.http
        .post(`/api/report-templates/${templateId}/generate`)
        .set('authorization', manager)
        .send(body);
      expect(res.status).toBe(202);
      expect(Object.keys(res.body)).toEqual(['reportId']);
      return res.body.reportId as string;
    };
    const ready = (id: string): Promise<Json> =>
      waitFor(
        async () => {
          const list = await get(`/api/reports?subAccountId=${sub}&pageSize=200`);
          const r = (list.body.items as Json[]).find((x) => x.id === id);
          return r && (r.status === 'ready' || r.status === 'failed') ? r : undefined;
        },
        30_000,
        'the report',
      );

    beforeAll(async () => {
      const mk = async (name: string, format: string): Promise<number> =>
        (
          await t.http
            .post('/api/report-templates')
            .set('authorization', admin)
            .send({ subAccountId: sub, name, type: 'SOURCE', config: CONFIG, format })
        ).body.id as number;
      templateA = await mk('Sources March', 'PDF');
      templateA2 = await mk('Other', 'EXCEL');
      report = await ready(await generate(templateA));
      await ready(await generate(templateA2));
    });

    it('lists reports as listed and filters them by templateId', async () => {
      expect(report).toMatchObject({
        status: 'ready',
        fileType: 'PDF',
        templateId: templateA,
        generatedBy: 'u-manager',
      });
      for (const key of [
        'id',
        'templateId',
        'status',
        'fileType',
        'fileName',
        'rows',
        'bytes',
        'periodStart',
        'periodEnd',
        'generatedBy',
        'createdAt',
        'downloadUrl',
      ])
        expect([key, key in report]).toEqual([key, true]);
      const filtered = await get(`/api/reports?templateId=${templateA2}`);
      expect(filtered.body.total).toBe(1);
      expect((filtered.body.items as Json[]).every((r) => r.templateId === templateA2)).toBe(true);
      const excel = await generate(templateA, { format: 'EXCEL', from: '2024-03-02', to: '2024-03-02' });
      const r = await ready(excel);
      expect(r).toMatchObject({
        fileType: 'EXCEL',
        periodStart: '2024-03-01T18:30:00.000Z',
        periodEnd: '2024-03-02T18:30:00.000Z',
      });
    });

    it('downloads by bearer and by the signed link alone, with Content-Disposition', async () => {
      const bearer = await get(`/api/reports/${report.id as string}/download`, manager);
      expect(bearer.status).toBe(200);
      expect(bearer.headers['content-disposition']).toMatch(
        /^attachment; filename="sources-march_2024-03-01_2024-03-03\.pdf"/,
      );
      const url = new URL(report.downloadUrl as string);
      const expires = Number(url.searchParams.get('expires'));
      expect(expires * 1000 - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600_000);
      const signed = await t.http.get(`${url.pathname}${url.search}`);
      expect(signed.status).toBe(200);
      expect(signed.headers['content-disposition']).toMatch(/^attachment; /);
      expect(signed.headers['content-type']).toBe('application/pdf');
    });

    it('refuses a tampered, expired, too-long or other-report signature, and B’s bearer', async () => {
      const url = new URL(report.downloadUrl as string);
      const sig = url.searchParams.get('signature') as string;
      const exp = url.searchParams.get('expires') as string;
      const path = url.pathname;
      const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      for (const [what, query] of [
        ['tampered signature', `expires=${exp}&signature=${flipped}`],
        ['later expiry', `expires=${Number(exp) + 60}&signature=${sig}`],
        ['expired', `expires=${Math.floor(Date.now() / 1000) - 60}&signature=${sig}`],
        ['signature alone', `signature=${sig}`],
        ['expires alone', `expires=${exp}`],
      ] as const) {
        const res = await t.http.get(`${path}?${query}`);
        expect([what, res.status, res.body.code]).toEqual([what, 401, 'UNAUTHENTICATED']);
      }
      const other = await t.http.get(`/api/reports/${Number(report.id) + 1}/download?expires=${exp}&signature=${sig}`);
      expect(other.status).toBe(401);
      const b = await get(`/api/reports/${report.id as string}/download`, adminB);
      expect([b.status, b.body.code]).toEqual([404, 'NOT_FOUND']);
      const ag = await get(`/api/reports/${report.id as string}/download`, agent);
      expect(ag.status).toBe(403);
      expect((await t.http.get(`/api/reports/${report.id as string}/download`)).status).toBe(401);
      const listB = await get(`/api/reports?templateId=${templateA}`, adminB);
      expect(listB.body).toMatchObject({ items: [], total: 0 });
    });
  });
});
