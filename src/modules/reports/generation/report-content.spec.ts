// What a report shows, before any rendering: the sentence an empty period's PDF carries, the breakdowns
// and charts, and the typed cells the Excel file stores beside the PDF's text.
import type { BreakdownRow, ReportTotals } from '../data/report-data-source';
import type { ReportConfig } from '../templates/report-config';
import { breakdownTable, charts, emptyPeriodNotice, summaryTable, zeroFilledByTime } from './report-content';
import { localDaysRange } from '../../analytics/time/date-range';
import { parseCivilDate } from '../../analytics/time/civil-date';

const ZERO: ReportTotals = { totalLeads: 0, newLeads: 0, convertedLeads: 0, lostLeads: 0, spend: null, currency: null };
const ROW: BreakdownRow = {
  keys: ['meta'],
  labels: ['meta'],
  newLeads: 1,
  convertedLeads: 0,
  lostLeads: 0,
  spend: null,
};

describe('emptyPeriodNotice', () => {
  it('explains a period with no lead created, converted or lost, even when older leads exist', () => {
    // what a recipient saw: a summary of zeros and nothing else on the page
    expect(emptyPeriodNotice(ZERO, [])).toMatch(/No leads were created, converted or lost in this period/);
    expect(emptyPeriodNotice({ ...ZERO, totalLeads: 120 }, [])).toBeDefined();
  });

  it('says nothing when the period has some activity', () => {
    expect(emptyPeriodNotice({ ...ZERO, newLeads: 1 }, [ROW])).toBeUndefined();
    expect(emptyPeriodNotice({ ...ZERO, convertedLeads: 1 }, [])).toBeUndefined();
    expect(emptyPeriodNotice({ ...ZERO, lostLeads: 2 }, [])).toBeUndefined();
  });
});

describe('a breakdown by status', () => {
  // the data source's rows for groupBy [status]: leads that entered each status in the period
  const entered = (status: string, count: number): BreakdownRow => ({
    keys: [status],
    labels: [status],
    newLeads: count,
    convertedLeads: status === 'CONVERTED' ? count : 0,
    lostLeads: status === 'LOST' ? count : 0,
    spend: null,
  });
  const rows = ['CONTACTED', 'CONVERTED', 'LOST', 'NEW', 'QUALIFIED'].map((s) => entered(s, s === 'NEW' ? 89 : 18));
  const config: ReportConfig = {
    metrics: ['newLeads'],
    filters: {},
    groupBy: [],
    dateRange: 'LAST_30_DAYS',
    chartTypes: ['bar', 'pie'],
  };

  it('is labelled as leads entering each status, in funnel order, not as new leads with a conversion rate', () => {
    // what a recipient saw: "New leads" NEW 89, CONTACTED 18, … adding up to 161 of 89 new leads, and
    // CONVERTED at a 100% conversion rate
    const table = breakdownTable(['status'], rows, null);
    expect(table.columns.map((c) => c.header)).toEqual(['Status', 'Leads that entered it in the period']);
    expect(table.rows).toEqual([
      ['NEW', '89'],
      ['CONTACTED', '18'],
      ['QUALIFIED', '18'],
      ['CONVERTED', '18'],
      ['LOST', '18'],
    ]);
    const specs = charts(config, ['status'], rows);
    expect(specs.map((c) => [c.type, c.title, c.categories.join(','), c.series.map((x) => x.name).join(',')])).toEqual([
      ['bar', 'Leads that entered each status', 'NEW,CONTACTED,QUALIFIED,CONVERTED,LOST', 'Entered'],
      ['pie', 'Leads that entered each status', 'NEW,CONTACTED,QUALIFIED,CONVERTED,LOST', 'Entered'],
    ]);
  });

  it('keeps new, converted and lost leads for every other grouping', () => {
    const table = breakdownTable(['source'], [{ ...entered('meta', 5), keys: ['meta'], labels: ['meta'] }], null);
    expect(table.columns.map((c) => c.header)).toEqual(['Source', 'New leads', 'Converted', 'Lost', 'Conversion rate']);
  });
});

