// What a report reads for campaigns whose ids hold a "|" (UTM names such as "brand | search") and for
// spend with more decimals than cents (ad_costs keeps 6; Google Ads reports micros), as the analytics
// routes answer them since audit 17. Failed before: the report's data source split "platform|campaign"
// keys at their last "|" (both campaigns read as one " search" row, and a campaign filter matched
// nothing), and summed spend to cents before dividing it (1.005 USD over 2 leads cost 0.51 a lead).
import { localDaysRange } from '../../src/modules/analytics/time/date-range';
import { REPORT_DATA_SOURCE, ReportDataSource, ReportQuery } from '../../src/modules/reports/data/report-data-source';
import { metricValue } from '../../src/modules/reports/generation/report-content';
import { createSubAccount } from '../support/factories';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';

describe('report figures of campaign ids holding a "|" and of spend finer than cents', () => {
  let t: TestApp;
  let source: ReportDataSource;
  let query: ReportQuery;

  beforeAll(async () => {
    t = await createTestApp();
    const sub = await createSubAccount(t, 'PRO', 'Report campaign keys');
    source = t.app.get<ReportDataSource>(REPORT_DATA_SOURCE);
    const day = { year: 2021, month: 5, day: 10 };
    query = { subAccountId: sub, range: localDaysRange(day, day, 'UTC'), filters: {} };
    await seedLeads(t.sql, sub, [
      { at: '2021-05-10T09:00:00Z', name: 'K1', status: 'NEW', platform: 'meta', campaignId: 'brand | search' },
      { at: '2021-05-10T10:00:00Z', name: 'K2', status: 'NEW', platform: 'meta', campaignId: 'brand | search' },
      { at: '2021-05-10T11:00:00Z', name: 'K3', status: 'NEW', platform: 'meta', campaignId: 'generic | search' },
    ]);
    await seedSpend(t.sql, sub, [{ day: '2021-05-10', campaignId: 'brand | search', spend: '1.005', currency: 'USD' }]);
  });
  afterAll(() => t?.close());

  it('keeps each campaign apart, keyed by its whole id, with its own spend', async () => {
    const rows = await source.breakdown(query, ['campaign']);
    expect(rows.map((r) => [r.keys, r.newLeads])).toEqual([
      [['brand | search'], 2],
      [['generic | search'], 1],
    ]);
    expect(Number(rows[0].spend)).toBe(1.005);
    expect(Number(rows[1].spend)).toBe(0);
  });

  it('filters by a campaign id holding a "|"', async () => {
    const totals = await source.totals({ ...query, filters: { campaignId: ['brand | search'] } });
    expect([totals.newLeads, Number(totals.spend), totals.currency]).toEqual([2, 1.005, 'USD']);
  });

  it('divides the exact spend for what a lead cost, and shows the spend to the cent', async () => {
    const totals = await source.totals({ ...query, filters: { campaignId: ['brand | search'] } });
    expect(metricValue('spend', totals)).toBe('1.01 USD');
    expect(metricValue('costPerLead', totals)).toBe('0.50 USD');
  });
});
