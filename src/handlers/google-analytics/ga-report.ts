/**
 * Daily traffic from the Google Analytics Data API: properties.runReport
 * (POST https://analyticsdata.googleapis.com/v1beta/{property=properties/*}:runReport; body
 * `dimensions`, `metrics`, `dateRanges`, `limit`/`offset` as int64 strings, 10,000 rows by default;
 * answer `rows[].dimensionValues[].value` / `metricValues[].value` in the order asked, `rowCount`).
 * Dates are the property's own (runReport resolves `NdaysAgo`/`today` in its time zone) and come
 * back as `YYYYMMDD`.
 */
import type { OutboundHttpClient } from '../../common/outbound/http-client';
import type { SyncPage, TrafficInput } from '../handler-types';
import { asArray, asNumber, asRecords, asString, isRecord } from '../shared/json';

/** Per day, by session source / medium / campaign: what joins the hub's leads and ad costs by campaign. */
export const TRAFFIC_DIMENSIONS = [
  'date',
  'sessionSource',
  'sessionMedium',
  'sessionCampaignName',
  'sessionCampaignId',
];
/** `keyEvents` is GA4's name for what it called `conversions` until 2024. */
export const TRAFFIC_METRICS = ['sessions', 'engagedSessions', 'keyEvents'];
export const REPORT_PAGE_SIZE = 10_000;
/** The first run reads this far back; later runs re-read a few days, which GA keeps revising. */
const FIRST_RUN_START = '30daysAgo';
const REREAD_DAYS = 3;
const DAY_MS = 24 * 3600_000;

interface ReportCursor {
  startDate: string;
  offset: number;
  /** The latest day read so far in this run. */
  lastDay?: string;
}

function parseCursor(cursor: string | null): ReportCursor {
  if (cursor === null) return { startDate: FIRST_RUN_START, offset: 0 };
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  if (!isRecord(value)) throw new Error('google-analytics: unreadable sync cursor');
  const lastDay = asString(value.lastDay);
  // between runs only { lastDay } is kept: start a few days before it
  if (value.startDate === undefined) {
    if (!lastDay || Number.isNaN(Date.parse(lastDay))) throw new Error('google-analytics: unreadable sync cursor');
    return { startDate: new Date(Date.parse(lastDay) - REREAD_DAYS * DAY_MS).toISOString().slice(0, 10), offset: 0 };
  }
  const startDate = asString(value.startDate);
  const offset = asNumber(value.offset);
  if (!startDate || offset === undefined) throw new Error('google-analytics: unreadable sync cursor');
  return { startDate, offset, ...(lastDay ? { lastDay } : {}) };
}

/** `20261127` → `2026-11-27`; undefined for anything else. */
function isoDay(value: string | undefined): string | undefined {
  const match = value ? /^(\d{4})(\d{2})(\d{2})$/.exec(value) : null;
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

/** One report row as traffic; undefined without a usable date. GA says "(not set)" for a missing campaign. */
export function trafficOf(row: unknown): TrafficInput | undefined {
  if (!isRecord(row)) return undefined;
  const dims = asRecords(row.dimensionValues).map((d) => asString(d.value) ?? '');
  const mets = asRecords(row.metricValues).map((m) => asNumber(m.value) ?? 0);
  const day = isoDay(dims[0]);
  if (!day) return undefined;
  return {
    platform: 'google-analytics',
    day,
    source: dims[1] ?? '',
    medium: dims[2] ?? '',
    campaignName: dims[3] ?? '',
    campaignId: dims[4] ?? '',
    sessions: Math.trunc(mets[0] ?? 0),
    engagedSessions: Math.trunc(mets[1] ?? 0),
    keyEvents: mets[2] ?? 0,
  };
}

/** One page of the report; the next page, or the end of the run (and the day the next run starts near). */
export async function syncTraffic(
  http: OutboundHttpClient,
  baseUrl: string,
  propertyId: string,
  accessToken: string,
  cursor: string | null,
): Promise<SyncPage> {
  const state = parseCursor(cursor);
  const res = await http.request({
    method: 'POST',
    url: `${baseUrl.replace(/\/+$/, '')}/v1beta/properties/${encodeURIComponent(propertyId)}:runReport`,
    headers: { Authorization: `Bearer ${accessToken}` },
    body: {
      dateRanges: [{ startDate: state.startDate, endDate: 'today' }],
      dimensions: TRAFFIC_DIMENSIONS.map((name) => ({ name })),
      metrics: TRAFFIC_METRICS.map((name) => ({ name })),
      orderBys: [{ dimension: { dimensionName: 'date' } }],
      limit: String(REPORT_PAGE_SIZE),
      offset: String(state.offset),
    },
  });
  const body = isRecord(res.body) ? res.body : {};
  const rows = asArray(body.rows);
  const traffic = rows.map(trafficOf).filter((t): t is TrafficInput => t !== undefined);
  const lastDay = traffic.reduce<string | undefined>(
    (max, t) => (max === undefined || t.day > max ? t.day : max),
    state.lastDay,
  );
  const total = asNumber(body.rowCount) ?? 0;
  const more = rows.length > 0 && state.offset + rows.length < total;
  const next = more
    ? JSON.stringify({ ...state, offset: state.offset + rows.length, ...(lastDay ? { lastDay } : {}) })
    : null;
  return {
    leads: [],
    traffic,
    fetched: rows.length,
    nextCursor: next,
    ...(next === null ? { nextRunCursor: lastDay ? JSON.stringify({ lastDay }) : (cursor ?? null) } : {}),
  };
}
