// Audit 19, LinkedIn Lead Gen end to end: ad spend (API.md "Analytics": ad spend re-pulled
// idempotently). A sync re-pulls the trailing window and zeroes what the platform no longer reports
// there, so a page that read nothing must not count as "LinkedIn reports no spend". LinkedIn's
// adAnalytics finders answer a Rest.li collection, `{ elements: [...], paging }`
// (learn.microsoft.com/linkedin/shared/api-guide/concepts/pagination; …/marketing/integrations/
// ads-reporting/ads-reporting). Failed before its fix: a 200 without `elements` (an empty object, an
// HTML page from a proxy) ended the run SUCCEEDED with every stored LinkedIn spend of the window zeroed.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeReply, FakeRequest, FakeServer } from '../support/fake-server';
import { installFakeLinkedIn } from '../support/fake-linkedin';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

describe('API.md contract audit 19: LinkedIn Lead Gen', () => {
  let t: TestApp;
  let linkedin: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    linkedin = await FakeServer.start();
    t = await createTestApp({ env: { LINKEDIN_API_URL: linkedin.url } });
    sub = await createSubAccount(t, 'MAX', 'LinkedIn Audit Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t?.close();
    await linkedin?.close();
  });

  async function sync(id: number): Promise<{ status: string; error: string | null }> {
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
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      30_000,
      'sync run',
    );
  }

  it('ad spend: an adAnalytics 200 without elements fails the run and keeps the stored spend of the window', async () => {
    const account = '5070019';
    installFakeLinkedIn(linkedin, { today: new Date(), token: 'li-audit19', owners: { sponsoredAccount: [account] } });
    const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: account,
      ownerType: 'sponsoredAccount',
      clientId: 'li-app-19',
      clientSecret: 'li-app-secret-19',
      accessToken: 'li-audit19',
      adAccountId: account,
    });
    await activate(t, sub, id);
    linkedin.on('GET', `/rest/adAccounts/${account}`, () => ({ status: 200, body: { id: 5070019, currency: 'EUR' } }));
    linkedin.on('GET', `/rest/adAccounts/${account}/adCampaigns`, () => ({
      status: 200,
      body: { elements: [{ id: 919, name: 'Audit' }] },
    }));
    const today = new Date();
    const start = { year: today.getUTCFullYear(), month: today.getUTCMonth() + 1, day: today.getUTCDate() };
    const reported = (req: FakeRequest): FakeReply =>
      req.query.get('q') === 'statistics'
        ? { status: 200, body: { elements: [] } }
        : {
            status: 200,
            body: {
              elements: [
                {
                  dateRange: { start, end: start },
                  pivotValues: ['urn:li:sponsoredCampaign:919'],
                  costInLocalCurrency: '42.5',
                  impressions: 100,
                  clicks: 3,
                  oneClickLeads: 1,
                  externalWebsiteConversions: 0,
                },
              ],
              paging: { start: 0, count: 10, links: [] },
            },
          };
    linkedin.on('GET', '/rest/adAnalytics', reported);
    expect(await sync(id)).toEqual({ status: 'SUCCEEDED', error: null });
    const spend = async () =>
      (
        await t.sql.query<{ campaign_id: string; spend: string }>(
          'SELECT campaign_id, spend::text FROM ad_costs WHERE integration_id = $1 ORDER BY campaign_id',
          [id],
        )
      ).rows;
    expect(await spend()).toEqual([{ campaign_id: '919', spend: '42.500000' }]);

    const empty: FakeReply[] = [
      { status: 200, body: {} },
      { status: 200, raw: '<html><body>Service Unavailable</body></html>', headers: { 'content-type': 'text/html' } },
    ];
    for (const answer of empty) {
      linkedin.on('GET', '/rest/adAnalytics', (req) => (req.query.get('q') === 'analytics' ? answer : reported(req)));
      const run = await sync(id);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/adAnalytics|ad analytics/i);
      expect(await spend()).toEqual([{ campaign_id: '919', spend: '42.500000' }]);
    }
  });
});
