// The funnel on eight hand-traced leads: furthest stage per lead, then PostHog's per-stage figures.
import {
  DEFAULT_FUNNEL_STAGES,
  funnelFromFurthest,
  funnelFromLeads,
  furthestStageIndex,
  parseFunnelStages,
} from './funnel';

// Eight leads created in the range, with every status each has held (first status, then each `to`).
const LEADS = [
  ['NEW'], // L1 stopped at NEW
  ['NEW', 'CONTACTED'], // L2
  ['NEW', 'CONTACTED', 'QUALIFIED', 'LOST'], // L3 reached QUALIFIED, then was lost
  ['NEW', 'QUALIFIED', 'CONVERTED'], // L4 skipped CONTACTED: still counts there
  ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'], // L5 converted, later lost: still converted
  ['LOST'], // L6 never in the funnel
  ['NEW', 'CONTACTED', 'NEW'], // L7 moved back: its furthest is CONTACTED
  ['CONTACTED'], // L8 created as CONTACTED: counts at NEW too
];

describe('funnel', () => {
  it('counts each lead at every stage up to the furthest it reached, with PostHog figures (worked example)', () => {
    // Furthest: NEW 1 (L1), CONTACTED 3 (L2 L7 L8), QUALIFIED 1 (L3), CONVERTED 2 (L4 L5) → 7, 6, 3, 2.
    expect(funnelFromLeads(DEFAULT_FUNNEL_STAGES, LEADS)).toEqual([
      { stage: 'NEW', count: 7, percentage: 1, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
      { stage: 'CONTACTED', count: 6, percentage: 6 / 7, fromPrevious: 6 / 7, dropOff: 1, dropOffRate: 1 / 7 },
      { stage: 'QUALIFIED', count: 3, percentage: 3 / 7, fromPrevious: 0.5, dropOff: 3, dropOffRate: 0.5 },
      { stage: 'CONVERTED', count: 2, percentage: 2 / 7, fromPrevious: 2 / 3, dropOff: 1, dropOffRate: 1 / 3 },
    ]);
  });

  it('uses only the chosen stages, in their order', () => {
    // CONTACTED: L2 L3 L7 L8 stop there (L3's QUALIFIED is not a stage); CONVERTED: L4 L5.
    expect(funnelFromLeads(['CONTACTED', 'CONVERTED'], LEADS).map((s) => [s.stage, s.count, s.fromPrevious])).toEqual([
      ['CONTACTED', 6, 1],
      ['CONVERTED', 2, 1 / 3],
    ]);
  });

  it('gives the same answer from per-stage stop counts (what a GROUP BY returns)', () => {
    const stoppedAt = new Map([
      ['NEW', 1],
      ['CONTACTED', 3],
      ['QUALIFIED', 1],
      ['CONVERTED', 2],
      ['LOST', 40], // not a stage: ignored
    ]);
    expect(funnelFromFurthest(DEFAULT_FUNNEL_STAGES, stoppedAt)).toEqual(funnelFromLeads(DEFAULT_FUNNEL_STAGES, LEADS));
    expect(funnelFromFurthest(DEFAULT_FUNNEL_STAGES, { CONVERTED: 2 }).map((s) => s.count)).toEqual([2, 2, 2, 2]);
  });

  it('reports 0 for every rate of an empty funnel', () => {
    expect(funnelFromLeads(DEFAULT_FUNNEL_STAGES, [])).toEqual(
      DEFAULT_FUNNEL_STAGES.map((stage) => ({
        stage,
        count: 0,
        percentage: 0,
        fromPrevious: 0,
        dropOff: 0,
        dropOffRate: 0,
      })),
    );
  });

  it('finds the furthest stage index, -1 for none', () => {
    expect(furthestStageIndex(DEFAULT_FUNNEL_STAGES, ['QUALIFIED', 'NEW'])).toBe(2);
    expect(furthestStageIndex(DEFAULT_FUNNEL_STAGES, ['LOST'])).toBe(-1);
  });
});

describe('parseFunnelStages', () => {
  const allowed = ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'];

  it('reads a comma-separated query parameter or an array', () => {
    expect(parseFunnelStages('NEW, CONTACTED,CONVERTED', allowed)).toEqual(['NEW', 'CONTACTED', 'CONVERTED']);
    expect(parseFunnelStages(['NEW', 'LOST'], allowed, 'funnelStages')).toEqual(['NEW', 'LOST']);
  });

  it('refuses unknown, repeated, single and non-string stages with VALIDATION_FAILED', () => {
    for (const bad of ['NEW,BOGUS', 'NEW,NEW', 'NEW', '', ['NEW', 3], 42, null]) {
      expect(() => parseFunnelStages(bad, allowed)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'stages' })] }),
      );
    }
  });
});
