// Source ROI (issue 13 point 5; API.md overview `bySource` and attribution rows): joins spend from
// `ad_costs` with the leads and conversions counted for the same (platform, campaign) and derives
// cost per lead and cost per conversion. Money stays decimal (money.ts); conversions may be
// fractional (attribution.ts); rates are fractions, 0 when the denominator is 0, per API.md.
// A campaign whose spend came in more than one currency is not summed: its spend and costs are null
// and `currencies` lists what was found, so nobody reads BRL + USD as one number.

import { costPer, DecimalInput, formatAmount, sumByCurrency } from './money';

export interface SpendRow {
  readonly platform: string;
  /** null for spend not tied to a campaign (account-level). */
  readonly campaignId: string | null;
  readonly campaignName?: string | null;
  readonly spend: DecimalInput;
  readonly currency: string | null;
}

export interface OutcomeRow {
  readonly platform: string;
  readonly campaignId: string | null;
  readonly campaignName?: string | null;
  readonly leads: number;
  /** Conversions, fractional under multi-touch attribution. */
  readonly conversions: number;
}

export interface SourceRoi {
  readonly platform: string;
  readonly campaignId: string | null;
  readonly campaignName: string | null;
  readonly leads: number;
  readonly conversions: number;
  readonly conversionRate: number;
  /** Decimal string, or null when no spend is known or it mixes currencies. */
  readonly spend: string | null;
  readonly currency: string | null;
  readonly costPerLead: string | null;
  readonly costPerConversion: string | null;
  /** Every currency the spend came in (more than one means spend is null). */
  readonly currencies: readonly (string | null)[];
}

/** Decimals of ad_costs.spend (NUMERIC(18,6)): sums to this scale are exact. */
const EXACT_SCALE = 6;

/** One row per (platform, campaign) seen in either input, sorted by platform then campaign. */
export function computeSourceRoi(
  spendRows: readonly SpendRow[],
  outcomes: readonly OutcomeRow[],
  scale = 2,
): SourceRoi[] {
  const groups = new Map<
    string,
    {
      platform: string;
      campaignId: string | null;
      name: string | null;
      leads: number;
      conversions: number;
      spend: SpendRow[];
    }
  >();
  const group = (platform: string, campaignId: string | null, name: string | null | undefined) => {
    const key = JSON.stringify([platform, campaignId]);
    let entry = groups.get(key);
    if (!entry) {
      entry = { platform, campaignId, name: null, leads: 0, conversions: 0, spend: [] };
      groups.set(key, entry);
    }
    entry.name ??= name ?? null;
    return entry;
  };
  for (const row of spendRows) group(row.platform, row.campaignId, row.campaignName).spend.push(row);
  for (const row of outcomes) {
    const entry = group(row.platform, row.campaignId, row.campaignName);
    entry.leads += row.leads;
    entry.conversions += row.conversions;
  }

  return [...groups.values()]
    .sort((a, b) => compare(a.platform, b.platform) || compare(a.campaignId ?? '', b.campaignId ?? ''))
    .map((g) => {
      // exact: ad_costs.spend keeps 6 decimals, and a sum rounded to 4 first (1.00495 → 1.0050) rounded again to 1.01
      const totals = sumByCurrency(
        g.spend.map((s) => ({ amount: s.spend, currency: s.currency })),
        EXACT_SCALE,
      );
      const currencies = [...totals.keys()];
      const single = totals.size === 1 ? [...totals.entries()][0] : null;
      const spend = single ? formatAmount(single[1], scale) : null;
      return {
        platform: g.platform,
        campaignId: g.campaignId,
        campaignName: g.name,
        leads: g.leads,
        conversions: g.conversions,
        conversionRate: g.leads === 0 ? 0 : g.conversions / g.leads,
        spend,
        currency: single ? single[0] : null,
        // Divide the exact spend, then round: rounding first would drift.
        costPerLead: single ? costPer(single[1], g.leads, scale) : null,
        costPerConversion: single ? costPer(single[1], g.conversions, scale) : null,
        currencies,
      };
    });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
