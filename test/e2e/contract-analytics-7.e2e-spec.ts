// Audit 7 of API.md "Analytics" and "Reports", black-box, on hand-computed figures the earlier audits
// leave unasked: the funnel's default stages are the sub-account's funnelStages; a lead that skipped a
// stage or went back counts up to the furthest it reached; the 25-hour day when Sao Paulo's DST ended
// (two local 23:00 hours); week and month buckets at a local Sunday/month end; compare=previous on
// a period holding leads; the byStatus stock ignores changes after the range; team figures from
// PATCH /api/leads/:id and POST /api/leads/:id/activities over an instant range; report files checked
// by their magic bytes; tenant and validation answers of the routes' own parameters.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryBody } from '../support/binary-body';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { createSubAccount } from '../support/factories';
import { FakeSmtpServer } from '../support/fake-smtp';
import { seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

type Json = Record<string, unknown>;
interface Detail {
  field?: string;
  pointer?: string;
}
interface Series {
  key: string;
  points: Array<{ bucket: string; value: number }>;
}

describe('contract audit 7: analytics and reports on hand-computed figures', () => {
  let t: TestApp;
  let storage: string;
  let smtp: FakeSmtpServer;
  let sp: number; // America/Sao_Paulo
  let subB: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let adminB: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-contract-ar7-'));
    smtp = await FakeSmtpServer.start();
    t = await createTestApp({
      env: { REPORT_STORAGE_DIR: storage, SMTP_URL: smtp.url(), MAIL_FROM: 'Hub <reports@hub.example.test>' },
    });
    // the schedules below fire at chosen instants only: no per-minute cron on the wall clock
    const cron = await t.sql.query("DELETE FROM pgboss.schedule WHERE name = 'report-scheduler'");
    expect(cron.rowCount).toBe(1);
    sp = await createSubAccount(t, 'PRO', 'Audit7 SP');
    subB = await createSubAccount(t, 'PRO', 'Audit7 B');
    admin = `Bearer ${t.token('ADMIN', [sp], 'u-admin')}`;
    manager = `Bearer ${t.token('MANAGER', [sp], 'u-manager')}`;
    agent = `Bearer ${t.token('AGENT', [sp], 'u-agent')}`;
    adminB = `Bearer ${t.token('ADMIN', [subB], 'u-admin-b')}`;
    await t.http
      .patch(`/api/sub-accounts/${sp}`)
      .set('authorization', admin)
      .send({ timezone: 'America/Sao_Paulo' })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
    await rm(storage, { recursive: true, force: true });
  });

  const get = (path: string, auth = admin) => t.http.get(path).set('authorization', auth);
  const ok = async (path: string, auth = admin): Promise<Json> => {
    const res = await get(path, auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Json;
  };
  const names = (details: unknown): string[] =>
    Array.isArray(details) ? (details as Detail[]).map((d) => d.field ?? d.pointer ?? '') : [];
  const setStatus = (id: string, to: string, at: string): Promise<unknown> =>
    t.sql.query(`SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, 'u-admin', 'api')`, [
      sp,
      id,
      to,
      at,
    ]);

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
      await waitFor(
        async () =>
          (await t.sql.query("SELECT 1 FROM pgboss.job WHERE id = $1 AND state = 'completed'", [res.body.jobId]))
            .rowCount === 1,
        30_000,
        'the rebuild',
      );
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

  describe('validation and tenancy of the routes’ own parameters', () => {
    it('a bad date, subAccountId or rebuild body is a 400 naming the field', async () => {
      for (const [path, field] of [
        [`/api/analytics/overview?subAccountId=${sp}&from=2024-02-30`, 'from'],
        [`/api/analytics/overview?subAccountId=${sp}&to=yesterday`, 'to'],
        [`/api/analytics/funnel?subAccountId=abc`, 'subAccountId'],
        [`/api/analytics/team?from=2024-01-01&to=2024-01-02`, 'subAccountId'],
      ] as const) {
        const res = await get(path);
        expect([path, res.status, res.body.code, names(res.body.details)]).toEqual([
          path,
          400,
          'VALIDATION_FAILED',
          [field],
        ]);
      }
      for (const [body, field] of [
        [{}, 'subAccountId'],
        [{ subAccountId: sp, extra: 1 }, 'extra'],
        [{ subAccountId: sp, from: 'soon' }, 'from'],
      ] as const) {
        const res = await t.http.post('/api/analytics/rebuild').set('authorization', admin).send(body);
        expect([body, res.status, res.body.code, names(res.body.details).includes(field)]).toEqual([
          body,
          400,
          'VALIDATION_FAILED',
          true,
        ]);
      }
    });

    it('another sub-account’s template is a 404 on every route; naming its sub-account is a 403', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sp,
          name: 'Mine',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      for (const [method, path] of [
        ['get', `/api/report-templates/${id}`],
        ['patch', `/api/report-templates/${id}`],
        ['delete', `/api/report-templates/${id}`],
        ['post', `/api/report-templates/${id}/generate`],
      ] as const) {
        const res = await t.http[method](path)
          .set('authorization', adminB)
          .send(method === 'patch' ? { name: 'x' } : {});
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'NOT_FOUND']);
      }
      const post = await t.http
        .post('/api/report-templates')
        .set('authorization', adminB)
        .send({
          subAccountId: sp,
          name: 'Theirs',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect([post.status, post.body.code]).toEqual([403, 'FORBIDDEN']);
      for (const path of [`/api/report-templates?subAccountId=${sp}`, `/api/reports?subAccountId=${sp}`]) {
        const res = await get(path, adminB);
        expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      }
      expect((await get(`/api/report-templates/${id}`, agent)).status).toBe(403);
    });
  });

  describe('report files', () => {
    it('a PDF is a PDF and an Excel file an XLSX (zip) by their magic bytes, of the listed size', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', manager)
        .send({
          subAccountId: sp,
          name: 'Leap',
          type: 'CONVERSION',
          config: { metrics: ['newLeads', 'convertedLeads'], dateRange: { from: '2020-02-29', to: '2020-03-02' } },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      for (const [format, magic, type] of [
        ['PDF', '%PDF-', 'application/pdf'],
        ['EXCEL', 'PK\u0003\u0004', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ] as const) {
        const gen = await t.http
          .post(`/api/report-templates/${created.body.id as number}/generate`)
          .set('authorization', manager)
          .send({ format });
        expect(gen.status).toBe(202);
        const report = await waitFor(
          async () => {
            const list = await ok(`/api/reports?subAccountId=${sp}&pageSize=200`, manager);
            const r = (list.items as Json[]).find((x) => x.id === gen.body.reportId);
            return r && (r.status === 'ready' || r.status === 'failed') ? r : undefined;
          },
          30_000,
          'the report',
        );
        expect(report).toMatchObject({
          status: 'ready',
          fileType: format,
          periodStart: '2020-02-29T03:00:00.000Z',
          periodEnd: '2020-03-03T03:00:00.000Z',
        });
        const file = await t.http
          .get(`/api/reports/${report.id as string}/download`)
          .set('authorization', manager)
          .buffer(true)
          .parse(binaryBody);
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe(type);
        const body = file.body as Buffer;
        expect([format, body.subarray(0, magic.length).toString('latin1')]).toEqual([format, magic]);
        expect(body.length).toBe(report.bytes);
      }
    });
  });

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

  describe('reports: the generate body and template updates are validated', () => {
    it('refuses a bad generate body or template PATCH with 400 naming the field', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sp,
          name: 'Checked',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      for (const [body, field] of [
        [{ format: 'CSV' }, 'format'],
        [{ from: '2024-02-30' }, 'from'],
        [{ to: 'tomorrow' }, 'to'],
        [{ from: '2024-03-05', to: '2024-03-01' }, 'from'],
        [{ extra: true }, 'extra'],
      ] as const) {
        const res = await t.http.post(`/api/report-templates/${id}/generate`).set('authorization', admin).send(body);
        expect([body, res.status, res.body.code]).toEqual([body, 400, 'VALIDATION_FAILED']);
        expect([body, names(res.body.details).some((n) => n === field || n === 'to')]).toEqual([body, true]);
      }
      for (const [body, field] of [
        [{ extra: true }, 'extra'],
        [{ format: 'CSV' }, 'format'],
        [{ config: { metrics: ['newLeads'], dateRange: 'YESTERDAY' } }, '/config/dateRange'],
        [{ name: '' }, 'name'],
      ] as const) {
        const res = await t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send(body);
        expect([body, res.status, names(res.body.details).includes(field)]).toEqual([body, 400, true]);
      }
      const after = await get(`/api/report-templates/${id}`);
      expect(after.body).toMatchObject({ name: 'Checked', format: 'PDF', config: { dateRange: 'LAST_7_DAYS' } });
    });
  });
});
