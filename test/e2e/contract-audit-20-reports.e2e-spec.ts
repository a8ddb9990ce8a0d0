// Audit 20 of API.md "Reports" and "Analytics", black-box where the contract is seen over HTTP:
// - a scheduled e-mail whose retries ran out stayed `pending` with the first error, as if a retry
//   were still coming: the last attempt now leaves the delivery `failed` with its reason (failed
//   before the fix);
// - timeseries groupBy=status answered the same series whatever the metric: convertedLeads and
//   lostLeads are now the leads that entered CONVERTED or LOST, adding up to the ungrouped series
//   (failed before the fix); newLeads keeps every status entered (capture-facts pins it);
// - "once per period, never twice, never skipped across DST changes": daily schedules ticked every
//   ten minutes through a fall-back (01:30 happens twice) and a spring-forward (02:30 never
//   happens), a time-zone change mid-run and two schedulers firing the same minute (pins);
// - generate requests were unbounded: a script could queue any number of PDF/Excel generations for
//   one sub-account; past 25 requested reports queued or running it answers 429 RATE_LIMIT_EXCEEDED
//   with Retry-After (failed before the fix).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReportSchedule } from '../../src/modules/reports/schedule/report-schedule';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { nextOccurrence } from '../../src/modules/reports/schedule/schedule-occurrences';
import { createSubAccount } from '../support/factories';
import { FakeSmtpServer } from '../support/fake-smtp';
import { seedLeads } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const CONFIG = { metrics: ['newLeads', 'convertedLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] };
const MINUTE = 60_000;

interface Series {
  key: string;
  points: Array<{ bucket: string; value: number }>;
}

describe('contract audit 20: reports and analytics', () => {
  let smtp: FakeSmtpServer;
  let storage: string;
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    // every address at down.example is refused for now (451: try again later)
    smtp = await FakeSmtpServer.start({ rejectRecipient: (a) => (a.endsWith('@down.example') ? 451 : undefined) });
    storage = mkdtempSync(join(tmpdir(), 'hub-audit-20-reports-'));
    t = await createTestApp({
      env: { REPORT_STORAGE_DIR: storage, SMTP_URL: smtp.url(), MAIL_FROM: 'reports@hub.example.test' },
    });
    sub = await createSubAccount(t, 'PRO', 'Audit 20 reports');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    await rm(storage, { recursive: true, force: true });
  });

  async function scheduledTemplate(subAccountId: number, name: string, time: string, recipients: string[]) {
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', `Bearer ${t.token('ADMIN', [subAccountId])}`)
      .send({
        subAccountId,
        name,
        type: 'SOURCE',
        config: CONFIG,
        format: 'PDF',
        schedule: { frequency: 'DAILY', time, recipients },
      });
    expect(created.status).toBe(201);
    return created.body.id as number;
  }

  /** Off the schedulers' list once its test is done: later ticks far ahead would catch it up. */
  async function unschedule(templateId: number): Promise<void> {
    await t.sql.query('UPDATE report_templates SET is_active = false WHERE id = $1', [templateId]);
  }

  async function deliveries(templateId: number) {
    const { rows } = await t.sql.query<{ key: string; status: string; error: string | null; start: Date; end: Date }>(
      `SELECT d.period_key AS key, d.status, d.error, r.period_start AS start, r.period_end AS end
       FROM report_deliveries d LEFT JOIN reports r ON r.id = d.report_id
       WHERE d.template_id = $1 ORDER BY d.period_key`,
      [templateId],
    );
    return rows;
  }

  describe('a delivery whose retries ran out', () => {
    it('ends failed with its reason instead of staying pending', async () => {
      // a time twelve hours away, so the real per-minute cron finds nothing due meanwhile
      const later = new Date(Date.now() + 12 * 60 * MINUTE);
      const time = `${String(later.getUTCHours()).padStart(2, '0')}:${String(later.getUTCMinutes()).padStart(2, '0')}`;
      const templateId = await scheduledTemplate(sub, 'Mailbox down', time, ['boss@down.example']);
      const scheduler = t.app.get(ReportScheduler);
      const first = nextOccurrence(parseReportSchedule({ frequency: 'DAILY', time }, 'UTC'), new Date());
      expect(await scheduler.runDue(first.fireAt)).toBe(1);
      const [{ id }] = (
        await t.sql.query<{ id: string }>('SELECT id::text AS id FROM report_deliveries WHERE template_id = $1', [
          templateId,
        ])
      ).rows;
      const job = async () =>
        (
          await t.sql.query<{ state: string; retry_count: number; retry_limit: number }>(
            `SELECT state, retry_count, retry_limit FROM pgboss.job
             WHERE name = 'report-delivery' AND data->>'deliveryId' = $1`,
            [id],
          )
        ).rows[0];

      // the first attempt fails transiently: pending with the error, and the queue retries later
      await waitFor(async () => ((await job())?.state === 'retry' ? true : undefined), 30_000, 'the first retry');
      expect(await deliveries(templateId)).toEqual([
        expect.objectContaining({ status: 'pending', error: expect.stringContaining('451') }),
      ]);

      // the queue's last attempt (pg-boss counts earlier runs in retry_count), brought forward
      await t.sql.query(
        `UPDATE pgboss.job SET retry_count = retry_limit - 1, start_after = now()
         WHERE name = 'report-delivery' AND data->>'deliveryId' = $1`,
        [id],
      );
      // the job ends (completed: the handler recorded the failure; failed on the old code, which did not)
      await waitFor(
        async () => (['completed', 'failed'].includes((await job())?.state ?? '') ? true : undefined),
        30_000,
        'the last attempt',
      );
      const [delivery] = await deliveries(templateId);
      expect(delivery.status).toBe('failed');
      expect(delivery.error).toMatch(/^Not sent after 9 attempts: .*451/);
      expect(smtp.messages.filter((m) => m.envelopeTo.includes('boss@down.example'))).toEqual([]);

      // a later fire of the scheduler leaves the period alone: nothing is mailed twice or retried
      expect(await scheduler.runDue(first.fireAt)).toBe(0);
      await unschedule(templateId);
    });
  });

  describe('daily schedules across DST changes (America/New_York)', () => {
    /** Ticks the scheduler every half hour over [from, to), as the per-minute cron would (on the fire minutes). */
    async function tick(from: string, to: string, onTick?: (now: Date) => Promise<void>): Promise<void> {
      const scheduler = t.app.get(ReportScheduler);
      for (let at = Date.parse(from); at < Date.parse(to); at += 30 * MINUTE) {
        await onTick?.(new Date(at));
        await scheduler.runDue(new Date(at));
      }
    }

    async function zoneAccount(name: string, zone: string): Promise<number> {
      const id = await createSubAccount(t, 'PRO', name);
      await t.sql.query('UPDATE sub_accounts SET timezone = $2 WHERE id = $1', [id, zone]);
      return id;
    }

    it('fall-back: 01:30 happens twice on 2027-11-07 and the period is mailed once; the day has 25 hours', async () => {
      const ny = await zoneAccount('Audit 20 NY fall', 'America/New_York');
      const templateId = await scheduledTemplate(ny, 'Fall back', '01:30', ['boss@example.com']);
      // created "now" for the real cron; from the simulated start for the ticks (no year of catch-up)
      await t.sql.query('UPDATE report_templates SET schedule_since = $2 WHERE id = $1', [
        templateId,
        '2027-11-06T00:00:00Z',
      ]);
      await tick('2027-11-06T00:00:00Z', '2027-11-09T00:00:00Z');
      await unschedule(templateId);
      const rows = await deliveries(templateId);
      // 11-05 is the first fired after schedule_since (11-06 01:30 EDT); 11-06's fires in the doubled hour
      expect(rows.map((r) => r.key)).toEqual(['2027-11-05', '2027-11-06', '2027-11-07']);
      const fallDay = rows.find((r) => r.key === '2027-11-07');
      // local midnight EDT (-4) to local midnight EST (-5)
      expect([fallDay?.start.toISOString(), fallDay?.end.toISOString()]).toEqual([
        '2027-11-07T04:00:00.000Z',
        '2027-11-08T05:00:00.000Z',
      ]);
    });

    it('spring-forward: 02:30 never happens on 2027-03-14 and that day is still mailed; the day has 23 hours', async () => {
      const ny = await zoneAccount('Audit 20 NY spring', 'America/New_York');
      const templateId = await scheduledTemplate(ny, 'Spring forward', '02:30', ['boss@example.com']);
      await t.sql.query('UPDATE report_templates SET schedule_since = $2 WHERE id = $1', [
        templateId,
        '2027-03-13T00:00:00Z',
      ]);
      await tick('2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z');
      await unschedule(templateId);
      const rows = await deliveries(templateId);
      // 03-13's fires in the gap, at 03:30 EDT
      expect(rows.map((r) => r.key)).toEqual(['2027-03-12', '2027-03-13', '2027-03-14']);
      const springDay = rows.find((r) => r.key === '2027-03-14');
      expect([springDay?.start.toISOString(), springDay?.end.toISOString()]).toEqual([
        '2027-03-14T05:00:00.000Z',
        '2027-03-15T04:00:00.000Z',
      ]);
    });

    it('a time-zone change mid-run neither repeats nor skips a period', async () => {
      const acc = await zoneAccount('Audit 20 zone change', 'America/New_York');
      const templateId = await scheduledTemplate(acc, 'Zone change', '06:00', ['boss@example.com']);
      await t.sql.query('UPDATE report_templates SET schedule_since = $2 WHERE id = $1', [
        templateId,
        '2027-06-01T00:00:00Z',
      ]);
      // New York, then Tokyo (13 hours ahead) from 2027-06-03T12:00Z, then Honolulu (19 hours behind Tokyo)
      await tick('2027-06-01T00:00:00Z', '2027-06-08T00:00:00Z', async (now) => {
        const zone =
          now < new Date('2027-06-03T12:00:00Z')
            ? 'America/New_York'
            : now < new Date('2027-06-05T12:00:00Z')
              ? 'Asia/Tokyo'
              : 'Pacific/Honolulu';
        await t.sql.query('UPDATE sub_accounts SET timezone = $2 WHERE id = $1', [acc, zone]);
      });
      await unschedule(templateId);
      const keys = (await deliveries(templateId)).map((r) => r.key);
      const expected: string[] = [];
      for (
        let d = Date.parse(`${keys[0]}T00:00:00Z`);
        d <= Date.parse(`${keys[keys.length - 1]}T00:00:00Z`);
        d += 1440 * MINUTE
      )
        expected.push(new Date(d).toISOString().slice(0, 10));
      expect(keys).toEqual(expected); // consecutive local days, each once
      expect(keys[0]).toBe('2027-05-31');
      // Honolulu's 06:00 of 2027-06-07 is 16:00Z: its 06-06 has been mailed
      expect(keys[keys.length - 1]).toBe('2027-06-06');
    });

    it('two schedulers firing the same minute record the period once', async () => {
      const acc = await zoneAccount('Audit 20 two workers', 'Europe/Berlin');
      const templateId = await scheduledTemplate(acc, 'Two workers', '07:00', ['boss@example.com']);
      await t.sql.query('UPDATE report_templates SET schedule_since = $2 WHERE id = $1', [
        templateId,
        '2027-10-30T00:00:00Z',
      ]);
      const scheduler = t.app.get(ReportScheduler);
      // 2027-10-31 is Berlin's fall-back day; 07:00 CET on 11-01 is 06:00Z
      const now = new Date('2027-11-01T06:00:00Z');
      const created = await Promise.all([scheduler.runDue(now), scheduler.runDue(now), scheduler.runDue(now)]);
      await unschedule(templateId);
      expect(created.reduce((a, b) => a + b, 0)).toBe(3);
      // the first due after schedule_since (10-30 07:00 CEST) covers 10-29
      expect((await deliveries(templateId)).map((r) => r.key)).toEqual(['2027-10-29', '2027-10-30', '2027-10-31']);
    });
  });

  describe('generate requests', () => {
    it('a sub-account with 25 requested reports queued or running is answered 429 until they are done', async () => {
      const acc = await createSubAccount(t, 'PRO', 'Audit 20 generate bound');
      const token = `Bearer ${t.token('ADMIN', [acc], 'u-flood')}`;
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', token)
        .send({ subAccountId: acc, name: 'Flood', type: 'SOURCE', config: CONFIG, format: 'EXCEL' });
      expect(created.status).toBe(201);
      const templateId = created.body.id as number;
      const pending = async (n: number, generatedBy: string, status: string, createdAt = new Date()) => {
        for (let i = 0; i < n; i += 1)
          await t.sql.query(
            `INSERT INTO reports (sub_account_id, template_id, status, file_type, file_name, period_start, period_end,
                                  timezone, generated_by, created_at)
             VALUES ($1, $2, $3::"ReportStatus", 'EXCEL', 'flood.xlsx', now() - interval '1 day', now(), 'UTC', $4, $5)`,
            [acc, templateId, status, generatedBy, createdAt],
          );
      };
      // what does not count: the schedule's own, finished ones, and requests whose job died hours ago
      await pending(30, 'schedule', 'queued');
      await pending(30, 'u-flood', 'ready');
      await pending(30, 'u-flood', 'running', new Date(Date.now() - 3 * 3_600_000));
      await pending(24, 'u-flood', 'queued');
      const generate = () =>
        t.http.post(`/api/report-templates/${templateId}/generate`).set('authorization', token).send({});
      const accepted = await generate();
      expect(accepted.status).toBe(202);
      // 25 now (if the worker has not finished the accepted one yet; hold it queued so it counts)
      await t.sql.query(`UPDATE reports SET status = 'queued' WHERE id = $1`, [accepted.body.reportId]);
      const refused = await generate();
      expect([refused.status, refused.headers['retry-after'], refused.body]).toEqual([
        429,
        '60',
        {
          statusCode: 429,
          code: 'RATE_LIMIT_EXCEEDED',
          details: [],
          message: expect.stringContaining('already queued or running') as unknown,
        },
      ]);
      // another sub-account's admin cannot generate from this template at all
      const other = await t.http
        .post(`/api/report-templates/${templateId}/generate`)
        .set('authorization', admin)
        .send({});
      expect(other.status).toBe(404);
      // one done: accepted again
      await t.sql.query(`UPDATE reports SET status = 'failed' WHERE id = $1`, [accepted.body.reportId]);
      expect((await generate()).status).toBe(202);
    });
  });

  describe('analytics on a fall-back day (America/New_York, 2021-11-07 has 25 hours)', () => {
    let acc: number;
    let token: string;
    const get = async (path: string): Promise<Record<string, unknown>> => {
      const res = await t.http.get(`/api/analytics/${path}&subAccountId=${acc}`).set('authorization', token);
      expect([path, res.status]).toEqual([path, 200]);
      return res.body as Record<string, unknown>;
    };
    const points = (body: Record<string, unknown>) =>
      (body.series as Series[]).find((s) => s.key === 'total')?.points ?? [];

    beforeAll(async () => {
      acc = await createSubAccount(t, 'PRO', 'Audit 20 fall-back figures');
      await t.sql.query(`UPDATE sub_accounts SET timezone = 'America/New_York' WHERE id = $1`, [acc]);
      token = `Bearer ${t.token('MANAGER', [acc])}`;
      await seedLeads(t.sql, acc, [
        { at: '2021-11-07T03:59:00Z', name: 'Saturday 23:59 EDT', status: 'NEW', platform: 'meta' },
        { at: '2021-11-07T04:30:00Z', name: 'Sunday 00:30 EDT', status: 'NEW', platform: 'meta' },
        { at: '2021-11-08T04:30:00Z', name: 'Sunday 23:30 EST', status: 'NEW', platform: 'meta' },
        { at: '2021-11-08T05:00:00Z', name: 'Monday 00:00 EST', status: 'NEW', platform: 'meta' },
      ]);
    });

    it('day buckets end at local midnights, and the day has 25 hour buckets', async () => {
      const days = await get('timeseries?from=2021-11-06&to=2021-11-08&granularity=day&metric=newLeads');
      expect(points(days).map((p) => p.value)).toEqual([1, 2, 1]);
      const hours = points(await get('timeseries?from=2021-11-07&to=2021-11-07&granularity=hour&metric=newLeads'));
      expect(hours).toHaveLength(25);
      expect(hours.reduce((sum, p) => sum + p.value, 0)).toBe(2);
      const overview = await get('overview?from=2021-11-07&to=2021-11-07');
      expect(overview).toMatchObject({ timezone: 'America/New_York', totals: { newLeads: 2 } });
    });

    it('ISO instants bound the range as given (to exclusive), whatever the zone', async () => {
      const overview = await get('overview?from=2021-11-07T04:00:00Z&to=2021-11-08T05:00:00Z');
      expect(overview).toMatchObject({ totals: { newLeads: 2 } });
      const offset = await get('overview?from=2021-11-07T00:00:00-04:00&to=2021-11-08T00:00:00.000000-05:00');
      expect(offset).toMatchObject({ totals: { newLeads: 2 } });
    });
  });

  describe('timeseries groupBy=status', () => {
    let acc: number;
    let token: string;
    const series = async (metric: string, groupBy?: string): Promise<Series[]> => {
      const res = await t.http
        .get(
          `/api/analytics/timeseries?subAccountId=${acc}&from=2021-07-01&to=2021-07-02&granularity=day&metric=${metric}` +
            (groupBy ? `&groupBy=${groupBy}` : ''),
        )
        .set('authorization', token);
      expect(res.status).toBe(200);
      return res.body.series as Series[];
    };
    const values = (list: Series[]) => Object.fromEntries(list.map((s) => [s.key, s.points.map((p) => p.value)]));

    beforeAll(async () => {
      acc = await createSubAccount(t, 'PRO', 'Audit 20 timeseries');
      token = `Bearer ${t.token('MANAGER', [acc])}`;
      await seedLeads(t.sql, acc, [
        {
          at: '2021-07-01T10:00:00Z',
          name: 'A',
          status: 'CONVERTED',
          statusAt: '2021-07-02T10:00:00Z',
          platform: 'meta',
        },
        { at: '2021-07-01T11:00:00Z', name: 'B', status: 'CONTACTED', platform: 'meta' },
        { at: '2021-07-02T09:00:00Z', name: 'C', status: 'LOST', platform: 'meta' },
        { at: '2021-07-02T12:00:00Z', name: 'D', status: 'NEW', platform: 'meta' },
      ]);
    });

    it('convertedLeads and lostLeads are the leads that entered CONVERTED or LOST, as ungrouped', async () => {
      expect(values(await series('convertedLeads'))).toEqual({ total: [0, 1] });
      expect(values(await series('convertedLeads', 'status'))).toEqual({ CONVERTED: [0, 1] });
      expect(values(await series('lostLeads'))).toEqual({ total: [0, 1] });
      expect(values(await series('lostLeads', 'status'))).toEqual({ LOST: [0, 1] });
    });

    it('newLeads grouped by status keeps every status entered', async () => {
      expect(values(await series('newLeads', 'status'))).toEqual({
        NEW: [2, 2],
        CONTACTED: [1, 0],
        CONVERTED: [0, 1],
        LOST: [0, 1],
      });
    });

    it('another sub-account’s manager is refused the figures', async () => {
      const stranger = `Bearer ${t.token('MANAGER', [sub])}`;
      for (const path of [
        `timeseries?subAccountId=${acc}&from=2021-07-01&to=2021-07-02&granularity=day&metric=newLeads&groupBy=status`,
        `funnel?subAccountId=${acc}&from=2021-07-01&to=2021-07-02`,
        `team?subAccountId=${acc}&from=2021-07-01&to=2021-07-02`,
        `overview?subAccountId=${acc}&from=2021-07-01&to=2021-07-02`,
      ]) {
        const res = await t.http.get(`/api/analytics/${path}`).set('authorization', stranger);
        expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      }
    });
  });
});
