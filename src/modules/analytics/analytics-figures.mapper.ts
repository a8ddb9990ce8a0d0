import { LEAD_STATUSES } from '../leads/dto/lead.dto';
import type { CampaignLeadsRow, MetricRow, SpendDbRow } from './analytics.repository';
import { costPer, formatAmount, splitEvenly, sumAmounts, sumByCurrency } from './compute/money';
import type { GroupBy, SourceFiguresDto, TeamMemberDto, TimeseriesDto, TotalsDto } from './dto/analytics.dto';
import { Bucket, bucketKeyOfDate, enumerateBuckets, Granularity, zeroFill } from './time/buckets';
import { addDays, CivilDate, parseCivilDate } from './time/civil-date';
import { startOfLocalDay } from './time/time-zone';

/** Ad platforms' names as leads know them: Facebook Ads spend buys Meta leads. */
const LEAD_PLATFORM_OF_SPEND: Readonly<Record<string, string>> = { 'facebook-ads': 'meta' };
export const leadPlatformOf = (spendPlatform: string): string => LEAD_PLATFORM_OF_SPEND[spendPlatform] ?? spendPlatform;

// API.md: rates are fractions (0–1), 0 when the denominator is 0. A range can convert leads created
// (or assigned) before it, so its conversions may outnumber its new leads: the rate is then 1, never 2.
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : Math.min(1, a / b));
// A key is `<platform>|<integration id>` or `<platform>|<campaign id>`: platforms hold no '|', but a
// campaign id may ("brand | search"), so the key splits at its first '|'.
export const splitKey = (key: string): [string, string] => {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
};

/** Decimals of ad_costs.spend (NUMERIC(18,6)): a sum to this scale is exact. */
export const SPEND_SCALE = 6;

/** The overview's rows per source (platform|integration), each with the spend it owns. */
export function sourceFigures(
  rows: readonly MetricRow[],
  spend: readonly SpendDbRow[],
  campaignLeads: readonly CampaignLeadsRow[] = [],
): SourceFiguresDto[] {
  const sources = new Map<
    string,
    { platform: string; integrationId: number | null; leads: number; converted: number }
  >();
  for (const r of rows) {
    const [platform, integration] = splitKey(r.dimId);
    const s = sources.get(r.dimId) ?? {
      platform,
      integrationId: integration === '' ? null : Number(integration),
      leads: 0,
      converted: 0,
    };
    if (r.metric === 'new') s.leads += r.count;
    if (r.metric === 'converted') s.converted += r.count;
    sources.set(r.dimId, s);
  }
  // Spend belongs to the row of the integration that reported it when that integration is also the
  // one that brings the platform's leads (Google Ads and LinkedIn report both): two Google Ads
  // accounts each keep their own spend and cost per lead, and an account that spent without a lead in
  // the range has its row (leads 0, cost per lead null). Spend reported by a separate ad integration
  // (Facebook Ads spend buys the Meta Lead Ads integration's leads) belongs to the platform's one
  // source row; when several integrations bring that platform's leads, a campaign's spend belongs to
  // the one that brought most of the campaign's leads in the range (a Meta campaign's ads lead to one
  // page), and spend of a campaign none of them brought a lead of to a platform-level row
  // (integrationId null).
  const spendOf = new Map<string, SpendDbRow[]>();
  const own = (key: string, s: SpendDbRow) => spendOf.set(key, [...(spendOf.get(key) ?? []), s]);
  const unowned = new Map<string, SpendDbRow[]>();
  for (const s of spend) {
    const platform = leadPlatformOf(s.platform);
    const key = `${platform}|${s.integrationId}`;
    if (sources.has(key) || platform === s.platform) {
      if (!sources.has(key)) sources.set(key, { platform, integrationId: s.integrationId, leads: 0, converted: 0 });
      own(key, s);
    } else unowned.set(platform, [...(unowned.get(platform) ?? []), s]);
  }
  for (const [platform, rowsSpend] of unowned) {
    const keys = [...sources.keys()].filter((k) => splitKey(k)[0] === platform);
    const owner = campaignOwners(platform, campaignLeads);
    for (const s of rowsSpend) {
      const byCampaign = owner.get(s.campaignId);
      const key =
        keys.length === 1
          ? keys[0]
          : byCampaign !== undefined && sources.has(`${platform}|${byCampaign}`)
            ? `${platform}|${byCampaign}`
            : `${platform}|`;
      if (!sources.has(key)) sources.set(key, { platform, integrationId: null, leads: 0, converted: 0 });
      own(key, s);
    }
  }
  return [...sources.entries()]
    .sort(([, a], [, b]) => a.platform.localeCompare(b.platform) || (a.integrationId ?? -1) - (b.integrationId ?? -1))
    .map(([key, s]) => {
      // exact sums (ad_costs.spend keeps 6 decimals): costs divide them and round once, as source-roi.ts does
      const totals = sumByCurrency(
        (spendOf.get(key) ?? []).map((x) => ({ amount: x.spend, currency: x.currency })),
        SPEND_SCALE,
      );
      const single = totals.size === 1 ? [...totals][0] : null;
      return {
        platform: s.platform,
        integrationId: s.integrationId,
        leads: s.leads,
        converted: s.converted,
        conversionRate: ratio(s.converted, s.leads),
        spend: single ? formatAmount(single[1]) : null,
        costPerLead: single ? costPer(single[1], s.leads) : null,
        costPerConversion: single ? costPer(single[1], s.converted) : null,
        currency: single ? single[0] : null,
      };
    });
}

