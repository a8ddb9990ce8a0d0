import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { OutboundError } from '../../common/outbound/http-client';
import { IntegrationSetupError, isTokenRefused, PermanentEventError, StoredEvent } from '../integration-handler';
import { LEAD_FIELDS } from './meta-lead-ads.payload';
import { MetaLeadAdsHandler } from './meta-lead-ads.handler';

const TOKEN = 'EAAGpage-token-3c9f';
const config = {
  pageId: '153125381133',
  appSecret: 'app-secret-1',
  pageAccessToken: TOKEN,
  verifyToken: 'meatyhamhock',
};
const NOW = new Date('2026-03-10T12:00:00Z');
const handler = new MetaLeadAdsHandler();

/** A fixture with Meta's <PLACEHOLDER> ids replaced by realistic ones. */
function fixtureJson(name: string): Record<string, unknown> {
  const text = readFileSync(join(__dirname, 'fixtures', name), 'utf8')
    .replace(/<LEAD_ID>/g, '123123123123')
    .replace(/<AD_ID>/g, '23851234567890123')
    .replace(/<FORM_ID>/g, '12312312312');
  return JSON.parse(text) as Record<string, unknown>;
}

const event = (leadgenId = '123123123123'): StoredEvent => ({
  id: 'evt-1',
  eventType: 'leadgen',
  externalId: leadgenId,
  payload: {
    leadgenId,
    pageId: '153125381133',
    formId: '12312312312',
    adId: '12312312312',
    adgroupId: '12312312312',
    createdTime: '2015-08-21T01:26:24.000Z',
  },
  receivedAt: NOW,
});

const graphError = (code: number, message: string) => ({
  error: { message, type: 'OAuthException', code, fbtrace_id: 'AbC' },
});

