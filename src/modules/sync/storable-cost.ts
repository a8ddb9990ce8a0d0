import type { AdCostInput } from '../../handlers/handler-types';
import { storableText } from '../leads/lead-write-values';

/** ad_costs.spend is NUMERIC(18,6) and conversions NUMERIC(14,4): the digits each keeps before the point. */
const SPEND_DIGITS = 12;
const CONVERSION_DIGITS = 10;
/** impressions, clicks and leads are INTEGER columns. */
const INT_MAX = 2_147_483_647;
/** A campaign, ad set or ad id longer than this is no platform's id (and too long for the unique index). */
const ID_MAX = 500;
const NAME_MAX = 500;
/** ISO 4217 codes have three letters; a longer text is no currency. */
const CURRENCY_MAX = 10;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A non-negative decimal with at most `digits` digits before the point, as stored; undefined otherwise. */
function amount(value: number | string, digits: number): number | string | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 && value < 10 ** digits ? value : undefined;
  const match = /^0*(\d*)(\.\d+)?$/.exec(value.trim());
  return match && match[0] !== '' && match[1].length <= digits ? value.trim() : undefined;
}

function count(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= INT_MAX;
}

/** A calendar day that exists ("2026-02-30" and year 0 do not; PostgreSQL refuses them: 22008). */
function realDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day.startsWith('0000')) return false;
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

/** An id kept exactly as the platform sent it, or not at all: a cleaned or cut id could be another object's. */
function storableId(id: string | undefined): boolean {
  return id === undefined || (id.length <= ID_MAX && !id.includes('\u0000') && !LONE_SURROGATE.test(id));
}

/**
 * Whether the row names a day and ids ad_costs can hold, so a stored row of the same key can exist
 * (whatever its amounts): a row left out for its amounts still says the platform reported that key.
 */
export function storableCostKey(cost: AdCostInput): boolean {
  return realDay(cost.day) && [cost.campaignId, cost.adSetId, cost.adId].every(storableId);
}

/**
 * An ad platform's cost row as ad_costs can hold it, or why it cannot: spend is money, so a negative,
 * unreadable or out-of-range amount is not stored as some other number (a 20-digit spend failed the
 * whole run with "numeric field overflow", a -5 was stored); counts are non-negative integers; the day
 * exists; ids are stored exactly; names and the currency lose NUL characters and are bounded.
 */
export function storableCost(cost: AdCostInput): { cost: AdCostInput } | { reason: string } {
  if (!realDay(cost.day)) return { reason: 'a day that does not exist' };
  const spend = amount(cost.spend, SPEND_DIGITS);
  if (spend === undefined) return { reason: 'a spend that is not a non-negative amount' };
  const conversions = cost.conversions === undefined ? undefined : amount(cost.conversions, CONVERSION_DIGITS);
  if (cost.conversions !== undefined && conversions === undefined)
    return { reason: 'conversions that are not a non-negative amount' };
  if (![cost.impressions, cost.clicks, cost.leads].every(count))
    return { reason: 'impressions, clicks or leads that are not a non-negative integer' };
  if (![cost.campaignId, cost.adSetId, cost.adId].every(storableId)) return { reason: 'an id that cannot be stored' };
  const currency = storableText(cost.currency, CURRENCY_MAX + 1);
  const name = (value: string | undefined) => storableText(value, NAME_MAX);
  return {
    cost: {
      ...cost,
      spend,
      ...(conversions === undefined ? {} : { conversions: String(conversions) }),
      name: name(cost.name),
      campaignName: name(cost.campaignName),
      adSetName: name(cost.adSetName),
      adName: name(cost.adName),
      currency: currency !== undefined && currency.length <= CURRENCY_MAX ? currency : undefined,
    },
  };
}
