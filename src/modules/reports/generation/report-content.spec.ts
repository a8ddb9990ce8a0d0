// What a report shows, before any rendering: the sentence an empty period's PDF carries.
import type { BreakdownRow, ReportTotals } from '../data/report-data-source';
import { emptyPeriodNotice } from './report-content';

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

  it('says nothing when the period has any activity', () => {
    expect(emptyPeriodNotice({ ...ZERO, newLeads: 1 }, [ROW])).toBeUndefined();
    expect(emptyPeriodNotice({ ...ZERO, convertedLeads: 1 }, [])).toBeUndefined();
    expect(emptyPeriodNotice({ ...ZERO, lostLeads: 2 }, [])).toBeUndefined();
  });
});