/** Per campaign of `platform`, the integration that brought most of its leads (the lowest id on a tie). */
function campaignOwners(platform: string, campaignLeads: readonly CampaignLeadsRow[]): Map<string, number> {
  const best = new Map<string, CampaignLeadsRow>();
  for (const row of campaignLeads) {
    if (row.platform !== platform) continue;
    const held = best.get(row.campaignId);
    if (!held || row.leads > held.leads || (row.leads === held.leads && row.integrationId < held.integrationId))
      best.set(row.campaignId, row);
  }
  return new Map([...best].map(([campaign, row]) => [campaign, row.integrationId]));
}

/** Lead platforms whose spend comes from a separate ad integration and that several integrations bring leads of. */
export function platformsSharingSpend(rows: readonly MetricRow[], spend: readonly SpendDbRow[]): string[] {
  const integrations = new Map<string, Set<string>>();
  for (const r of rows) {
    const [platform, integration] = splitKey(r.dimId);
    integrations.set(platform, (integrations.get(platform) ?? new Set()).add(integration));
  }
  const platforms = new Set(spend.map((s) => leadPlatformOf(s.platform)).filter((p, i) => p !== spend[i].platform));
  return [...platforms].filter((p) => (integrations.get(p)?.size ?? 0) > 1);
}

/**
 * Spend per bucket of each series (a day's spend in its bucket), zero-filled over `buckets`, one
 * series per group and currency: amounts in two currencies are never added up (API.md: money is a
 * decimal string with its currency), so a group whose ad accounts bill in EUR and USD has two series.
 * Ad platforms report spend per day, so at `hour` granularity a day's spend (its total in cents, per
 * series) is spread evenly over that local day's hours — 23, 24 or 25 of them — with the leftover
 * cents on its first hours: the hours of a day add up to exactly the day's value in the `day` series.
 * A range given as instants that cuts a day keeps only that day's hours inside it.
 */
