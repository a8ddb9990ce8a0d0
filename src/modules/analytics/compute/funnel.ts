// The lead funnel of GET /api/analytics/funnel (API.md "Analytics"): each lead created in the range
// counts at every stage up to the furthest one it ever reached, read from its status history (a
// lead that went NEW → QUALIFIED → LOST counts at NEW, CONTACTED and QUALIFIED), so the counts never
// rise from one stage to the next. A repository can hand over each lead's statuses
// (`funnelFromLeads`) or, cheaper, how many leads stopped at each stage (`funnelFromFurthest`, from a
// GROUP BY on the furthest stage index).
//
// The per-stage figures are PostHog's (PostHog/posthog frontend/src/scenes/funnels/funnelUtils.ts,
// `stepsWithConversionMetrics`): percentage = count / first stage's count ("total"), fromPrevious =
// count / previous count (the first stage is its own previous, so 1), dropOff = previous − count
// ("droppedOffFromPrevious", never negative), and dropOffRate = dropOff / previous, i.e.
// 1 − fromPrevious. As API.md asks, a rate with a zero denominator is 0.

import { DomainException } from '../../../common/errors/domain.exception';

export interface FunnelStageResult {
  readonly stage: string;
  readonly count: number;
  readonly percentage: number;
  readonly fromPrevious: number;
  readonly dropOff: number;
  readonly dropOffRate: number;
}

export const DEFAULT_FUNNEL_STAGES: readonly string[] = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'];

/** Index of the furthest stage among the statuses a lead has held; -1 when it held none of them. */
export function furthestStageIndex(stages: readonly string[], statusesHeld: Iterable<string>): number {
  let furthest = -1;
  for (const status of statusesHeld) furthest = Math.max(furthest, stages.indexOf(status));
  return furthest;
}

/** The funnel over leads given as the statuses each has held (its first status and every `to`). */
export function funnelFromLeads(stages: readonly string[], leads: Iterable<Iterable<string>>): FunnelStageResult[] {
  const stoppedAt = new Map<string, number>();
  for (const statuses of leads) {
    const index = furthestStageIndex(stages, statuses);
    if (index >= 0) stoppedAt.set(stages[index], (stoppedAt.get(stages[index]) ?? 0) + 1);
  }
  return funnelFromFurthest(stages, stoppedAt);
}

/** The funnel from the number of leads whose furthest stage is each stage (others are ignored). */
export function funnelFromFurthest(
  stages: readonly string[],
  stoppedAt: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): FunnelStageResult[] {
  const map: ReadonlyMap<string, number> =
    stoppedAt instanceof Map ? stoppedAt : new Map(Object.entries(stoppedAt as Readonly<Record<string, number>>));
  const get = (stage: string): number => map.get(stage) ?? 0;
  // A lead that stopped at stage i also passed every stage before it.
  const counts = new Array<number>(stages.length).fill(0);
  for (let i = stages.length - 1, running = 0; i >= 0; i--) {
    running += get(stages[i]);
    counts[i] = running;
  }
  return stages.map((stage, i) => {
    const count = counts[i];
    const previous = i > 0 ? counts[i - 1] : count;
    const dropOff = Math.max(previous - count, 0);
    return {
      stage,
      count,
      percentage: ratio(count, counts[0]),
      fromPrevious: ratio(count, previous),
      dropOff,
      dropOffRate: ratio(dropOff, previous),
    };
  });
}

/**
 * The `stages` query parameter (`NEW,CONTACTED,…`) or a sub-account's `funnelStages`: at least two,
 * distinct, each one of `allowed`. Throws VALIDATION_FAILED naming `field`.
 */
export function parseFunnelStages(input: unknown, allowed: readonly string[], field = 'stages'): string[] {
  const stages =
    typeof input === 'string'
      ? input.split(',').map((s) => s.trim())
      : Array.isArray(input)
        ? (input as unknown[])
        : null;
  const problems: string[] = [];
  if (!stages) problems.push('must be a comma-separated list or an array of statuses');
  else {
    if (stages.length < 2) problems.push('must name at least two stages');
    const unknown = stages.filter((s) => typeof s !== 'string' || !allowed.includes(s));
    if (unknown.length > 0) problems.push(`must be statuses among ${allowed.join(', ')}`);
    if (new Set(stages).size !== stages.length) problems.push('must not repeat a stage');
  }
  if (problems.length > 0 || !stages) {
    throw DomainException.validation(`\`${field}\` is invalid`, [{ field, messages: problems }]);
  }
  return stages as string[];
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
