// Audit 17 of API.md "Analytics", black-box, as the CRM's developer reading the contract, as another
// sub-account's admin, and on hand-computed figures.
// Failed before their fix:
// - the overview's bySource divided the spend already rounded to cents (1.005 USD over 2 leads cost
//   0.51 a lead, not 0.50), and attribution rounded the spend to 4 places before rounding it to cents
//   (1.00495 USD read 1.01): ad_costs keeps 6 decimals (Google Ads reports micros).
// - a campaign id holding a "|" (UTM names such as "brand | search") was split at its own "|":
//   timeseries groupBy=campaign merged "brand | search" and "generic | search" into one " search"
//   series, and attribution answered platform "meta|brand ", campaign " search", apart from its spend.
// - an ISO instant with more than 3 fractional digits (Python's isoformat writes 6, Go's RFC3339Nano 9)
//   was refused with 400 as "neither a date nor an ISO instant", where GET /api/leads takes it.
import { createSubAccount } from '../support/factories';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitForJob } from '../support/webhooks';

type Json = Record<string, unknown>;

describe('API.md contract audit 17: analytics', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  const ok = async (path: string, auth = admin): Promise<unknown> => {
    const res = await t.http.get(path).set('authorization', auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as unknown;
  };
  const setStatus = (id: string, to: string, at: string): Promise<unknown> =>
    t.sql.query(`SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, 'u-admin', 'api')`, [
      sub,
      id,
      to,
      at,
    ]);
  /** A further touch of a lead (a lead source), as a later ad form of another campaign brings it. */
  const touch = (leadId: string, campaignId: string, at: string): Promise<unknown> =>
    t.sql.query(
      `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, created_at)
       VALUES ($1, $2, 'meta', $3, $4, $5, $6)`,
      [leadId, sub, `ext-${leadId}-${campaignId}`, `audit17:${leadId}:${campaignId}`, campaignId, at],
    );

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Audit17 analytics');
    admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin')}`;
  });
  afterAll(() => t?.close());

  describe('attribution', () => {
    // March 2021 (UTC): two conversions, each after touches of three campaigns on three days
    const range = 'from=2021-03-01&to=2021-03-31';
    beforeAll(async () => {
      const [first, second] = await seedLeads(t.sql, sub, [
        { at: '2021-03-01T10:00:00Z', name: 'A1', status: 'NEW', platform: 'meta', campaignId: 'c1' },
        { at: '2021-03-02T10:00:00Z', name: 'A2', status: 'NEW', platform: 'meta', campaignId: 'c3' },
      ]);
      await touch(first, 'c2', '2021-03-02T10:00:00Z');
      await touch(first, 'c3', '2021-03-03T10:00:00Z');
      await touch(second, 'c1', '2021-03-04T10:00:00Z');
      await touch(second, 'c2', '2021-03-09T10:00:00Z');
      await setStatus(first, 'CONVERTED', '2021-03-05T10:00:00Z');
      await setStatus(second, 'CONVERTED', '2021-03-12T10:00:00Z');
    });

    it('model=linear: each campaign has its share of both conversions (2/3 each), to 4 decimals', async () => {
      const rows = (await ok(`/api/analytics/attribution?subAccountId=${sub}&${range}&model=linear`)) as Json[];
      // first: c1, c2, c3 a third each; second: c3, c1, c2 a third each → every campaign 2/3
      expect(rows.map((r) => [r.platform, r.campaignId, r.conversions])).toEqual([
        ['meta', 'c1', 0.6667],
        ['meta', 'c2', 0.6667],
        ['meta', 'c3', 0.6667],
      ]);
    });
  });
  describe('overview money', () => {
    // 2021-05-10 (UTC): two meta leads of campaign m1 (one converted) and 1.005 USD spent on it
    const range = 'from=2021-05-10&to=2021-05-10';
    beforeAll(async () => {
      const [won] = await seedLeads(t.sql, sub, [
        { at: '2021-05-10T09:00:00Z', name: 'M1', status: 'NEW', platform: 'meta', campaignId: 'm1' },
        { at: '2021-05-10T10:00:00Z', name: 'M2', status: 'NEW', platform: 'meta', campaignId: 'm1' },
      ]);
      await setStatus(won, 'CONVERTED', '2021-05-10T12:00:00Z');
      await seedSpend(t.sql, sub, [{ day: '2021-05-10', campaignId: 'm1', spend: '1.005', currency: 'USD' }]);
      // 2021-05-11: one converted lead of m2, 1.00495 USD spent (Google Ads reports micros)
      const [one] = await seedLeads(t.sql, sub, [
        { at: '2021-05-11T09:00:00Z', name: 'M3', status: 'NEW', platform: 'meta', campaignId: 'm2' },
      ]);
      await setStatus(one, 'CONVERTED', '2021-05-11T12:00:00Z');
      await seedSpend(t.sql, sub, [{ day: '2021-05-11', campaignId: 'm2', spend: '1.00495', currency: 'USD' }]);
    });

    it('bySource divides the exact spend, not the spend rounded to cents: 1.005 / 2 leads costs 0.50 a lead', async () => {
      const body = (await ok(`/api/analytics/overview?subAccountId=${sub}&${range}`)) as Json;
      expect(body.bySource).toEqual([
        {
          platform: 'meta',
          integrationId: null,
          leads: 2,
          converted: 1,
          conversionRate: 0.5,
          spend: '1.01',
          costPerLead: '0.50', // 0.5025, where 1.01 / 2 read 0.51
          costPerConversion: '1.01',
          currency: 'USD',
        },
      ]);
      // the attribution of the same campaign and day already divided the exact spend
      const attribution = (await ok(`/api/analytics/attribution?subAccountId=${sub}&${range}&model=last`)) as Json[];
      expect(attribution).toEqual([expect.objectContaining({ campaignId: 'm1', conversions: 1, spend: '1.01' })]);
    });

    it('attribution rounds the exact spend once: 1.00495 USD reads 1.00, not 1.0050 rounded again to 1.01', async () => {
      const day = 'from=2021-05-11&to=2021-05-11';
      const attribution = (await ok(`/api/analytics/attribution?subAccountId=${sub}&${day}&model=first`)) as Json[];
      expect(attribution).toEqual([
        {
          platform: 'meta',
          campaignId: 'm2',
          campaignName: null,
          conversions: 1,
          spend: '1.00',
          costPerConversion: '1.00',
          currency: 'USD',
        },
      ]);
      const overview = (await ok(`/api/analytics/overview?subAccountId=${sub}&${day}`)) as Json;
      expect(overview.bySource).toEqual([
        expect.objectContaining({ platform: 'meta', spend: '1.00', costPerLead: '1.00', costPerConversion: '1.00' }),
      ]);
    });
  });

  describe('campaign ids holding a "|"', () => {
    // July 2021 (UTC): two campaigns named as UTM campaigns often are, one lead each, both converted
    const range = 'from=2021-07-01&to=2021-07-31';
    beforeAll(async () => {
      const ids = await seedLeads(t.sql, sub, [
        { at: '2021-07-01T10:00:00Z', name: 'P1', status: 'NEW', platform: 'meta', campaignId: 'brand | search' },
        { at: '2021-07-01T11:00:00Z', name: 'P2', status: 'NEW', platform: 'meta', campaignId: 'generic | search' },
      ]);
      for (const id of ids) await setStatus(id, 'CONVERTED', '2021-07-02T10:00:00Z');
      await seedSpend(t.sql, sub, [
        { day: '2021-07-01', campaignId: 'brand | search', spend: '3.00', currency: 'USD' },
      ]);
    });

    it('timeseries groupBy=campaign keeps them apart, keyed by their whole ids', async () => {
      const body = (await ok(
        `/api/analytics/timeseries?subAccountId=${sub}&${range}&groupBy=campaign&granularity=month`,
      )) as Json;
      expect(body.series).toEqual([
        { key: 'brand | search', points: [{ bucket: '2021-07', value: 1 }] },
        { key: 'generic | search', points: [{ bucket: '2021-07', value: 1 }] },
      ]);
    });

    it('attribution credits each campaign on its platform, beside its own spend', async () => {
      const rows = (await ok(`/api/analytics/attribution?subAccountId=${sub}&${range}&model=last`)) as Json[];
      expect(rows).toEqual([
        {
          platform: 'meta',
          campaignId: 'brand | search',
          campaignName: null,
          conversions: 1,
          spend: '3.00',
          costPerConversion: '3.00',
          currency: 'USD',
        },
        {
          platform: 'meta',
          campaignId: 'generic | search',
          campaignName: null,
          conversions: 1,
          spend: null,
          costPerConversion: null,
          currency: null,
        },
      ]);
    });
  });

  describe('ISO instants as from/to', () => {
    beforeAll(async () => {
      await seedLeads(t.sql, sub, [
        { at: '2021-08-10T09:00:00Z', name: 'I1', status: 'NEW', platform: 'meta' },
        { at: '2021-08-10T10:00:00Z', name: 'I2', status: 'NEW', platform: 'meta' },
      ]);
    });

    it('take the fractional seconds other clients write (Python 6 digits, Go 9), as the leads list does', async () => {
      const expected = await ok(
        `/api/analytics/overview?subAccountId=${sub}&from=2021-08-10T08:59:59.999Z&to=2021-08-10T10:00:00.001Z`,
      );
      expect((expected as Json).totals).toEqual(expect.objectContaining({ newLeads: 2 }));
      for (const [from, to] of [
        ['2021-08-10T08:59:59.999000Z', '2021-08-10T10:00:00.001000Z'],
        ['2021-08-10T11:59:59.999999999%2B03:00', '2021-08-10T13:00:00.001000000%2B03:00'],
      ]) {
        expect(await ok(`/api/analytics/overview?subAccountId=${sub}&from=${from}&to=${to}`)).toEqual(expected);
      }
      const leads = await t.http
        .get(
          `/api/leads?subAccountId=${sub}&createdFrom=2021-08-10T08:59:59.999000Z&createdTo=2021-08-10T10:00:00.001000Z`,
        )
        .set('authorization', admin);
      expect([leads.status, leads.body.total]).toEqual([200, 2]);
      const rebuild = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2021-08-10T00:00:00.000000Z', to: '2021-08-11T00:00:00.000000Z' });
      expect(rebuild.status).toBe(202);
      await waitForJob(t.sql, rebuild.body.jobId, 'the rebuild');
      expect(await ok(`/api/analytics/overview?subAccountId=${sub}&from=2021-08-10&to=2021-08-10`)).toEqual(
        expect.objectContaining({ totals: expect.objectContaining({ newLeads: 2 }) }),
      );
    });
  });

  it('an end given alone keeps the default 30 days, ending there (counted back from today it was upside down: 400 naming from)', async () => {
    // the "ISO instants" leads of 2021-08-10 are inside the 30 local days that end on 2021-08-31
    for (const route of ['overview', 'funnel', 'team']) {
      await ok(`/api/analytics/${route}?subAccountId=${sub}&to=2021-08-31`);
    }
    const overview = (await ok(`/api/analytics/overview?subAccountId=${sub}&to=2021-08-31`)) as Json;
    expect(overview.totals).toEqual(
      ((await ok(`/api/analytics/overview?subAccountId=${sub}&from=2021-08-02&to=2021-08-31`)) as Json).totals,
    );
    expect(overview.totals).toEqual(expect.objectContaining({ newLeads: 2 }));
  });
});
