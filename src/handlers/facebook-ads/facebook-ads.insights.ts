/**
 * Facebook Ads insights sync: daily spend per ad, days in the ad account's time zone, deleted and
 * archived ads included, synchronous pages for short ranges and an asynchronous report job when the
 * range is long or the synchronous call gives up (Marketing API "Insights API: asynchronous jobs";
 * the AdReportRun fields and AdAccount.getInsightsAsync = POST act_<id>/insights in the official
 * facebook-nodejs-business-sdk, src/objects/ad-report-run.js and ad-account.js).
 */
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { AdCostInput, SyncPage } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asId, asNumber, asString, configString, isRecord, optionalConfigString } from '../shared/json';
import {
  graphErrorOf,
  graphPageData,
  graphRequest,
  isGraphAuthError,
  isGraphThrottle,
  nextAfter,
} from '../shared/meta-graph';
import { costFromInsightsRow, INSIGHTS_FIELDS } from './facebook-ads.payload';

const DAY_MS = 24 * 3600 * 1000;
/** Days before today that a run starts from (today included, so seven days in all). */
const SYNC_DAYS_BACK = 6;
const PAGE_SIZE = 100;
/** Longer ranges go straight to a report job: Meta recommends async jobs for large queries. */
export const ASYNC_RANGE_DAYS = 14;
/** How long one sync call waits for a report job before handing back (the run calls again). */
const POLLS_PER_CALL = 30;
const POLL_INTERVAL_MS = 2000;
/**
 * Polls of one report job before the run gives up on it (30 minutes of 2-second polls, over several
 * calls): a job that never answers a final status (or answers no status at all) would otherwise keep
 * the run, and every later sync of the integration, waiting for SYNC_MAX_PAGES_PER_RUN calls.
 */
export const MAX_JOB_POLLS = 900;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Every effective status an ad can have (Ad.EffectiveStatus in the SDK). Without this filter
 * act_<id>/insights?level=ad "does not return stats for the deleted object", although deleted ads
 * "may still track impressions, clicks, and actions for 28 days" (Manage your ad object's status).
 */
export const ALL_EFFECTIVE_STATUSES = [
  'ACTIVE',
  'PAUSED',
  'DELETED',
  'ARCHIVED',
  'PENDING_REVIEW',
  'DISAPPROVED',
  'PREAPPROVED',
  'PENDING_BILLING_INFO',
  'CAMPAIGN_PAUSED',
  'ADSET_PAUSED',
  'IN_PROCESS',
  'WITH_ISSUES',
] as const;

/** Where an insights run stands; serialized as the opaque sync cursor. */
export interface InsightsCursor {
  since: string;
  until: string;
  timezone?: string;
  after?: string;
  /** Set once the run reads through a report job. */
  reportRunId?: string;
  /** Polls of that job so far, over every call of the run. */
  polls?: number;
}

export function accountPath(ctx: HandlerContext): string {
  const id = configString(ctx.config, 'adAccountId');
  return id.startsWith('act_') ? id : `act_${id}`;
}

export function facebookAdsGet(
  ctx: HandlerContext,
  path: string,
  query: Record<string, string | number | undefined>,
  method: 'GET' | 'POST' = 'GET',
): Promise<OutboundResponse> {
  return graphRequest(ctx, {
    method,
    path,
    query,
    accessToken: configString(ctx.config, 'accessToken'),
    appSecret: optionalConfigString(ctx.config, 'appSecret'),
    // starting a report job twice would only cost a duplicate job, but there is no reason to
    ...(method === 'POST' ? { retry: false } : {}),
  });
}

/** The account's calendar day of an instant ("YYYY-MM-DD"), UTC when the zone is unknown or invalid. */
export function dayIn(timezone: string | undefined, at: Date): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone ?? 'UTC',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(at);
  } catch {
    return at.toISOString().slice(0, 10);
  }
}

/** The ad account's IANA time zone; undefined (UTC days) when Meta will not say, a refused token excepted. */
async function accountTimezone(ctx: HandlerContext): Promise<string | undefined> {
  try {
    const account = await facebookAdsGet(ctx, accountPath(ctx), { fields: 'timezone_name' });
    return isRecord(account.body) ? asString(account.body.timezone_name) : undefined;
  } catch (err) {
    // a refused token, and throttling (HTTP 400 with code 4, 17, 613 or 80000-range): not an unknown zone
    const graph = err instanceof OutboundError ? graphErrorOf(err.body) : undefined;
    if (!(err instanceof OutboundError) || err.kind !== 'client' || isGraphAuthError(graph) || isGraphThrottle(graph))
      throw err;
    ctx.logger.warn({ status: err.status }, 'Facebook Ads account time zone unreadable; days counted in UTC');
    return undefined;
  }
}

