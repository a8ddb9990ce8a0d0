import { OutboundError } from '../../common/outbound/http-client';
import type { AdCostInput } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asArray, asId, asNumber, asString, bodyKind, isRecord, optionalConfigString } from '../shared/json';
import { addDays, spendAmount } from '../shared/money';
import { LinkedInApi } from './linkedin-api';

/**
 * LinkedIn's Reporting API (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/
 * ads-reporting): GET /rest/adAnalytics with timeGranularity=DAILY, a Rest.li dateRange and the ad
 * account in `accounts=List(urn…)`, `fields` naming the metrics (at most 20). The Analytics finder
 * (q=analytics, one `pivot`) gives the campaign days; the Statistics finder (q=statistics, up to three
 * `pivots=List(…)`) gives the creative days with both the campaign and the creative in `pivotValues`
 * (each value is told apart by its URN type, not by position). Each element carries `dateRange.start`
 * (year, month, day), `costInLocalCurrency` (a decimal string, in the account's currency), impressions,
 * clicks, oneClickLeads and externalWebsiteConversions. The endpoint has no pagination.
 *
 * Levels: LinkedIn's hierarchy is campaign group → campaign → creative. A LinkedIn lead names its
 * campaign (sponsoredCampaign), which is what ROI joins spend on, so the campaign is the 'campaign'
 * level; creatives are the 'ad' level below it (no ad-set level: the campaign group sits above).
 */
export const AD_ANALYTICS_FIELDS =
  'dateRange,pivotValues,costInLocalCurrency,impressions,clicks,oneClickLeads,externalWebsiteConversions';

export type LinkedInSpendLevel = 'campaign' | 'creative';

export function adAnalyticsPath(
  accountId: string,
  from: string,
  to: string,
  level: LinkedInSpendLevel = 'campaign',
): string {
  const date = (day: string): string => {
    const [y, m, d] = day.split('-').map(Number);
    return `(year:${y},month:${m},day:${d})`;
  };
  const finder = level === 'campaign' ? 'q=analytics&pivot=CAMPAIGN' : 'q=statistics&pivots=List(CAMPAIGN,CREATIVE)';
  return (
    `/rest/adAnalytics?${finder}&timeGranularity=DAILY` +
    `&dateRange=(start:${date(from)},end:${date(to)})` +
    `&accounts=List(${encodeURIComponent(`urn:li:sponsoredAccount:${accountId}`)})` +
    `&fields=${AD_ANALYTICS_FIELDS}`
  );
}

const CAMPAIGN_URN = 'urn:li:sponsoredCampaign:';
const CREATIVE_URN = 'urn:li:sponsoredCreative:';

function count(value: unknown): number {
  const n = asNumber(value);
  return n === undefined ? 0 : Math.trunc(n);
}

/** One adAnalytics element → the campaign's (or creative's) cost that day; undefined when unusable. */
export function costFromElement(
  element: unknown,
  currency: string | undefined,
  names: ReadonlyMap<string, string>,
  level: LinkedInSpendLevel = 'campaign',
): AdCostInput | undefined {
  if (!isRecord(element) || !isRecord(element.dateRange) || !isRecord(element.dateRange.start)) return undefined;
  const start = element.dateRange.start;
  const [y, m, d] = [asNumber(start.year), asNumber(start.month), asNumber(start.day)];
  if (y === undefined || m === undefined || d === undefined) return undefined;
  const values = asArray(element.pivotValues).map(asString);
  const urnId = (prefix: string): string | undefined =>
    values.find((v) => v?.startsWith(prefix))?.slice(prefix.length) || undefined;
  const campaignId = urnId(CAMPAIGN_URN);
  const adId = level === 'creative' ? urnId(CREATIVE_URN) : undefined;
  if (!campaignId || (level === 'creative' && !adId)) return undefined;
  const campaignName = names.get(campaignId);
  const leads = count(element.oneClickLeads);
  return {
    platform: 'linkedin',
    day: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    level: level === 'campaign' ? 'campaign' : 'ad',
    campaignId,
    ...(adId ? { adId } : {}),
    ...(campaignName ? { campaignName, ...(level === 'campaign' ? { name: campaignName } : {}) } : {}),
    spend: spendAmount(element.costInLocalCurrency),
    ...(currency ? { currency } : {}),
    impressions: count(element.impressions),
    clicks: count(element.clicks),
    leads,
    conversions: String(count(element.externalWebsiteConversions) + leads),
  };
}

export interface LinkedInSpend {
  costs: AdCostInput[];
  /**
   * The days re-pulled (inclusive), complete at both levels; absent when LinkedIn may have left rows out
   * (a single day's answer at the element cap), so that nothing stored is zeroed for not being read.
   */
  window?: { from: string; to: string };
}

/**
 * adAnalytics "does not support pagination" (learn.microsoft.com/linkedin/marketing/integrations/
 * ads-reporting/ads-reporting) and answers at most 15,000 elements, cutting the rest without an error
 * (not on that page; reported by connectors that lost rows to it, e.g. OWOX's "adAnalytics silently
 * dropping data when response exceeds 15,000 elements"). An answer that reaches the cap may be cut.
 */
