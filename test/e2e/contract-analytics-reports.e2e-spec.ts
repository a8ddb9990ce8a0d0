// A black-box audit of API.md "Analytics" and "Reports" as the CRM frontend reads them and as an
// attacker holding another sub-account's (or an AGENT's) valid token tries them: every listed query
// value answered, every bad one a 400 VALIDATION_FAILED naming its field, the shapes as listed, and
// report templates, generation, lists and downloads (bearer and signed link) inside their tenant.
// Failed before their fix: a timeseries pairing it cannot answer (spend by hour or by status,
// messagesSent by status or campaign) was a 400 whose details were empty, the field unnamed; a spend
// series had no currency, and a bucket holding spend in two currencies read "0.00"; hourly snapshots
// over too long a range named `granularity`, a parameter the snapshots route does not have.
// Everything else passed and stays as a guard of what the other analytics/reports specs leave unasked.
// This part holds the analytics query parameters and shapes; report templates and reports (generation, lists,
// downloads) are in contract-analytics-reports-reports.e2e-spec.ts, the shared setup in
// test/support/contract-analytics-reports-setup.ts.
import { createSubAccount } from '../support/factories';
import { seedSpend } from '../support/report-fixtures';
import { TestApp } from '../support/test-app';
import {
  AnalyticsReportsFixture,
  getAs,
  Json,
  names,
  RANGE,
  setupAnalyticsReports,
} from '../support/contract-analytics-reports-setup';

describe('contract audit: analytics and reports', () => {
  let fx: AnalyticsReportsFixture;
  let t: TestApp;
  let sub: number;
  let subB: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;
  const get = getAs(() => fx);

  beforeAll(async () => {
    fx = await setupAnalyticsReports();
    ({ t, sub, subB, admin, manager, agent, adminB } = fx);
  });
  afterAll(() => fx?.close());

  describe('analytics query parameters', () => {
    // spend has no lead status, a message has no status or campaign: those pairings are refused, and (as
    // any bad value) the 400 names the parameter to change. Spend by hour spreads each day's over its hours
    it('answers every granularity × metric × groupBy listed, or refuses a pairing naming the field', async () => {
      const expected = (granularity: string, metric: string, groupBy: string): string => {
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
});
