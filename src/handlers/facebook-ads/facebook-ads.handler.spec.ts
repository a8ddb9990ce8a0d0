import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { createAjv } from '../../common/json-schema/ajv';
import { OutboundError } from '../../common/outbound/http-client';
import { storableCost } from '../../modules/sync/storable-cost';
import { FacebookAdsHandler } from './facebook-ads.handler';
import { ALL_EFFECTIVE_STATUSES } from './facebook-ads.insights';
import { costFromInsightsRow, INSIGHTS_FIELDS } from './facebook-ads.payload';

const TOKEN = 'EAAG-ads-token-0a1b';
const config = { adAccountId: '1234567890', accessToken: TOKEN };
const NOW = new Date('2026-03-10T09:30:00Z');
const handler = new FacebookAdsHandler();
const INSIGHTS = '/act_1234567890/insights';

// Shaped after the Marketing API insights answer (level=ad, time_increment=1); the shared fixtures
// have no Facebook Ads capture, so these rows are written for the test.
const row = (over: Record<string, unknown> = {}) => ({
  campaign_id: '23851000000000001',
  campaign_name: 'Q1 leads',
  adset_id: '23851000000000002',
  adset_name: 'Lookalike FR',
  ad_id: '23851000000000003',
  ad_name: 'Spring promo',
  spend: '12.34',
  impressions: '1520',
  clicks: '37',
  actions: [
    { action_type: 'link_click', value: '30' },
    { action_type: 'lead', value: '4' },
    { action_type: 'onsite_conversion.lead_grouped', value: '4' },
  ],
  account_currency: 'EUR',
  date_start: '2026-03-04',
  date_stop: '2026-03-04',
  ...over,
});

describe('FacebookAdsHandler definition', () => {
  it('declares its key and a config schema that compiles in Ajv strict mode', () => {
    expect([handler.key, handler.displayName, handler.category, handler.defaultRateLimitPerMinute]).toEqual([
      'facebook-ads',
      'Facebook Ads',
      'Advertising',
      200,
    ]);
    expect(handler.capabilities).toEqual(['sync', 'test']);
    expect(handler).not.toHaveProperty('webhook');
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, adAccountId: 'act_1234567890' })).toBe(true);
    for (const bad of ['act_', 'acct_123', '123abc', '']) expect(validate({ ...config, adAccountId: bad })).toBe(false);
    expect(validate({ adAccountId: '1' })).toBe(false);
    expect(handler.defaultConfigSchema.properties.accessToken['x-secret']).toBe(true);
  });
});

describe('costFromInsightsRow', () => {
  it('maps a row, counting leads once across overlapping action types', () => {
    expect(costFromInsightsRow(row())).toEqual({
      platform: 'facebook-ads',
      day: '2026-03-04',
      level: 'ad',
      campaignId: '23851000000000001',
      adSetId: '23851000000000002',
      adId: '23851000000000003',
      name: 'Spring promo',
      spend: '12.34',
      adName: 'Spring promo',
      campaignName: 'Q1 leads',
      adSetName: 'Lookalike FR',
      currency: 'EUR',
      impressions: 1520,
      clicks: 37,
      leads: 4,
    });
  });

  it('takes the largest lead count of the lead action types, and 0 without any', () => {
    const pixel = row({
      actions: [
        { action_type: 'offsite_conversion.fb_pixel_lead', value: '7' },
        { action_type: 'lead', value: '5' },
      ],
    });
    expect(costFromInsightsRow(pixel)?.leads).toBe(7);
    expect(costFromInsightsRow(row({ actions: undefined, spend: '0', clicks: undefined }))).toMatchObject({
      leads: 0,
      spend: '0',
      clicks: 0,
    });
  });

  it.each<[string, unknown]>([
    ['text', 'abc'],
    ['"NaN"', 'NaN'],
    ['an exponent past any double', '1e400'],
    ['an empty string', ''],
    ['null', null],
    ['an object', { amount: '12.34' }],
  ])('carries a spend that is %s as unreadable, never as 0 (storableCost leaves the row out)', (_name, spend) => {
    const cost = costFromInsightsRow(row({ spend }));
    expect(cost?.spend).toBeNaN();
    expect(cost && storableCost(cost)).toEqual({ reason: 'a spend that is not a non-negative amount' });
  });

  it('stores a real zero spend as 0', () => {
    for (const spend of ['0', '0.00', 0]) {
      const cost = costFromInsightsRow(row({ spend }));
      expect(cost && storableCost(cost)).toMatchObject({ cost: { spend: String(spend) } });
    }
  });

  it('skips rows without a campaign or a day', () => {
    expect(costFromInsightsRow(row({ campaign_id: undefined }))).toBeUndefined();
    expect(costFromInsightsRow(row({ date_start: '04/03/2026' }))).toBeUndefined();
    expect(costFromInsightsRow('row')).toBeUndefined();
  });
});

