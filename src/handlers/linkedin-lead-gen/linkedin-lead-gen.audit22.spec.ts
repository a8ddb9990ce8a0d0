// Audit 22: apiVersion checks and messages (learn.microsoft.com/linkedin/marketing/versioning: monthly
// YYYYMM versions from 202206, each kept at least a year, 426 NONEXISTENT_VERSION otherwise), campaign
// names over every cursor page of adCampaigns (learn.microsoft.com/linkedin/marketing/integrations/ads/
// cursor-based-pagination), and secrets kept out of every failure the pipeline stores.
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { OutboundError } from '../../common/outbound/http-client';
import { IntegrationSetupError, PermanentEventError } from '../integration-handler';
import { CAMPAIGN_NAME_MAX_PAGES, linkedInAdSpend } from './linkedin-ad-spend';
import { withoutSecrets } from './linkedin-api';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

const NOW = new Date('2026-12-04T12:00:00Z');
const ACCOUNT = '5072200';
const SECRET = 'li-audit22-client-secret';
const TOKEN = 'li-audit22-token';
const CONFIG = { organizationId: ACCOUNT, clientId: 'c', clientSecret: SECRET, accessToken: TOKEN };

describe('LinkedIn audit 22', () => {
  const handler = new LinkedInLeadGenHandler();
  let server: FakeServer;
  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());
  const ctx = (config: Record<string, unknown> = CONFIG) =>
    handlerContext(config, { linkedinApi: server.url }, { now: NOW });

  describe('validateConfig: apiVersion', () => {
    it.each([['299901'], ['203001']])('refuses %s, a version LinkedIn has not released yet', (apiVersion) => {
      expect(handler.validateConfig({ ...CONFIG, apiVersion })).toEqual([
        { pointer: '/apiVersion', message: expect.stringContaining('clear apiVersion') },
      ]);
    });

    it.each([[undefined], ['202205'], ['201001'], ['202206'], ['202401'], ['not a version']])(
      'leaves %s to the schema and to LinkedIn (its 426 names the version to set)',
      (v) => {
        expect(handler.validateConfig({ ...CONFIG, ...(v === undefined ? {} : { apiVersion: v }) })).toEqual([]);
      },
    );
  });

  describe('426 messages name the version to set', () => {
    const refuse = (version: string) => {
      server.on('GET', '/rest/leadForms', () => ({
        status: 426,
        body: { status: 426, code: 'NONEXISTENT_VERSION', message: `Requested version ${version} is not active` },
      }));
    };

    it.each([
      ['a sunset version', '202401', /no longer serves API version 202401 .*: it is sunset/],
      [
        'a recent month LinkedIn does not serve',
        '202609',
        /does not serve API version 202609 .*: a month it released no/,
      ],
      ['a month not released yet', '202701', /has not released API version 202701 yet/],
    ])('%s', async (_name, apiVersion, pattern) => {
      refuse(apiVersion);
      const result = await handler.testConnection(ctx({ ...CONFIG, apiVersion }));
      expect(result).toMatchObject({ success: false, code: 'CONNECTION_FAILED' });
      expect(result.message).toMatch(pattern);
      expect(result.message).toContain('Set apiVersion to 202611, or clear it');
    });
  });

  describe('withoutSecrets', () => {
    it('takes configured secrets out of the message and keeps the error itself (class, kind, status, cause)', () => {
      const outbound = new OutboundError('server', `boom ${SECRET} ${TOKEN}`, 500, { echoed: SECRET }, 2000);
      expect(withoutSecrets(outbound, CONFIG)).toBe(outbound);
      expect([outbound.message, outbound.kind, outbound.status, outbound.retryAfterMs]).toEqual([
        'boom [redacted] [redacted]',
        'server',
        500,
        2000,
      ]);
      const setup = new IntegrationSetupError(`no ${SECRET}`, { cause: outbound });
      expect(withoutSecrets(setup, CONFIG)).toBeInstanceOf(IntegrationSetupError);
      expect([setup.message, setup.cause]).toEqual(['no [redacted]', outbound]);
      const permanent = new PermanentEventError('nothing secret');
      expect(withoutSecrets(permanent, CONFIG)).toBe(permanent);
      expect(permanent.message).toBe('nothing secret');
      expect(withoutSecrets('a string', CONFIG)).toBe('a string');
    });
  });

  describe('campaign names over adCampaigns pages', () => {
    const spend = (campaigns: (pageToken: string | null) => unknown) => {
      server.on('GET', `/rest/adAccounts/${ACCOUNT}`, () => ({ status: 200, body: { currency: 'EUR' } }));
      server.on('GET', `/rest/adAccounts/${ACCOUNT}/adCampaigns`, (req) => ({
        status: 200,
        body: campaigns(req.query.get('pageToken')),
      }));
      server.on('GET', '/rest/adAnalytics', (req) => ({
        status: 200,
        body: {
          elements:
            req.query.get('q') === 'analytics'
              ? [919, 920, 921].map((id) => ({
                  dateRange: { start: { year: 2026, month: 12, day: 3 }, end: { year: 2026, month: 12, day: 3 } },
                  pivotValues: [`urn:li:sponsoredCampaign:${id}`],
                  costInLocalCurrency: '1',
                }))
              : [],
        },
      }));
    };
    const names = async () =>
      Object.fromEntries(
        ((await linkedInAdSpend(ctx({ ...CONFIG, adAccountId: ACCOUNT })))?.costs ?? []).map((c) => [
          c.campaignId,
          c.campaignName,
        ]),
      );

    it('follows metadata.nextPageToken to the last page', async () => {
      const pages: Record<string, unknown> = {
        first: { elements: [{ id: 919, name: 'One' }], metadata: { nextPageToken: 'p2' } },
        p2: { elements: [{ id: 920, name: 'Two' }], metadata: { nextPageToken: 'p3' } },
        p3: { elements: [{ id: 921, name: 'Three' }], metadata: {} },
      };
      spend((token) => pages[token ?? 'first']);
      expect(await names()).toEqual({ '919': 'One', '920': 'Two', '921': 'Three' });
      expect(server.count('GET', `/rest/adAccounts/${ACCOUNT}/adCampaigns`)).toBe(3);
    });

    it('stops on a token LinkedIn repeats, and after a bounded number of pages', async () => {
      spend(() => ({ elements: [{ id: 919, name: 'One' }], metadata: { nextPageToken: 'again' } }));
      expect((await names())['919']).toBe('One');
      expect(server.count('GET', `/rest/adAccounts/${ACCOUNT}/adCampaigns`)).toBe(2);
      server.reset();
      let n = 0;
      spend(() => ({ elements: [], metadata: { nextPageToken: `t${++n}` } }));
      await names();
      expect(server.count('GET', `/rest/adAccounts/${ACCOUNT}/adCampaigns`)).toBe(CAMPAIGN_NAME_MAX_PAGES);
    });
  });
});
