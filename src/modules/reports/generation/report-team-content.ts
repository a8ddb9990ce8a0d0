// TEAM reports' per-agent table, charts and notice: figures of another endpoint, apart from the lead breakdowns.
import type { ChartSpec } from '../render/chart-svg.renderer';
import type { AgentFigures } from '../data/report-data-source';
import type { ReportConfig } from '../templates/report-config';
import { countCell, figureTable, FigureTable, MAX_CATEGORIES, percentCell, textCell } from './report-content';

/**
 * TEAM reports: GET /api/analytics/team's figures for the period, one row per agent, most leads
 * converted first, then by name (an agent the API knows by id only is shown by id).
 */
export function teamTable(members: readonly AgentFigures[]): FigureTable {
  const sorted = teamOrder(members);
  return figureTable(
    'Team performance',
    [
      { header: 'Agent', weight: 2 },
      { header: 'Leads assigned', align: 'right' },
      { header: 'Calls made', align: 'right' },
      { header: 'Calls answered', align: 'right' },
      { header: 'Leads converted', align: 'right' },
      { header: 'Conversion rate', align: 'right' },
    ],
    sorted.map((m) => [
      textCell(agentName(m)),
      countCell(m.leadsAssigned),
      countCell(m.callsMade),
      countCell(m.callsAnswered),
      countCell(m.leadsConverted),
      percentCell(m.conversionRate),
    ]),
  );
}

const agentName = (m: AgentFigures): string => m.userName ?? m.userId;

function teamOrder(members: readonly AgentFigures[]): AgentFigures[] {
  return [...members].sort(
    (a, b) =>
      b.leadsConverted - a.leadsConverted ||
      agentName(a).localeCompare(agentName(b)) ||
      a.userId.localeCompare(b.userId),
  );
}

/** TEAM reports: the template's bar, line and pie charts per agent, in the table's order. */
export function teamCharts(config: ReportConfig, members: readonly AgentFigures[]): ChartSpec[] {
  if (members.length === 0) return [];
  const sorted = teamOrder(members).slice(0, MAX_CATEGORIES);
  const categories = sorted.map(agentName);
  const specs: ChartSpec[] = [];
  for (const type of config.chartTypes) {
    if (type === 'table') continue;
    if (type === 'pie') {
      // slices of the agents who converted (a 0.0% slice is a label with nothing under it)
      const converting = sorted.filter((m) => m.leadsConverted > 0);
      if (converting.length > 0)
        specs.push({
          type,
          title: 'Leads converted by agent',
          categories: converting.map(agentName),
          series: [{ name: 'Leads converted', values: converting.map((m) => m.leadsConverted) }],
        });
      continue;
    }
    specs.push({
      type,
      title: 'Leads assigned and converted by agent',
      categories,
      series: [
        { name: 'Leads assigned', values: sorted.map((m) => m.leadsAssigned) },
        { name: 'Leads converted', values: sorted.map((m) => m.leadsConverted) },
      ],
    });
  }
  return specs;
}

/** What a TEAM report says instead of its per-agent table when there is none to show. */
export function teamNotice(members: readonly AgentFigures[] | null): string | undefined {
  if (members === null)
    return "Per-agent figures cover all of the sub-account's leads and cannot be narrowed by this template's filters: remove them to see the team's figures.";
  if (members.length === 0)
    return 'No agent activity in this period: no lead was assigned to an agent, no call was logged and no assigned lead converted.';
  return undefined;
}
