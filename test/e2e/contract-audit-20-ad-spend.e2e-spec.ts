// Audit 20, ad spend: a Google Ads re-pull that reads garbage never zeroes the stored window, a
// RESOURCE_EXHAUSTED answer pauses the run for the retry delay Google names, and LinkedIn's adAnalytics
// (no pagination, answers cut at 15,000 elements) is read whole or not zeroed.
import { addDays } from '../../src/handlers/shared/money';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeReply, FakeRequest, FakeServer } from '../support/fake-server';
import { installFakeLinkedIn } from '../support/fake-linkedin';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const SEARCH = '/v26/customers/2024202020/googleAds:search';

describe('contract audit 20: ad spend', () => {
  let t: TestApp;
  let googleAds: FakeServer;
  let googleAuth: FakeOAuthServer;
  let linkedin: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    googleAds = await FakeServer.start();
    linkedin = await FakeServer.start();
    googleAuth = await FakeOAuthServer.start({
      flavour: 'google',
      clientId: 'gads-20',
      clientSecret: 'gads-20-secret',
    });
    t = await createTestApp({
      env: {
        GOOGLE_ADS_API_URL: `${googleAds.url}/v26`,
        GOOGLE_OAUTH_TOKEN_URL: `${googleAuth.url}/token`,
        LINKEDIN_API_URL: linkedin.url,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Spend audit 20');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterEach(() => googleAds.reset());
  afterAll(async () => {
    await t.close();
    await Promise.all([googleAds.close(), googleAuth.close(), linkedin.close()]);
  });

  async function googleAdsIntegration(): Promise<number> {
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-audit-20',
      customerId: '202-420-2020',
      developerToken: 'dev-token-20',
      clientId: 'gads-20',
      clientSecret: 'gads-20-secret',
      refreshToken: googleAuth.grant(),
    });
    await activate(t, sub, id);
    return id;
  }

  async function runSync(id: number): Promise<{ status: string; error: string | null }> {
    const started = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const row = (
          await t.sql.query<{ status: string; error: string | null }>(
            'SELECT status, error FROM sync_runs WHERE id = $1',
            [started.body.runId],
          )
        ).rows[0];
        // a paused run is RUNNING with its note: "paused until …"
        return row && (row.status !== 'RUNNING' || row.error?.startsWith('paused until')) ? row : undefined;
      },
      30_000,
      'sync run',
    );
  }

  /** Today in the account's time zone: inside the window every run re-pulls. */
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());

  /** The account, then the campaign report as `campaigns` answers it; the ad group and ad reports are empty. */
  function fakeAccount(campaigns: (query: string) => FakeReply): void {
    googleAds.on('POST', SEARCH, (req: FakeRequest) => {
      const { query } = req.body as { query: string };
      if (/FROM customer$/.test(query))
        return {
          status: 200,
          body: { results: [{ customer: { id: '2024202020', currencyCode: 'KWD', timeZone: 'America/New_York' } }] },
        };
      if (/FROM campaign WHERE/.test(query)) return campaigns(query);
      // proto3 JSON leaves an empty results list out
      return { status: 200, body: { fieldMask: 'campaign.id', requestId: 'r-empty' } };
    });
  }

  const campaignPage: FakeReply = {
    status: 200,
    body: {
      results: [
        {
          campaign: { id: '777', name: 'Search KW' },
          segments: { date: today },
          metrics: { costMicros: '12345000', impressions: '10', clicks: '2', conversions: 1 },
        },
      ],
    },
  };

  async function storedSpend(id: number): Promise<string[]> {
    const rows = await t.sql.query<{ spend: string }>(
      `SELECT spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND day = $2::date AND campaign_id = '777'`,
      [id, today],
    );
    return rows.rows.map((r) => r.spend);
  }

  it.each([
    [
      'an HTML page',
      {
        status: 200,
        headers: { 'content-type': 'text/html' },
        raw: '<html><body>Service temporarily unavailable</body></html>',
      },
    ],
    ['an empty body', { status: 200, raw: '' }],
    ['results that are not a list', { status: 200, body: { results: { campaign: { id: '777' } } } }],
  ] as Array<[string, FakeReply]>)(
    "Google Ads: a 200 with %s fails the run and keeps the window's stored spend",
    async (_what, garbage) => {
      const id = await googleAdsIntegration();
      fakeAccount(() => campaignPage);
      expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
      // 12,345,000 micros of a 3-decimal currency: 12.345 KWD, exactly
      expect(await storedSpend(id)).toEqual(['12.345000']);

      googleAds.reset();
      fakeAccount(() => garbage);
      const failed = await runSync(id);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatch(/googleAds:search/);
      expect(await storedSpend(id)).toEqual(['12.345000']);
    },
  );

  it('Google Ads: an error echoing a configured secret the call did not carry shows none of it', async () => {
    const refreshToken = googleAuth.grant();
    const { id } = await createIntegration(t, sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-audit-20-echoed',
      customerId: '202-420-2020',
      developerToken: 'dev-token-20',
      clientId: 'gads-20',
      clientSecret: 'gads-20-secret',
      refreshToken,
    });
    await activate(t, sub, id);
    // the search carries the access token and the developer token; the client secret, the refresh
    // token and the webhook key travel elsewhere or nowhere, and a provider echoing them must not show them
    const secrets = ['gads-20-secret', 'gkey-audit-20-echoed', refreshToken];
    fakeAccount(() => ({
      status: 400,
      body: {
        error: {
          code: 400,
          message: `Request had credentials ${secrets.join(' and ')}; refused`,
          status: 'INVALID_ARGUMENT',
        },
      },
    }));
    const failed = await runSync(id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/googleAds:search/);
    expect(failed.error).toMatch(/refused/);
    for (const secret of secrets) expect(failed.error).not.toContain(secret);
    const shown = await t.http.get(`/api/integrations/${id}/sync-runs`).set('authorization', admin);
    const integration = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    for (const secret of secrets) {
      expect(JSON.stringify(shown.body)).not.toContain(secret);
      expect(JSON.stringify(integration.body)).not.toContain(secret);
    }
  });

  it('Google Ads: a real empty report (results left out) still zeroes the campaign Google no longer reports', async () => {
    const id = await googleAdsIntegration();
    fakeAccount(() => campaignPage);
    expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    googleAds.reset();
    fakeAccount(() => ({ status: 200, body: { fieldMask: 'campaign.id', requestId: 'r-none' } }));
    expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await storedSpend(id)).toEqual(['0.000000']);
  });

  it("Google Ads: RESOURCE_EXHAUSTED (429) pauses the run for QuotaErrorDetails' retryDelay", async () => {
    const id = await googleAdsIntegration();
    fakeAccount(() => ({
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
              errors: [
                {
                  errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
                  message: 'Too many requests. Retry in 7200 seconds.',
                  details: {
                    quotaErrorDetails: {
                      rateScope: 'DEVELOPER',
                      rateName: 'Number of operations',
                      retryDelay: '7200s',
                    },
                  },
                },
              ],
              requestId: 'r-429',
            },
          ],
        },
      },
    }));
    const before = Date.now();
    const paused = await runSync(id);
    expect(paused.status).toBe('RUNNING');
    const until = Date.parse(/^paused until (\S+):/.exec(paused.error ?? '')?.[1] ?? '');
    // two hours, as Google said: not the one-minute guess of a throttled run with no wait named
    expect(until - before).toBeGreaterThanOrEqual(7200_000 - 1000);
    expect(until - Date.now()).toBeLessThanOrEqual(7200_000 + 1000);
  });

  it('LinkedIn: an adAnalytics answer at the 15,000-element cap is asked again by halves; a capped single day zeroes nothing', async () => {
    const utcToday = new Date().toISOString().slice(0, 10);
    const yesterday = addDays(utcToday, -1);
    installFakeLinkedIn(linkedin, {
      today: new Date(),
      token: 'li-20-token',
      owners: { sponsoredAccount: ['5072020'] },
    });
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: '5072020',
      ownerType: 'sponsoredAccount',
      clientId: 'li-20-app',
      clientSecret: 'li-20-secret',
      accessToken: 'li-20-token',
      adAccountId: '5072020',
    });
    await activate(t, sub, id);
    linkedin.on('GET', '/rest/adAccounts/5072020', () => ({ status: 200, body: { id: 5072020, currency: 'USD' } }));
    linkedin.on('GET', '/rest/adAccounts/5072020/adCampaigns', () => ({ status: 200, body: { elements: [] } }));
    const element = (day: string, campaign: string, cost: string) => {
      const [year, month, d] = day.split('-').map(Number);
      return {
        dateRange: { start: { year, month, day: d }, end: { year, month, day: d } },
        pivotValues: [`urn:li:sponsoredCampaign:${campaign}`],
        costInLocalCurrency: cost,
        impressions: 100,
        clicks: 3,
      };
    };
    // elements that count towards the cap but name no campaign (left out by the mapping)
    const filler = Array.from({ length: 15_000 }, () => ({ impressions: 0 }));
    let mode: 'small' | 'day-capped' | 'capped' = 'small';
    const ranges: string[] = [];
    linkedin.on('GET', '/rest/adAnalytics', (req) => {
      const m = /start:\(year:(\d+),month:(\d+),day:(\d+)\),end:\(year:(\d+),month:(\d+),day:(\d+)\)/.exec(
        req.query.get('dateRange') ?? '',
      );
      if (!m) return { status: 400, body: { message: 'bad dateRange' } };
      const iso = (y: string, mo: string, d: string) => `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`;
      const from = iso(m[1], m[2], m[3]);
      const to = iso(m[4], m[5], m[6]);
      const campaignLevel = req.query.get('q') === 'analytics';
      if (campaignLevel) ranges.push(`${from}..${to}`);
      const real = campaignLevel
        ? mode === 'small'
          ? [element(utcToday, '901', '5.5'), element(yesterday, '999', '40')].filter((e) => {
              const day = iso(
                String(e.dateRange.start.year),
                String(e.dateRange.start.month),
                String(e.dateRange.start.day),
              );
              return day >= from && day <= to;
            })
          : from === utcToday && to === utcToday
            ? [element(utcToday, '901', mode === 'day-capped' ? '7' : '6.25')]
            : []
        : [];
      if (mode === 'small') return { status: 200, body: { elements: real } };
      const capped = mode === 'day-capped' || from !== to;
      return { status: 200, body: { elements: capped ? [...filler, ...real] : real } };
    });
    const stored = async () =>
      (
        await t.sql.query<{ campaign_id: string; day: string; spend: string }>(
          `SELECT campaign_id, to_char(day, 'YYYY-MM-DD') AS day, spend::text AS spend FROM ad_costs
            WHERE integration_id = $1 AND level = 'campaign' ORDER BY campaign_id`,
          [id],
        )
      ).rows;

    expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await stored()).toEqual([
      { campaign_id: '901', day: utcToday, spend: '5.500000' },
      { campaign_id: '999', day: yesterday, spend: '40.000000' },
    ]);
    expect(ranges).toHaveLength(1);

    // every answer at the cap, down to single days: what was read is stored, nothing else is zeroed
    mode = 'day-capped';
    ranges.length = 0;
    expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await stored()).toEqual([
      { campaign_id: '901', day: utcToday, spend: '7.000000' },
      { campaign_id: '999', day: yesterday, spend: '40.000000' },
    ]);
    // the 7-day window, then its halves, down to its 7 days
    expect(ranges).toHaveLength(13);
    expect(ranges.filter((r) => r.slice(0, 10) === r.slice(12))).toHaveLength(7);

    // only the multi-day answers at the cap: the days read one by one are complete, so the window zeroes
    mode = 'capped';
    expect(await runSync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await stored()).toEqual([
      { campaign_id: '901', day: utcToday, spend: '6.250000' },
      { campaign_id: '999', day: yesterday, spend: '0.000000' },
    ]);
  });
});
