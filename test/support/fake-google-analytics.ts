// A fake Google Analytics Data API runReport for specs and e2e tests.
import type { FakeReply, FakeRequest } from './fake-server';

/**
 * The Google Analytics Data API's properties.runReport as documented
 * (developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport):
 * dimensions and metrics by API name (an unknown one answers 400 INVALID_ARGUMENT), one date range
 * whose `NdaysAgo`/`yesterday`/`today` are resolved against the property's `today` (injected),
 * `limit`/`offset` paging, `rowCount` of all matching rows, values as strings, dates as YYYYMMDD.
 */
export interface TrafficRow {
  date: string; // YYYY-MM-DD
  sessionSource: string;
  sessionMedium: string;
  sessionCampaignName: string;
  sessionCampaignId: string;
  sessions: number;
  engagedSessions: number;
  keyEvents: number;
}

const DIMENSIONS = new Set(['date', 'sessionSource', 'sessionMedium', 'sessionCampaignName', 'sessionCampaignId']);
const METRICS = new Set(['sessions', 'engagedSessions', 'keyEvents']);
const DAY_MS = 24 * 3600_000;

function resolveDate(value: string, today: string): string | undefined {
  if (value === 'today') return today;
  if (value === 'yesterday') return new Date(Date.parse(today) - DAY_MS).toISOString().slice(0, 10);
  const ago = /^(\d+)daysAgo$/.exec(value);
  if (ago) return new Date(Date.parse(today) - Number(ago[1]) * DAY_MS).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}

const invalid = (message: string): FakeReply => ({
  status: 400,
  body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } },
});

export function runReportEndpoint(options: {
  propertyId: string;
  token: string;
  today: string;
  rows: () => TrafficRow[];
}): (req: FakeRequest) => FakeReply {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return {
        status: 401,
        body: {
          error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
        },
      };
    if (req.path !== `/v1beta/properties/${options.propertyId}:runReport`)
      return {
        status: 403,
        body: {
          error: {
            code: 403,
            message: 'User does not have sufficient permissions for this property.',
            status: 'PERMISSION_DENIED',
          },
        },
      };
    const body = req.body as {
      dimensions?: Array<{ name: string }>;
      metrics?: Array<{ name: string }>;
      dateRanges?: Array<{ startDate: string; endDate: string }>;
      limit?: string;
      offset?: string;
    };
    const dimensions = (body.dimensions ?? []).map((d) => d.name);
    const metrics = (body.metrics ?? []).map((m) => m.name);
    for (const name of dimensions) if (!DIMENSIONS.has(name)) return invalid(`Field ${name} is not a valid dimension.`);
    for (const name of metrics) if (!METRICS.has(name)) return invalid(`Field ${name} is not a valid metric.`);
    const range = body.dateRanges?.[0];
    const start = range ? resolveDate(range.startDate, options.today) : undefined;
    const end = range ? resolveDate(range.endDate, options.today) : undefined;
    if (!start || !end) return invalid('Invalid date range.');
    const limit = Number(body.limit ?? 10_000);
    const offset = Number(body.offset ?? 0);
    const matching = options
      .rows()
      .filter((r) => r.date >= start && r.date <= end)
      .sort((a, b) => a.date.localeCompare(b.date));
    const value = (row: TrafficRow, name: string): string =>
      name === 'date' ? row.date.replace(/-/g, '') : String(row[name as keyof TrafficRow]);
    return {
      status: 200,
      body: {
        dimensionHeaders: dimensions.map((name) => ({ name })),
        metricHeaders: metrics.map((name) => ({ name, type: 'TYPE_INTEGER' })),
        rows: matching.slice(offset, offset + limit).map((row) => ({
          dimensionValues: dimensions.map((name) => ({ value: value(row, name) })),
          metricValues: metrics.map((name) => ({ value: value(row, name) })),
        })),
        rowCount: matching.length,
        metadata: { currencyCode: 'EUR', timeZone: 'Europe/Lisbon' },
        kind: 'analyticsData#runReport',
      },
    };
  };
}
