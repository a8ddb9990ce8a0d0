import { storableCost } from '../../modules/sync/storable-cost';
import { costFromRow } from '../google-ads-lead-forms/google-ads-spend';
import { costFromElement } from '../linkedin-lead-gen/linkedin-ad-spend';
import { decimalString, spendAmount } from './money';

// Rows shaped after a Google Ads searchStream row (REST JSON names) and a LinkedIn adAnalytics element.
const googleRow = (metrics: Record<string, unknown>) => ({
  campaign: { id: '111', name: 'Winter' },
  segments: { date: '2026-11-30' },
  metrics: { impressions: '100', clicks: '7', ...metrics },
});
const linkedInElement = (extra: Record<string, unknown>) => ({
  dateRange: { start: { year: 2026, month: 11, day: 30 }, end: { year: 2026, month: 11, day: 30 } },
  pivotValues: ['urn:li:sponsoredCampaign:222'],
  impressions: 100,
  clicks: 7,
  ...extra,
});
const UNREADABLE: Array<[string, unknown]> = [
  ['text', 'abc'],
  ['"NaN"', 'NaN'],
  ['an exponent past any double', '1e400'],
  ['an empty string', ''],
  ['an object', { amount: '1' }],
];

describe('spendAmount', () => {
  it('keeps a decimal exactly, reads an absent amount as 0, anything else as unreadable (NaN)', () => {
    expect(spendAmount('12.50')).toBe('12.50');
    expect(spendAmount('0.00')).toBe('0.00');
    expect(spendAmount(undefined)).toBe('0');
    for (const [, value] of UNREADABLE) expect(spendAmount(value)).toBeNaN();
    expect(spendAmount(null)).toBeNaN();
  });
});

describe('ad spend readers: an unreadable spend leaves the row out, never stores 0', () => {
  it.each(UNREADABLE)('Google Ads costMicros that is %s', (_name, costMicros) => {
    const cost = costFromRow(googleRow({ costMicros }), 'EUR');
    expect(cost && storableCost(cost)).toEqual({ reason: 'a spend that is not a non-negative amount' });
  });

  it('Google Ads: a zero, absent or null costMicros is 0 (proto3 JSON leaves zeros out)', () => {
    for (const metrics of [{ costMicros: '0' }, {}, { costMicros: null }]) {
      const cost = costFromRow(googleRow(metrics), 'EUR');
      expect(cost && storableCost(cost)).toMatchObject({ cost: { spend: '0' } });
    }
    const cost = costFromRow(googleRow({ costMicros: '12500000' }), 'EUR');
    expect(cost && storableCost(cost)).toMatchObject({ cost: { spend: '12.5' } });
  });

  it.each([...UNREADABLE, ['null', null]])('LinkedIn costInLocalCurrency that is %s', (_name, costInLocalCurrency) => {
    const cost = costFromElement(linkedInElement({ costInLocalCurrency }), 'EUR', new Map());
    expect(cost && storableCost(cost)).toEqual({ reason: 'a spend that is not a non-negative amount' });
  });

  it('LinkedIn: "0", "0.00" and an absent cost are 0', () => {
    for (const [extra, spend] of [
      [{ costInLocalCurrency: '0' }, '0'],
      [{ costInLocalCurrency: '0.00' }, '0.00'],
      [{}, '0'],
    ] as const) {
      const cost = costFromElement(linkedInElement(extra), 'EUR', new Map());
      expect(cost && storableCost(cost)).toMatchObject({ cost: { spend } });
    }
  });
});

describe('decimalString: numbers in plain notation (audit 20)', () => {
  it.each([
    [12.34, '12.34'],
    [0, '0'],
    [1.5e-7, '0.00000015'],
    [1e-7, '0.0000001'],
    [-2.5e-8, '-0.000000025'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
  ])('%p → %s', (value, plain) => {
    expect(decimalString(value)).toBe(plain);
  });

  it('Google Ads: a tiny fractional conversion count (a double String writes as 1.5e-7) keeps the row', () => {
    // metrics.conversions is a double in REST JSON; data-driven attribution credits fractions of a conversion
    const cost = costFromRow(googleRow({ costMicros: '2500000', conversions: 1.5e-7 }), 'EUR');
    expect(cost && storableCost(cost)).toMatchObject({ cost: { spend: '2.5', conversions: '0.00000015' } });
  });
});
