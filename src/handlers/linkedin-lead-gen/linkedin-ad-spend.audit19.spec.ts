// Audit 19: the ad spend reads use the LinkedIn-Version handling of the lead calls. LinkedIn answers
// 426 NONEXISTENT_VERSION to a version it does not serve (learn.microsoft.com/linkedin/marketing/
// versioning); linkedin-version.ts derives the default from the clock and, for a month LinkedIn
// skipped, retries the month before. Failed before its fix: adAnalytics and the account reads sent
// only the derived version, so a skipped month failed every sync that pulls spend, and the 426 was
// reported as a one-off client error instead of a setup problem when no version was left.
import { FakeReply, FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { IntegrationSetupError } from '../integration-handler';
import { linkedInAdSpend } from './linkedin-ad-spend';
import { defaultLinkedInVersions } from './linkedin-version';

const NOW = new Date('2026-12-04T12:00:00Z');
const ACCOUNT = '5070019';
const CONFIG = {
  organizationId: ACCOUNT,
  clientId: 'c',
  clientSecret: 's',
  accessToken: 'li-token',
  adAccountId: ACCOUNT,
};
const [DERIVED, PREVIOUS] = defaultLinkedInVersions(NOW);

describe('LinkedIn ad spend: LinkedIn-Version fallback (audit 19)', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  /** LinkedIn skipped `skipped`: every call naming it is refused as not active. */
  const serve = (skipped: ReadonlySet<string>) => {
    const versioned =
      (answer: (req: FakeRequest) => FakeReply) =>
      (req: FakeRequest): FakeReply => {
        const version = String(req.headers['linkedin-version'] ?? '');
        return skipped.has(version)
          ? {
              status: 426,
              body: { status: 426, code: 'NONEXISTENT_VERSION', message: `Requested version ${version} is not active` },
            }
          : answer(req);
      };
    server.on(
      'GET',
      `/rest/adAccounts/${ACCOUNT}`,
      versioned(() => ({ status: 200, body: { currency: 'EUR' } })),
    );
    server.on(
      'GET',
      `/rest/adAccounts/${ACCOUNT}/adCampaigns`,
      versioned(() => ({ status: 200, body: { elements: [{ id: 919, name: 'Audit' }] } })),
    );
    server.on(
      'GET',
      '/rest/adAnalytics',
      versioned((req) => ({
        status: 200,
        body: {
          elements:
            req.query.get('q') === 'analytics'
              ? [
                  {
                    dateRange: { start: { year: 2026, month: 12, day: 3 }, end: { year: 2026, month: 12, day: 3 } },
                    pivotValues: ['urn:li:sponsoredCampaign:919'],
                    costInLocalCurrency: '12.5',
                    impressions: 10,
                    clicks: 1,
                    oneClickLeads: 0,
                    externalWebsiteConversions: 0,
                  },
                ]
              : [],
        },
      })),
    );
  };

  it('a derived version LinkedIn did not release is retried with the month before, as the lead calls do', async () => {
    serve(new Set([DERIVED]));
    const spend = await linkedInAdSpend(handlerContext(CONFIG, { linkedinApi: server.url }, { now: NOW }));
    expect(spend?.costs).toEqual([
      expect.objectContaining({ campaignId: '919', campaignName: 'Audit', day: '2026-12-03', currency: 'EUR' }),
    ]);
    const analytics = server.requests.filter((r) => r.path === '/rest/adAnalytics');
    expect(analytics.map((r) => r.headers['linkedin-version'])).toContain(PREVIOUS);
  });

  it('a version LinkedIn no longer serves is a setup problem naming apiVersion', async () => {
    serve(new Set([DERIVED, PREVIOUS, '202401']));
    const ctx = handlerContext({ ...CONFIG, apiVersion: '202401' }, { linkedinApi: server.url }, { now: NOW });
    await expect(linkedInAdSpend(ctx)).rejects.toThrow(IntegrationSetupError);
    await expect(linkedInAdSpend(ctx)).rejects.toThrow(/apiVersion/);
  });
});