describe('FacebookAdsHandler against a fake Graph API', () => {
  let server: FakeServer;
  const ctx = () => handlerContext(config, { metaGraph: server.url }, { now: NOW });

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  describe('testConnection', () => {
    it('reads the ad account with the token in the header', async () => {
      server.on('GET', '/act_1234567890', () => ({
        status: 200,
        body: { id: 'act_1234567890', name: 'Acme Ads', currency: 'EUR' },
      }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: true,
        message: 'Connected to ad account Acme Ads (EUR)',
      });
      expect(server.requests[0].query.get('fields')).toBe('id,name,currency,timezone_name');
      expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(server.requests[0].query.has('access_token')).toBe(false);
    });

    it('accepts an id typed with act_', async () => {
      server.on('GET', '/act_1234567890', () => ({ status: 200, body: { id: 'act_1234567890', name: 'Acme Ads' } }));
      const result = await handler.testConnection(
        handlerContext({ ...config, adAccountId: 'act_1234567890' }, { metaGraph: server.url }),
      );
      expect(result).toEqual({ success: true, message: 'Connected to ad account Acme Ads' });
    });

    it('maps 401 and code 190 to INVALID_CREDENTIALS without the token', async () => {
      server.on('GET', '/act_1234567890', () => ({
        status: 401,
        body: { error: { message: `Invalid token ${TOKEN}`, code: 190 } },
      }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: 'Meta refused the access token: Invalid token [redacted]',
      });
      server.reset();
      server.on('GET', '/act_1234567890', () => ({
        status: 400,
        body: {
          error: { message: 'Error validating access token: Session has expired', code: 190, error_subcode: 463 },
        },
      }));
      await expect(handler.testConnection(ctx())).resolves.toMatchObject({
        success: false,
        code: 'INVALID_CREDENTIALS',
      });
    });

    it('maps a missing account and server errors to CONNECTION_FAILED', async () => {
      server.on('GET', '/act_1234567890', () => ({
        status: 400,
        body: {
          error: {
            message: "(#100) Unsupported get request. Object with ID 'act_1234567890' does not exist",
            code: 100,
          },
        },
      }));
      await expect(handler.testConnection(ctx())).resolves.toMatchObject({
        success: false,
        code: 'CONNECTION_FAILED',
        message: expect.stringContaining('does not exist'),
      });
      server.reset();
      server.on('GET', '/act_1234567890', () => ({
        status: 500,
        body: { error: { message: 'An unknown error occurred', code: 1 } },
      }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'Could not read the ad account from the Graph API: An unknown error occurred',
      });
      expect(server.count('GET', '/act_1234567890')).toBe(3);
    });
  });

  describe('syncData', () => {
    // the run's days are the ad account's: here UTC, so the same as the test clock's
    beforeEach(() => {
      server.on('GET', '/act_1234567890', () => ({
        status: 200,
        body: { id: 'act_1234567890', timezone_name: 'UTC' },
      }));
    });

    it('reads seven days of daily ad insights, deleted and archived ads included, page by page', async () => {
      server.on('GET', INSIGHTS, (req) =>
        req.query.get('after') === 'MjQZD'
          ? {
              status: 200,
              body: {
                data: [row({ ad_id: '23851000000000004', ad_name: 'Autumn', date_start: '2026-03-05', spend: '3.5' })],
                paging: { cursors: { before: 'MjUZD', after: 'MjUZD' } },
              },
            }
          : {
              status: 200,
              body: {
                data: [row()],
                paging: {
                  cursors: { before: 'MAZDZD', after: 'MjQZD' },
                  next: 'https://graph.facebook.com/v25.0/act_1234567890/insights?after=MjQZD',
                },
              },
            },
      );
      const first = await handler.syncData(ctx(), null);
      expect(first).toMatchObject({
        leads: [],
        fetched: 1,
        costs: [{ adId: '23851000000000003', day: '2026-03-04', spend: '12.34', leads: 4 }],
      });
      expect(JSON.parse(first.nextCursor ?? 'null')).toEqual({
        since: '2026-03-04',
        until: '2026-03-10',
        timezone: 'UTC',
        after: 'MjQZD',
      });

      const [account, req] = server.requests;
      expect(account.query.get('fields')).toBe('timezone_name');
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(Object.fromEntries(req.query.entries())).toEqual({
        level: 'ad',
        time_increment: '1',
        fields: INSIGHTS_FIELDS,
        time_range: '{"since":"2026-03-04","until":"2026-03-10"}',
        // without it, level=ad insights leave out deleted ads that still accrue stats
        filtering: JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ALL_EFFECTIVE_STATUSES }]),
        limit: '100',
      });
      expect(ALL_EFFECTIVE_STATUSES).toEqual(expect.arrayContaining(['DELETED', 'ARCHIVED', 'ACTIVE', 'PAUSED']));

      const second = await handler.syncData(ctx(), first.nextCursor);
      expect(second.costs).toEqual([
        expect.objectContaining({ adId: '23851000000000004', name: 'Autumn', day: '2026-03-05', spend: '3.5' }),
      ]);
      expect(second.nextCursor).toBeNull();
      // only the last page names the days re-pulled: the pipeline zeroes what Meta no longer reports there
      expect(first.costWindow).toBeUndefined();
      expect(second.costWindow).toEqual({ from: '2026-03-04', to: '2026-03-10' });
      expect(server.requests[2].query.get('after')).toBe('MjQZD');
      expect(server.requests[2].query.get('time_range')).toBe('{"since":"2026-03-04","until":"2026-03-10"}');
    });

    it('follows a next link that came without cursors.after, and never ends the run on one it cannot follow', async () => {
      // audit 20: taking such a page as the last named the window complete and zeroed the pages after it
      let next: unknown = 'https://graph.facebook.com/v25.0/act_1234567890/insights?limit=100&after=QVFIUm';
      server.on('GET', INSIGHTS, () => ({ status: 200, body: { data: [row()], paging: { next } } }));
      const page = await handler.syncData(ctx(), null);
      expect(page.costWindow).toBeUndefined();
      expect(JSON.parse(page.nextCursor ?? 'null')).toMatchObject({ after: 'QVFIUm' });
      next = 'https://graph.facebook.com/v25.0/act_1234567890/insights?limit=100';
      await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({
        kind: 'server',
        message: expect.stringMatching(/next link has no after cursor/),
      });
    });

    it('counts skipped rows as fetched and finishes on an empty page', async () => {
      server.on('GET', INSIGHTS, () => ({
        status: 200,
        body: { data: [row({ campaign_id: undefined }), row()], paging: { cursors: {} } },
      }));
      const page = await handler.syncData(ctx(), null);
      expect(page.fetched).toBe(2);
      expect(page.costs).toHaveLength(1);
      expect(page.nextCursor).toBeNull();
    });

    it('retries a 429 with Retry-After, and surfaces 500s once retries are spent', async () => {
      let calls = 0;
      server.on('GET', INSIGHTS, () =>
        ++calls === 1
          ? {
              status: 429,
              headers: { 'retry-after': '0' },
              body: { error: { message: 'User request limit reached', code: 17 } },
            }
          : { status: 200, body: { data: [row()] } },
      );
      await expect(handler.syncData(ctx(), null)).resolves.toMatchObject({ fetched: 1, nextCursor: null });
      expect(calls).toBe(2);

      server.reset();
      server.on('GET', '/act_1234567890', () => ({ status: 200, body: { timezone_name: 'UTC' } }));
      server.on('GET', INSIGHTS, () => ({
        status: 500,
        body: { error: { message: 'Service temporarily unavailable', code: 2 } },
      }));
      const error = await handler.syncData(ctx(), null).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundError);
      expect(error).toMatchObject({ kind: 'server', status: 500 });
      expect(server.count('GET', INSIGHTS)).toBe(3);
    });

    it('refuses an unreadable cursor', async () => {
      await expect(handler.syncData(ctx(), '{"since":"yesterday"}')).rejects.toThrow(
        'facebook-ads: unreadable sync cursor',
      );
    });
  });
});
