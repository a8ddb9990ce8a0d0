// Part of the API.md analytics and reports audit 7 (header in contract-analytics-7-figures.e2e-spec.ts):
// scheduled mail across New York DST changes, and attribution and source ROI by hand.
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { createSubAccount } from '../support/factories';
import { FakeSmtpServer } from '../support/fake-smtp';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { Analytics7, startAnalytics7, analytics7Helpers, Json } from '../support/contract-analytics-7-setup';

describe('contract audit 7: analytics and reports on hand-computed figures', () => {
  let w: Analytics7;
  let t: TestApp;
  let smtp: FakeSmtpServer;
  const { ok } = analytics7Helpers(() => w);

  beforeAll(async () => {
    w = await startAnalytics7();
    ({ t, smtp } = w);
  });
  afterAll(() => w?.close());

  describe('scheduled mail across New York DST changes', () => {
    it('mails the day whose 02:30 does not exist and the day whose 01:30 happens twice, once each', async () => {
      const ny = await createSubAccount(t, 'PRO', 'Audit7 NY');
      const nyAdmin = `Bearer ${t.token('ADMIN', [ny], 'u-ny')}`;
      await t.http
        .patch(`/api/sub-accounts/${ny}`)
        .set('authorization', nyAdmin)
        .send({ timezone: 'America/New_York' })
        .expect(200);
      const scheduled = async (name: string, time: string, since: string): Promise<number> => {
        const res = await t.http
          .post('/api/report-templates')
          .set('authorization', nyAdmin)
          .send({
            subAccountId: ny,
            name,
            type: 'SOURCE',
            config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
            format: 'PDF',
            schedule: { frequency: 'DAILY', time, recipients: ['boss@example.com'] },
          });
        expect(res.status).toBe(201);
        // as if the schedule had been set up just before the DST change
        await t.sql.query('UPDATE report_templates SET schedule_since = $2 WHERE id = $1', [res.body.id, since]);
        return res.body.id as number;
      };
      const scheduler = t.app.get(ReportScheduler);
      const fires = async (instants: string[]): Promise<number[]> => {
        const out: number[] = [];
        for (const at of instants) out.push(await scheduler.runDue(new Date(at)));
        return out;
      };

      // 2025-03-09: 02:00 EST became 03:00 EDT; 02:30 on the 8th is 07:30Z, on the 9th it fires at 03:30 EDT
      const spring = await scheduled('Spring', '02:30', '2025-03-08T00:00:00Z');
      expect(
        await fires([
          '2025-03-08T07:30:00Z',
          '2025-03-09T07:29:00Z',
          '2025-03-09T07:30:00Z',
          '2025-03-09T07:30:00Z',
          '2025-03-09T12:00:00Z',
        ]),
      ).toEqual([1, 0, 1, 0, 0]);
      await t.sql.query('UPDATE report_templates SET is_active = false WHERE id = $1', [spring]);

      // 2025-11-02: 01:30 EDT (05:30Z) and, an hour later, 01:30 EST (06:30Z); the 3rd's 01:30 EST is 06:30Z
      const fall = await scheduled('Fall', '01:30', '2025-11-02T00:00:00Z');
      expect(
        await fires(['2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z', '2025-11-03T06:29:00Z', '2025-11-03T06:30:00Z']),
      ).toEqual([1, 0, 0, 1]);

      const keys = async (id: number): Promise<string[]> => {
        const rows = await t.sql.query<{ period_key: string; status: string }>(
          'SELECT period_key, status FROM report_deliveries WHERE template_id = $1 ORDER BY period_key',
          [id],
        );
        return rows.rows.filter((r) => r.status === 'sent').map((r) => r.period_key);
      };
      await waitFor(async () => (await keys(spring)).length + (await keys(fall)).length === 4, 60_000, 'the mails');
      // a fire on local day D mails the day it completes, D - 1
      expect([await keys(spring), await keys(fall)]).toEqual([
        ['2025-03-07', '2025-03-08'],
        ['2025-11-01', '2025-11-02'],
      ]);
      expect(smtp.messages.map((m) => m.parsed.subject).sort()).toEqual([
        'Report: Fall (2025-11-01: 2025-11-01)',
        'Report: Fall (2025-11-02: 2025-11-02)',
        'Report: Spring (2025-03-07: 2025-03-07)',
        'Report: Spring (2025-03-08: 2025-03-08)',
      ]);
    });
  });

  // three touches before a conversion, on a sub-account of its own: each model's share by hand
  describe('attribution and source ROI by hand', () => {
    let roi: number;
    let roiAdmin: string;
    beforeAll(async () => {
      roi = await createSubAccount(t, 'PRO', 'Audit7 ROI');
      roiAdmin = `Bearer ${t.token('ADMIN', [roi], 'u-roi')}`;
      const [path] = await seedLeads(t.sql, roi, [
        { at: '2022-05-02T12:00:00Z', name: 'R1', status: 'NEW', platform: 'meta', campaignId: 'c1' },
        { at: '2022-05-02T13:00:00Z', name: 'R2', status: 'NEW', platform: 'meta', campaignId: 'c1' },
        { at: '2022-05-02T14:00:00Z', name: 'R3', status: 'NEW', platform: 'meta', campaignId: 'c1' },
      ]);
      await t.sql.query(
        `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, submitted_at)
         VALUES ($1::bigint, $2, 'google-ads', 'g-x', 'event:g-x', 'g1', '2022-05-03T12:00:00Z'),
                ($1::bigint, $2, 'meta', 'm-x', 'event:m-x', 'c2', '2022-05-04T12:00:00Z')`,
        [path, roi],
      );
      await t.sql.query(
        `SELECT lead_set_status($1, $2::bigint, 'CONVERTED'::"LeadStatus", '2022-05-05T12:00:00Z'::timestamptz, 'u-roi', 'api')`,
        [roi, path],
      );
      await seedSpend(t.sql, roi, [{ day: '2022-05-02', campaignId: 'c1', spend: '10.0000', currency: 'USD' }]);
    });
    const range = 'from=2022-05-01&to=2022-05-07';

    it('first, last, linear and position models split one conversion over c1, g1, c2', async () => {
      const shares: Record<string, Record<string, number>> = {};
      for (const model of ['first', 'last', 'linear', 'position']) {
        const rows = (await ok(
          `/api/analytics/attribution?subAccountId=${roi}&${range}&model=${model}`,
          roiAdmin,
        )) as unknown as Json[];
        shares[model] = Object.fromEntries(rows.map((r) => [String(r.campaignId), Number(r.conversions)]));
      }
      // a campaign with neither a share nor spend has no row: read as 0
      const close = (m: Record<string, number>) =>
        Object.fromEntries(['c1', 'g1', 'c2'].map((k) => [k, Math.round((m[k] ?? 0) * 1e6) / 1e6]));
      expect(close(shares.first)).toEqual({ c1: 1, g1: 0, c2: 0 });
      expect(close(shares.last)).toEqual({ c1: 0, g1: 0, c2: 1 });
      // fractional conversions are given to 4 places
      expect(close(shares.linear)).toEqual({ c1: 0.3333, g1: 0.3333, c2: 0.3333 });
      // position (U-shaped): 40 % to the first and the last touch, the 20 % left to those between
      expect(close(shares.position)).toEqual({ c1: 0.4, g1: 0.2, c2: 0.4 });
      const timeDecay = (await ok(
        `/api/analytics/attribution?subAccountId=${roi}&${range}&model=time-decay`,
        roiAdmin,
      )) as unknown as Json[];
      const decay = Object.fromEntries(timeDecay.map((r) => [String(r.campaignId), Number(r.conversions)]));
      // the most recent touch weighs most, and the shares make one conversion
      expect(decay.c2).toBeGreaterThan(decay.g1);
      expect(decay.g1).toBeGreaterThan(decay.c1);
      expect(decay.c1 + decay.g1 + decay.c2).toBeCloseTo(1, 3);
    });

    it('bySource: 10.00 USD over three meta leads is 3.33 a lead; the conversion rate and cost per conversion', async () => {
      const body = await ok(`/api/analytics/overview?subAccountId=${roi}&${range}`, roiAdmin);
      expect(body.bySource).toEqual([
        {
          platform: 'meta',
          integrationId: null,
          leads: 3,
          converted: 1,
          conversionRate: 1 / 3,
          spend: '10.00',
          costPerLead: '3.33',
          costPerConversion: '10.00',
          currency: 'USD',
        },
      ]);
    });
  });
});
