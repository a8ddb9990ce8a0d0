// The same ad account reported by two integrations of one sub-account (two Facebook Ads connections sharing
// an account, or a reconnection beside the old one): each stores the campaign's spend, and every sum of
// spend counted it twice. API.md "Analytics": bySource `spend`, attribution `spend`; a campaign's spend is
// what the platform charged once.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

describe('ad spend of one ad account reported by two integrations', () => {
  let t: TestApp;
  let sub: number;
  let apart: number;
  let admin: string;
  const range = 'from=2019-03-01&to=2019-03-03';

  const get = async (path: string): Promise<unknown> => {
    const res = await t.http.get(path).set('authorization', admin);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const spendRows = (s: number, integrationId: number, level: string, rows: Array<[string, string, string]>) =>
    Promise.all(
      rows.map(([campaign, ad, spend]) =>
        t.sql.query(
          `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, spend, currency,
             impressions, clicks, leads, updated_at)
           VALUES ($1, $2, 'facebook-ads', '2019-03-02', $3, $4, $5, $6, 'USD', 0, 0, 0, now())`,
          [s, integrationId, level, campaign, ad, spend],
        ),
      ),
    );
  const metaLead = async (s: number, campaign: string): Promise<void> => {
    const lead = await t.sql.query<{ id: string }>(
      `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_campaign_id)
       VALUES ($1, '2019-03-02T12:00:00Z', now(), 'meta', $2) RETURNING id::text`,
      [s, campaign],
    );
    await t.sql.query(
      `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, submitted_at)
       VALUES ($1::bigint, $2, 'meta', $3, $4, $5, '2019-03-02T12:00:00Z')`,
      [lead.rows[0].id, s, `x-${lead.rows[0].id}`, `event:x-${lead.rows[0].id}`, campaign],
    );
  };

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Shared ad account');
    apart = await createSubAccount(t, 'MAX', 'Same account, other sub-account');
    admin = `Bearer ${t.token('ADMIN', [sub, apart])}`;
    // integration 901 stores campaign rows, 902 (the same account) ad rows of the same campaign; c2 only in 902
    await spendRows(sub, 901, 'campaign', [['c1', '', '10.00']]);
    await spendRows(sub, 902, 'ad', [
      ['c1', 'a1', '6.00'],
      ['c1', 'a2', '4.00'],
      ['c2', 'a3', '2.50'],
    ]);
    // another sub-account connected to the same account keeps its own figures
    await spendRows(apart, 903, 'campaign', [['c1', '', '10.00']]);
    await metaLead(sub, 'c1');
    await metaLead(sub, 'c2');
    await metaLead(apart, 'c1');
  });
  afterAll(() => t?.close());

  it('overview and attribution count a campaign day once, whichever integrations reported it', async () => {
    const overview = (await get(`/api/analytics/overview?subAccountId=${sub}&${range}`)) as {
      bySource: Array<Record<string, unknown>>;
    };
    expect(overview.bySource.find((s) => s.platform === 'meta')).toMatchObject({
      leads: 2,
      spend: '12.50',
      costPerLead: '6.25',
      currency: 'USD',
    });
    const attribution = (await get(`/api/analytics/attribution?subAccountId=${sub}&${range}&model=last`)) as Array<
      Record<string, unknown>
    >;
    expect(attribution.map((r) => [r.campaignId, r.spend])).toEqual([
      ['c1', '10.00'],
      ['c2', '2.50'],
    ]);
    const other = (await get(`/api/analytics/overview?subAccountId=${apart}&${range}`)) as {
      bySource: Array<Record<string, unknown>>;
    };
    expect(other.bySource.find((s) => s.platform === 'meta')).toMatchObject({ leads: 1, spend: '10.00' });
  });
});
