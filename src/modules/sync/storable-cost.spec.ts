import type { AdCostInput } from '../../handlers/handler-types';
import { storableCost } from './storable-cost';

const cost: AdCostInput = {
  platform: 'facebook-ads',
  day: '2026-11-30',
  level: 'ad',
  campaignId: '11',
  adId: '33',
  spend: '12.50',
  impressions: 100,
  clicks: 7,
  leads: 1,
};

describe('storableCost', () => {
  it('keeps a row ad_costs can hold, amounts as given', () => {
    expect(storableCost(cost)).toEqual({ cost });
    expect(storableCost({ ...cost, spend: 0.000001, conversions: '3.5' })).toEqual({
      cost: { ...cost, spend: 0.000001, conversions: '3.5' },
    });
    expect(storableCost({ ...cost, spend: '000999999999999.99' })).toMatchObject({
      cost: { spend: '000999999999999.99' },
    });
  });

  it.each<[string, Partial<AdCostInput>]>([
    ['a negative spend', { spend: '-5' }],
    ['a negative numeric spend', { spend: -0.01 }],
    ['a spend past NUMERIC(18,6)', { spend: '1234567890123' }],
    ['a numeric spend past NUMERIC(18,6)', { spend: 1e15 }],
    ['an infinite spend', { spend: Infinity }],
    ['a NaN spend', { spend: NaN }],
    ['a spend that is text', { spend: 'abc' }],
    ['an empty spend', { spend: '' }],
    ['conversions past NUMERIC(14,4)', { conversions: '12345678901' }],
    ['negative impressions', { impressions: -5 }],
    ['clicks past INTEGER', { clicks: 2 ** 31 }],
    ['fractional leads', { leads: 1.5 }],
    ['February 30th', { day: '2026-02-30' }],
    ['year 0', { day: '0000-01-01' }],
    ['a day that is no date', { day: '2026-1-1' }],
    ['a NUL in the campaign id', { campaignId: 'c\u0000d' }],
    ['an unpaired surrogate in the ad id', { adId: 'a\ud800' }],
    ['a 501-character ad set id', { adSetId: 'x'.repeat(501) }],
  ])('leaves out %s', (_name, change) => {
    expect(storableCost({ ...cost, ...change })).toEqual({ reason: expect.any(String) });
  });

  it('cleans and bounds names, drops a currency that is no currency', () => {
    const kept = storableCost({
      ...cost,
      name: 'A\u0000d',
      campaignName: 'x'.repeat(1000),
      adName: 'b\ud800',
      currency: 'EUR\u0000',
    });
    expect(kept).toEqual({
      cost: { ...cost, name: 'Ad', campaignName: 'x'.repeat(500), adName: 'b\ufffd', currency: 'EUR' },
    });
    expect(storableCost({ ...cost, currency: 'X'.repeat(11) })).toEqual({ cost });
  });
});
