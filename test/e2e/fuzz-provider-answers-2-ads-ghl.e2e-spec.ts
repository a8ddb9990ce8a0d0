/**
 * Findings of a second fuzz of what provider APIs answer (see /work/notes/fuzz3.md): this part holds
 * Facebook Ads insights and the GoHighLevel passthrough; the Meta lead fetch, the WhatsApp template
 * reconcile and the sync pages are in fuzz-provider-answers-2-fetch-sync.e2e-spec.ts, the shared setup in
 * test/support/fuzz-provider-answers-2-setup.ts. Each case once failed a run on a database error, stored
 * nonsense, left a refused token unreported, or answered 500 from our API.
 */
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import { EMPTY, FACEBOOK_ADS, Fuzz3, HTML, NOT_PAGES, setupFuzz3 } from '../support/fuzz-provider-answers-2-setup';

describe('fuzzed provider answers, second round', () => {
  let t: TestApp;
  let graph: FakeServer;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;
  let ids: Fuzz3['ids'];
  let fx: Fuzz3;

  beforeAll(async () => {
    fx = await setupFuzz3();
    ({ t, graph, ghl, sub, admin, ids } = fx);
  });
  afterAll(async () => fx?.close());
  afterEach(async () => fx.reactivate());

  const unhandled = () => fx.unhandled();
  const integration = (id: number) => fx.integration(id);
  const sync = (id: number) => fx.sync(id);

  describe('facebook ads insights', () => {
    const insights = `/act_${FACEBOOK_ADS.adAccountId}/insights`;
    const today = new Date().toISOString().slice(0, 10);
    const row = (extra: Record<string, unknown>) => ({
      campaign_id: '11',
      campaign_name: 'Winter',
      adset_id: '22',
      ad_id: '33',
      ad_name: 'Ad',
      spend: '12.50',
      impressions: '100',
      clicks: '7',
      account_currency: 'USD',
      date_start: today,
      date_stop: today,
      ...extra,
    });
    const costs = async () =>
      (
        await t.sql.query<{ ad_id: string; spend: string; impressions: number; campaign_name: string | null }>(
          'SELECT ad_id, spend::text AS spend, impressions, campaign_name FROM ad_costs WHERE integration_id = $1 ORDER BY ad_id',
          [ids.ads],
        )
      ).rows;

    it.each(NOT_PAGES)(
      'an insights page that is %s fails the run and leaves the stored spend alone',
      async (_name, reply) => {
        graph.on('GET', insights, () => ({ status: 200, body: { data: [row({})] } }));
        expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 1 });
        graph.on('GET', insights, () => reply);
        const run = await sync(ids.ads);
        expect(run.status).toBe('FAILED');
        expect(run.error).toMatch(/^Graph API answered the insights page with .+ instead of a page$/);
        expect(await costs()).toEqual([{ ad_id: '33', spend: '12.500000', impressions: 100, campaign_name: 'Winter' }]);
      },
    );

    it('a missing permission (400, code 10) fails the run and is reported on the integration', async () => {
      graph.on('GET', insights, () => ({
        status: 400,
        body: { error: { message: 'Ad account owner has NOT grant ads_management or ads_read', code: 10 } },
      }));
      const run = await sync(ids.ads);
      const reason =
        "Meta refused the ad account's insights for a missing permission (Ad account owner has NOT grant ads_management or ads_read); reconnect with ads_read";
      expect(run).toEqual({ status: 'FAILED', error: reason, fetched: 0 });
      expect(await integration(ids.ads)).toEqual({ status: 'error', error_message: reason });
    });

    it('rows ad_costs cannot hold are skipped; the rest of the page is stored', async () => {
      graph.on('GET', insights, () => ({
        status: 200,
        body: {
          data: [
            row({ ad_id: '40', spend: '-5' }),
            row({ ad_id: '41', spend: '123456789012345678901234' }),
            row({ ad_id: '42', spend: 1e15 }),
            row({ ad_id: '43', impressions: '1e10' }),
            row({ ad_id: '44', clicks: -3 }),
            row({ ad_id: '45', actions: [{ action_type: 'lead', value: '99999999999' }] }),
            row({ ad_id: '46', date_start: '2026-02-30' }),
            row({ ad_id: '47', date_start: '0000-01-01' }),
            row({ ad_id: '48', campaign_id: 'c\u0000d' }),
            row({ ad_id: '49', campaign_id: 'x'.repeat(100_000) }),
            row({
              ad_id: '50',
              campaign_name: 'Win\u0000ter',
              ad_name: 'A\ud800d',
              account_currency: 'X'.repeat(10_000),
            }),
            row({ ad_id: '51', spend: '0.000001' }),
          ],
        },
      }));
      expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 12 });
      const stored = await t.sql.query<{ ad_id: string; spend: string; name: string; currency: string | null }>(
        `SELECT ad_id, spend::text AS spend, ad_name AS name, currency FROM ad_costs
          WHERE integration_id = $1 AND (spend <> 0 OR impressions <> 0) ORDER BY ad_id`,
        [ids.ads],
      );
      expect(stored.rows).toEqual([
        { ad_id: '50', spend: '12.500000', name: 'A\ufffdd', currency: null },
        { ad_id: '51', spend: '0.000001', name: 'Ad', currency: 'USD' },
      ]);
      expect(unhandled()).toEqual([]);
    });

    it('a row whose spend is unreadable is left out with a warning, a real zero spend is stored as 0', async () => {
      const unreadable: unknown[] = ['abc', 'NaN', '1e400', '', { amount: '12.50' }];
      graph.on('GET', insights, () => ({
        status: 200,
        body: {
          data: [
            ...unreadable.map((spend, i) => row({ ad_id: `6${i}`, spend })),
            row({ ad_id: '70', spend: '0' }),
            row({ ad_id: '71', spend: '0.00' }),
          ],
        },
      }));
      const before = t.logs().length;
      expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 7 });
      const stored = await t.sql.query<{ ad_id: string; spend: string }>(
        `SELECT ad_id, spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND ad_id >= '60' ORDER BY ad_id`,
        [ids.ads],
      );
      expect(stored.rows).toEqual([
        { ad_id: '70', spend: '0.000000' },
        { ad_id: '71', spend: '0.000000' },
      ]);
      const skipped = t
        .logs()
        .slice(before)
        .split('\n')
        .filter((line) => line.includes('ad cost row skipped'));
      expect(skipped).toHaveLength(unreadable.length);
      expect(skipped.every((line) => line.includes('a spend that is not a non-negative amount'))).toBe(true);
      expect(unhandled()).toEqual([]);
    });

    it("an unreadable spend keeps the day's stored spend; a row the platform stops reporting is zeroed", async () => {
      const stored = async () =>
        (
          await t.sql.query<{ ad_id: string; spend: string }>(
            `SELECT ad_id, spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND ad_id IN ('80', '81') ORDER BY ad_id`,
            [ids.ads],
          )
        ).rows;
      graph.on('GET', insights, () => ({
        status: 200,
        body: { data: [row({ ad_id: '80', spend: '12.50' }), row({ ad_id: '81', spend: '3.00' })] },
      }));
      expect((await sync(ids.ads)).status).toBe('SUCCEEDED');
      expect(await stored()).toEqual([
        { ad_id: '80', spend: '12.500000' },
        { ad_id: '81', spend: '3.000000' },
      ]);
      // the next pull reports 80 with a spend nobody can read, and no longer reports 81
      graph.on('GET', insights, () => ({ status: 200, body: { data: [row({ ad_id: '80', spend: 'abc' })] } }));
      expect((await sync(ids.ads)).status).toBe('SUCCEEDED');
      expect(await stored()).toEqual([
        { ad_id: '80', spend: '12.500000' },
        { ad_id: '81', spend: '0.000000' },
      ]);
      expect(unhandled()).toEqual([]);
    });
  });

  describe('gohighlevel passthrough', () => {
    const base = () => `/api/integrations/${ids.ghl}/ghl`;

    it.each([
      ['an HTML page', HTML],
      ['an empty body', EMPTY],
      ['a JSON array', { status: 200, body: [] }],
    ])('calendars and free slots answered with %s: 502, not an empty list', async (_name, reply) => {
      ghl.on('GET', '/calendars/', () => reply);
      ghl.on('GET', '/calendars/cal1/free-slots', () => reply);
      const calendars = await t.http.get(`${base()}/calendars`).set('authorization', admin);
      const slots = await t.http
        .get(`${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin);
      for (const res of [calendars, slots]) {
        expect(res.status).toBe(502);
        expect(res.body).toEqual({
          statusCode: 502,
          code: 'CONNECTION_FAILED',
          message: expect.stringMatching(/^GoHighLevel is unavailable: GET .+ answered with /),
          details: [],
        });
      }
    });

    it('calendars without a calendars list: 502; free slots as {}: no free days', async () => {
      ghl.on('GET', '/calendars/', () => ({ status: 200, body: { traceId: 't' } }));
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({ status: 200, body: { traceId: 't' } }));
      expect((await t.http.get(`${base()}/calendars`).set('authorization', admin)).status).toBe(502);
      const slots = await t.http
        .get(`${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin);
      expect([slots.status, slots.body]).toEqual([200, []]);
    });

    it('free slots: unreadable days and slots are left out with a warning; nothing readable is a 502', async () => {
      const url = `${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-05`;
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: {
          '2026-12-02': { slots: ['2026-12-02T10:00:00+01:00', 'not a time', '2026-12-02T10:00:99+01:00'] },
          '9999-99-99': { slots: ['2026-12-02T11:00:00+01:00'] },
          '2026-02-30': { slots: ['2026-03-02T11:00:00+01:00'] },
          traceId: 't',
        },
      }));
      const before = t.logs().length;
      const slots = await t.http.get(url).set('authorization', admin);
      expect([slots.status, slots.body]).toEqual([200, [{ date: '2026-12-02', slots: ['2026-12-02T10:00:00+01:00'] }]]);
      expect(t.logs().slice(before)).toContain('GoHighLevel free slots: unreadable days or slots left out');
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: { '9999-99-99': { slots: ['2026-12-02T11:00:00+01:00'] }, '2026-12-02': { slots: ['soon'] } },
      }));
      const garbage = await t.http.get(url).set('authorization', admin);
      expect([garbage.status, garbage.body]).toEqual([
        502,
        {
          statusCode: 502,
          code: 'CONNECTION_FAILED',
          message: 'GoHighLevel is unavailable: GET /calendars/cal1/free-slots answered without one readable free slot',
          details: [],
        },
      ]);
      expect(unhandled()).toEqual([]);
    });

    it('a contact id with a NUL from the contact upsert: 502, not 500, and no link stored', async () => {
      const lead = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Nul Id', email: 'nul-id@example.com' });
      ghl.on('POST', '/contacts/upsert', () => ({
        status: 200,
        raw: '{"new":true,"contact":{"id":"ct\\u0000x"}}',
      }));
      const res = await t.http.post(`${base()}/contacts`).set('authorization', admin).send({ leadId: lead.body.id });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({
        code: 'CONNECTION_FAILED',
        message: 'GoHighLevel is unavailable: POST /contacts/upsert answered without the expected id',
      });
      expect(unhandled()).toEqual([]);
    });
  });
});
