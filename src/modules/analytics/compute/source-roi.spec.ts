// Source ROI on a worked example: spend joined with leads and conversions, one row per campaign.
import { computeSourceRoi } from './source-roi';

describe('computeSourceRoi (worked example)', () => {
  const rows = computeSourceRoi(
    [
      { platform: 'facebook', campaignId: 'c1', campaignName: 'Spring', spend: '120.5000', currency: 'USD' },
      { platform: 'facebook', campaignId: 'c1', spend: '79.5000', currency: 'USD' },
      { platform: 'facebook', campaignId: 'c2', spend: '50.0000', currency: 'BRL' },
      { platform: 'facebook', campaignId: 'c3', spend: '10.00', currency: 'USD' },
      { platform: 'facebook', campaignId: 'c3', spend: '20.00', currency: 'EUR' },
      { platform: 'google', campaignId: 'g1', spend: '100.0000', currency: 'USD' },
    ],
    [
      { platform: 'facebook', campaignId: 'c1', leads: 8, conversions: 2.5 },
      { platform: 'facebook', campaignId: 'c3', leads: 2, conversions: 0 },
      { platform: 'facebook', campaignId: 'c4', campaignName: 'Organic', leads: 3, conversions: 1 },
      { platform: 'google', campaignId: 'g1', leads: 3, conversions: 1 / 3 + 1 / 3 },
    ],
  );
  const byCampaign = Object.fromEntries(rows.map((r) => [r.campaignId, r]));

  it('sums spend per campaign and divides it by leads and by (fractional) conversions', () => {
    // 120.50 + 79.50 = 200.00; 200 / 8 leads = 25.00; 200 / 2.5 conversions = 80.00.
    expect(byCampaign.c1).toEqual({
      platform: 'facebook',
      campaignId: 'c1',
      campaignName: 'Spring',
      leads: 8,
      conversions: 2.5,
      conversionRate: 0.3125,
      spend: '200.00',
      currency: 'USD',
      costPerLead: '25.00',
      costPerConversion: '80.00',
      currencies: ['USD'],
    });
    // 100 / 3 = 33.33; 100 / (2/3) = 150.00.
    expect(byCampaign.g1).toMatchObject({ spend: '100.00', costPerLead: '33.33', costPerConversion: '150.00' });
  });

  it('has no cost per lead or conversion without leads or conversions, and a 0 rate', () => {
    expect(byCampaign.c2).toMatchObject({
      spend: '50.00',
      currency: 'BRL',
      leads: 0,
      costPerLead: null,
      costPerConversion: null,
      conversionRate: 0,
    });
  });

  it('never adds two currencies together', () => {
    expect(byCampaign.c3).toMatchObject({ spend: null, currency: null, costPerLead: null, currencies: ['USD', 'EUR'] });
  });

  it('keeps campaigns with leads but no known spend', () => {
    expect(byCampaign.c4).toMatchObject({
      campaignName: 'Organic',
      spend: null,
      currency: null,
      costPerLead: null,
      currencies: [],
    });
  });

  it('orders rows by platform, then campaign', () => {
    expect(rows.map((r) => `${r.platform}:${r.campaignId}`)).toEqual([
      'facebook:c1',
      'facebook:c2',
      'facebook:c3',
      'facebook:c4',
      'google:g1',
    ]);
  });
});