export const AD_ANALYTICS_MAX_ELEMENTS = 15_000;

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * One level's elements over [from, to]: a range whose answer reaches the element cap is asked again in
 * halves (down to single days), so a big account's window is read whole. `complete` is false when a
 * single day still reaches the cap: its rows may be cut, and the window must not zero what was not read.
 */
async function levelElements(
  api: LinkedInApi,
  accountId: string,
  from: string,
  to: string,
  level: LinkedInSpendLevel,
): Promise<{ elements: unknown[]; complete: boolean }> {
  const res = await api.get(adAnalyticsPath(accountId, from, to, level));
  // a finder answers `{ elements: [...] }` (Rest.li 2.0 collections, learn.microsoft.com/linkedin/
  // shared/api-guide/concepts/pagination); a 200 without that list (an HTML page, an empty body, `{}`)
  // read nothing, and taken as "no spend" it zeroed every stored day of the window
  const body = res.body;
  if (!isRecord(body) || !Array.isArray(body.elements))
    throw new OutboundError(
      'server',
      `LinkedIn answered adAnalytics (${level}) with ${isRecord(body) ? 'a JSON object without elements' : bodyKind(body)} instead of a page`,
      res.status,
    );
  const elements: unknown[] = body.elements;
  if (elements.length < AD_ANALYTICS_MAX_ELEMENTS) return { elements, complete: true };
  const days = daysBetween(from, to);
  if (days < 1) return { elements, complete: false };
  const middle = addDays(from, Math.floor(days / 2));
  const first = await levelElements(api, accountId, from, middle, level);
  const second = await levelElements(api, accountId, addDays(middle, 1), to, level);
  return { elements: [...first.elements, ...second.elements], complete: first.complete && second.complete };
}

/** Pages of campaign names read at most (1,000 each): a bound on a token LinkedIn would repeat forever. */
export const CAMPAIGN_NAME_MAX_PAGES = 50;

/**
 * The account's campaign names by id. The ads search finders page by cursor since 202401: `pageSize`
 * and `pageToken`, the next token in `metadata.nextPageToken`, none on the last page
 * (learn.microsoft.com/linkedin/marketing/integrations/ads/cursor-based-pagination); a campaign past
 * the first page would otherwise have spend without a name.
 */
async function campaignNames(api: LinkedInApi, accountId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < CAMPAIGN_NAME_MAX_PAGES; page++) {
    const res = await api.get(
      `/rest/adAccounts/${encodeURIComponent(accountId)}/adCampaigns?q=search&pageSize=1000` +
        (token === undefined ? '' : `&pageToken=${encodeURIComponent(token)}`),
    );
    const body = isRecord(res.body) ? res.body : {};
    for (const c of asArray(body.elements)) {
      if (!isRecord(c)) continue;
      const id = asId(c.id);
      const name = asString(c.name);
      if (id && name) names.set(id, name);
    }
    token = isRecord(body.metadata) ? asString(body.metadata.nextPageToken) : undefined;
    if (token === undefined || seen.has(token)) break;
    seen.add(token);
  }
  return names;
}

/**
 * The sponsored ad account's spend over the trailing window (lookbackDays, default 7, ending today;
 * adAnalytics days are taken as LinkedIn reports them) by campaign and by creative, with campaign names
 * (GET /rest/adAccounts/<id>/adCampaigns?q=search, every page) and the account's currency (GET
 * /rest/adAccounts/<id>). Undefined when the integration names no adAccountId.
 */
export async function linkedInAdSpend(ctx: HandlerContext): Promise<LinkedInSpend | undefined> {
  const accountId = optionalConfigString(ctx.config, 'adAccountId');
  if (!accountId) return undefined;
  // the lead calls' versioned GET: headers, and the month-before retry when LinkedIn skipped a version
  const api = LinkedInApi.fromContext(ctx);
  const account = await api.get(`/rest/adAccounts/${encodeURIComponent(accountId)}`);
  const currency = isRecord(account.body) ? asString(account.body.currency) : undefined;
  const names = await campaignNames(api, accountId);
  const today = ctx.now().toISOString().slice(0, 10);
  const lookback = typeof ctx.config.lookbackDays === 'number' ? ctx.config.lookbackDays : 7;
  const window = { from: addDays(today, -(lookback - 1)), to: today };
  const costs: AdCostInput[] = [];
  let complete = true;
  for (const level of ['campaign', 'creative'] as const) {
    const read = await levelElements(api, accountId, window.from, window.to, level);
    if (!read.complete) {
      complete = false;
      ctx.logger.warn(
        { level, from: window.from, to: window.to, cap: AD_ANALYTICS_MAX_ELEMENTS },
        'LinkedIn adAnalytics answered a single day at its element cap; stored days of the window are not zeroed',
      );
    }
    costs.push(...read.elements.flatMap((e: unknown) => costFromElement(e, currency, names, level) ?? []));
  }
  return { costs, ...(complete ? { window } : {}) };
}