describe('MetaLeadAdsHandler against a fake Graph API', () => {
  let server: FakeServer;
  const ctx = () => handlerContext(config, { metaGraph: server.url }, { now: NOW });

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  describe('processWebhook', () => {
    it('fetches the lead with the page token in the header and maps the fixture answer', async () => {
      server.on('GET', '/123123123123', () => ({ status: 200, body: fixtureJson('lead-retrieve-response.json') }));
      const outcome = await handler.processWebhook(event(), ctx());

      expect(outcome.leads).toEqual([
        {
          platform: 'meta',
          externalId: '123123123123',
          fullName: 'Joe Example',
          email: 'joe@example.com',
          customAnswers: { car_make: 'Honda', selected_dealer: '99213450' },
          submittedAt: '2015-02-28T08:49:14.000Z',
          source: { adId: '23851234567890123', formId: '12312312312' },
        },
      ]);
      const [req, formReq] = server.requests;
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.query.get('fields')).toBe(LEAD_FIELDS);
      expect(req.query.get('access_token')).toBeNull();
      // apps with "Require App Secret" refuse calls without it: HMAC-SHA256(app secret, access token), hex
      expect(req.query.get('appsecret_proof')).toBe(createHmac('sha256', 'app-secret-1').update(TOKEN).digest('hex'));
      expect(req.rawBody).toBe('');
      // then the form's questions (unknown to this fake: the answers keep Meta's prefill names)
      expect(formReq.path).toBe('/12312312312');
      expect(formReq.query.get('fields')).toBe('id,name,questions{key,type,label}');
      expect(formReq.query.get('appsecret_proof')).toBe(req.query.get('appsecret_proof'));
    });

    it('maps names, contact fields, multi-value answers and attribution', async () => {
      server.on('GET', '/555', () => ({
        status: 200,
        body: {
          id: '555',
          created_time: '2026-03-09T20:15:00+0000',
          ad_id: '6001',
          ad_name: 'Spring promo',
          adset_id: '6002',
          adset_name: 'Lookalike FR',
          campaign_id: '6003',
          campaign_name: 'Q1 leads',
          form_id: '6004',
          is_organic: false,
          platform: 'ig',
          field_data: [
            { name: 'first_name', values: ['Ana'] },
            { name: 'last_name', values: ['Silva'] },
            { name: 'email', values: ['ana@example.pt'] },
            { name: 'work_email', values: ['ana@acme.pt'] },
            { name: 'phone_number', values: ['+351912345678'] },
            { name: 'company_name', values: ['Acme'] },
            { name: 'job_title', values: ['CTO'] },
            { name: 'city', values: ['Lisboa'] },
            { name: 'state', values: ['Lisboa District'] },
            { name: 'zip', values: ['1000-001'] },
            { name: 'country', values: ['PT'] },
            { name: 'which_products?', values: ['CRM', 'Ads'] },
            { name: 'empty_question', values: [] },
          ],
        },
      }));
      const { leads } = await handler.processWebhook(event('555'), ctx());
      expect(leads).toEqual([
        {
          platform: 'meta',
          externalId: '555',
          fullName: 'Ana Silva',
          firstName: 'Ana',
          lastName: 'Silva',
          email: 'ana@example.pt',
          phone: '+351912345678',
          company: 'Acme',
          jobTitle: 'CTO',
          city: 'Lisboa',
          region: 'Lisboa District',
          postalCode: '1000-001',
          country: 'PT',
          customAnswers: { work_email: 'ana@acme.pt', 'which_products?': 'CRM, Ads' },
          submittedAt: '2026-03-09T20:15:00.000Z',
          source: {
            campaignId: '6003',
            campaignName: 'Q1 leads',
            adGroupId: '6002',
            adGroupName: 'Lookalike FR',
            adId: '6001',
            adName: 'Spring promo',
            formId: '6004',
            isOrganic: false,
            details: { platform: 'ig' },
          },
        },
      ]);
    });

    it('keeps the ad and form ids of the webhook when Graph omits them', async () => {
      server.on('GET', '/777', () => ({
        status: 200,
        body: { id: '777', field_data: [{ name: 'email', values: ['x@example.com'] }] },
      }));
      const { leads } = await handler.processWebhook(event('777'), ctx());
      expect(leads[0]).toMatchObject({
        externalId: '777',
        email: 'x@example.com',
        submittedAt: '2015-08-21T01:26:24.000Z',
        source: { adId: '12312312312', formId: '12312312312' },
      });
    });

    it('turns a Graph 400 into a permanent error naming the Graph error, without retrying', async () => {
      server.on('GET', '/123123123123', () => ({
        status: 400,
        body: graphError(100, '(#100) Unsupported get request.'),
      }));
      const error = await handler.processWebhook(event(), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentEventError);
      expect((error as Error).message).toBe('Graph API refused lead 123123123123: (#100) Unsupported get request.');
      expect(server.count('GET', '/123123123123')).toBe(1);
    });

    it('reports 401 and an expired token (400, code 190) on the integration: permanent, the refusal kept as cause', async () => {
      server.on('GET', '/1', () => ({ status: 401, body: graphError(190, 'Invalid OAuth access token.') }));
      server.on('GET', '/2', () => ({
        status: 400,
        body: graphError(190, 'Error validating access token: Session has expired'),
      }));
      const first = await handler.processWebhook(event('1'), ctx()).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(IntegrationSetupError);
      expect(first).toMatchObject({
        message: 'Meta refused the page access token reading lead 1 (Invalid OAuth access token.); reconnect the page',
      });
      expect(isTokenRefused(first)).toBe(true);
      await expect(handler.processWebhook(event('2'), ctx())).rejects.toThrow(IntegrationSetupError);
    });

    it('reports a missing permission (403, code 10) on the integration', async () => {
      server.on('GET', '/3', () => ({ status: 403, body: graphError(10, 'Requires leads_retrieval permission') }));
      await expect(handler.processWebhook(event('3'), ctx())).rejects.toThrow(IntegrationSetupError);
    });

    it('fails a lead Graph does not have (code 100) for good, the integration untouched', async () => {
      server.on('GET', '/4', () => ({ status: 400, body: graphError(100, 'Unsupported get request') }));
      const error = await handler.processWebhook(event('4'), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentEventError);
      expect(error).not.toBeInstanceOf(IntegrationSetupError);
    });

    it('rethrows Graph throttling sent as 400 (code 4) as a retryable rate-limit error', async () => {
      server.on('GET', '/123123123123', () => ({
        status: 400,
        body: graphError(4, '(#4) Application request limit reached'),
      }));
      const error = await handler.processWebhook(event(), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundError);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 400, transient: true });
    });

    it('retries a 429 after the Retry-After it names, then succeeds', async () => {
      let calls = 0;
      server.on('GET', '/123123123123', () =>
        ++calls === 1
          ? { status: 429, headers: { 'retry-after': '0' }, body: graphError(80001, 'Too many calls') }
          : { status: 200, body: fixtureJson('lead-retrieve-response.json') },
      );
      const { leads } = await handler.processWebhook(event(), ctx());
      expect(leads[0].email).toBe('joe@example.com');
      expect(calls).toBe(2);
    });

    it('rethrows the OutboundError when 500s exhaust the retries', async () => {
      server.on('GET', '/123123123123', () => ({
        status: 500,
        body: graphError(2, 'An unexpected error has occurred.'),
      }));
      const error = await handler.processWebhook(event(), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundError);
      expect(error).toMatchObject({ kind: 'server', status: 500 });
      expect(server.count('GET', '/123123123123')).toBe(3); // first try + 2 retries (test policy)
    });

    // a 200 that is not JSON (the doc copy's "...", a truncated or HTML body) is Graph or a proxy
    // failing, not the lead: retried like a 5xx, and the event fails only after its attempts
    it('rejects a Graph answer without field_data as permanent; a non-JSON answer as transient', async () => {
      server.on('GET', '/9', () => ({ status: 200, body: { id: '9', created_time: '2026-01-01T00:00:00+0000' } }));
      server.on('GET', '/10', () => ({
        status: 200,
        body: readFileSync(join(__dirname, 'fixtures', 'lead-retrieve-response.verbatim.txt'), 'utf8'),
      }));
      await expect(handler.processWebhook(event('9'), ctx())).rejects.toThrow(
        new PermanentEventError('Graph API answer for lead 9 has no field_data'),
      );
      const notJson = await handler.processWebhook(event('10'), ctx()).catch((err: unknown) => err);
      expect(notJson).toBeInstanceOf(OutboundError);
      expect(notJson).toMatchObject({ kind: 'server', transient: true, message: expect.stringContaining('with text') });
    });

    it('rejects an event without a leadgen id without calling Graph', async () => {
      await expect(handler.processWebhook({ ...event(), externalId: null, payload: {} }, ctx())).rejects.toThrow(
        PermanentEventError,
      );
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('syncData', () => {
    const since = Math.floor(NOW.getTime() / 1000) - 7 * 24 * 3600;

    it('a missing permission (code 200, HTTP 400) is the setup error of the integration, the token not echoed', async () => {
      server.on('GET', '/153125381133/leadgen_forms', () => ({
        status: 400,
        body: graphError(200, `(#200) Requires leads_retrieval permission (token ${TOKEN})`),
      }));
      const err = await handler.syncData(ctx(), null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrationSetupError);
      expect((err as Error).message).toContain('leads_retrieval');
      expect((err as Error).message).not.toContain(TOKEN);
      expect(isTokenRefused(err)).toBe(false);
    });
    const next = (after: string) => ({
      cursors: { before: 'b', after },
      next: `https://graph.facebook.com/v25.0/next?after=${after}`,
    });

    it("lists forms, then pages through each form's leads created in the last 7 days", async () => {
      server.on('GET', '/153125381133/leadgen_forms', (req) =>
        req.query.get('after') === 'forms-2'
          ? {
              status: 200,
              body: { data: [{ id: '2002', name: 'Form B' }], paging: { cursors: { before: 'x', after: 'y' } } },
            }
          : { status: 200, body: { data: [{ id: '12312312312', name: 'Form A' }], paging: next('forms-2') } },
      );
      const bulk = fixtureJson('form-leads-bulk-read-response.json');
      server.on('GET', '/12312312312/leads', (req) =>
        req.query.get('after') === 'OTcxNjcyOTg8ANTI4NzE4'
          ? {
              status: 200,
              body: {
                data: [
                  {
                    id: '124',
                    created_time: '2026-03-08T10:00:00+0000',
                    field_data: [{ name: 'email', values: ['b@example.com'] }],
                  },
                ],
                paging: { cursors: { after: 'z' } },
              },
            }
          : {
              status: 200,
              body: { ...bulk, paging: { ...(bulk.paging as object), next: 'https://graph.facebook.com/v25.0/next' } },
            },
      );
      server.on('GET', '/2002/leads', () => ({ status: 200, body: { data: [], paging: { cursors: {} } } }));

      const first = await handler.syncData(ctx(), null);
      expect(first.fetched).toBe(1);
      expect(first.leads).toEqual([
        {
          platform: 'meta',
          externalId: '123123123123',
          fullName: 'Joe Example',
          email: 'joe@example.com',
          customAnswers: { car_make: 'Honda', selected_dealer: '99213450' },
          submittedAt: '2018-02-28T08:49:14.000Z',
          source: { adId: '23851234567890123', formId: '12312312312' },
        },
      ]);
      expect(JSON.parse(first.nextCursor ?? 'null')).toEqual({
        since,
        forms: ['12312312312', '2002'],
        formIndex: 0,
        after: 'OTcxNjcyOTg8ANTI4NzE4',
      });
      const formsCall = server.requests.filter((r) => r.path.endsWith('/leadgen_forms'));
      expect(formsCall.map((r) => [r.query.get('fields'), r.query.get('limit'), r.query.get('after')])).toEqual([
        ['id,name', '100', null],
        ['id,name', '100', 'forms-2'],
      ]);
      const leadsCall = server.requests.find((r) => r.path === '/12312312312/leads');
      expect(leadsCall?.query.get('fields')).toBe(LEAD_FIELDS);
      expect(leadsCall?.query.get('limit')).toBe('100');
      expect(JSON.parse(leadsCall?.query.get('filtering') ?? '')).toEqual([
        { field: 'time_created', operator: 'GREATER_THAN', value: since },
      ]);
      expect(
        server.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && !r.query.has('access_token')),
      ).toBe(true);

      const second = await handler.syncData(ctx(), first.nextCursor);
      expect(second.leads.map((l) => [l.externalId, l.email])).toEqual([['124', 'b@example.com']]);
      expect(JSON.parse(second.nextCursor ?? 'null')).toEqual({ since, forms: ['12312312312', '2002'], formIndex: 1 });

      const third = await handler.syncData(ctx(), second.nextCursor);
      // the run's end is where the next run may look back to (when that is longer ago than a week)
      expect(third).toEqual({
        leads: [],
        fetched: 0,
        nextCursor: null,
        nextRunCursor: JSON.stringify({ syncedUntil: NOW.getTime() / 1000 }),
      });
      expect(server.count('GET', '/153125381133/leadgen_forms')).toBe(2); // forms are listed once per run
    });

    it('maps a lead the same way in sync and in webhook processing', async () => {
      const record = fixtureJson('lead-retrieve-response.json');
      server.on('GET', '/153125381133/leadgen_forms', () => ({ status: 200, body: { data: [{ id: '12312312312' }] } }));
      server.on('GET', '/12312312312/leads', () => ({ status: 200, body: { data: [record] } }));
      server.on('GET', '/123123123123', () => ({ status: 200, body: record }));
      const synced = await handler.syncData(ctx(), null);
      const webhook = await handler.processWebhook(event(), ctx());
      expect(synced.leads).toEqual(webhook.leads);
      expect(synced.nextCursor).toBeNull();
    });

    it('finishes at once for a page without forms, and refuses an unreadable cursor', async () => {
      server.on('GET', '/153125381133/leadgen_forms', () => ({ status: 200, body: { data: [] } }));
      await expect(handler.syncData(ctx(), null)).resolves.toEqual({
        leads: [],
        fetched: 0,
        nextCursor: null,
        nextRunCursor: JSON.stringify({ syncedUntil: NOW.getTime() / 1000 }),
      });
      await expect(handler.syncData(ctx(), 'not json')).rejects.toThrow('meta-lead-ads: unreadable sync cursor');
      await expect(handler.syncData(ctx(), '{"syncedUntil":"soon"}')).rejects.toThrow(
        'meta-lead-ads: unreadable sync cursor',
      );
    });

    // Meta keeps leads retrievable for 90 days (developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving):
    // a page whose syncs failed for longer than the 7-day window still gets the leads of those days
    it.each([
      ['a run a day ago: the 7-day window', 1, 7 * 24 * 3600],
      ['a run 20 days ago: back to it, less an hour', 20, 20 * 24 * 3600 + 3600],
      ['a run 200 days ago: 90 days, all Meta keeps', 200, 90 * 24 * 3600],
    ])('looks back after %s', async (_name, daysAgo, lookback) => {
      server.on('GET', '/153125381133/leadgen_forms', () => ({ status: 200, body: { data: [{ id: '3003' }] } }));
      server.on('GET', '/3003/leads', () => ({ status: 200, body: { data: [] } }));
      const now = NOW.getTime() / 1000;
      const page = await handler.syncData(ctx(), JSON.stringify({ syncedUntil: now - daysAgo * 24 * 3600 }));
      expect(page.nextCursor).toBeNull();
      expect(JSON.parse(page.nextRunCursor ?? 'null')).toEqual({ syncedUntil: now });
      const filtering = server.requests.find((r) => r.path === '/3003/leads')?.query.get('filtering');
      expect(JSON.parse(filtering ?? '[]')).toEqual([
        { field: 'time_created', operator: 'GREATER_THAN', value: now - lookback },
      ]);
    });

    it('hands the sync pipeline an expired token (400, code 190) as an auth failure, throttling as rate-limited', async () => {
      server.on('GET', '/153125381133/leadgen_forms', () => ({
        status: 401,
        body: graphError(190, 'Invalid OAuth access token.'),
      }));
      await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({ kind: 'auth', status: 401 });
      server.reset();
      server.on('GET', '/153125381133/leadgen_forms', () => ({
        status: 400,
        body: graphError(190, 'Error validating access token: Session has expired'),
      }));
      await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({ kind: 'auth', status: 400 });
      server.reset();
      server.on('GET', '/153125381133/leadgen_forms', () => ({
        status: 400,
        body: graphError(17, '(#17) User request limit reached'),
      }));
      await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({ kind: 'rate_limited', transient: true });
    });

    // developers.facebook.com/docs/graph-api/overview/rate-limiting: throttled calls fail with codes 4, 17, 32,
    // 613 or 80000-80014 (as HTTP 400), X-Business-Use-Case-Usage naming estimated_time_to_regain_access in minutes
    it.each([
      [
        4,
        'x-business-use-case-usage',
        { '153125381133': [{ type: 'pages', call_count: 100, estimated_time_to_regain_access: 12 }] },
        12 * 60_000,
      ],
      [
        80001,
        'x-business-use-case-usage',
        {
          '1': [
            { type: 'pages', estimated_time_to_regain_access: 0 },
            { type: 'leadgen', estimated_time_to_regain_access: 45 },
          ],
        },
        45 * 60_000,
      ],
      [80004, 'x-ad-account-usage', { acc_id_util_pct: 100, reset_time_duration: 300 }, 300_000],
      [32, 'x-business-use-case-usage', '{not json', undefined],
      [613, 'x-business-use-case-usage', { '1': [{ estimated_time_to_regain_access: 1e9 }] }, 24 * 3600_000],
    ])('reads the wait of a throttle (code %d) from %s', async (code, header, usage, wait) => {
      server.on('GET', '/153125381133/leadgen_forms', () => ({
        status: 400,
        headers: { [header]: typeof usage === 'string' ? usage : JSON.stringify(usage) },
        body: graphError(code, 'Calls to this api have exceeded the rate limit.'),
      }));
      await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({
        kind: 'rate_limited',
        status: 400,
        retryAfterMs: wait,
      });
    });
  });
});
