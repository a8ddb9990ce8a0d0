import {
  MAX_RETRY_AFTER_MS,
  OutboundError,
  OutboundHttpClient,
  OutboundResponse,
} from '../../common/outbound/http-client';
import type { AdCostInput, SyncPage, TestResult } from '../handler-types';
import type { HandlerContext, IntegrationConfig } from '../integration-handler';
import { asArray, asId, asNumber, asString, bodyKind, isRecord, optionalConfigString } from '../shared/json';
import { addDays, decimalString, localDate, microsToDecimal, spendAmount } from '../shared/money';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';

/**
 * Google Ads API reporting (developers.google.com/google-ads/api/docs/query/overview,
 * …/reference/rpc/v26/SearchGoogleAdsRequest): POST <base>/customers/<id>/googleAds:search with
 * `{ query, pageToken }`; headers `developer-token`, `login-customer-id` (the manager account, when
 * access goes through one) and the OAuth bearer. REST answers use the JSON names of the protos
 * (camelCase), int64 values as strings; pages are fixed at 10,000 rows (`page_size` is refused since
 * v17), followed with `nextPageToken`. `segments.date` is the account's own calendar day, and
 * `metrics.cost_micros` is in the account's currency, in millionths.
 */
export const GOOGLE_ADS_DEFAULT_URL = 'https://googleads.googleapis.com/v26';

export interface GoogleAdsCall {
  http: OutboundHttpClient;
  baseUrl: string;
  customerId: string;
  developerToken: string;
  loginCustomerId?: string;
  accessToken: string;
}

export interface SearchPage {
  results: unknown[];
  nextPageToken?: string;
}

/** The longest finite `retryDelay` (a proto3 JSON Duration, "30s") found in a Google error body, in ms. */
function retryDelayMs(body: unknown): number | undefined {
  let longest: number | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (isRecord(value))
      for (const [key, v] of Object.entries(value)) {
        const match = key === 'retryDelay' && typeof v === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(v.trim()) : null;
        if (match) longest = Math.max(longest ?? 0, Math.ceil(Number(match[1]) * 1000));
        else visit(v, depth + 1);
      }
  };
  visit(body, 0);
  return longest === undefined || longest <= 0 ? undefined : Math.min(longest, MAX_RETRY_AFTER_MS);
}

/**
 * A throttled call (HTTP 429, RESOURCE_EXHAUSTED) with the wait Google names: the GoogleAdsFailure's
 * QuotaErrorDetails.retry_delay ("Backoff period that customers should wait before sending next request",
 * developers.google.com/google-ads/api/reference/rpc/v26/QuotaErrorDetails) when no Retry-After header
 * named one, so the run pauses that long instead of guessing.
 */
function withRetryDelay(err: unknown): unknown {
  if (!(err instanceof OutboundError) || err.kind !== 'rate_limited' || err.retryAfterMs !== undefined) return err;
  const wait = retryDelayMs(err.body);
  return wait === undefined
    ? err
    : new OutboundError('rate_limited', err.message, err.status, err.body, wait, err.headers);
}

export async function search(call: GoogleAdsCall, query: string, pageToken?: string): Promise<SearchPage> {
  let res: OutboundResponse;
  try {
    res = await call.http.request({
      method: 'POST',
      url: `${call.baseUrl.replace(/\/+$/, '')}/customers/${encodeURIComponent(call.customerId)}/googleAds:search`,
      headers: {
        Authorization: `Bearer ${call.accessToken}`,
        'developer-token': call.developerToken,
        ...(call.loginCustomerId ? { 'login-customer-id': call.loginCustomerId } : {}),
      },
      body: { query, ...(pageToken ? { pageToken } : {}) },
    });
  } catch (err) {
    throw withRetryDelay(err);
  }
  // SearchGoogleAdsResponse in proto3 JSON: an object whose `results` list is left out when empty. A 200
  // that is not one (an HTML page or an empty body from a proxy, a `results` that is not a list) read
  // nothing: taken as "no rows", the run's last page zeroed every stored day of the window
  const body = res.body;
  if (!isRecord(body) || (body.results !== undefined && !Array.isArray(body.results)))
    throw new OutboundError(
      'server',
      `Google Ads answered googleAds:search with ${isRecord(body) ? 'a JSON object whose results is not a list' : bodyKind(body)} instead of a page`,
      res.status,
    );
  const next = asString(body.nextPageToken);
  return { results: asArray(body.results), ...(next ? { nextPageToken: next } : {}) };
}