export function spendSeriesOf(
  spend: readonly SpendDbRow[],
  timezone: string,
  granularity: Granularity,
  groupBy: GroupBy | undefined,
  buckets: readonly Bucket[],
): TimeseriesDto {
  const series = new Map<string, { key: string; currency: string | null; amounts: Map<string, string[]> }>();
  const days = new Map<string, CivilDate>();
  for (const s of spend) {
    const day = parseCivilDate(s.day);
    if (!day) continue;
    const key = !groupBy
      ? 'total'
      : groupBy === 'source'
        ? leadPlatformOf(s.platform)
        : groupBy === 'integration'
          ? String(s.integrationId)
          : s.campaignId;
    const currency = s.currency === null ? null : s.currency.toUpperCase();
    const id = JSON.stringify([key, currency]);
    const one = series.get(id) ?? { key, currency, amounts: new Map<string, string[]>() };
    const bucket = bucketKeyOfDate(day, granularity === 'hour' ? 'day' : granularity);
    days.set(bucket, day);
    one.amounts.set(bucket, [...(one.amounts.get(bucket) ?? []), s.spend]);
    series.set(id, one);
  }
  if (!groupBy && series.size === 0) series.set('total', { key: 'total', currency: null, amounts: new Map() });
  const hoursOf = new Map<string, string[]>();
  const hoursOfDay = (dayKey: string, day: CivilDate): string[] => {
    const known = hoursOf.get(dayKey);
    if (known) return known;
    const range = { start: startOfLocalDay(day, timezone), end: startOfLocalDay(addDays(day, 1), timezone) };
    const hours = enumerateBuckets(range, timezone, 'hour').map((b) => b.key);
    hoursOf.set(dayKey, hours);
    return hours;
  };
  const valuesOf = (amounts: Map<string, string[]>): Map<string, string> => {
    const totals = new Map([...amounts].map(([bucket, parts]) => [bucket, sumAmounts(parts)]));
    if (granularity !== 'hour') return totals;
    const hourly = new Map<string, string>();
    for (const [dayKey, total] of totals) {
      const day = days.get(dayKey);
      if (!day) continue;
      const hours = hoursOfDay(dayKey, day);
      splitEvenly(total, hours.length).forEach((share, i) => hourly.set(hours[i], share));
    }
    return hourly;
  };
  return {
    timezone,
    granularity,
    series: [...series.values()]
      .sort((a, b) => cmp(a.key, b.key) || cmp(a.currency ?? '\uffff', b.currency ?? '\uffff'))
      .map((one) => ({
        key: one.key,
        currency: one.currency,
        points: zeroFill(buckets, valuesOf(one.amounts), '0.00'),
      })),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function totalsOf(sourceRows: readonly MetricRow[], stock: ReadonlyMap<string, number>): TotalsDto {
  const sum = (metric: string): number =>
    sourceRows.filter((r) => r.dimType === 'source' && r.metric === metric).reduce((n, r) => n + r.count, 0);
  const newLeads = sum('new');
  const convertedLeads = sum('converted');
  return {
    totalLeads: [...stock.values()].reduce((n, v) => n + v, 0),
    newLeads,
    convertedLeads,
    lostLeads: sum('lost'),
    conversionRate: ratio(convertedLeads, newLeads),
  };
}

export function statusRecord(stock: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of LEAD_STATUSES) out[status] = stock.get(status) ?? 0;
  return out;
}

export function seriesKey(row: MetricRow, groupBy: GroupBy | undefined): string {
  if (!groupBy) return 'total';
  if (groupBy === 'status') return row.dimId;
  const [platform, id] = splitKey(row.dimId);
  if (groupBy === 'source') return platform || 'unknown';
  if (groupBy === 'integration') return id || 'none';
  return id || 'none';
}

/**
 * Leads by the furthest of `stages` they reached (1-based index), from the counts of each set of
 * statuses reached (`CONTACTED,NEW`): a set none of whose statuses is a stage counts nowhere.
 */
export function furthestOfSets(stages: readonly string[], sets: ReadonlyMap<string, number>): Map<number, number> {
  const byIndex = new Map<number, number>();
  for (const [set, n] of sets) {
    const furthest = Math.max(0, ...set.split(',').map((status) => stages.indexOf(status) + 1));
    if (furthest > 0) byIndex.set(furthest, (byIndex.get(furthest) ?? 0) + n);
  }
  return byIndex;
}

/** The team's figures per agent (user rows), named from `names`, ordered by user id. */
export function teamFigures(rows: readonly MetricRow[], names: ReadonlyMap<string, string>): TeamMemberDto[] {
  const team = new Map<string, TeamMemberDto>();
  for (const r of rows) {
    if (r.dimType !== 'user') continue;
    const m = team.get(r.dimId) ?? {
      userId: r.dimId,
      userName: null,
      leadsAssigned: 0,
      callsMade: 0,
      callsAnswered: 0,
      leadsConverted: 0,
      conversionRate: 0,
    };
    if (r.metric === 'assigned') m.leadsAssigned += r.count;
    if (r.metric === 'calls') m.callsMade += r.count;
    if (r.metric === 'calls_answered') m.callsAnswered += r.count;
    if (r.metric === 'converted') m.leadsConverted += r.count;
    team.set(r.dimId, m);
  }
  return [...team.values()]
    .sort((a, b) => a.userId.localeCompare(b.userId))
    .map((m) => ({
      ...m,
      userName: names.get(m.userId) ?? null,
      conversionRate: ratio(m.leadsConverted, m.leadsAssigned),
    }));
}
