// Attribution models on a small worked example whose credits were computed by hand (see each test).
import { attributeConversions, AttributionModel, ConversionPath, roundConversions, touchWeights } from './attribution';

const DAY = 86_400_000;
const t = (iso: string) => new Date(iso);
const touch = (key: string, at: string) => ({ key, at: t(at) });

// Worked example: four converted leads (A, B, C, E) and one with no touch before converting (D).
const PATHS: ConversionPath[] = [
  {
    // A: three touches 14, 7 and 0 days before converting, plus one after it (ignored).
    convertedAt: t('2024-01-15T00:00:00Z'),
    touches: [
      touch('tiktok:t1', '2024-01-16T00:00:00Z'),
      touch('google:g1', '2024-01-08T00:00:00Z'),
      touch('facebook:c1', '2024-01-01T00:00:00Z'),
      touch('facebook:c2', '2024-01-15T00:00:00Z'),
    ],
  },
  {
    // B: two touches, 7 days and 0 days before.
    convertedAt: t('2024-01-20T00:00:00Z'),
    touches: [touch('google:g1', '2024-01-20T00:00:00Z'), touch('facebook:c1', '2024-01-13T00:00:00Z')],
  },
  // C: one touch.
  { convertedAt: t('2024-02-01T00:00:00Z'), touches: [touch('facebook:c2', '2024-01-25T00:00:00Z')] },
  // D: its only touch came after the conversion.
  { convertedAt: t('2024-02-01T00:00:00Z'), touches: [touch('facebook:c2', '2024-02-02T00:00:00Z')] },
  {
    // E: the same campaign twice (14 and 7 days before), then google on the day.
    convertedAt: t('2024-03-01T00:00:00Z'),
    touches: [
      touch('facebook:c1', '2024-02-16T00:00:00Z'),
      touch('facebook:c1', '2024-02-23T00:00:00Z'),
      touch('google:g1', '2024-03-01T00:00:00Z'),
    ],
  },
];

const credits = (model: AttributionModel, paths = PATHS): Record<string, number> => {
  const result = attributeConversions(model, paths);
  return { ...Object.fromEntries(result.credits), unattributed: result.unattributed };
};

describe('attribution models (worked example)', () => {
  it('first touch: A, B and E to facebook:c1, C to facebook:c2', () => {
    expect(credits('first')).toEqual({ 'facebook:c1': 3, 'facebook:c2': 1, unattributed: 1 });
  });

  it('last touch: A and C to facebook:c2, B and E to google:g1', () => {
    expect(credits('last')).toEqual({ 'facebook:c2': 2, 'google:g1': 2, unattributed: 1 });
  });

  it('linear: c1 = 1/3 + 1/2 + 2/3, g1 = 1/3 + 1/2 + 1/3, c2 = 1/3 + 1', () => {
    const c = credits('linear');
    expect(c['facebook:c1']).toBeCloseTo(1.5, 12);
    expect(c['google:g1']).toBeCloseTo(7 / 6, 12);
    expect(c['facebook:c2']).toBeCloseTo(4 / 3, 12);
  });

  it('position 40/20/40: c1 = .4 + .5 + (.4 + .2), g1 = .2 + .5 + .4, c2 = .4 + 1', () => {
    const c = credits('position');
    expect(c['facebook:c1']).toBeCloseTo(1.5, 12);
    expect(c['google:g1']).toBeCloseTo(1.1, 12);
    expect(c['facebook:c2']).toBeCloseTo(1.4, 12);
  });

  it('time-decay, 7-day half-life: ages 14/7/0 days weigh 1/4, 1/2, 1 before normalising', () => {
    // A: 1/7, 2/7, 4/7. B: g1 2/3, c1 1/3. C: c2 1. E: c1 (1/4 + 1/2)/1.75 = 3/7, g1 4/7.
    const c = credits('time-decay');
    expect(c['facebook:c1']).toBeCloseTo(1 / 7 + 1 / 3 + 3 / 7, 12); // 19/21
    expect(c['google:g1']).toBeCloseTo(2 / 7 + 2 / 3 + 4 / 7, 12); // 32/21
    expect(c['facebook:c2']).toBeCloseTo(4 / 7 + 1, 12); // 11/7
  });

  it('never creates or loses a conversion: every model sums to the attributed count', () => {
    for (const model of ['first', 'last', 'linear', 'time-decay', 'position'] as const) {
      const { credits: map, unattributed } = attributeConversions(model, PATHS);
      expect([...map.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(4, 12);
      expect(unattributed).toBe(1);
    }
  });
});

describe('touchWeights', () => {
  it('handles one and two touches under position, and a fractional half-life exponent', () => {
    expect(touchWeights('position', [0])).toEqual([1]);
    expect(touchWeights('position', [5 * DAY, 0])).toEqual([0.5, 0.5]);
    expect(touchWeights('position', [9, 8, 7, 6, 5])).toEqual([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]);
    // 2^(-10/7) = 0.371498…; normalised with 1: 0.270870…, 0.729129…
    const [old, recent] = touchWeights('time-decay', [10 * DAY, 0]);
    expect(old).toBeCloseTo(0.2708705497706, 12);
    expect(recent).toBeCloseTo(0.7291294502294, 12);
    expect(touchWeights('linear', [])).toEqual([]);
  });

  it('stays finite for touches years old', () => {
    const weights = touchWeights('time-decay', [3000 * DAY, 2990 * DAY]);
    expect(weights[0] + weights[1]).toBeCloseTo(1, 12);
    expect(weights[1]).toBeCloseTo(2 ** (10 / 7) / (1 + 2 ** (10 / 7)), 12);
  });
});

describe('attributeConversions options', () => {
  it('drops touches outside the look-back window', () => {
    const result = attributeConversions('first', [PATHS[0]], { lookbackDays: 10 });
    expect(Object.fromEntries(result.credits)).toEqual({ 'google:g1': 1 });
    expect(attributeConversions('first', [PATHS[2]], { lookbackDays: 1 }).unattributed).toBe(1);
  });

  it('keeps the given order for simultaneous touches', () => {
    const same = '2024-01-01T00:00:00Z';
    const path = { convertedAt: t('2024-01-02T00:00:00Z'), touches: [touch('b', same), touch('a', same)] };
    expect(Object.fromEntries(attributeConversions('first', [path]).credits)).toEqual({ b: 1 });
  });

  it('rounds fractional conversions for output', () => {
    expect(roundConversions(1 / 3 + 1 / 3 + 1 / 3 - 1e-15)).toBe(1);
    expect(roundConversions(19 / 21)).toBe(0.9048);
  });
});
