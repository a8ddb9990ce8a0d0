// Audit 7 of API.md "Analytics" and "Reports", black-box, on hand-computed figures the earlier audits
// leave unasked: the funnel's default stages are the sub-account's funnelStages; a lead that skipped a
// stage or went back counts up to the furthest it reached; the 25-hour day when Sao Paulo's DST ended
// (two local 23:00 hours); week and month buckets at a local Sunday/month end; compare=previous on
// a period holding leads; the byStatus stock ignores changes after the range; team figures from
// PATCH /api/leads/:id and POST /api/leads/:id/activities over an instant range; report files checked
// by their magic bytes; tenant and validation answers of the routes' own parameters.
import { createSubAccount } from '../support/factories';
import { seedLeads } from '../support/report-fixtures';
import { TestApp } from '../support/test-app';
import { waitForJob } from '../support/webhooks';
import { Analytics7, startAnalytics7, analytics7Helpers, Json, Series } from '../support/contract-analytics-7-setup';

describe('contract audit 7: analytics and reports on hand-computed figures', () => {
  let w: Analytics7;
  let t: TestApp;
  let sp: number;
  let admin: string;
  let manager: string;
  let agent: string;
  // the overview section widens `admin` to its own sub-account too: get/ok default to the token as it is now
  const { ok, setStatus } = analytics7Helpers(() => ({ ...w, admin }));

  beforeAll(async () => {
    w = await startAnalytics7();
    ({ t, sp, admin, manager, agent } = w);
  });
  afterAll(() => w?.close());

  describe('funnel', () => {
    // 2019-06 (no DST in Sao Paulo any more): four leads on 2019-06-10 local
    const range = 'from=2019-06-10&to=2019-06-10';
    beforeAll(async () => {
      const [skip, lost, , back] = await seedLeads(t.sql, sp, [
        { at: '2019-06-10T12:00:00Z', name: 'F1', status: 'NEW', platform: 'meta', campaignId: 'f' },
        { at: '2019-06-10T12:01:00Z', name: 'F2', status: 'NEW', platform: 'meta', campaignId: 'f' },
        { at: '2019-06-10T12:02:00Z', name: 'F3', status: 'NEW', platform: 'meta', campaignId: 'f' },
        { at: '2019-06-10T12:03:00Z', name: 'F4', status: 'NEW', platform: 'meta', campaignId: 'f' },
      ]);
      await setStatus(skip, 'CONVERTED', '2019-06-10T13:00:00Z'); // NEW → CONVERTED, skipping two stages
      await setStatus(lost, 'QUALIFIED', '2019-06-10T13:00:00Z');
      await setStatus(lost, 'LOST', '2019-06-10T14:00:00Z'); // furthest: QUALIFIED
      await setStatus(back, 'CONVERTED', '2019-06-10T13:00:00Z');
      await setStatus(back, 'CONTACTED', '2019-06-10T14:00:00Z'); // went back: furthest stays CONVERTED
    });

    it('counts a lead at every stage up to the furthest it reached, skipped or undone stages included', async () => {
      const body = await ok(`/api/analytics/funnel?subAccountId=${sp}&${range}`);
      expect(body.stages).toEqual([
        { stage: 'NEW', count: 4, percentage: 1, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
        { stage: 'CONTACTED', count: 3, percentage: 0.75, fromPrevious: 0.75, dropOff: 1, dropOffRate: 0.25 },
        { stage: 'QUALIFIED', count: 3, percentage: 0.75, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
        { stage: 'CONVERTED', count: 2, percentage: 0.5, fromPrevious: 2 / 3, dropOff: 1, dropOffRate: 1 / 3 },
      ]);
    });

    it('takes its default stages from the sub-account’s funnelStages', async () => {
      const res = await t.http
        .patch(`/api/sub-accounts/${sp}`)
        .set('authorization', admin)
        .send({ funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'] });
      expect(res.status).toBe(200);
      try {
        const body = await ok(`/api/analytics/funnel?subAccountId=${sp}&${range}`);
        expect((body.stages as Json[]).map((s) => [s.stage, s.count])).toEqual([
          ['NEW', 4],
          ['QUALIFIED', 3],
          ['CONVERTED', 2],
        ]);
        // an explicit ?stages= still wins
        const explicit = await ok(`/api/analytics/funnel?subAccountId=${sp}&${range}&stages=NEW,CONVERTED`);
        expect((explicit.stages as Json[]).map((s) => [s.stage, s.count])).toEqual([
          ['NEW', 4],
          ['CONVERTED', 2],
        ]);
      } finally {
        await t.http
          .patch(`/api/sub-accounts/${sp}`)
          .set('authorization', admin)
          .send({ funnelStages: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'] })
          .expect(200);
      }
    });
  });

  describe('local calendar buckets', () => {
    beforeAll(async () => {
      await seedLeads(t.sql, sp, [
        // Sao Paulo's last DST end: 2019-02-17 00:00 -02 became 2019-02-16 23:00 -03 (a 25-hour day)
        { at: '2019-02-17T01:30:00Z', name: 'D1', status: 'NEW', platform: 'meta' }, // 16th, 23:30 -02
        { at: '2019-02-17T02:30:00Z', name: 'D2', status: 'NEW', platform: 'meta' }, // 16th, 23:30 -03
        { at: '2019-02-17T03:30:00Z', name: 'D3', status: 'NEW', platform: 'meta' }, // 17th, 00:30 -03
        // Sunday 2019-03-31 23:30 -03 (W13, March) and Monday 2019-04-01 00:30 -03 (W14, April)
        { at: '2019-04-01T02:30:00Z', name: 'W1', status: 'NEW', platform: 'meta' },
        { at: '2019-04-01T03:30:00Z', name: 'W2', status: 'NEW', platform: 'meta' },
      ]);
    });

    it('the 25-hour day at the DST end has two 23:00 hours, and its leads are on the local day', async () => {
      const hours = await ok(
        `/api/analytics/timeseries?subAccountId=${sp}&from=2019-02-16&to=2019-02-16&granularity=hour&metric=newLeads`,
      );
      const points = (hours.series as Series[])[0].points;
      expect(points).toHaveLength(25);
      expect(points.slice(-2)).toEqual([
        { bucket: '2019-02-16T23:00-02:00', value: 1 },
        { bucket: '2019-02-16T23:00-03:00', value: 1 },
      ]);
      const days = await ok(
        `/api/analytics/timeseries?subAccountId=${sp}&from=2019-02-16&to=2019-02-17&granularity=day&metric=newLeads`,
      );
      expect((days.series as Series[])[0].points).toEqual([
        { bucket: '2019-02-16', value: 2 },
        { bucket: '2019-02-17', value: 1 },
      ]);
      const overview = await ok(`/api/analytics/overview?subAccountId=${sp}&from=2019-02-16&to=2019-02-16`);
      expect((overview.totals as Json).newLeads).toBe(2);
    });

    it('weeks (ISO, Monday first) and months end at local midnight, not UTC midnight', async () => {
      const q = (g: string) =>
        ok(
          `/api/analytics/timeseries?subAccountId=${sp}&from=2019-03-25&to=2019-04-07&granularity=${g}&metric=newLeads`,
        );
      expect(((await q('week')).series as Series[])[0].points).toEqual([
        { bucket: '2019-W13', value: 1 },
        { bucket: '2019-W14', value: 1 },
      ]);
      expect(((await q('month')).series as Series[])[0].points).toEqual([
        { bucket: '2019-03', value: 1 },
        { bucket: '2019-04', value: 1 },
      ]);
      const snapshots = (await ok(
        `/api/analytics/snapshots?subAccountId=${sp}&from=2019-03-25&to=2019-04-07&period=WEEKLY`,
      )) as unknown as Array<{ date: string; metrics: Json }>;
      expect(snapshots.map((s) => [s.date, s.metrics.newLeads])).toEqual([
        ['2019-W13', 1],
        ['2019-W14', 1],
      ]);
    });
  });

  // a sub-account of its own, so that the stock (totalLeads, byStatus: every lead up to the range's end)
  // holds only these leads
  describe('overview', () => {
    let ov: number;
    beforeAll(async () => {
      ov = await createSubAccount(t, 'PRO', 'Audit7 overview');
      admin = `Bearer ${t.token('ADMIN', [sp, ov], 'u-admin')}`;
      await t.http
        .patch(`/api/sub-accounts/${ov}`)
        .set('authorization', admin)
        .send({ timezone: 'America/Sao_Paulo' })
        .expect(200);
      // 2020 is a leap year: the two days before 2020-03-01..02 are 2020-02-28..29
      const [, , p2, c1] = await seedLeads(t.sql, ov, [
        { at: '2020-02-27T15:00:00Z', name: 'P0', status: 'NEW', platform: 'meta' }, // before both periods
        { at: '2020-02-29T15:00:00Z', name: 'P1', status: 'NEW', platform: 'meta' },
        { at: '2020-03-01T02:59:00Z', name: 'P2', status: 'NEW', platform: 'meta' }, // Feb 29, 23:59 -03
        { at: '2020-03-01T03:00:00Z', name: 'C1', status: 'NEW', platform: 'meta' }, // Mar 1, 00:00 -03
      ]);
      const move = (id: string, to: string, at: string) =>
        t.sql.query(`SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, 'u-admin', 'api')`, [
          ov,
          id,
          to,
          at,
        ]);
      await move(p2, 'CONVERTED', '2020-03-01T12:00:00Z'); // converted in the current period
      await move(c1, 'CONTACTED', '2020-03-02T12:00:00Z');
      await move(c1, 'LOST', '2020-03-05T12:00:00Z'); // after the range: not in its stock
    });
    const overview = (query: string) => ok(`/api/analytics/overview?subAccountId=${ov}&${query}`);

    it('compare=previous: the same number of local days just before, with their own events', async () => {
      const body = await overview('from=2020-03-01&to=2020-03-02&compare=previous');
      // totalLeads is the stock at the range's end (as the snapshots' totalLeads); newLeads the events
      expect(body.totals).toEqual({ totalLeads: 4, newLeads: 1, convertedLeads: 1, lostLeads: 0, conversionRate: 1 });
      expect(body.previous).toEqual({
        totals: { totalLeads: 3, newLeads: 2, convertedLeads: 0, lostLeads: 0, conversionRate: 0 },
      });
    });

    it('byStatus is the stock at the end of the range, not today’s statuses', async () => {
      const body = await overview('from=2020-02-29&to=2020-03-02');
      expect(body.byStatus).toEqual({ NEW: 2, CONTACTED: 1, QUALIFIED: 0, CONVERTED: 1, LOST: 0 });
      const later = await overview('from=2020-02-29&to=2020-03-05');
      expect(later.byStatus).toEqual({ NEW: 2, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1, LOST: 1 });
      expect((later.totals as Json).lostLeads).toBe(1);
    });

    // an instant range is [from, to): `to` at the next local midnight is the same as the inclusive
    // local date before it (analytics.e2e-spec pins that equivalence for the funnel)
    it('ISO instants as from/to bound the range at those instants, `to` excluded', async () => {
      const range = (from: string, to: string) =>
        overview(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      const lastHour = await range('2020-02-29T23:00:00-03:00', '2020-03-01T00:00:00-03:00');
      expect((lastHour.totals as Json).newLeads).toBe(1); // P2 at 23:59; C1 at 00:00 is `to` itself
      const withC1 = await range('2020-02-29T23:00:00-03:00', '2020-03-01T00:00:01-03:00');
      expect((withC1.totals as Json).newLeads).toBe(2);
      const asDays = await overview('from=2020-02-29&to=2020-02-29');
      const asInstants = await range('2020-02-29T00:00:00-03:00', '2020-03-01T00:00:00-03:00');
      expect(asInstants.totals).toEqual(asDays.totals);
      expect((asDays.totals as Json).newLeads).toBe(2);
    });

    it('a rebuild over a range leaves the answers as they were', async () => {
      const paths = [
        `/api/analytics/overview?subAccountId=${ov}&from=2020-02-27&to=2020-03-05&compare=previous`,
        `/api/analytics/funnel?subAccountId=${ov}&from=2020-02-27&to=2020-03-05`,
        `/api/analytics/snapshots?subAccountId=${ov}&from=2020-02-27&to=2020-03-05&period=DAILY`,
      ];
      const before = await Promise.all(paths.map(async (p) => JSON.stringify(await ok(p))));
      const res = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: ov, from: '2020-02-28', to: '2020-03-02' });
      expect(res.status).toBe(202);
      await waitForJob(t.sql, res.body.jobId, 'the rebuild');
      expect(await Promise.all(paths.map(async (p) => JSON.stringify(await ok(p))))).toEqual(before);
    });
  });

  describe('team from the leads API', () => {
    it('counts PATCHed assignments and conversions and POSTed calls inside an instant range', async () => {
      const [id] = await seedLeads(t.sql, sp, [
        { at: '2021-01-01T12:00:00Z', name: 'T1', status: 'NEW', platform: 'meta' },
      ]);
      const start = new Date(Date.now() - 60_000).toISOString();
      const patch = (body: Json) => t.http.patch(`/api/leads/${id}`).set('authorization', agent).send(body);
      expect((await patch({ assignedUserId: 'bea', assignedUserName: 'Bea' })).status).toBe(200);
      expect((await patch({ status: 'CONTACTED' })).status).toBe(200);
      expect((await patch({ status: 'CONVERTED' })).status).toBe(200);
      const activity = (body: Json) =>
        t.http.post(`/api/leads/${id}/activities`).set('authorization', agent).send(body);
      for (const body of [
        { type: 'CALL', outcome: 'ANSWERED', userId: 'bea', userName: 'Bea', durationSeconds: 30 },
        { type: 'CALL', outcome: 'BUSY', userId: 'bea' },
        { type: 'EMAIL', userId: 'bea' }, // not a call
        { type: 'CALL', outcome: 'NO_ANSWER', userId: 'bea', occurredAt: '2020-01-01T00:00:00Z' }, // outside
        { type: 'CALL', outcome: 'ANSWERED', userId: 'cid', userName: 'Cid' }, // calls, no lead of his own
      ]) {
        const res = await activity(body);
        expect([body, res.status]).toEqual([body, 201]);
      }
      const end = new Date(Date.now() + 3_600_000).toISOString();
      const team = (await ok(
        `/api/analytics/team?subAccountId=${sp}&from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`,
        manager,
      )) as unknown as Json[];
      expect([...team].sort((a, b) => String(a.userId).localeCompare(String(b.userId)))).toEqual([
        {
          userId: 'bea',
          userName: 'Bea',
          leadsAssigned: 1,
          callsMade: 2,
          callsAnswered: 1,
          leadsConverted: 1,
          conversionRate: 1,
        },
        {
          userId: 'cid',
          userName: 'Cid',
          leadsAssigned: 0,
          callsMade: 1,
          callsAnswered: 1,
          leadsConverted: 0,
          conversionRate: 0,
        },
      ]);
      // the PATCHed conversion is an event of today's range, counted whatever the lead's creation day
      const overview = await ok(
        `/api/analytics/overview?subAccountId=${sp}&from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`,
      );
      expect(overview.totals).toMatchObject({ newLeads: 0, convertedLeads: 1 });
    });
  });
});