/** Insights days are the ad account's days: the run's range is computed in its time zone. */
async function firstCursor(ctx: HandlerContext): Promise<InsightsCursor> {
  const timezone = await accountTimezone(ctx);
  const now = ctx.now();
  return {
    since: dayIn(timezone, new Date(now.getTime() - SYNC_DAYS_BACK * DAY_MS)),
    until: dayIn(timezone, now),
    ...(timezone ? { timezone } : {}),
  };
}

export function parseInsightsCursor(cursor: string): InsightsCursor {
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  const since = isRecord(value) ? asString(value.since) : undefined;
  const until = isRecord(value) ? asString(value.until) : undefined;
  if (!isRecord(value) || !since || !until || !DATE.test(since) || !DATE.test(until))
    throw new Error('facebook-ads: unreadable sync cursor');
  const timezone = asString(value.timezone);
  const after = asString(value.after);
  const reportRunId = asId(value.reportRunId);
  const polls = asNumber(value.polls);
  return {
    since,
    until,
    ...(timezone ? { timezone } : {}),
    ...(after ? { after } : {}),
    ...(reportRunId ? { reportRunId } : {}),
    ...(polls !== undefined && Number.isInteger(polls) && polls > 0 ? { polls } : {}),
  };
}

function insightsQuery(state: InsightsCursor): Record<string, string | number | undefined> {
  return {
    level: 'ad',
    time_increment: 1,
    fields: INSIGHTS_FIELDS,
    time_range: JSON.stringify({ since: state.since, until: state.until }),
    filtering: JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ALL_EFFECTIVE_STATUSES }]),
    limit: PAGE_SIZE,
  };
}

function rangeDays(state: InsightsCursor): number {
  return Math.round((Date.parse(state.until) - Date.parse(state.since)) / DAY_MS) + 1;
}

/**
 * Ads Insights' synchronous "Request Timed Out: … Try a smaller date range, fetch less data, or use async
 * jobs" (code 100 subcode 1504018, code 2 subcode 1504038; developers.facebook.com/documentation/
 * ads-commerce/marketing-api/insights/error-codes): the same query as a report job gets through.
 */
const SYNC_TIMED_OUT: ReadonlyArray<readonly [number, number]> = [
  [100, 1504018],
  [2, 1504038],
];

/** Meta gave up on a synchronous query: a timeout, "Please reduce the amount of data" (code 1), "Request Timed Out". */
function tooBigForSync(err: unknown): boolean {
  if (!(err instanceof OutboundError)) return false;
  if (err.kind === 'timeout') return true;
  const graph = graphErrorOf(err.body);
  if (SYNC_TIMED_OUT.some(([code, subcode]) => graph?.code === code && graph.subcode === subcode)) return true;
  return graph?.code === 1 || /reduce the amount of data/i.test(graph?.message ?? '');
}

/**
 * The `after` cursor of a `paging.next` link that came without `paging.cursors.after`; a next link
 * without one cannot be followed, and taking its page as the last would zero the pages after it.
 */
function afterOfNextLink(res: OutboundResponse): string | undefined {
  const paging = isRecord(res.body) && isRecord(res.body.paging) ? res.body.paging : undefined;
  if (paging?.next === undefined || paging.next === null) return undefined;
  let after: string | null;
  try {
    after = typeof paging.next === 'string' ? new URL(paging.next).searchParams.get('after') : null;
  } catch {
    after = null;
  }
  if (after) return after;
  throw new OutboundError(
    'server',
    'Graph API answered an insights page whose next link has no after cursor',
    res.status,
  );
}

