// A report and the dashboard over the same range give the same figures (issue 13: reports read the
// analytics figures, not the lead tables): in a sub-account in America/Sao_Paulo (UTC−3), with leads
// on both sides of local midnight, a lead converted in the range that was created before it, a loss
// recorded late in the last local day, a test lead and spend outside the range.
import { binaryBody } from '../support/binary-body';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDaysRange, resolveDateRange } from '../../src/modules/analytics/time/date-range';
import { REPORT_DATA_SOURCE, ReportDataSource, ReportQuery } from '../../src/modules/reports/data/report-data-source';
import { createSubAccount } from '../support/factories';
import { pdfText } from '../support/pdf-text';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const ZONE = 'America/Sao_Paulo';
const FROM = { year: 2024, month: 3, day: 1 };
const TO = { year: 2024, month: 3, day: 3 };

interface OverviewBody {
  timezone: string;
  totals: { totalLeads: number; newLeads: number; convertedLeads: number; lostLeads: number; conversionRate: number };
  bySource: {
    platform: string;
    integrationId: number | null;
    leads: number;
    converted: number;
    spend: string | null;
  }[];
  byStatus: Record<string, number>;
}

describe('reports read the analytics figures', () => {
  let t: TestApp;
  let storage: string;
  let sub: number;
  let other: number;
  let admin: string;
  let source: ReportDataSource;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-report-figures-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    sub = await createSubAccount(t, 'PRO', 'Figures SP');
    other = await createSubAccount(t, 'PRO', 'Figures other');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const patched = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone: ZONE });
    expect([patched.status, patched.body.timezone]).toEqual([200, ZONE]);
    source = t.app.get<ReportDataSource>(REPORT_DATA_SOURCE);
    // local days 2024-03-01..03 in São Paulo are [03-01T03:00Z, 03-04T03:00Z)
    await seedLeads(t.sql, sub, [
      // 02-29 23:30 local: before the range (in the stock only)
      { at: '2024-03-01T02:30:00Z', name: 'Before Midnight', status: 'NEW', platform: 'meta', campaignId: 'c1' },
      // 03-01 00:30 local, converted on 03-02
      {
        at: '2024-03-01T03:30:00Z',
        name: 'Łukasz Kowalski',
        status: 'CONVERTED',
        statusAt: '2024-03-02T12:00:00Z',
        platform: 'meta',
        campaignId: 'c1',
        campaignName: 'Spring Sale',
      },
      // lost at 03-03 23:00 local (03-04 in UTC)
      {
        at: '2024-03-02T10:00:00Z',
        name: 'Σοφία Παπαδοπούλου',
        status: 'LOST',
        statusAt: '2024-03-04T02:00:00Z',
        platform: 'google-ads',
        campaignId: 'c2',
      },
      // created in February, converted in the range: counted as converted on its day
      {
        at: '2024-02-20T10:00:00Z',
        name: 'February Lead',
        status: 'CONVERTED',
        statusAt: '2024-03-03T15:00:00Z',
        platform: 'meta',
        campaignId: 'c1',
      },
      { at: '2024-03-02T20:00:00Z', name: 'Мария Иванова', status: 'CONTACTED', platform: 'linkedin' },
      // 03-03 23:59 local: the last minute of the range
      { at: '2024-03-04T02:59:00Z', name: 'José Álvarez', status: 'QUALIFIED', platform: 'meta', campaignId: 'c3' },
      // 03-04 00:00 local: after it
      { at: '2024-03-04T03:00:00Z', name: 'After Range', status: 'NEW', platform: 'meta', campaignId: 'c1' },
      {
        at: '2024-03-02T11:00:00Z',
        name: 'Test Lead',
        status: 'CONVERTED',
        platform: 'meta',
        campaignId: 'c1',
        isTest: true,
      },
    ]);
    await seedSpend(t.sql, sub, [
      { day: '2024-03-01', campaignId: 'c1', spend: '10.0000', currency: 'USD' },
      { day: '2024-03-03', campaignId: 'c3', spend: '2.5000', currency: 'USD' },
      { day: '2024-03-04', campaignId: 'c1', spend: '99.0000', currency: 'USD' },
    ]);
    await seedLeads(t.sql, other, [
      { at: '2024-03-02T10:00:00Z', name: 'Other Tenant', status: 'CONVERTED', platform: 'meta' },
    ]);
  });
  afterAll(async () => {
    await t.close();
    await rm(storage, { recursive: true, force: true });
  });

  const query = (filters: ReportQuery['filters'] = {}): ReportQuery => ({
    subAccountId: sub,
    range: localDaysRange(FROM, TO, ZONE),
    filters,
  });

  async function overview(from = '2024-03-01', to = '2024-03-03'): Promise<OverviewBody> {
    const res = await t.http
      .get(`/api/analytics/overview?subAccountId=${sub}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    return res.body as OverviewBody;
  }

  it('summary equals GET /api/analytics/overview over the same local days (and the hand-computed figures)', async () => {
    const dashboard = await overview();
    expect(dashboard.timezone).toBe(ZONE);
    const totals = await source.totals(query());
    expect({
      totalLeads: totals.totalLeads,
      newLeads: totals.newLeads,
      convertedLeads: totals.convertedLeads,
      lostLeads: totals.lostLeads,
    }).toEqual({
      totalLeads: dashboard.totals.totalLeads,
      newLeads: dashboard.totals.newLeads,
      convertedLeads: dashboard.totals.convertedLeads,
      lostLeads: dashboard.totals.lostLeads,
    });
    // by hand: new = Łukasz, Sofia, Maria, José; converted = Łukasz, February; lost = Sofia; the stock
    // at the end of 03-03 = those four, Before Midnight and February (not After Range, not the test lead)
    expect(totals).toEqual({
      totalLeads: 6,
      newLeads: 4,
      convertedLeads: 2,
      lostLeads: 1,
      // exact, as ad_costs keeps it (6 decimals): the report divides it for its costs and prints it to the cent
      spend: '12.500000',
      currency: 'USD',
    });
  });

  it('breakdowns equal the overview by source and the timeseries by local day', async () => {
    const dashboard = await overview();
    const bySource = await source.breakdown(query(), ['source']);
    expect(bySource.map((r) => [r.keys[0], r.newLeads, r.convertedLeads])).toEqual(
      dashboard.bySource
        .filter((s) => s.leads + s.converted > 0)
        .map((s) => [s.platform, s.leads, s.converted])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(bySource.find((r) => r.keys[0] === 'meta')?.spend).toBe('12.500000');

    const byDay = await source.breakdown(query(), ['day']);
    for (const metric of ['newLeads', 'convertedLeads', 'lostLeads'] as const) {
      const res = await t.http
        .get(
          `/api/analytics/timeseries?subAccountId=${sub}&from=2024-03-01&to=2024-03-03&granularity=day&metric=${metric}`,
        )
        .set('authorization', admin);
      expect(res.status).toBe(200);
      const points = (res.body.series as { key: string; points: { bucket: string; value: number }[] }[])[0].points;
      expect(byDay.map((r) => [r.keys[0], r[metric]])).toEqual(
        points.filter((p) => byDay.some((r) => r.keys[0] === p.bucket)).map((p) => [p.bucket, p.value]),
      );
      expect(points.reduce((n, p) => n + p.value, 0)).toBe(byDay.reduce((n, r) => n + r[metric], 0));
    }
    // local days: Łukasz on 03-01 (00:30), the loss on 03-03 (23:00), José on 03-03 (23:59)
    expect(byDay.map((r) => [r.keys[0], r.newLeads, r.convertedLeads, r.lostLeads])).toEqual([
      ['2024-03-01', 1, 0, 0],
      ['2024-03-02', 2, 1, 0],
      ['2024-03-03', 1, 1, 1],
    ]);
  });

  it("a source no spend row names has no spend (null, shown —) in both readings, as the overview's bySource", async () => {
    const dashboard = await overview();
    const spendOf = (platform: string): string | null =>
      dashboard.bySource.find((s) => s.platform === platform && s.spend !== null)?.spend ?? null;
    expect(['meta', 'google-ads', 'linkedin'].map(spendOf)).toEqual(['12.50', null, null]);
    // the rollup reading, and the lead-table one (a status filter the rollup cannot take)
    const everyStatus = { status: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'] };
    for (const filters of [{}, everyStatus]) {
      const bySource = await source.breakdown(query(filters), ['source']);
      expect(bySource.map((r) => [r.keys[0], r.spend === null ? null : Number(r.spend).toFixed(2)])).toEqual(
        bySource.map((r) => [r.keys[0], spendOf(r.keys[0])]),
      );
      expect(bySource.map((r) => r.keys[0])).toEqual(expect.arrayContaining(['google-ads', 'linkedin', 'meta']));
    }
  });

  it('a range that ends inside a local day agrees with the overview over the same instants', async () => {
    const from = '2024-03-01T03:00:00.000Z';
    const to = '2024-03-03T18:00:00.000Z'; // 03-03 15:00 local: before José and the loss
    const dashboard = await overview(from, to);
    const totals = await source.totals({ subAccountId: sub, range: resolveDateRange(from, to, ZONE), filters: {} });
    expect([totals.totalLeads, totals.newLeads, totals.convertedLeads, totals.lostLeads]).toEqual([
      dashboard.totals.totalLeads,
      dashboard.totals.newLeads,
      dashboard.totals.convertedLeads,
      dashboard.totals.lostLeads,
    ]);
    expect([totals.newLeads, totals.convertedLeads, totals.lostLeads]).toEqual([3, 2, 0]);
  });

  /** Generates a PDF report of a new template and answers its list item and its text on one line. */
  const generatedPdf = async (
    name: string,
    type: string,
    config: Record<string, unknown>,
  ): Promise<{ report: { id: string; status: string; rows: number }; flat: string }> => {
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({ subAccountId: sub, name, type, format: 'PDF', config });
    expect(created.status).toBe(201);
    const generate = await t.http
      .post(`/api/report-templates/${created.body.id}/generate`)
      .set('authorization', admin)
      .send({});
    expect(generate.status).toBe(202);
    const report = await waitFor(
      async () => {
        const list = await t.http.get(`/api/reports?templateId=${created.body.id}`).set('authorization', admin);
        const item = (list.body.items as { id: string; status: string; rows: number }[]).find(
          (r) => r.id === generate.body.reportId,
        );
        return item && (item.status === 'ready' || item.status === 'failed') ? item : undefined;
      },
      30_000,
      'the report',
    );
    expect(report.status).toBe('ready');
    const file = await t.http
      .get(`/api/reports/${report.id}/download`)
      .set('authorization', admin)
      .buffer(true)
      .parse(binaryBody);
    const path = join(storage, `${report.id}.pdf`);
    writeFileSync(path, file.body as Buffer);
    return { report, flat: (await pdfText(path)).text.replace(/\s+/g, ' ') };
  };

  it('the generated PDF shows the dashboard’s figures, and a FUNNEL report the funnel endpoint’s', async () => {
    const dashboard = await overview();
    const { flat } = await generatedPdf('Funnel São Paulo', 'FUNNEL', {
      metrics: ['totalLeads', 'newLeads', 'convertedLeads', 'lostLeads', 'conversionRate', 'spend'],
      dateRange: { from: '2024-03-01', to: '2024-03-03' },
      groupBy: ['source'],
    });
    const funnel = await t.http
      .get(`/api/analytics/funnel?subAccountId=${sub}&from=2024-03-01&to=2024-03-03`)
      .set('authorization', admin);
    expect(funnel.status).toBe(200);
    const stages = funnel.body.stages as { stage: string; count: number }[];
    // the four leads created in the range reached NEW, three CONTACTED+ ... by their history
    expect(stages.map((s) => [s.stage, s.count])).toEqual([
      ['NEW', 4],
      ['CONTACTED', 3],
      ['QUALIFIED', 2],
      ['CONVERTED', 1],
    ]);
    for (const expected of [
      `Period: 2024-03-01 – 2024-03-03 (${ZONE})`,
      `Total leads ${dashboard.totals.totalLeads}`,
      `New leads ${dashboard.totals.newLeads}`,
      `Converted leads ${dashboard.totals.convertedLeads}`,
      `Lost leads ${dashboard.totals.lostLeads}`,
      `Conversion rate ${(dashboard.totals.conversionRate * 100).toFixed(2)}%`,
      ...stages.map((s) => `${s.stage} ${s.count}`),
    ]) {
      expect(flat).toContain(expected);
    }
    expect(flat).not.toContain('Other Tenant');
  });

  it('a CONVERSION report has a row for every local day of its period, zeros where nothing happened', async () => {
    // the fixture's leads are on 02-20, 02-29 (Before Midnight), 03-01 … 03-04: none on 02-26 … 02-28
    const { report, flat } = await generatedPdf('Conversions by day', 'CONVERSION', {
      metrics: ['newLeads', 'convertedLeads'],
      dateRange: { from: '2024-02-26', to: '2024-03-04' },
    });
    expect(report.rows).toBe(8);
    for (const expected of [
      'Day New leads Converted Lost Conversion rate 2024-02-26 0 0 0 0.00% 2024-02-27 0 0 0 0.00% 2024-02-28 0 0 0 0.00% 2024-02-29 1 0 0 0.00%',
      '2024-03-01 1 0 0 0.00% 2024-03-02 2 1 0 50.00% 2024-03-03 1 1 1 100.00% 2024-03-04 1 0 0 0.00%',
    ]) {
      expect(flat).toContain(expected);
    }
  });
});
