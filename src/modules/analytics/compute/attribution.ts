// Multi-touch attribution for GET /api/analytics/attribution (API.md "Analytics": model first | last
// | linear | time-decay | position). Each converted lead is a path of touches (its lead sources:
// platform + campaign, at the time each was received) ending in a conversion; a model splits that
// one conversion over the touches, so per-campaign conversions may be fractional and always add up
// to the number of attributed conversions.
//
// Models as the Google Ads API defines them (AttributionModelEnum.AttributionModel):
//   first        all credit to the first touch
//   last         all credit to the last touch
//   linear       equal credit to every touch
//   time-decay   "exponentially more credit to more recent clicks (half-life is 1 week)": weight
//                2^(−Δt / 7 days), Δt = conversion − touch, normalised to sum to 1
//   position     "40% to first and last clicks, remaining 20% evenly distributed across all other
//                clicks". Google does not spell out short paths; here one touch takes 100% (it is
//                both first and last) and two touches 50% each (the 20% has no middle touch to go
//                to, so the 40/40 is normalised to keep one conversion one conversion).
// Touches after the conversion cannot have caused it and are ignored; so are touches older than an
// optional look-back window. A conversion with no touch left is counted as unattributed.

export const ATTRIBUTION_MODELS = ['first', 'last', 'linear', 'time-decay', 'position'] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export interface Touch {
  /** What gets the credit, e.g. `${platform}:${campaignId}`. */
  readonly key: string;
  readonly at: Date;
}

export interface ConversionPath {
  readonly convertedAt: Date;
  readonly touches: readonly Touch[];
}

export interface AttributionOptions {
  /** Only touches at most this many days before the conversion count. */
  readonly lookbackDays?: number;
  /** Time-decay half-life; 7 days unless said otherwise. */
  readonly halfLifeDays?: number;
}

export interface AttributionResult {
  /** Fractional conversions per touch key. */
  readonly credits: Map<string, number>;
  /** Conversions with no eligible touch. */
  readonly unattributed: number;
}

const DAY_MS = 86_400_000;

export function isAttributionModel(value: unknown): value is AttributionModel {
  return typeof value === 'string' && (ATTRIBUTION_MODELS as readonly string[]).includes(value);
}

/**
 * The share of one conversion each touch gets, in chronological order; the shares sum to 1.
 * `ages` are the touches' distances before the conversion in milliseconds, oldest first.
 */
export function touchWeights(model: AttributionModel, ages: readonly number[], halfLifeDays = 7): number[] {
  const n = ages.length;
  if (n === 0) return [];
  switch (model) {
    case 'first':
      return ages.map((_, i) => (i === 0 ? 1 : 0));
    case 'last':
      return ages.map((_, i) => (i === n - 1 ? 1 : 0));
    case 'linear':
      return ages.map(() => 1 / n);
    case 'time-decay': {
      // Relative to the newest touch (normalising cancels the factor), so old paths cannot underflow to 0/0.
      const newest = ages.reduce((min, age) => Math.min(min, age), Infinity);
      return normalise(ages.map((age) => 2 ** (-(age - newest) / (halfLifeDays * DAY_MS))));
    }
    case 'position':
      if (n === 1) return [1];
      if (n === 2) return [0.5, 0.5];
      return ages.map((_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)));
  }
}

/** Splits every conversion over its eligible touches and sums the credit per touch key. */
export function attributeConversions(
  model: AttributionModel,
  paths: Iterable<ConversionPath>,
  options: AttributionOptions = {},
): AttributionResult {
  const credits = new Map<string, number>();
  let unattributed = 0;
  for (const path of paths) {
    const converted = path.convertedAt.getTime();
    const oldest = options.lookbackDays === undefined ? -Infinity : converted - options.lookbackDays * DAY_MS;
    const touches = path.touches
      .map((touch, order) => ({ touch, order, at: touch.at.getTime() }))
      .filter((t) => t.at <= converted && t.at >= oldest)
      // Chronological; simultaneous touches keep the order they were given in.
      .sort((a, b) => a.at - b.at || a.order - b.order);
    if (touches.length === 0) {
      unattributed += 1;
      continue;
    }
    const weights = touchWeights(
      model,
      touches.map((t) => converted - t.at),
      options.halfLifeDays,
    );
    touches.forEach((t, i) => {
      if (weights[i] > 0) credits.set(t.touch.key, (credits.get(t.touch.key) ?? 0) + weights[i]);
    });
  }
  return { credits, unattributed };
}

/** Rounds a fractional conversion count for output (sums of thirds should read 1, not 0.9999999999). */
export function roundConversions(value: number, places = 4): number {
  const factor = 10 ** places;
  return Math.round((value + Number.EPSILON) * factor) / factor;
}

function normalise(weights: number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}