function pageOf(ctx: HandlerContext, res: OutboundResponse, state: InsightsCursor): SyncPage {
  // not a page (HTML, empty, no data list): never the last page, whose window zeroes unreported spend
  const rows = graphPageData(res, 'the insights page');
  const costs: AdCostInput[] = [];
  for (const row of rows) {
    const cost = costFromInsightsRow(row);
    if (cost) costs.push(cost);
    else
      ctx.logger.warn(
        { row: isRecord(row) ? { campaign_id: row.campaign_id, date_start: row.date_start } : typeof row },
        'Facebook Ads insights row without campaign or day skipped',
      );
  }
  // an empty page can still have a next link (developers.facebook.com/docs/graph-api/results: stop only when
  // next no longer appears); ending here would zero the window's spend on the pages not read
  const after = nextAfter(res.body) ?? afterOfNextLink(res);
  const { after: _previous, ...rest } = state;
  if (after) return { leads: [], costs, fetched: rows.length, nextCursor: JSON.stringify({ ...rest, after }) };
  // the last page: every ad's days of the range were reported, so what Meta no longer reports there is zeroed
  return {
    leads: [],
    costs,
    fetched: rows.length,
    nextCursor: null,
    costWindow: { from: state.since, to: state.until },
  };
}

/** Starts a report job for the run's range (POST act_<id>/insights → { report_run_id }). */
async function startJob(ctx: HandlerContext, state: InsightsCursor): Promise<InsightsCursor & { reportRunId: string }> {
  const res = await facebookAdsGet(ctx, `${accountPath(ctx)}/insights`, insightsQuery(state), 'POST');
  const reportRunId = isRecord(res.body) ? asId(res.body.report_run_id) : undefined;
  if (!reportRunId)
    throw new OutboundError('server', 'POST insights answered without a report_run_id', res.status, res.body);
  ctx.logger.info({ reportRunId, since: state.since, until: state.until }, 'Facebook Ads insights report job started');
  return { ...state, reportRunId };
}

/** Waits (a bounded while) for the job, then reads its result pages: GET /<report_run_id>/insights. */
async function readJob(ctx: HandlerContext, state: InsightsCursor & { reportRunId: string }): Promise<SyncPage> {
  if (state.after === undefined) {
    const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let poll = 0; ; poll++) {
      const res = await facebookAdsGet(ctx, state.reportRunId, { fields: 'async_status,async_percent_completion' });
      const status = isRecord(res.body) ? asString(res.body.async_status) : undefined;
      const polls = (state.polls ?? 0) + poll + 1;
      if (status === 'Job Completed') break;
      if (status === 'Job Failed' || status === 'Job Skipped')
        throw new OutboundError(
          'server',
          `Facebook Ads insights report job ${state.reportRunId}: ${status}`,
          res.status,
          res.body,
        );
      if (polls >= MAX_JOB_POLLS)
        throw new OutboundError(
          'server',
          `Facebook Ads insights report job ${state.reportRunId} did not finish after ${polls} polls (${Math.round(
            (polls * POLL_INTERVAL_MS) / 60_000,
          )} minutes; last status: ${status?.slice(0, 40) ?? 'none'})`,
          res.status,
        );
      // still running: hand back, and the run asks again
      if (poll + 1 >= POLLS_PER_CALL)
        return { leads: [], costs: [], fetched: 0, nextCursor: JSON.stringify({ ...state, polls }) };
      const percent = isRecord(res.body) ? asNumber(res.body.async_percent_completion) : undefined;
      ctx.logger.info({ reportRunId: state.reportRunId, status, percent }, 'waiting for the insights report job');
      await sleep(POLL_INTERVAL_MS);
    }
  }
  const res = await facebookAdsGet(ctx, `${state.reportRunId}/insights`, { limit: PAGE_SIZE, after: state.after });
  return pageOf(ctx, res, state);
}

export async function syncInsights(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
  const state = cursor === null ? await firstCursor(ctx) : parseInsightsCursor(cursor);
  if (state.reportRunId !== undefined) return readJob(ctx, { ...state, reportRunId: state.reportRunId });
  if (state.after === undefined && rangeDays(state) > ASYNC_RANGE_DAYS) return readJob(ctx, await startJob(ctx, state));
  try {
    const res = await facebookAdsGet(ctx, `${accountPath(ctx)}/insights`, {
      ...insightsQuery(state),
      after: state.after,
    });
    return pageOf(ctx, res, state);
  } catch (err) {
    // a page in the middle cannot be resumed by a job; only a first page falls back
    if (state.after !== undefined || !tooBigForSync(err)) throw err;
    ctx.logger.warn({ since: state.since, until: state.until }, 'synchronous insights gave up; using a report job');
    return readJob(ctx, await startJob(ctx, state));
  }
}
