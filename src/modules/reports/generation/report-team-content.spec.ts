// A TEAM report's per-agent table, charts and notice, from GET /api/analytics/team's figures.
import type { AgentFigures } from '../data/report-data-source';
import type { ReportConfig } from '../templates/report-config';
import { teamCharts, teamNotice, teamTable } from './report-team-content';

describe('a TEAM report', () => {
  const agent = (userId: string, userName: string | null, assigned: number, converted: number): AgentFigures => ({
    userId,
    userName,
    leadsAssigned: assigned,
    callsMade: assigned * 2,
    callsAnswered: assigned,
    leadsConverted: converted,
    conversionRate: assigned === 0 ? 0 : converted / assigned,
  });

  it("shows the team endpoint's figures per agent, most conversions first, then by name", () => {
    // what a recipient saw: a TEAM report with no agent in it, only the period's status changes
    const table = teamTable([
      agent('u3', 'Мария Иванова', 4, 1),
      agent('u1', 'Bruno Lima', 3, 2),
      agent('u9', null, 1, 0),
      agent('u2', 'Ana Souza', 5, 2),
    ]);
    expect(table.title).toBe('Team performance');
    expect(table.columns.map((c) => c.header)).toEqual([
      'Agent',
      'Leads assigned',
      'Calls made',
      'Calls answered',
      'Leads converted',
      'Conversion rate',
    ]);
    expect(table.rows).toEqual([
      ['Ana Souza', '5', '10', '5', '2', '40.00%'],
      ['Bruno Lima', '3', '6', '3', '2', '66.67%'],
      ['Мария Иванова', '4', '8', '4', '1', '25.00%'],
      ['u9', '1', '2', '1', '0', '0.00%'],
    ]);
    // the Excel file stores the same figures as numbers: counts as integers, the rate as a fraction
    expect(table.cells[1].map((c) => [c.value, c.type ?? 'text'])).toEqual([
      ['Bruno Lima', 'text'],
      [3, 'integer'],
      [6, 'integer'],
      [3, 'integer'],
      [2, 'integer'],
      [2 / 3, 'percent'],
    ]);
  });

  it("charts the template's bar and pie per agent, in the table's order, with no slice or pie of zeros", () => {
    const config: ReportConfig = {
      metrics: ['newLeads'],
      filters: {},
      groupBy: [],
      dateRange: 'LAST_30_DAYS',
      chartTypes: ['bar', 'pie', 'table'],
    };
    const specs = teamCharts(config, [
      agent('u1', 'Bruno Lima', 3, 1),
      agent('u2', 'Ana Souza', 5, 2),
      agent('u3', 'Carla Dias', 1, 0),
    ]);
    expect(
      specs.map((c) => [c.type, c.title, c.categories.join(','), c.series.map((x) => x.values.join('/'))]),
    ).toEqual([
      ['bar', 'Leads assigned and converted by agent', 'Ana Souza,Bruno Lima,Carla Dias', ['5/3/1', '2/1/0']],
      ['pie', 'Leads converted by agent', 'Ana Souza,Bruno Lima', ['2/1']],
    ]);
    expect(teamCharts(config, [agent('u1', 'Bruno Lima', 3, 0)]).map((c) => c.type)).toEqual(['bar']);
    expect(teamCharts(config, [])).toEqual([]);
  });

  it('says why there is no per-agent table: no activity in the period, or filters the endpoint does not take', () => {
    expect(teamNotice([])).toMatch(/^No agent activity in this period/);
    expect(teamNotice(null)).toMatch(/cannot be narrowed by this template's filters/);
    expect(teamNotice([agent('u1', 'Ana', 1, 0)])).toBeUndefined();
  });
});
