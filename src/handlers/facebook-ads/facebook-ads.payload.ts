import type { AdCostInput } from '../handler-types';
import { asId, asNumber, asRecords, asString, isRecord } from '../shared/json';
import { spendAmount } from '../shared/money';

export const INSIGHTS_FIELDS =
  'campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,spend,impressions,clicks,actions,account_currency,date_start';

// The same lead can be reported under several action types at once (the on-Facebook form lead
// as `lead` and as `onsite_conversion.lead_grouped`, a pixel lead as `offsite_conversion.fb_pixel_lead`
// and again under `lead`), so adding them up would count one person two or three times. The largest
// of them is the best count Meta gives without double counting.
const LEAD_ACTION_TYPES = new Set(['lead', 'onsite_conversion.lead_grouped', 'offsite_conversion.fb_pixel_lead']);

function leadsOf(actions: unknown): number {
  let leads = 0;
  for (const action of asRecords(actions)) {
    const type = asString(action.action_type);
    const value = asNumber(action.value);
    if (type && LEAD_ACTION_TYPES.has(type) && value !== undefined) leads = Math.max(leads, Math.trunc(value));
  }
  return leads;
}

function count(value: unknown): number {
  const n = asNumber(value);
  return n === undefined ? 0 : Math.trunc(n);
}

/**
 * One insights row (level=ad, one day) → the ad's cost for that day; undefined when unusable. The row
 * names its campaign and ad set (ids and names), so ad-set totals are the sums of their ads' rows and no
 * separate level=adset pull is needed (Marketing API, Ads Insights: `level` ad | adset | campaign |
 * account; fields campaign_id/_name, adset_id/_name, ad_id/_name). `spend` is a decimal string, kept exact;
 * an unreadable one is NaN, so the pipeline leaves the row out with a warning rather than store 0.
 */
export function costFromInsightsRow(row: unknown): AdCostInput | undefined {
  if (!isRecord(row)) return undefined;
  const campaignId = asId(row.campaign_id);
  const day = asString(row.date_start);
  if (!campaignId || !day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const cost: AdCostInput = {
    platform: 'facebook-ads',
    day,
    level: 'ad',
    campaignId,
    spend: spendAmount(row.spend),
    impressions: count(row.impressions),
    clicks: count(row.clicks),
    leads: leadsOf(row.actions),
  };
  const adSetId = asId(row.adset_id);
  const adId = asId(row.ad_id);
  const name = asString(row.ad_name);
  const campaignName = asString(row.campaign_name);
  const adSetName = asString(row.adset_name);
  const currency = asString(row.account_currency);
  return {
    ...cost,
    ...(adSetId ? { adSetId } : {}),
    ...(adId ? { adId } : {}),
    ...(name ? { name, adName: name } : {}),
    ...(campaignName ? { campaignName } : {}),
    ...(adSetName ? { adSetName } : {}),
    ...(currency ? { currency } : {}),
  };
}
