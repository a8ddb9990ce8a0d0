import type { OutboundResponse } from '../../common/outbound/http-client';
import type { AdCostInput } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asArray, asId, asNumber, asString, configString, isRecord, optionalConfigString } from '../shared/json';
import { addDays, decimalString } from '../shared/money';
import { defaultLinkedInVersions } from './linkedin-version';

/**
 * LinkedIn's Reporting API (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/
 * ads-reporting): GET /rest/adAnalytics?q=analytics with pivot=CAMPAIGN, timeGranularity=DAILY, a
 * Rest.li dateRange and the ad account in `accounts=List(urn…)`, `fields` naming the metrics (at most
 * 20). Each element carries `dateRange.start` (year, month, day), `pivotValues` (the campaign URN),
 * `costInLocalCurrency` (a decimal string, in the account's currency), impressions, clicks,
 * oneClickLeads and externalWebsiteConversions. The endpoint has no pagination.
 */
export const AD_ANALYTICS_FIELDS =
  'dateRange,pivotValues,costInLocalCurrency,impressions,clicks,oneClickLeads,externalWebsiteConversions';

export function adAnalyticsPath(accountId: string, from: string, to: string): string {
  const date = (day: string): string => {
    const [y, m, d] = day.split('-').map(Number);
    return `(year:${y},month:${m},day:${d})`;
  };
  return (
    `/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY` +
    `&dateRange=(start:${date(from)},end:${date(to)})` +
    `&accounts=List(${encodeURIComponent(`urn:li:sponsoredAccount:${accountId}`)})` +
    `&fields=${AD_ANALYTICS_FIELDS}`
  );
}

function count(value: unknown): number {
  const n = asNumber(value);
  return n === undefined ? 0 : Math.trunc(n);
}

/** One adAnalytics element → the campaign's cost that day; undefined when unusable. */
export function costFromElement(
  element: unknown,
  currency: string | undefined,
  names: ReadonlyMap<string, string>,
): AdCostInput | undefined {
  if (!isRecord(element) || !isRecord(element.dateRange) || !isRecord(element.dateRange.start)) return undefined;
  const start = element.dateRange.start;
  const [y, m, d] = [asNumber(start.year), asNumber(start.month), asNumber(start.day)];
  if (y === undefined || m === undefined || d === undefined) return undefined;
  const urn = asArray(element.pivotValues)
    .map(asString)
    .find((v) => v?.startsWith('urn:li:sponsoredCampaign:'));
  if (!urn) return undefined;
  const campaignId = urn.slice('urn:li:sponsoredCampaign:'.length);
  const name = names.get(campaignId);
  const leads = count(element.oneClickLeads);
  return {
    platform: 'linkedin',
    day: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    level: 'campaign',
    campaignId,
    ...(name ? { name } : {}),
    spend: decimalString(element.costInLocalCurrency ?? '0') ?? '0',
    ...(currency ? { currency } : {}),
    impressions: count(element.impressions),
    clicks: count(element.clicks),
    leads,
    conversions: String(count(element.externalWebsiteConversions) + leads),
  };
}

/**
 * The sponsored ad account's campaign spend over the trailing window (lookbackDays, default 7, ending
 * today; adAnalytics days are taken as LinkedIn reports them), with campaign names (GET
 * /rest/adAccounts/<id>/adCampaigns?q=search, first page) and the account's currency (GET
 * /rest/adAccounts/<id>). Empty when the integration names no adAccountId.
 */
export async function linkedInAdSpend(ctx: HandlerContext): Promise<AdCostInput[]> {
  const accountId = optionalConfigString(ctx.config, 'adAccountId');
  if (!accountId) return [];
  const account = await linkedInGet(ctx, `/rest/adAccounts/${encodeURIComponent(accountId)}`);
  const currency = isRecord(account.body) ? asString(account.body.currency) : undefined;
  const campaigns = await linkedInGet(
    ctx,
    `/rest/adAccounts/${encodeURIComponent(accountId)}/adCampaigns?q=search&pageSize=1000`,
  );
  const names = new Map<string, string>();
  for (const c of isRecord(campaigns.body) ? asArray(campaigns.body.elements) : []) {
    if (!isRecord(c)) continue;
    const id = asId(c.id);
    const name = asString(c.name);
    if (id && name) names.set(id, name);
  }
  const today = ctx.now().toISOString().slice(0, 10);
  const lookback = typeof ctx.config.lookbackDays === 'number' ? ctx.config.lookbackDays : 7;
  const res = await linkedInGet(ctx, adAnalyticsPath(accountId, addDays(today, -(lookback - 1)), today));
  const elements = isRecord(res.body) ? asArray(res.body.elements) : [];
  return elements.flatMap((e) => costFromElement(e, currency, names) ?? []);
}

function linkedInGet(ctx: HandlerContext, pathAndQuery: string): Promise<OutboundResponse> {
  const version = optionalConfigString(ctx.config, 'apiVersion') ?? defaultLinkedInVersions(ctx.now())[0];
  return ctx.http.request({
    method: 'GET',
    url: `${ctx.urls.linkedinApi.replace(/\/+$/, '')}${pathAndQuery}`,
    headers: {
      Authorization: `Bearer ${configString(ctx.config, 'accessToken')}`,
      'LinkedIn-Version': version,
      'X-Restli-Protocol-Version': '2.0.0',
    },
  });
}