export const CUSTOMER_QUERY =
  'SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone FROM customer';

const METRICS = 'segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions';

/**
 * The three reports of a run, coarsest first (GAQL resources, developers.google.com/google-ads/api/
 * fields/v26/campaign, …/ad_group, …/ad_group_ad: each selectable with segments.date and the cost
 * metrics; attributed resources such as campaign.name may be selected from a child resource):
 * - campaign: every campaign type (Performance Max has no ad groups), so these rows are the complete
 *   spend and the level analytics sums (ad_costs_summed);
 * - ad_group: the Search/Display ad groups below them ('adset' rows);
 * - ad_group_ad: the ads in those ad groups ('ad' rows). `ad_group_ad.ad.name` is set only for some ad
 *   types (image ads …); the others stay unnamed.
 */
export type SpendStage = 'campaign' | 'ad_group' | 'ad';
export const SPEND_STAGES: readonly SpendStage[] = ['campaign', 'ad_group', 'ad'];

export function spendQuery(stage: SpendStage, from: string, to: string): string {
  const where = ` WHERE segments.date BETWEEN '${from}' AND '${to}'`;
  if (stage === 'campaign') return `SELECT campaign.id, campaign.name, ${METRICS} FROM campaign${where}`;
  if (stage === 'ad_group')
    return `SELECT campaign.id, campaign.name, ad_group.id, ad_group.name, ${METRICS} FROM ad_group${where}`;
  return (
    'SELECT campaign.id, campaign.name, ad_group.id, ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.name, ' +
    `${METRICS} FROM ad_group_ad${where}`
  );
}

export interface CustomerInfo {
  name?: string;
  currency?: string;
  timeZone?: string;
}

export function customerOf(results: unknown[]): CustomerInfo {
  const row = results.find(isRecord);
  const customer = row && isRecord(row.customer) ? row.customer : {};
  return {
    name: asString(customer.descriptiveName),
    currency: asString(customer.currencyCode),
    timeZone: asString(customer.timeZone),
  };
}

function count(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : asNumber(value);
  return n === undefined ? 0 : Math.trunc(n);
}

/**
 * One row of a stage's report → that object's cost for the day; undefined when unusable. REST answers
 * use the protos' JSON names: campaign, adGroup, adGroupAd.ad, segments.date, metrics.costMicros.
 */
