// Ad spend from Google Ads (GAQL, micros) and LinkedIn (adAnalytics by campaign and day) into ad_costs, re-pulled idempotently.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeServer, FakeRequest } from '../support/fake-server';
import { installFakeLinkedIn } from '../support/fake-linkedin';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

describe('ad spend from Google Ads and LinkedIn', () => {
  let t: TestApp;
  let googleAds: FakeServer;
  let linkedin: FakeServer;
  let googleAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const googleTokens = new Set<string>();

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
    sub = await createSubAccount(t, 'MAX', 'Spend');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([googleAds.close(), linkedin.close(), googleAuth.close()]);
  });

  async function syncTwice(id: number): Promise<void> {
    for (let round = 0; round < 2; round++) {
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
  }

  it('Google Ads: campaign days over two pages, micros to currency, the account currency, headers, idempotent re-pull', async () => {
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-spend-0001',
      customerId: '123-456-7890',
      loginCustomerId: '111-222-3333',
      developerToken: 'dev-token-1',
      clientId: 'gads-client',
      clientSecret: 'gads-secret',
      refreshToken: googleAuth.grant(),
    });
    await activate(t, sub, id);
    const queries: string[] = [];
    googleAds.on('POST', '/v26/customers/1234567890/googleAds:search', (req: FakeRequest) => {
      const auth = String(req.headers.authorization).replace(/^Bearer /, '');
      if (!googleTokens.has(auth) || req.headers['developer-token'] !== 'dev-token-1')
        return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
      if (req.headers['login-customer-id'] !== '1112223333')
        return { status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED' } } };
      const { query, pageToken } = req.body as { query: string; pageToken?: string };
      queries.push(query);
      if (/FROM customer$/.test(query))
        return {
          status: 200,
          body: {
            results: [
              {
                customer: {
                  id: '1234567890',
                  descriptiveName: 'Clinic',
                  currencyCode: 'EUR',
                  timeZone: 'Europe/Berlin',
                },
              },
            ],
          },
        };
      const row = (campaign: string, name: string, date: string, micros: string, conversions: number) => ({
        campaign: { resourceName: `customers/1234567890/campaigns/${campaign}`, id: campaign, name },
        segments: { date },
        metrics: { costMicros: micros, impressions: '1000', clicks: '25', conversions },
      });
      return pageToken === 'page-2'
        ? { status: 200, body: { results: [row('222', 'PMax', '2026-11-20', '990000', 0.5)] } }
        : {
            status: 200,
            body: {
              results: [
                row('111', 'Search', '2026-11-20', '12345600', 2),
                row('111', 'Search', '2026-11-21', '7500000', 1.25),
              ],
              nextPageToken: 'page-2',
            },
          };
    });
    await syncTwice(id);
    const costs = await t.sql.query(
      `SELECT campaign_id, level, name, to_char(day, 'YYYY-MM-DD') AS day, spend::text, currency, impressions, clicks,
              conversions::text FROM ad_costs WHERE integration_id = $1 ORDER BY campaign_id, day`,
      [id],
    );
    expect(costs.rows).toEqual([
      {
        campaign_id: '111',
        level: 'campaign',
        name: 'Search',
        day: '2026-11-20',
        spend: '12.345600',
        currency: 'EUR',
        impressions: 1000,
        clicks: 25,
        conversions: '2.0000',
      },
      {
        campaign_id: '111',
        level: 'campaign',
        name: 'Search',
        day: '2026-11-21',
        spend: '7.500000',
        currency: 'EUR',
        impressions: 1000,
        clicks: 25,
        conversions: '1.2500',
      },
      {
        campaign_id: '222',
        level: 'campaign',
        name: 'PMax',
        day: '2026-11-20',
        spend: '0.990000',
        currency: 'EUR',
        impressions: 1000,
        clicks: 25,
        conversions: '0.5000',
      },
    ]);
    const total = await t.sql.query('SELECT sum(spend)::text AS total FROM ad_costs WHERE integration_id = $1', [id]);
    expect(total.rows[0].total).toBe('20.835600');
    // the window is the account's last 7 days, ending today in its time zone
    const window = /segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'/.exec(
      queries.find((q) => q.includes('FROM campaign')) ?? '',
    );
    expect(window).not.toBeNull();
    const berlinToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
    expect(window?.[2]).toBe(berlinToday);
    expect((Date.parse(`${window?.[2]}T00:00:00Z`) - Date.parse(`${window?.[1]}T00:00:00Z`)) / 86_400_000).toBe(6);
  });

  it('Google Ads: a refused developer token fails the connection test with INVALID_CREDENTIALS', async () => {
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-spend-0002',
      customerId: '1234567890',
      loginCustomerId: '1112223333',
      developerToken: 'not-the-token',
      clientId: 'gads-client',
      clientSecret: 'gads-secret',
      refreshToken: googleAuth.grant(),
    });
    const res = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('Google Ads lead forms without a customerId stay webhook-only: nothing to sync', async () => {
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'gkey-spend-0003' });
    expect((await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin)).status).toBe(400);
  });

  it('LinkedIn: adAnalytics by campaign and day with the lead sync, costInLocalCurrency exact, names and currency, idempotent re-pull', async () => {
    installFakeLinkedIn(linkedin, {
      today: new Date(),
      token: 'li-ads-token',
      owners: { sponsoredAccount: ['5070001'] },
    });
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: '5070001',
      ownerType: 'sponsoredAccount',
      clientId: 'li-app',
      clientSecret: 'li-app-secret',
      accessToken: 'li-ads-token',
      adAccountId: '5070001',
    });
    await activate(t, sub, id);
    const ok = (req: FakeRequest) =>
      req.headers.authorization === 'Bearer li-ads-token' && req.headers['x-restli-protocol-version'] === '2.0.0';
    linkedin.on('GET', '/rest/adAccounts/5070001', (req) =>
      ok(req) ? { status: 200, body: { id: 5070001, name: 'Acme Ads', currency: 'USD' } } : { status: 401, body: {} },
    );
    linkedin.on('GET', '/rest/adAccounts/5070001/adCampaigns', () => ({
      status: 200,
      body: {
        elements: [
          { id: 901, name: 'Webinar' },
          { id: 902, name: 'Retarget' },
        ],
      },
    }));
    linkedin.on('GET', '/rest/adAnalytics', (req) => {
      if (!ok(req) || req.query.get('timeGranularity') !== 'DAILY')
        return { status: 400, body: { message: 'bad request' } };
      // the creative days (Statistics finder): none in this account
      if (req.query.get('q') === 'statistics' && req.query.get('pivots') === 'List(CAMPAIGN,CREATIVE)')
        return { status: 200, body: { elements: [] } };
      if (req.query.get('q') !== 'analytics' || req.query.get('pivot') !== 'CAMPAIGN')
        return { status: 400, body: { message: 'bad request' } };
      const day = (d: number) => ({ start: { year: 2026, month: 11, day: d }, end: { year: 2026, month: 11, day: d } });
      return {
        status: 200,
        body: {
          elements: [
            {
              dateRange: day(20),
              pivotValues: ['urn:li:sponsoredCampaign:901'],
              costInLocalCurrency: '100.1',
              impressions: 5000,
              clicks: 80,
              oneClickLeads: 4,
              externalWebsiteConversions: 1,
            },
            {
              dateRange: day(21),
              pivotValues: ['urn:li:sponsoredCampaign:901'],
              costInLocalCurrency: '0.0001',
              impressions: 1,
              clicks: 0,
              oneClickLeads: 0,
              externalWebsiteConversions: 0,
            },
            {
              dateRange: day(21),
              pivotValues: ['urn:li:sponsoredCampaign:902'],
              costInLocalCurrency: '33.3333',
              impressions: 900,
              clicks: 12,
              oneClickLeads: 1,
              externalWebsiteConversions: 2,
            },
          ],
        },
      };
    });
    await syncTwice(id);
    const costs = await t.sql.query(
      `SELECT campaign_id, name, to_char(day, 'YYYY-MM-DD') AS day, spend::text, currency, leads, conversions::text
       FROM ad_costs WHERE integration_id = $1 ORDER BY campaign_id, day`,
      [id],
    );
    expect(costs.rows).toEqual([
      {
        campaign_id: '901',
        name: 'Webinar',
        day: '2026-11-20',
        spend: '100.100000',
        currency: 'USD',
        leads: 4,
        conversions: '5.0000',
      },
      {
        campaign_id: '901',
        name: 'Webinar',
        day: '2026-11-21',
        spend: '0.000100',
        currency: 'USD',
        leads: 0,
        conversions: '0.0000',
      },
      {
        campaign_id: '902',
        name: 'Retarget',
        day: '2026-11-21',
        spend: '33.333300',
        currency: 'USD',
        leads: 1,
        conversions: '3.0000',
      },
    ]);
    const total = await t.sql.query(
      'SELECT platform, sum(spend)::text AS total FROM ad_costs WHERE integration_id = $1 GROUP BY platform',
      [id],
    );
    expect(total.rows).toEqual([{ platform: 'linkedin', total: '133.433400' }]);
    const analytics = linkedin.requests.find((r) => r.path === '/rest/adAnalytics');
    expect(analytics?.url).toContain('accounts=List(urn%3Ali%3AsponsoredAccount%3A5070001)');
  });
});
