// Ad spend below the campaign (Google Ads ad groups and ads, LinkedIn creatives) with the names of every level, summed once by analytics, and re-pulls that zero what the platform stops reporting.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeRequest, FakeServer } from '../support/fake-server';
import { installFakeLinkedIn } from '../support/fake-linkedin';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const addDays = (day: string, days: number): string => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

interface CostRow {
  level: string;
  campaign_id: string;
  ad_set_id: string;
  ad_id: string;
  day: string;
  spend: string;
  name: string | null;
  campaign_name: string | null;
  ad_set_name: string | null;
  ad_name: string | null;
}

describe('ad spend below the campaign', () => {
  let t: TestApp;
  let googleAds: FakeServer;
  let linkedin: FakeServer;
  let googleAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const googleTokens = new Set<string>();
  // the days re-pulled are the account's last 7, ending today (UTC accounts here): two days inside them
  const today = new Date().toISOString().slice(0, 10);
  const d1 = addDays(today, -2);
  const d2 = addDays(today, -1);

  beforeAll(async () => {
    googleAds = await FakeServer.start();
    linkedin = await FakeServer.start();
    googleAuth = await FakeOAuthServer.start({
      flavour: 'google',
      clientId: 'gads-client',
      clientSecret: 'gads-secret',
      onToken: (token) => googleTokens.add(token),
    });
    t = await createTestApp({
      env: {
        GOOGLE_ADS_API_URL: `${googleAds.url}/v26`,
        GOOGLE_OAUTH_TOKEN_URL: `${googleAuth.url}/token`,
        LINKEDIN_API_URL: linkedin.url,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Spend levels');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([googleAds.close(), linkedin.close(), googleAuth.close()]);
  });

  async function sync(id: number): Promise<void> {
    const started = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    const status = await waitFor(
      async () => {
        const row = (await t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]))
          .rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      30_000,
      'sync run',
    );
    expect(status).toEqual({ status: 'SUCCEEDED', error: null });
  }

  const rows = async (id: number): Promise<CostRow[]> =>
    (
      await t.sql.query<CostRow>(
        `SELECT level, campaign_id, ad_set_id, ad_id, to_char(day, 'YYYY-MM-DD') AS day, spend::text, name,
                campaign_name, ad_set_name, ad_name
         FROM ad_costs WHERE integration_id = $1
         ORDER BY CASE level WHEN 'campaign' THEN 0 WHEN 'adset' THEN 1 ELSE 2 END, campaign_id, ad_set_id, ad_id, day`,
        [id],
      )
    ).rows;
  const totalByLevel = async (id: number): Promise<Record<string, string>> =>
    Object.fromEntries(
      (
        await t.sql.query<{ level: string; total: string }>(
          'SELECT level, sum(spend)::text AS total FROM ad_costs WHERE integration_id = $1 GROUP BY level',
          [id],
        )
      ).rows.map((r) => [r.level, r.total]),
    );
  /** Spend per campaign as analytics' ROI sees it (attribution rows carry each campaign's spend). */
  const roiSpend = async (campaignIds: string[]): Promise<Record<string, string | null>> => {
    const res = await t.http
      .get(`/api/analytics/attribution?subAccountId=${sub}&from=${addDays(today, -6)}&to=${today}`)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    const byCampaign = new Map(
      (res.body as Array<{ campaignId: string | null; spend: string | null }>).map((r) => [r.campaignId, r.spend]),
    );
    return Object.fromEntries(campaignIds.map((c) => [c, byCampaign.get(c) ?? null]));
  };

  it('Google Ads: campaign, ad group and ad days with every level named; ROI sums one level; a re-pull zeroes what Google no longer reports and keeps exact totals', async () => {
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-levels-0001',
      customerId: '222-333-4444',
      developerToken: 'dev-token-levels',
      clientId: 'gads-client',
      clientSecret: 'gads-secret',
      refreshToken: googleAuth.grant(),
    });
    await activate(t, sub, id);
    const campaign = (c: string, name: string, date: string, micros: string) => ({
      campaign: { resourceName: `customers/2223334444/campaigns/${c}`, id: c, name },
      segments: { date },
      metrics: { costMicros: micros, impressions: '100', clicks: '3', conversions: 0.5 },
    });
    const adGroup = (c: string, g: string, gName: string, date: string, micros: string) => ({
      ...campaign(c, 'Search brand', date, micros),
      adGroup: { resourceName: `customers/2223334444/adGroups/${g}`, id: g, name: gName },
    });
    const ad = (
      c: string,
      g: string,
      gName: string,
      a: string,
      aName: string | undefined,
      date: string,
      m: string,
    ) => ({
      ...adGroup(c, g, gName, date, m),
      adGroupAd: { ad: { id: a, ...(aName ? { name: aName } : {}) } },
    });
    // what Google reports now; the test changes it between runs
    const report: Record<'campaign' | 'ad_group' | 'ad_group_ad', unknown[]> = {
      campaign: [
        campaign('111', 'Search brand', d1, '10000001'),
        campaign('111', 'Search brand', d2, '5500000'),
        campaign('333', 'PMax', d1, '1230000'),
      ],
      ad_group: [
        adGroup('111', '7001', 'Exact', d1, '6000001'),
        adGroup('111', '7002', 'Broad', d1, '4000000'),
        adGroup('111', '7001', 'Exact', d2, '5500000'),
      ],
      ad_group_ad: [
        ad('111', '7001', 'Exact', '9001', 'Image ad', d1, '6000001'),
        ad('111', '7002', 'Broad', '9002', undefined, d1, '4000000'),
        ad('111', '7001', 'Exact', '9001', 'Image ad', d2, '5500000'),
      ],
    };
    const queries: string[] = [];
    googleAds.on('POST', '/v26/customers/2223334444/googleAds:search', (req: FakeRequest) => {
      if (!googleTokens.has(String(req.headers.authorization).replace(/^Bearer /, '')))
        return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
      const { query } = req.body as { query: string };
      queries.push(query);
      if (/FROM customer$/.test(query))
        return {
          status: 200,
          body: { results: [{ customer: { id: '2223334444', currencyCode: 'EUR', timeZone: 'Etc/UTC' } }] },
        };
      const from = /FROM (campaign|ad_group_ad|ad_group) WHERE segments\.date BETWEEN '([\d-]+)' AND '([\d-]+)'$/.exec(
        query,
      );
      if (!from) return { status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT' } } };
      return { status: 200, body: { results: report[from[1] as keyof typeof report] } };
    });

    await sync(id);
    expect(queries.filter((q) => !q.endsWith('FROM customer')).map((q) => /FROM (\w+)/.exec(q)?.[1])).toEqual([
      'campaign',
      'ad_group',
      'ad_group_ad',
    ]);
    expect(queries.find((q) => q.includes('FROM ad_group_ad'))).toContain('ad_group_ad.ad.id, ad_group_ad.ad.name');
    const first = await rows(id);
    expect(first).toEqual([
      expect.objectContaining({ level: 'campaign', campaign_id: '111', day: d1, spend: '10.000001' }),
      expect.objectContaining({ level: 'campaign', campaign_id: '111', day: d2, spend: '5.500000' }),
      expect.objectContaining({ level: 'campaign', campaign_id: '333', day: d1, spend: '1.230000', name: 'PMax' }),
      {
        level: 'adset',
        campaign_id: '111',
        ad_set_id: '7001',
        ad_id: '',
        day: d1,
        spend: '6.000001',
        name: 'Exact',
        campaign_name: 'Search brand',
        ad_set_name: 'Exact',
        ad_name: null,
      },
      expect.objectContaining({ level: 'adset', ad_set_id: '7001', day: d2, spend: '5.500000' }),
      expect.objectContaining({ level: 'adset', ad_set_id: '7002', day: d1, spend: '4.000000', name: 'Broad' }),
      {
        level: 'ad',
        campaign_id: '111',
        ad_set_id: '7001',
        ad_id: '9001',
        day: d1,
        spend: '6.000001',
        name: 'Image ad',
        campaign_name: 'Search brand',
        ad_set_name: 'Exact',
        ad_name: 'Image ad',
      },
      expect.objectContaining({ level: 'ad', ad_id: '9001', day: d2, spend: '5.500000' }),
      // a responsive search ad has no name of its own
      expect.objectContaining({ level: 'ad', ad_id: '9002', day: d1, spend: '4.000000', name: null, ad_name: null }),
    ]);
    expect(first[0]).toMatchObject({ name: 'Search brand', campaign_name: 'Search brand', ad_set_name: null });
    expect(await totalByLevel(id)).toEqual({ campaign: '16.730001', adset: '15.500001', ad: '15.500001' });
    // ROI reads one level: each campaign's spend once, not once per level (16.73, not 47.73)
    expect(await roiSpend(['111', '333'])).toEqual({ '111': '15.50', '333': '1.23' });

    // Google corrects d1: PMax had no spend after all, the broad ad group's clicks were invalid
    report.campaign = [campaign('111', 'Search brand', d1, '6000001'), campaign('111', 'Search brand', d2, '5500000')];
    report.ad_group = report.ad_group.filter((_, i) => i !== 1);
    report.ad_group_ad = report.ad_group_ad.filter((_, i) => i !== 1);
    await sync(id);
    const corrected = await rows(id);
    expect(corrected.map((r) => [r.level, r.campaign_id, r.ad_set_id, r.ad_id, r.day, r.spend])).toEqual([
      ['campaign', '111', '', '', d1, '6.000001'],
      ['campaign', '111', '', '', d2, '5.500000'],
      ['campaign', '333', '', '', d1, '0.000000'],
      ['adset', '111', '7001', '', d1, '6.000001'],
      ['adset', '111', '7001', '', d2, '5.500000'],
      ['adset', '111', '7002', '', d1, '0.000000'],
      ['ad', '111', '7001', '9001', d1, '6.000001'],
      ['ad', '111', '7001', '9001', d2, '5.500000'],
      ['ad', '111', '7002', '9002', d1, '0.000000'],
    ]);
    const zeroed = await t.sql.query(
      'SELECT impressions, clicks, leads, conversions::text FROM ad_costs WHERE integration_id = $1 AND spend = 0',
      [id],
    );
    expect(zeroed.rows).toEqual(Array(3).fill({ impressions: 0, clicks: 0, leads: 0, conversions: '0.0000' }));
    expect(await totalByLevel(id)).toEqual({ campaign: '11.500001', adset: '11.500001', ad: '11.500001' });
    expect(await roiSpend(['111', '333'])).toEqual({ '111': '11.50', '333': '0.00' });

    // an unchanged re-pull changes nothing: the same exact totals
    const before = await t.sql.query('SELECT id, updated_at FROM ad_costs WHERE integration_id = $1 AND spend = 0', [
      id,
    ]);
    await sync(id);
    expect(await rows(id)).toEqual(corrected);
    expect(await totalByLevel(id)).toEqual({ campaign: '11.500001', adset: '11.500001', ad: '11.500001' });
    const after = await t.sql.query('SELECT id, updated_at FROM ad_costs WHERE integration_id = $1 AND spend = 0', [
      id,
    ]);
    expect(after.rows).toEqual(before.rows);
  });

  it('LinkedIn: campaign days (Analytics finder) and creative days (Statistics finder, CAMPAIGN and CREATIVE pivots); ROI sums one level; a creative no longer reported is zeroed', async () => {
    installFakeLinkedIn(linkedin, {
      today: new Date(),
      token: 'li-levels-token',
      owners: { sponsoredAccount: ['5080001'] },
    });
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: '5080001',
      ownerType: 'sponsoredAccount',
      clientId: 'li-app',
      clientSecret: 'li-app-secret-levels',
      accessToken: 'li-levels-token',
      adAccountId: '5080001',
    });
    await activate(t, sub, id);
    linkedin.on('GET', '/rest/adAccounts/5080001', () => ({ status: 200, body: { id: 5080001, currency: 'USD' } }));
    linkedin.on('GET', '/rest/adAccounts/5080001/adCampaigns', () => ({
      status: 200,
      body: { elements: [{ id: 911, name: 'Webinar' }] },
    }));
    const date = (day: string) => {
      const [year, month, d] = day.split('-').map(Number);
      return { start: { year, month, day: d }, end: { year, month, day: d } };
    };
    const element = (day: string, pivotValues: string[], cost: string) => ({
      dateRange: date(day),
      pivotValues,
      costInLocalCurrency: cost,
      impressions: 10,
      clicks: 1,
      oneClickLeads: 0,
      externalWebsiteConversions: 0,
    });
    let creatives = [
      element(d1, ['urn:li:sponsoredCampaign:911', 'urn:li:sponsoredCreative:61'], '12.345678'),
      // the Statistics finder's pivotValues are told apart by URN type, whatever their order
      element(d1, ['urn:li:sponsoredCreative:62', 'urn:li:sponsoredCampaign:911'], '7.654322'),
    ];
    let campaigns = [element(d1, ['urn:li:sponsoredCampaign:911'], '20')];
    linkedin.on('GET', '/rest/adAnalytics', (req) => {
      if (req.query.get('timeGranularity') !== 'DAILY') return { status: 400, body: { message: 'bad request' } };
      if (req.query.get('q') === 'analytics' && req.query.get('pivot') === 'CAMPAIGN')
        return { status: 200, body: { elements: campaigns } };
      if (req.query.get('q') === 'statistics' && req.query.get('pivots') === 'List(CAMPAIGN,CREATIVE)')
        return { status: 200, body: { elements: creatives } };
      return { status: 400, body: { message: 'bad finder' } };
    });

    await sync(id);
    expect(
      (await rows(id)).map((r) => [r.level, r.campaign_id, r.ad_id, r.day, r.spend, r.name, r.campaign_name]),
    ).toEqual([
      ['campaign', '911', '', d1, '20.000000', 'Webinar', 'Webinar'],
      ['ad', '911', '61', d1, '12.345678', null, 'Webinar'],
      ['ad', '911', '62', d1, '7.654322', null, 'Webinar'],
    ]);
    expect(await roiSpend(['911'])).toEqual({ '911': '20.00' });

    // LinkedIn moves creative 62's spend of d1 to 61 (a correction): 62 is no longer reported
    creatives = [element(d1, ['urn:li:sponsoredCampaign:911', 'urn:li:sponsoredCreative:61'], '20')];
    campaigns = [element(d1, ['urn:li:sponsoredCampaign:911'], '20')];
    await sync(id);
    expect((await rows(id)).map((r) => [r.level, r.ad_id, r.spend])).toEqual([
      ['campaign', '', '20.000000'],
      ['ad', '61', '20.000000'],
      ['ad', '62', '0.000000'],
    ]);
    expect(await totalByLevel(id)).toEqual({ campaign: '20.000000', ad: '20.000000' });
    expect(await roiSpend(['911'])).toEqual({ '911': '20.00' });
  });
});
