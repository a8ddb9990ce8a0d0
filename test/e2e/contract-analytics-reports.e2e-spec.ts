// A black-box audit of API.md "Analytics" and "Reports" as the CRM frontend reads them and as an
// attacker holding another sub-account's (or an AGENT's) valid token tries them: every listed query
// value answered, every bad one a 400 VALIDATION_FAILED naming its field, the shapes as listed, and
// report templates, generation, lists and downloads (bearer and signed link) inside their tenant.
// Failed before their fix: a timeseries pairing it cannot answer (spend by hour or by status,
// messagesSent by status or campaign) was a 400 whose details were empty, the field unnamed; a spend
// series had no currency, and a bucket holding spend in two currencies read "0.00"; hourly snapshots
// over too long a range named `granularity`, a parameter the snapshots route does not have.
// Everything else passed and stays as a guard of what the other analytics/reports specs leave unasked.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from '../support/factories';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

type Json = Record<string, unknown>;
interface Detail {
  field?: string;
  pointer?: string;
}

const RANGE = 'from=2024-03-01&to=2024-03-03';
const CONFIG = { metrics: ['newLeads', 'convertedLeads'], dateRange: { from: '2024-03-01', to: '2024-03-03' } };

describe('contract audit: analytics and reports', () => {
  let t: TestApp;
  let storage: string;
  let sub: number;
  let subB: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-contract-ar-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    sub = await createSubAccount(t, 'PRO', 'Audit A');
    subB = await createSubAccount(t, 'PRO', 'Audit B');
    admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin')}`;
    manager = `Bearer ${t.token('MANAGER', [sub], 'u-manager')}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'u-agent')}`;
    adminB = `Bearer ${t.token('ADMIN', [subB], 'u-admin-b')}`;
    await t.http
      .patch(`/api/sub-accounts/${sub}`)
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send({ timezone: 'Asia/Kolkata' })
      .expect(200);
    await seedLeads(t.sql, sub, [
      { at: '2024-03-01T05:00:00Z', name: 'A1', status: 'CONVERTED', platform: 'meta', campaignId: 'c1' },
      { at: '2024-03-01T06:00:00Z', name: 'A2', status: 'CONTACTED', platform: 'meta', campaignId: 'c1' },
      { at: '2024-03-02T06:00:00Z', name: 'A3', status: 'LOST', platform: 'google-ads', campaignId: 'g1' },
    ]);
    await seedSpend(t.sql, sub, [{ day: '2024-03-01', campaignId: 'c1', spend: '12.5000', currency: 'EUR' }]);
  });
  afterAll(async () => {
    await t.close();
    await rm(storage, { recursive: true, force: true });
  });

  const get = (path: string, auth = admin) => t.http.get(path).set('authorization', auth);
  const names = (details: unknown): string[] =>
    Array.isArray(details) ? (details as Detail[]).map((d) => d.field ?? d.pointer ?? '') : [];

  describe('analytics query parameters', () => {
    // spend is known per local day and has no lead status; a message has no status or campaign: those
    // pairings are refused, and (as any bad value) the 400 names the parameter to change
    it('answers every granularity × metric × groupBy listed, or refuses a pairing naming the field', async () => {
      const expected = (granularity: string, metric: string, groupBy: string): string => {
        if (metric === 'spend' && granularity === 'hour') return '400 granularity';
        if (metric === 'spend' && groupBy === 'status') return '400 groupBy';
        if (metric === 'messagesSent' && (groupBy === 'status' || groupBy === 'campaign')) return '400 groupBy';
        return `200 ${granularity} Asia/Kolkata`;
      };
      const want: Record<string, string> = {};
      const got: Record<string, string> = {};
      for (const granularity of ['hour', 'day', 'week', 'month']) {
        for (const metric of ['newLeads', 'convertedLeads', 'lostLeads', 'spend', 'messagesSent']) {
          for (const groupBy of ['', 'source', 'status', 'campaign', 'integration']) {
            const q = `granularity=${granularity}&metric=${metric}${groupBy ? `&groupBy=${groupBy}` : ''}`;
            const res = await get(`/api/analytics/timeseries?subAccountId=${sub}&${RANGE}&${q}`);
            want[q] = expected(granularity, metric, groupBy);
            got[q] =
              res.status === 200
                ? `200 ${res.body.granularity} ${res.body.timezone}`
                : `${res.status} ${res.body.code === 'VALIDATION_FAILED' ? names(res.body.details).join(',') : res.body.code}`;
          }
        }
      }
      expect(got).toEqual(want);
    });

    it('refuses a bad value of every enumerated query parameter with 400 naming it', async () => {
      const base = `subAccountId=${sub}&${RANGE}`;
      for (const [route, param] of [
        ['timeseries', 'granularity=minute'],
        ['timeseries', 'metric=revenue'],
        ['timeseries', 'groupBy=country'],
        ['overview', 'compare=next'],
        ['attribution', 'model=u-shaped'],
        ['snapshots', 'period=YEARLY'],
        ['funnel', 'stages=NEW,WON'],
        ['funnel', 'stages=NEW'],
      ] as const) {
        const res = await get(`/api/analytics/${route}?${base}&${param}`);
        const field = param.split('=')[0];
        expect([route, param, res.status, res.body.code, names(res.body.details)]).toEqual([
          route,
          param,
          400,
          'VALIDATION_FAILED',
          [field],
        ]);
      }
    });
  });

  describe('analytics shapes', () => {
    it('overview: listed fields, previous only with compare=previous, rates 0 with no leads', async () => {
      const res = await get(`/api/analytics/overview?subAccountId=${sub}&${RANGE}&compare=previous`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['bySource', 'byStatus', 'previous', 'timezone', 'totals']);
      expect(res.body.totals).toEqual({
        totalLeads: 3,
        newLeads: 3,
        convertedLeads: 1,
        lostLeads: 1,
        conversionRate: 1 / 3,
      });
      expect(res.body.previous).toEqual({
        totals: { totalLeads: 0, newLeads: 0, convertedLeads: 0, lostLeads: 0, conversionRate: 0 },
      });
      const meta = (res.body.bySource as Json[]).find((s) => s.platform === 'meta');
      expect(meta).toMatchObject({ leads: 2, converted: 1, conversionRate: 0.5, currency: 'EUR' });
      expect(meta?.spend).toMatch(/^\d+\.\d+$/);
      expect(Number(meta?.spend)).toBe(12.5);
      expect(Number(meta?.costPerLead)).toBe(6.25);
      const without = await get(`/api/analytics/overview?subAccountId=${sub}&${RANGE}`);
      expect(without.body).not.toHaveProperty('previous');
      const empty = await get(`/api/analytics/overview?subAccountId=${subB}&${RANGE}`, adminB);
      expect(empty.body.totals.conversionRate).toBe(0);
      expect(empty.body.byStatus).toEqual({ NEW: 0, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 0, LOST: 0 });
    });

    it('timeseries: zero-filled local buckets for each granularity', async () => {
      const q = (g: string) => get(`/api/analytics/timeseries?subAccountId=${sub}&${RANGE}&granularity=${g}`);
      const day = (await q('day')).body;
      expect(day.series).toEqual([
        {
          key: 'total',
          points: [
            { bucket: '2024-03-01', value: 2 },
            { bucket: '2024-03-02', value: 1 },
            { bucket: '2024-03-03', value: 0 },
          ],
        },
      ]);
      const hour = (await q('hour')).body;
      expect(hour.series[0].points).toHaveLength(72);
      expect(hour.series[0].points[0]).toEqual({ bucket: '2024-03-01T00:00+05:30', value: 0 });
      expect(hour.series[0].points.find((p: Json) => p.bucket === '2024-03-01T10:30+05:30')).toBeUndefined();
      expect(hour.series[0].points.filter((p: { value: number }) => p.value > 0)).toEqual([
        { bucket: '2024-03-01T10:00+05:30', value: 1 },
        { bucket: '2024-03-01T11:00+05:30', value: 1 },
        { bucket: '2024-03-02T11:00+05:30', value: 1 },
      ]);
      expect((await q('week')).body.series[0].points).toEqual([{ bucket: '2024-W09', value: 3 }]);
      expect((await q('month')).body.series[0].points).toEqual([{ bucket: '2024-03', value: 3 }]);
      const spend = (await get(`/api/analytics/timeseries?subAccountId=${sub}&${RANGE}&metric=spend&groupBy=campaign`))
        .body;
      expect(spend.series).toEqual([
        {
          key: 'c1',
          currency: 'EUR',
          points: [
            { bucket: '2024-03-01', value: '12.50' },
            { bucket: '2024-03-02', value: '0.00' },
            { bucket: '2024-03-03', value: '0.00' },
          ],
        },
      ]);
      const grouped = (await get(`/api/analytics/timeseries?subAccountId=${sub}&${RANGE}&groupBy=source`)).body;
      expect(grouped.series.map((s: Json) => s.key)).toEqual(['google-ads', 'meta']);
    });

    // "Money is a decimal string with its currency": a spend series says its currency, and spend in two
    // currencies (ad accounts billed in EUR and USD) is never added up or shown as 0.00
    it('timeseries of spend: each series carries its currency, one series per currency', async () => {
      const subC = await createSubAccount(t, 'PRO', 'Audit C');
      const adminC = `Bearer ${t.token('ADMIN', [subC], 'u-admin-c')}`;
      await seedSpend(t.sql, subC, [
        { day: '2024-03-01', campaignId: 'e1', spend: '10.0000', currency: 'EUR' },
        { day: '2024-03-01', campaignId: 'u1', spend: '5.0000', currency: 'USD' },
        { day: '2024-03-02', campaignId: 'e1', spend: '2.5000', currency: 'EUR' },
      ]);
      const spend = async (query: string, auth = adminC, id = subC): Promise<unknown> =>
        (await get(`/api/analytics/timeseries?subAccountId=${id}&${RANGE}&metric=spend${query}`, auth)).body.series;
      const points = (...values: string[]) => values.map((value, i) => ({ bucket: `2024-03-0${i + 1}`, value }));
      expect(await spend('')).toEqual([
        { key: 'total', currency: 'EUR', points: points('10.00', '2.50', '0.00') },
        { key: 'total', currency: 'USD', points: points('5.00', '0.00', '0.00') },
      ]);
      expect(await spend('&groupBy=campaign')).toEqual([
        { key: 'e1', currency: 'EUR', points: points('10.00', '2.50', '0.00') },
        { key: 'u1', currency: 'USD', points: points('5.00', '0.00', '0.00') },
      ]);
      expect(await spend('&granularity=month')).toEqual([
        { key: 'total', currency: 'EUR', points: [{ bucket: '2024-03', value: '12.50' }] },
        { key: 'total', currency: 'USD', points: [{ bucket: '2024-03', value: '5.00' }] },
      ]);
      // no spend at all: the zero-filled total, in no currency
      expect(await spend('', adminB, subB)).toEqual([
        { key: 'total', currency: null, points: points('0.00', '0.00', '0.00') },
      ]);
    });

    it('funnel: stages, source and campaignId honoured; rates 0 on an empty stage', async () => {
      const res = await get(`/api/analytics/funnel?subAccountId=${sub}&${RANGE}&stages=NEW,CONTACTED,CONVERTED`);
      expect(res.body).toEqual({
        stages: [
          { stage: 'NEW', count: 3, percentage: 1, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
          { stage: 'CONTACTED', count: 2, percentage: 2 / 3, fromPrevious: 2 / 3, dropOff: 1, dropOffRate: 1 / 3 },
          { stage: 'CONVERTED', count: 1, percentage: 1 / 3, fromPrevious: 0.5, dropOff: 1, dropOffRate: 0.5 },
        ],
      });
      const google = await get(`/api/analytics/funnel?subAccountId=${sub}&${RANGE}&source=google-ads`);
      expect(google.body.stages.map((s: Json) => s.count)).toEqual([1, 0, 0, 0]);
      const c1 = await get(`/api/analytics/funnel?subAccountId=${sub}&${RANGE}&campaignId=c1`);
      expect(c1.body.stages.map((s: Json) => s.count)).toEqual([2, 2, 1, 1]);
      const none = await get(`/api/analytics/funnel?subAccountId=${sub}&${RANGE}&campaignId=nope`);
      expect(none.body.stages[1]).toEqual({
        stage: 'CONTACTED',
        count: 0,
        percentage: 0,
        fromPrevious: 0,
        dropOff: 0,
        dropOffRate: 0,
      });
    });

    it('attribution: every model, rows as listed with spend in its currency', async () => {
      for (const model of ['first', 'last', 'linear', 'time-decay', 'position']) {
        const res = await get(`/api/analytics/attribution?subAccountId=${sub}&${RANGE}&model=${model}`);
        expect([model, res.status]).toEqual([model, 200]);
        const c1 = (res.body as Json[]).find((r) => r.campaignId === 'c1');
        expect([model, c1]).toEqual([
          model,
          {
            platform: 'meta',
            campaignId: 'c1',
            campaignName: null,
            conversions: 1,
            spend: '12.50',
            costPerConversion: '12.50',
            currency: 'EUR',
          },
        ]);
      }
    });

    it('snapshots: every period, each row as listed', async () => {
      for (const [period, first, count] of [
        ['HOURLY', '2024-03-01T00:00+05:30', 72],
        ['DAILY', '2024-03-01', 3],
        ['WEEKLY', '2024-W09', 1],
        ['MONTHLY', '2024-03', 1],
      ] as const) {
        const res = await get(`/api/analytics/snapshots?subAccountId=${sub}&${RANGE}&period=${period}`);
        expect([period, res.status, res.body.length]).toEqual([period, 200, count]);
        expect(res.body[0]).toMatchObject({ date: first, period });
        expect(Object.keys(res.body[0].metrics).sort()).toEqual(
          [
            'convertedLeads',
            'conversionRate',
            'leadsBySource',
            'leadsByStatus',
            'lostLeads',
            'newLeads',
            'teamPerformance',
            'totalLeads',
          ].sort(),
        );
      }
    });

    // snapshots take no granularity: a range too long for hourly snapshots names `period`, the parameter
    // the caller can change (or `to`), as timeseries names `granularity`
    it('too many buckets: each route names its own parameter', async () => {
      const long = `subAccountId=${sub}&from=2020-01-01&to=2024-01-01`;
      const hourly = await get(`/api/analytics/snapshots?${long}&period=HOURLY`);
      expect([hourly.status, hourly.body.code, names(hourly.body.details)]).toEqual([
        400,
        'VALIDATION_FAILED',
        ['period'],
      ]);
      const series = await get(`/api/analytics/timeseries?${long}&granularity=hour`);
      expect([series.status, series.body.code, names(series.body.details)]).toEqual([
        400,
        'VALIDATION_FAILED',
        ['granularity'],
      ]);
      expect((await get(`/api/analytics/snapshots?${long}&period=DAILY`)).status).toBe(200);
    });

    it('roles: AGENT refused everywhere, MANAGER may read but not rebuild, B may not name A', async () => {
      for (const route of ['overview', 'timeseries', 'funnel', 'team', 'attribution', 'snapshots']) {
        expect([route, (await get(`/api/analytics/${route}?subAccountId=${sub}`, agent)).status]).toEqual([route, 403]);
        expect([route, (await get(`/api/analytics/${route}?subAccountId=${sub}`, manager)).status]).toEqual([
          route,
          200,
        ]);
        const b = await get(`/api/analytics/${route}?subAccountId=${sub}`, adminB);
        expect([route, b.status, b.body.code]).toEqual([route, 403, 'FORBIDDEN']);
      }
      const rebuild = (auth: string) =>
        t.http.post('/api/analytics/rebuild').set('authorization', auth).send({ subAccountId: sub });
      expect((await rebuild(manager)).status).toBe(403);
      expect((await rebuild(agent)).status).toBe(403);
      expect((await rebuild(adminB)).status).toBe(403);
      expect((await rebuild(admin)).status).toBe(202);
    });
  });

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