describe('a breakdown with spend (ROI by campaign, SOURCE by source)', () => {
  it('shows what a lead and a conversion cost beside the spend, as the overview does per source', () => {
    // what a recipient saw: an ROI report with each campaign's spend but not what it bought
    const campaign = (label: string, leads: number, converted: number, spend: string | null): BreakdownRow => ({
      keys: [label],
      labels: [label],
      newLeads: leads,
      convertedLeads: converted,
      lostLeads: 0,
      spend,
    });
    const table = breakdownTable(
      ['campaign'],
      [campaign('Spring Sale', 3, 1, '15.0000'), campaign('Brand', 4, 0, '10.00'), campaign('(none)', 2, 1, null)],
      'BRL',
    );
    expect(table.columns.map((c) => c.header).slice(-3)).toEqual(['Spend', 'Cost per lead', 'Cost per conversion']);
    expect(table.rows.map((r) => r.slice(-3))).toEqual([
      ['15.00 BRL', '5.00 BRL', '15.00 BRL'],
      ['10.00 BRL', '2.50 BRL', '—'],
      ['—', '—', '—'],
    ]);
    expect(table.cells[0].slice(-2).map((c) => [c.value, c.type, c.currency])).toEqual([
      ['5.00', 'money', 'BRL'],
      ['15.00', 'money', 'BRL'],
    ]);
  });
});

describe('typed cells for the Excel file', () => {
  it('keeps the summary as counts, a fraction and money with its currency beside the PDF text', () => {
    const config: ReportConfig = {
      metrics: ['newLeads', 'conversionRate', 'spend', 'costPerConversion'],
      filters: {},
      groupBy: [],
      dateRange: 'LAST_30_DAYS',
      chartTypes: ['table'],
    };
    const table = summaryTable(config, {
      ...ZERO,
      newLeads: 8,
      convertedLeads: 2,
      spend: '24212.5500',
      currency: 'BRL',
    });
    expect(table.rows).toEqual([
      ['New leads', '8'],
      ['Conversion rate', '25.00%'],
      ['Spend', '24212.55 BRL'],
      ['Cost per conversion', '12106.28 BRL'],
    ]);
    expect(table.cells.map((r) => [r[1].value, r[1].type, r[1].currency])).toEqual([
      [8, 'integer', undefined],
      [0.25, 'percent', undefined],
      ['24212.55', 'money', 'BRL'],
      ['12106.28', 'money', 'BRL'],
    ]);
  });
});

describe('a breakdown by day, week or month (CONVERSION reports group by day)', () => {
  const range = (from: string, to: string, zone = 'America/Sao_Paulo') =>
    localDaysRange(parseCivilDate(from)!, parseCivilDate(to)!, zone);
  const at = (key: string, newLeads: number): BreakdownRow => ({ ...ROW, keys: [key], labels: [key], newLeads });

  it('has a row for every day of the period, zero where nothing happened, in order', () => {
    // the rollup answers only the days with leads: a line over them joined 3 March to 6 March
    const rows = zeroFilledByTime(
      ['day'],
      [at('2026-03-06', 2), at('2026-03-03', 1)],
      range('2026-03-01', '2026-03-07'),
    );
    expect(rows.map((r) => [r.keys[0], r.newLeads])).toEqual([
      ['2026-03-01', 0],
      ['2026-03-02', 0],
      ['2026-03-03', 1],
      ['2026-03-04', 0],
      ['2026-03-05', 0],
      ['2026-03-06', 2],
      ['2026-03-07', 0],
    ]);
    expect(rows[0]).toEqual({
      keys: ['2026-03-01'],
      labels: ['2026-03-01'],
      newLeads: 0,
      convertedLeads: 0,
      lostLeads: 0,
      spend: null,
    });
  });

  it('fills ISO weeks and months by the keys the data source uses', () => {
    expect(
      zeroFilledByTime(['week'], [at('2026-W10', 4)], range('2026-02-23', '2026-03-15')).map((r) => r.keys[0]),
    ).toEqual(['2026-W09', '2026-W10', '2026-W11']);
    expect(
      zeroFilledByTime(['month'], [at('2026-03', 4)], range('2026-01-15', '2026-04-02')).map((r) => r.keys[0]),
    ).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
  });

  it('leaves an empty period empty, other groupings alone, and a period longer than a table holds as it is', () => {
    expect(zeroFilledByTime(['day'], [], range('2026-03-01', '2026-03-07'))).toEqual([]);
    const bySource = [at('meta', 1)];
    expect(zeroFilledByTime(['source'], bySource, range('2026-03-01', '2026-03-07'))).toBe(bySource);
    const twoDims = [{ ...at('2026-03-02', 1), keys: ['2026-03-02', 'meta'], labels: ['2026-03-02', 'meta'] }];
    expect(zeroFilledByTime(['day', 'source'], twoDims, range('2026-03-01', '2026-03-07'))).toBe(twoDims);
    const years = [at('2020-01-01', 1)];
    expect(zeroFilledByTime(['day'], years, range('2020-01-01', '2026-01-01'))).toBe(years);
  });
});