export function costFromRow(
  row: unknown,
  currency: string | undefined,
  stage: SpendStage = 'campaign',
): AdCostInput | undefined {
  if (!isRecord(row) || !isRecord(row.campaign) || !isRecord(row.segments)) return undefined;
  const campaignId = asId(row.campaign.id);
  const day = asString(row.segments.date);
  if (!campaignId || !day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const adGroup = isRecord(row.adGroup) ? row.adGroup : {};
  const ad = isRecord(row.adGroupAd) && isRecord(row.adGroupAd.ad) ? row.adGroupAd.ad : {};
  const adSetId = stage === 'campaign' ? undefined : asId(adGroup.id);
  const adId = stage === 'ad' ? asId(ad.id) : undefined;
  if ((stage !== 'campaign' && !adSetId) || (stage === 'ad' && !adId)) return undefined;
  const campaignName = asString(row.campaign.name);
  const adSetName = stage === 'campaign' ? undefined : asString(adGroup.name);
  const adName = stage === 'ad' ? asString(ad.name) : undefined;
  const name = stage === 'campaign' ? campaignName : stage === 'ad_group' ? adSetName : adName;
  const metrics = isRecord(row.metrics) ? row.metrics : {};
  return {
    platform: 'google-ads',
    day,
    level: stage === 'campaign' ? 'campaign' : stage === 'ad_group' ? 'adset' : 'ad',
    campaignId,
    ...(adSetId ? { adSetId } : {}),
    ...(adId ? { adId } : {}),
    ...(name ? { name } : {}),
    ...(campaignName ? { campaignName } : {}),
    ...(adSetName ? { adSetName } : {}),
    ...(adName ? { adName } : {}),
    // proto3 JSON leaves a zero out and reads null as the default: both are 0
    spend: spendAmount(metrics.costMicros ?? undefined, microsToDecimal),
    ...(currency ? { currency } : {}),
    impressions: count(metrics.impressions),
    clicks: count(metrics.clicks),
    leads: 0,
    conversions: decimalString(metrics.conversions ?? 0) ?? '0',
  };
}

const CUSTOMER_ID = '^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$';

/** The config fields of the spend part (all optional: without a customerId the integration is webhook-only). */
export const GOOGLE_ADS_SPEND_PROPERTIES: Record<string, Record<string, unknown>> = {
  customerId: {
    type: 'string',
    title: 'Google Ads customer ID (ad spend)',
    description: 'The ad account whose daily campaign spend is pulled (123-456-7890). Leave empty for leads only.',
    pattern: CUSTOMER_ID,
  },
  loginCustomerId: {
    type: 'string',
    title: 'Manager customer ID',
    description: 'When access goes through a manager account: its id (sent as login-customer-id).',
    pattern: CUSTOMER_ID,
  },
  developerToken: { type: 'string', title: 'Developer token', minLength: 1, 'x-secret': true },
  accessToken: {
    type: 'string',
    title: 'OAuth access token',
    description: 'Filled by "Connect with Google" (adwords scope); refreshed by the hub.',
    minLength: 1,
    'x-secret': true,
    'x-oauth': true,
  },
  clientId: { type: 'string', title: 'OAuth client ID (pasted credentials)', minLength: 1 },
  clientSecret: { type: 'string', title: 'OAuth client secret (pasted credentials)', minLength: 1, 'x-secret': true },
  refreshToken: {
    type: 'string',
    title: 'Refresh token (pasted credentials)',
    description: 'Instead of "Connect with Google": a refresh token of the client above with the adwords scope.',
    minLength: 1,
    'x-secret': true,
  },
  lookbackDays: {
    type: 'integer',
    title: 'Days re-read each sync',
    description: 'Trailing window re-pulled every sync so that late corrections land (default 7).',
    minimum: 1,
    maximum: 90,
  },
  ...SYNC_INTERVAL_PROPERTY,
};

export function hasGoogleAdsSpend(config: IntegrationConfig): boolean {
  return optionalConfigString(config, 'customerId') !== undefined;
}

interface SpendCursor {
  from: string;
  to: string;
  currency?: string;
  /** The report being read (absent: campaign, as cursors written before issue 15's ad levels). */
  stage?: SpendStage;
  pageToken?: string;
}

/** The customer read through the API: proves the developer token, the OAuth grant and access to the account. */
export async function googleAdsSpendTest(ctx: HandlerContext): Promise<TestResult> {
  try {
    const call = await googleAdsCall(ctx);
    const customer = customerOf((await search(call, CUSTOMER_QUERY)).results);
    return {
      success: true,
      message: `Connected to Google Ads account ${customer.name ?? call.customerId}${customer.currency ? ` (${customer.currency})` : ''}`,
    };
  } catch (err) {
    if (err instanceof OutboundError && (err.kind === 'auth' || err.kind === 'client'))
      return {
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: `Google Ads refused the credentials for the account (HTTP ${err.status ?? '?'})`,
      };
    return { success: false, code: 'CONNECTION_FAILED', message: 'Google Ads could not be reached' };
  }
}

/**
 * The trailing window (lookbackDays, default 7, ending today in the account's time zone) re-read every
 * run, page by page and report by report (campaign, ad group, ad): late corrections overwrite the stored
 * days (ad_costs upserts by day, level and ids), and the last page names the window (costWindow) so
 * that the rows of those days Google no longer reports are zeroed.
 */
export async function syncGoogleAdsSpend(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
  if (!hasGoogleAdsSpend(ctx.config)) return { leads: [], fetched: 0, nextCursor: null };
  const call = await googleAdsCall(ctx);
  let state: SpendCursor;
  if (cursor) state = JSON.parse(cursor) as SpendCursor;
  else {
    const customer = customerOf((await search(call, CUSTOMER_QUERY)).results);
    const today = localDate(ctx.now(), customer.timeZone ?? 'UTC');
    const lookback = typeof ctx.config.lookbackDays === 'number' ? ctx.config.lookbackDays : 7;
    state = {
      from: addDays(today, -(lookback - 1)),
      to: today,
      ...(customer.currency ? { currency: customer.currency } : {}),
    };
  }
  const stage = state.stage ?? 'campaign';
  const page = await search(call, spendQuery(stage, state.from, state.to), state.pageToken);
  const costs = page.results.flatMap((row) => costFromRow(row, state.currency, stage) ?? []);
  const { pageToken: _read, ...rest } = state;
  const nextStage = SPEND_STAGES[SPEND_STAGES.indexOf(stage) + 1];
  const next: SpendCursor | null = page.nextPageToken
    ? { ...rest, stage, pageToken: page.nextPageToken }
    : nextStage
      ? { ...rest, stage: nextStage }
      : null;
  return {
    leads: [],
    costs,
    fetched: page.results.length,
    nextCursor: next ? JSON.stringify(next) : null,
    ...(next ? {} : { costWindow: { from: state.from, to: state.to } }),
  };
}

/** The OAuth connection's token, or one minted from pasted credentials (Google refresh tokens do not rotate). */
async function googleAdsCall(ctx: HandlerContext): Promise<GoogleAdsCall> {
  const accessToken = optionalConfigString(ctx.config, 'accessToken') ?? (await mintAccessToken(ctx));
  const login = optionalConfigString(ctx.config, 'loginCustomerId');
  return {
    http: ctx.http,
    baseUrl: ctx.urls.googleAdsApi ?? GOOGLE_ADS_DEFAULT_URL,
    customerId: (optionalConfigString(ctx.config, 'customerId') ?? '').replace(/-/g, ''),
    developerToken: optionalConfigString(ctx.config, 'developerToken') ?? '',
    ...(login ? { loginCustomerId: login.replace(/-/g, '') } : {}),
    accessToken,
  };
}

/**
 * RFC 6749 refresh grant at Google's token endpoint (developers.google.com/identity/protocols/oauth2/web-server#offline).
 * A refused grant or client (RFC 6749 §5.2 `invalid_grant`: "the refresh token is invalid, expired, revoked";
 * `invalid_client`; Google answers them 400 and 401) is an auth failure: the pasted credentials no longer
 * work, and the integration says so (status error, INVALID_CREDENTIALS) instead of staying active while
 * every sync fails.
 */
async function mintAccessToken(ctx: HandlerContext): Promise<string> {
  const refreshToken = optionalConfigString(ctx.config, 'refreshToken');
  const clientId = optionalConfigString(ctx.config, 'clientId');
  const clientSecret = optionalConfigString(ctx.config, 'clientSecret');
  if (!refreshToken || !clientId || !clientSecret)
    throw new OutboundError('auth', 'Google Ads is not connected: connect with Google or paste a refresh token');
  let res: OutboundResponse;
  try {
    res = await ctx.http.request({
      method: 'POST',
      url: ctx.urls.googleOAuthToken ?? 'https://oauth2.googleapis.com/token',
      form: {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: clientId,
        client_secret: clientSecret,
      },
      retry: false,
    });
  } catch (err) {
    const code = err instanceof OutboundError && isRecord(err.body) ? asString(err.body.error) : undefined;
    if (err instanceof OutboundError && (code === 'invalid_grant' || code === 'invalid_client'))
      throw new OutboundError(
        'auth',
        `Google refused the pasted refresh token or OAuth client (${code}); paste new credentials or connect with Google`,
        err.status,
      );
    throw err;
  }
  const token = isRecord(res.body) ? asString(res.body.access_token) : undefined;
  if (!token)
    throw new OutboundError('server', 'The Google token endpoint answered without an access_token', res.status);
  return token;
}
