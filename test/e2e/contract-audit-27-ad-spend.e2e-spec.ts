// Audit 27, ad spend as the CRM's frontend reads it (API.md "Analytics": overview bySource
// `spend, costPerLead, costPerConversion`, timeseries `metric=spend`, attribution `spend,
// costPerConversion, currency`; "Leads": `sourceTracking.cost`). Spend rows are written as the syncs
// store them (ad_costs), leads as the lead writer does, so every case here is about the read side.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { waitForJob } from '../support/webhooks';

describe('contract audit 27: ad spend in analytics', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let admin: string;
  let otherAdmin: string;

  const get = async (path: string, auth = admin): Promise<{ status: number; body: unknown }> => {
    const res = await t.http.get(path).set('authorization', auth);
    return { status: res.status, body: res.body };
  };
  const ok = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };

  /** Campaign-level spend rows as the syncs store them: [integration, platform, day, campaign, spend, currency?]. */
  async function spend(s: number, ...rows: Array<[number, string, string, string, string, string?]>): Promise<void> {
    for (const [integrationId, platform, day, campaign, amount, currency] of rows)
      await t.sql.query(
        `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, campaign_name, spend,
           currency, impressions, clicks, leads, updated_at)
         VALUES ($1, $2, $3, $4::date, 'campaign', $5, $6, $7, $8, 0, 0, 0, now())`,
        [s, integrationId, platform, day, campaign, `Campaign ${campaign}`, amount, currency ?? 'USD'],
      );
  }

  async function lead(
    s: number,
    l: { platform: string; integrationId: number | null; campaign: string | null; at: string; converted?: string },
  ): Promise<string> {
    const inserted = await t.sql.query<{ id: string }>(
      `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_integration_id, origin_campaign_id)
       VALUES ($1, $2::timestamptz, now(), $3, $4, $5) RETURNING id::text`,
      [s, l.at, l.platform, l.integrationId, l.campaign],
    );
    const id = inserted.rows[0].id;
    await t.sql.query(
      `INSERT INTO lead_sources (lead_id, sub_account_id, platform, integration_id, external_id, origin, campaign_id,
         submitted_at)
       VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8::timestamptz)`,
      [id, s, l.platform, l.integrationId, `x-${id}`, `event:x-${id}`, l.campaign, l.at],
    );
    if (l.converted) {
      const res = await t.http
        .patch(`/api/leads/${id}`)
        .set('authorization', `Bearer ${t.token('ADMIN', [s])}`)
        .send({ status: 'CONVERTED' });
      if (res.status !== 200) throw new Error(`convert: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Spend audit 27');
    other = await createSubAccount(t, 'MAX', 'Spend audit 27, the other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    otherAdmin = `Bearer ${t.token('ADMIN', [other])}`;
  });
  afterAll(() => t?.close());

  describe('two Google Ads integrations, each bringing its own leads and reporting its own spend', () => {
    const range = 'from=2020-04-01&to=2020-04-03';
    beforeAll(async () => {
      await spend(sub, [7101, 'google-ads', '2020-04-02', 'g1', '30.00']);
      await spend(sub, [7102, 'google-ads', '2020-04-02', 'g2', '9.00']);
      await lead(sub, { platform: 'google-ads', integrationId: 7101, campaign: 'g1', at: '2020-04-02T10:00:00Z' });
      await lead(sub, { platform: 'google-ads', integrationId: 7101, campaign: 'g1', at: '2020-04-02T11:00:00Z' });
      await lead(sub, { platform: 'google-ads', integrationId: 7101, campaign: 'g1', at: '2020-04-02T12:00:00Z' });
      await lead(sub, { platform: 'google-ads', integrationId: 7102, campaign: 'g2', at: '2020-04-02T12:00:00Z' });
      // a third account spent and brought no lead in the range
      await spend(sub, [7103, 'google-ads', '2020-04-03', 'g3', '4.00']);
    });

    it("overview: each integration's row carries its own spend and cost per lead", async () => {
      const overview = await ok<{ bySource: Array<Record<string, unknown>> }>(
        `/api/analytics/overview?subAccountId=${sub}&${range}`,
      );
      const google = overview.bySource.filter((s) => s.platform === 'google-ads');
      expect(google).toEqual([
        expect.objectContaining({
          integrationId: 7101,
          leads: 3,
          spend: '30.00',
          costPerLead: '10.00',
          currency: 'USD',
        }),
        expect.objectContaining({ integrationId: 7102, leads: 1, spend: '9.00', costPerLead: '9.00', currency: 'USD' }),
        expect.objectContaining({ integrationId: 7103, leads: 0, spend: '4.00', costPerLead: null, currency: 'USD' }),
      ]);
    });

    it('timeseries: spend per integration and per campaign, per day, zero-filled', async () => {
      const byIntegration = await ok<{
        series: Array<{ key: string; points: Array<{ bucket: string; value: unknown }> }>;
      }>(`/api/analytics/timeseries?subAccountId=${sub}&${range}&granularity=day&metric=spend&groupBy=integration`);
      const values = (key: string) =>
        byIntegration.series.find((s) => s.key === key)?.points.map((p) => [p.bucket, p.value]);
      expect(values('7101')).toEqual([
        ['2020-04-01', '0.00'],
        ['2020-04-02', '30.00'],
        ['2020-04-03', '0.00'],
      ]);
      expect(values('7102')).toEqual([
        ['2020-04-01', '0.00'],
        ['2020-04-02', '9.00'],
        ['2020-04-03', '0.00'],
      ]);
      expect(values('7103')).toEqual([
        ['2020-04-01', '0.00'],
        ['2020-04-02', '0.00'],
        ['2020-04-03', '4.00'],
      ]);
      const total = await ok<{ series: Array<{ key: string; points: Array<{ bucket: string; value: unknown }> }> }>(
        `/api/analytics/timeseries?subAccountId=${sub}&${range}&granularity=day&metric=spend`,
      );
      expect(total.series).toHaveLength(1);
      expect(total.series[0].points.map((p) => p.value)).toEqual(['0.00', '39.00', '4.00']);
    });
  });

  describe('spend on days and campaigns without leads or conversions', () => {
    const range = 'from=2020-05-01&to=2020-05-07';
    beforeAll(async () => {
      await spend(sub, [7201, 'linkedin', '2020-05-02', 'li1', '12.50']);
      await spend(sub, [7201, 'linkedin', '2020-05-03', 'li2', '7.25']);
      await lead(sub, { platform: 'linkedin', integrationId: 7201, campaign: 'li1', at: '2020-05-02T09:00:00Z' });
    });

    it('overview: spend counts every day of the range; no conversion → costPerConversion null, conversionRate 0', async () => {
      const overview = await ok<{ bySource: Array<Record<string, unknown>> }>(
        `/api/analytics/overview?subAccountId=${sub}&${range}`,
      );
      expect(overview.bySource.filter((s) => s.platform === 'linkedin')).toEqual([
        expect.objectContaining({
          integrationId: 7201,
          leads: 1,
          converted: 0,
          conversionRate: 0,
          spend: '19.75',
          costPerLead: '19.75',
          costPerConversion: null,
        }),
      ]);
    });

    it('attribution: a campaign with spend and no conversions is listed with 0 conversions and no cost per conversion', async () => {
      const rows = await ok<Array<Record<string, unknown>>>(
        `/api/analytics/attribution?subAccountId=${sub}&${range}&model=last`,
      );
      const li2 = rows.find((r) => r.campaignId === 'li2');
      expect(li2).toEqual(
        expect.objectContaining({
          platform: 'linkedin',
          conversions: 0,
          spend: '7.25',
          costPerConversion: null,
          currency: 'USD',
        }),
      );
    });

    it('timeseries by week sums the days of each week and keeps empty weeks at 0.00', async () => {
      const weekly = await ok<{ series: Array<{ key: string; points: Array<{ bucket: string; value: unknown }> }> }>(
        `/api/analytics/timeseries?subAccountId=${sub}&from=2020-05-01&to=2020-05-20&granularity=week&metric=spend&groupBy=campaign`,
      );
      const li1 = weekly.series.find((s) => s.key === 'li1');
      const li2 = weekly.series.find((s) => s.key === 'li2');
      expect(li1?.points.map((p) => p.value)).toEqual(['12.50', '0.00', '0.00', '0.00']);
      expect(li2?.points.map((p) => p.value)).toEqual(['7.25', '0.00', '0.00', '0.00']);
    });
  });

  describe('conversions and cost per conversion', () => {
    const range = 'from=2020-06-01&to=2020-06-30';
    beforeAll(async () => {
      await spend(sub, [7301, 'facebook-ads', '2020-06-05', 'm1', '100.00']);
      await lead(sub, {
        platform: 'meta',
        integrationId: 7302,
        campaign: 'm1',
        at: '2020-06-05T09:00:00Z',
        converted: 'y',
      });
      await lead(sub, {
        platform: 'meta',
        integrationId: 7302,
        campaign: 'm1',
        at: '2020-06-05T10:00:00Z',
        converted: 'y',
      });
      await lead(sub, { platform: 'meta', integrationId: 7302, campaign: 'm1', at: '2020-06-05T11:00:00Z' });
    });

    it('attribution: spend ÷ attributed conversions, in the currency of the spend', async () => {
      // the conversions happen now (PATCH), so the range must hold today
      const today = new Date().toISOString().slice(0, 10);
      const rows = await ok<Array<Record<string, unknown>>>(
        `/api/analytics/attribution?subAccountId=${sub}&from=2020-06-01&to=${today}&model=last`,
      );
      expect(rows.find((r) => r.campaignId === 'm1')).toEqual(
        expect.objectContaining({
          platform: 'meta',
          conversions: 2,
          spend: '100.00',
          costPerConversion: '50.00',
          currency: 'USD',
        }),
      );
    });

    it("overview: Facebook Ads spend is the Meta leads' source row's, with cost per lead", async () => {
      const overview = await ok<{ bySource: Array<Record<string, unknown>> }>(
        `/api/analytics/overview?subAccountId=${sub}&${range}`,
      );
      expect(overview.bySource.filter((s) => s.platform === 'meta')).toEqual([
        expect.objectContaining({
          integrationId: 7302,
          leads: 3,
          spend: '100.00',
          costPerLead: '33.33',
          currency: 'USD',
        }),
      ]);
    });
  });

  describe('Facebook Ads spend over two Meta Lead Ads integrations (two pages)', () => {
    beforeAll(async () => {
      await spend(
        sub,
        [7800, 'facebook-ads', '2020-09-02', 'm7', '20.00'],
        [7800, 'facebook-ads', '2020-09-02', 'm8', '6.00'],
        [7800, 'facebook-ads', '2020-09-03', 'm9', '5.00'],
      );
      await lead(sub, { platform: 'meta', integrationId: 7801, campaign: 'm7', at: '2020-09-02T09:00:00Z' });
      await lead(sub, { platform: 'meta', integrationId: 7801, campaign: 'm7', at: '2020-09-02T10:00:00Z' });
      await lead(sub, { platform: 'meta', integrationId: 7802, campaign: 'm8', at: '2020-09-02T11:00:00Z' });
      // a lead of m7 through the other page does not take m7's spend from the page that brought most of them
      await lead(sub, { platform: 'meta', integrationId: 7802, campaign: 'm7', at: '2020-09-02T12:00:00Z' });
    });

    it("each page's row carries the spend of the campaigns whose leads it brought; the rest is platform-level", async () => {
      const overview = await ok<{ bySource: Array<Record<string, unknown>> }>(
        `/api/analytics/overview?subAccountId=${sub}&from=2020-09-01&to=2020-09-05`,
      );
      expect(overview.bySource.filter((s) => s.platform === 'meta')).toEqual([
        expect.objectContaining({ integrationId: null, leads: 0, spend: '5.00', costPerLead: null }),
        expect.objectContaining({ integrationId: 7801, leads: 2, spend: '20.00', costPerLead: '10.00' }),
        expect.objectContaining({ integrationId: 7802, leads: 2, spend: '6.00', costPerLead: '3.00' }),
      ]);
    });
  });

  describe('spend per hour (platforms report it per day)', () => {
    type Series = { series: Array<{ key: string; points: Array<{ bucket: string; value: string }> }> };
    const total = (points: Array<{ value: string }>): string =>
      (points.reduce((cents, p) => cents + Math.round(Number(p.value) * 100), 0) / 100).toFixed(2);
    let eastern: number;

    beforeAll(async () => {
      await spend(
        sub,
        [7801, 'google-ads', '2020-08-05', 'h1', '10.00'],
        [7801, 'google-ads', '2020-08-05', 'h2', '0.01'],
      );
      eastern = await createSubAccount(t, 'MAX', 'Spend audit 27, New York');
      const res = await t.http
        .patch(`/api/sub-accounts/${eastern}`)
        .set('authorization', `Bearer ${t.token('ADMIN', [eastern])}`)
        .send({ timezone: 'America/New_York' });
      expect(res.status).toBe(200);
      // the day clocks went forward (23 hours) and the day they went back (25 hours)
      await spend(
        eastern,
        [7802, 'google-ads', '2021-03-14', 'e1', '23.00'],
        [7802, 'google-ads', '2021-11-07', 'e1', '5.00'],
      );
    });
    const hours = async (s: number, params: string): Promise<Series> => {
      const auth = s === sub ? admin : `Bearer ${t.token('ADMIN', [s])}`;
      const res = await get(
        `/api/analytics/timeseries?subAccountId=${s}&${params}&granularity=hour&metric=spend`,
        auth,
      );
      expect(res.status).toBe(200);
      return res.body as Series;
    };

    it("spreads a day's spend evenly over its hours, the leftover cents on the first ones, adding up to the day", async () => {
      const { series } = await hours(sub, 'from=2020-08-05&to=2020-08-05');
      expect(series).toHaveLength(1);
      const points = series[0].points;
      expect(points).toHaveLength(24);
      expect(points[0].bucket).toBe('2020-08-05T00:00+00:00');
      // 10.01 is 1,001 cents: 41 each, and the 17 left over go to the first 17 hours
      expect(points.map((p) => p.value)).toEqual([...Array(17).fill('0.42'), ...Array(7).fill('0.41')]);
      const day = await ok<Series>(
        `/api/analytics/timeseries?subAccountId=${sub}&from=2020-08-05&to=2020-08-05&granularity=day&metric=spend`,
      );
      expect(day.series[0].points).toEqual([{ bucket: '2020-08-05', value: '10.01' }]);
      expect(total(points)).toBe('10.01');
    });

    it('grouped by campaign, each campaign spreads its own day', async () => {
      const { series } = await hours(sub, 'from=2020-08-05&to=2020-08-05&groupBy=campaign');
      const values = (key: string) => series.find((x) => x.key === key)?.points.map((p) => p.value);
      expect(values('h1')).toEqual([...Array(16).fill('0.42'), ...Array(8).fill('0.41')]);
      expect(values('h2')).toEqual(['0.01', ...Array(23).fill('0.00')]);
    });

    it('a range of instants that cuts the day keeps only the hours inside it', async () => {
      const { series } = await hours(sub, 'from=2020-08-05T12:00:00Z&to=2020-08-05T17:59:59Z');
      expect(series[0].points).toEqual([
        ...[12, 13, 14, 15, 16].map((h) => ({ bucket: `2020-08-05T${h}:00+00:00`, value: '0.42' })),
        { bucket: '2020-08-05T17:00+00:00', value: '0.41' },
      ]);
    });

    it("over the sub-account's own hours: 23 on the day clocks go forward, 25 on the day they go back", async () => {
      const spring = (await hours(eastern, 'from=2021-03-14&to=2021-03-14')).series[0].points;
      expect(spring).toHaveLength(23);
      expect(spring.map((p) => p.bucket).slice(0, 4)).toEqual([
        '2021-03-14T00:00-05:00',
        '2021-03-14T01:00-05:00',
        '2021-03-14T03:00-04:00',
        '2021-03-14T04:00-04:00',
      ]);
      expect(new Set(spring.map((p) => p.value))).toEqual(new Set(['1.00']));
      const autumn = (await hours(eastern, 'from=2021-11-07&to=2021-11-07')).series[0].points;
      expect(autumn).toHaveLength(25);
      expect(autumn.map((p) => p.bucket).slice(1, 3)).toEqual(['2021-11-07T01:00-04:00', '2021-11-07T01:00-05:00']);
      expect(new Set(autumn.map((p) => p.value))).toEqual(new Set(['0.20']));
      expect(total(autumn)).toBe('5.00');
    });
  });

  describe('currencies', () => {
    beforeAll(async () => {
      await spend(sub, [7401, 'google-ads', '2020-07-02', 'k1', '1.234', 'KWD']);
      await spend(sub, [7401, 'google-ads', '2020-07-03', 'k1', '2.000', 'KWD']);
      await lead(sub, { platform: 'google-ads', integrationId: 7401, campaign: 'k1', at: '2020-07-02T09:00:00Z' });
    });

    it('a non-USD account keeps its currency on every figure', async () => {
      const overview = await ok<{ bySource: Array<Record<string, unknown>> }>(
        `/api/analytics/overview?subAccountId=${sub}&from=2020-07-01&to=2020-07-04`,
      );
      expect(overview.bySource.find((s) => s.integrationId === 7401)).toEqual(
        expect.objectContaining({ spend: '3.23', currency: 'KWD', costPerLead: '3.23' }),
      );
      const series = await ok<{ series: Array<{ key: string; currency?: string; points: Array<{ value: unknown }> }> }>(
        `/api/analytics/timeseries?subAccountId=${sub}&from=2020-07-01&to=2020-07-04&granularity=month&metric=spend`,
      );
      expect(series.series).toEqual([expect.objectContaining({ currency: 'KWD' })]);
      expect(series.series[0].points.map((p) => p.value)).toEqual(['3.23']);
    });
  });

  describe('tenant isolation', () => {
    beforeAll(async () => {
      await spend(other, [7501, 'google-ads', '2020-04-02', 'g1', '999.00']);
      await lead(other, { platform: 'google-ads', integrationId: 7501, campaign: 'g1', at: '2020-04-02T10:00:00Z' });
    });

    it("another tenant's spend of the same campaign id is never in this sub-account's figures", async () => {
      const series = await ok<{ series: Array<{ points: Array<{ value: unknown }> }> }>(
        `/api/analytics/timeseries?subAccountId=${sub}&from=2020-04-01&to=2020-04-03&granularity=day&metric=spend`,
      );
      expect(series.series[0].points.map((p) => p.value)).toEqual(['0.00', '39.00', '4.00']);
      const attribution = await ok<Array<Record<string, unknown>>>(
        `/api/analytics/attribution?subAccountId=${sub}&from=2020-04-01&to=2020-04-03&model=first`,
      );
      expect(attribution.find((r) => r.campaignId === 'g1')).toEqual(expect.objectContaining({ spend: '30.00' }));
    });

    it.each(['overview', 'timeseries', 'attribution'])(
      '%s: a token for another sub-account is refused (403) and reveals nothing',
      async (what) => {
        const query =
          what === 'timeseries' ? 'granularity=day&metric=spend' : what === 'attribution' ? 'model=last' : '';
        const res = await get(
          `/api/analytics/${what}?subAccountId=${sub}&from=2020-04-01&to=2020-04-03&${query}`,
          otherAdmin,
        );
        expect(res.status).toBe(403);
        expect(JSON.stringify(res.body)).not.toContain('30.00');
      },
    );
  });

  describe('sourceTracking.cost', () => {
    const cost = async (id: string): Promise<unknown> =>
      (await ok<{ sourceTracking: { cost: unknown } }>(`/api/leads/${id}`)).sourceTracking.cost;

    async function rebuild(s: number): Promise<void> {
      const res = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', `Bearer ${t.token('ADMIN', [s])}`)
        .send({ subAccountId: s, from: '2020-08-01', to: '2020-08-31' });
      expect(res.status).toBe(202);
      await waitForJob(t.sql, res.body.jobId, 'the rebuild');
    }

    it("is the campaign's spend that day split over its leads that day (summing back to the spend), null before", async () => {
      const at = ['2020-08-04T09:00:00Z', '2020-08-04T15:00:00Z', '2020-08-04T20:00:00Z'];
      const ids: string[] = [];
      for (const a of at)
        ids.push(await lead(sub, { platform: 'google-ads', integrationId: 7601, campaign: 'c-st', at: a }));
      // the same campaign id in the other tenant, with its own spend and lead that day
      const foreign = await lead(other, { platform: 'google-ads', integrationId: 7602, campaign: 'c-st', at: at[0] });
      expect(await cost(ids[0])).toBeNull();

      await spend(sub, [7601, 'google-ads', '2020-08-04', 'c-st', '10.00']);
      await spend(other, [7602, 'google-ads', '2020-08-04', 'c-st', '500.00']);
      await rebuild(sub);
      const costs = await Promise.all(ids.map(cost));
      expect(costs).toEqual([3.34, 3.33, 3.33]);
      // the other tenant's touch is not filled by this tenant's rebuild, nor counted in its split
      const foreignCost = await t.sql.query<{ cost: string | null }>(
        'SELECT cost::text AS cost FROM lead_sources WHERE lead_id = $1::bigint',
        [foreign],
      );
      expect(foreignCost.rows).toEqual([{ cost: null }]);
      await rebuild(other);
      const res = await get(`/api/leads/${foreign}`, otherAdmin);
      expect((res.body as { sourceTracking: { cost: unknown } }).sourceTracking.cost).toBe(500);

      // rebuilding again changes nothing (idempotent)
      await rebuild(sub);
      expect(await Promise.all(ids.map(cost))).toEqual([3.34, 3.33, 3.33]);
    });
  });
});
