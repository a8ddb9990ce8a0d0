// Audit 17 of API.md "Reports", black-box, as the CRM frontend, an attacker and a flaky SMTP server:
// - a schedule's recipients are mailed as they were accepted: o'brien@example.com was stored and then
//   refused by the mailer at every send, so nobody on the list got the period's e-mail; addresses the
//   mailer can never send to (a@b.c, …@example.123, 65 characters before the @) are refused when saved;
// - a delivery retried after an SMTP failure goes only to the recipients the schedule still lists, and
//   to nobody once the schedule is removed (a removed address got the period's leads hours later);
// - a template named "Łódź – Straße Ærø" gives a file name with its letters, not "odz-strae-r";
// - a failed report's `error` no longer shows the database's words (tables, SQL) to the CRM: an error
//   id that is in the log;
// - a generate request that narrows a long template's period is taken as the template's own period is.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReportSchedule } from '../../src/modules/reports/schedule/report-schedule';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { nextOccurrence } from '../../src/modules/reports/schedule/schedule-occurrences';
import { createSubAccount } from '../support/factories';
import { FakeSmtpServer } from '../support/fake-smtp';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const DAY = 24 * 3_600_000;
const CONFIG = { metrics: ['newLeads', 'convertedLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] };

describe('contract audit 17: reports', () => {
  let smtp: FakeSmtpServer;
  let storage: string;
  let t: TestApp;
  let sub: number;
  let admin: string;
  let refusing = false;

  beforeAll(async () => {
    // addresses of the late-delivery test are refused for a while (451: try again later)
    smtp = await FakeSmtpServer.start({
      rejectRecipient: (address) => (refusing && address.endsWith('@late.example') ? 451 : undefined),
    });
    storage = mkdtempSync(join(tmpdir(), 'hub-audit-17-reports-'));
    t = await createTestApp({
      env: { REPORT_STORAGE_DIR: storage, SMTP_URL: smtp.url(), MAIL_FROM: 'Hub Reports <reports@hub.example.test>' },
    });
    sub = await createSubAccount(t, 'PRO', 'Audit 17 reports');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    await rm(storage, { recursive: true, force: true });
  });

  /** A local time half a day away, so the real per-minute cron never finds a period due during the test. */
  function farTime(): string {
    const local = new Date(Date.now() + DAY / 2);
    return `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
  }

  describe('schedule recipients', () => {
    it('mails an address with an apostrophe, and everyone else on the list, once the period is due', async () => {
      const time = farTime();
      const recipients = ["o'brien@example.com", 'boss@example.com'];
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          name: 'Daily to O’Brien',
          type: 'SOURCE',
          config: CONFIG,
          format: 'PDF',
          schedule: { frequency: 'DAILY', time, recipients },
        });
      expect(created.status).toBe(201);
      const templateId = created.body.id as number;
      const first = nextOccurrence(parseReportSchedule({ frequency: 'DAILY', time }, 'UTC'), new Date());
      expect(await t.app.get(ReportScheduler).runDue(first.fireAt)).toBe(1);

      // the delivery ends sent, or with the error of its first attempt
      const delivery = await waitFor(
        async () => {
          const { rows } = await t.sql.query<{ status: string; error: string | null }>(
            'SELECT status, error FROM report_deliveries WHERE template_id = $1',
            [templateId],
          );
          return rows[0] && (rows[0].status === 'sent' || rows[0].error !== null) ? rows[0] : undefined;
        },
        30_000,
        'the delivery',
      );
      expect(delivery).toEqual({ status: 'sent', error: null });
      const mails = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<report-${templateId}-`));
      expect(mails.map((m) => m.envelopeTo.sort())).toEqual([['boss@example.com', "o'brien@example.com"]]);
    });

    it('refuses, when saved, addresses the mailer can never send to instead of failing every e-mail later', async () => {
      const schedule = (recipients: string[]) => ({ frequency: 'DAILY', time: '07:30', recipients });
      const ok = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({ subAccountId: sub, name: 'Mailable', type: 'SOURCE', config: CONFIG, format: 'PDF' });
      expect(ok.status).toBe(201);
      for (const bad of ['boss@b.c', 'boss@example.123', `${'x'.repeat(65)}@example.com`]) {
        const create = await t.http
          .post('/api/report-templates')
          .set('authorization', admin)
          .send({
            subAccountId: sub,
            name: 'Unmailable',
            type: 'SOURCE',
            config: CONFIG,
            format: 'PDF',
            schedule: schedule(['boss@example.com', bad]),
          });
        expect([bad, create.status, create.body.code, create.body.details]).toEqual([
          bad,
          400,
          'VALIDATION_FAILED',
          [{ field: 'schedule.recipients.1', messages: [expect.stringContaining('e-mail address')] }],
        ]);
        const patch = await t.http
          .patch(`/api/report-templates/${ok.body.id as number}`)
          .set('authorization', admin)
          .send({ schedule: schedule([bad]) });
        expect([bad, patch.status, patch.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
      }
      const stored = await t.http.get(`/api/report-templates/${ok.body.id as number}`).set('authorization', admin);
      expect(stored.body.schedule).toBeNull();

      // a schedule stored before the check is left as it is: the template can still be renamed
      await t.sql.query('UPDATE report_templates SET schedule = $2 WHERE id = $1', [
        ok.body.id,
        JSON.stringify(schedule(['boss@b.c'])),
      ]);
      const rename = await t.http
        .patch(`/api/report-templates/${ok.body.id as number}`)
        .set('authorization', admin)
        .send({ name: 'Renamed' });
      expect([rename.status, rename.body.name]).toEqual([200, 'Renamed']);
    });
  });

  describe('a delivery sent late', () => {
    it('goes only to the recipients the schedule still lists, and to nobody once the schedule is removed', async () => {
      const time = farTime();
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          name: 'Late daily',
          type: 'SOURCE',
          config: CONFIG,
          format: 'EXCEL',
          schedule: { frequency: 'DAILY', time, recipients: ['boss@late.example', 'leaver@late.example'] },
        });
      expect(created.status).toBe(201);
      const templateId = created.body.id as number;
      const first = nextOccurrence(parseReportSchedule({ frequency: 'DAILY', time }, 'UTC'), new Date());
      refusing = true;
      let deliveryId: string;
      try {
        // at least this one: the 07:30 UTC schedule the test above stored is due too when this file runs
        // between 19:30 and 07:30 UTC (its period then falls before this one's fire instant)
        expect(await t.app.get(ReportScheduler).runDue(first.fireAt)).toBeGreaterThanOrEqual(1);
        // the first attempt fails for a while (the SMTP server says try later): the job retries later
        ({ id: deliveryId } = await waitFor(
          async () => {
            const { rows } = await t.sql.query<{ id: string; status: string; error: string | null }>(
              'SELECT id::text, status, error FROM report_deliveries WHERE template_id = $1',
              [templateId],
            );
            return rows[0]?.status === 'pending' && rows[0].error !== null ? rows[0] : undefined;
          },
          30_000,
          'a failed first attempt',
        ));
      } finally {
        refusing = false;
      }
      // meanwhile one recipient is taken off the list
      const patch = await t.http
        .patch(`/api/report-templates/${templateId}`)
        .set('authorization', admin)
        .send({ schedule: { frequency: 'DAILY', time, recipients: ['boss@late.example'] } });
      expect(patch.status).toBe(200);
      await t.app.get(ReportScheduler).deliver({ deliveryId: BigInt(deliveryId) });
      const mails = () => smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<report-${templateId}-`));
      expect(mails().map((m) => m.envelopeTo)).toEqual([['boss@late.example']]);

      // the next period fails the same way, and the schedule is removed before the retry: not sent
      refusing = true;
      try {
        // (the other tests' schedules are due too)
        await t.app.get(ReportScheduler).runDue(new Date(first.fireAt.getTime() + DAY));
        ({ id: deliveryId } = await waitFor(
          async () => {
            const { rows } = await t.sql.query<{ id: string; status: string; error: string | null }>(
              `SELECT id::text, status, error FROM report_deliveries WHERE template_id = $1 AND status <> 'sent'`,
              [templateId],
            );
            return rows[0]?.status === 'pending' && rows[0].error !== null ? rows[0] : undefined;
          },
          30_000,
          'a failed first attempt',
        ));
      } finally {
        refusing = false;
      }
      const removed = await t.http
        .patch(`/api/report-templates/${templateId}`)
        .set('authorization', admin)
        .send({ schedule: null });
      expect(removed.status).toBe(200);
      await t.app.get(ReportScheduler).deliver({ deliveryId: BigInt(deliveryId) });
      expect(mails()).toHaveLength(1);
      const { rows } = await t.sql.query<{ status: string }>('SELECT status FROM report_deliveries WHERE id = $1', [
        deliveryId,
      ]);
      expect(rows).toEqual([{ status: 'failed' }]);
    });
  });

  describe('file names', () => {
    it('keep the Latin letters of a template name that have no accent to strip (Ł, ß, Æ, ø)', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          name: 'Łódź – Straße Ærø',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: { from: '2024-03-01', to: '2024-03-01' } },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const templateId = created.body.id as number;
      const queued = await t.http
        .post(`/api/report-templates/${templateId}/generate`)
        .set('authorization', admin)
        .send({});
      expect(queued.status).toBe(202);
      const report = await waitFor(
        async () => {
          const list = await t.http.get(`/api/reports?templateId=${templateId}`).set('authorization', admin);
          const [row] = list.body.items as { id: string; status: string; fileName: string }[];
          return row?.status === 'ready' || row?.status === 'failed' ? row : undefined;
        },
        30_000,
        'the report',
      );
      expect(report).toMatchObject({ status: 'ready', fileName: 'lodz-strasse-aero_2024-03-01.pdf' });
      const file = await t.http.get(`/api/reports/${report.id}/download`).set('authorization', admin);
      expect(file.status).toBe(200);
      expect(file.headers['content-disposition']).toBe(
        `attachment; filename="lodz-strasse-aero_2024-03-01.pdf"; filename*=UTF-8''lodz-strasse-aero_2024-03-01.pdf`,
      );
    });
  });

  describe('a failed report', () => {
    it("says it failed without the database's or the file system's words, which stay in the log under the error id it shows", async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          name: 'Spend',
          type: 'ROI',
          config: { metrics: ['newLeads', 'spend'], dateRange: { from: '2024-03-01', to: '2024-03-01' } },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const templateId = created.body.id as number;
      // the database refuses the generation's rollup query (as a dropped connection or a timeout would)
      await t.sql.query('ALTER TABLE analytics_daily RENAME TO analytics_daily_audit_17');
      let report: { status: string; error: string | null };
      try {
        const queued = await t.http
          .post(`/api/report-templates/${templateId}/generate`)
          .set('authorization', admin)
          .send({});
        expect(queued.status).toBe(202);
        report = await waitFor(
          async () => {
            const list = await t.http.get(`/api/reports?templateId=${templateId}`).set('authorization', admin);
            const [row] = list.body.items as { status: string; error: string | null }[];
            return row?.status === 'failed' || row?.status === 'ready' ? row : undefined;
          },
          30_000,
          'the report',
        );
      } finally {
        await t.sql.query('ALTER TABLE analytics_daily_audit_17 RENAME TO analytics_daily');
      }
      expect(report.status).toBe('failed');
      expect(report.error).not.toMatch(/analytics_daily|relation|prisma|42P01|SELECT/i);
      const errorId = /errorId ([0-9a-f-]{36})/.exec(report.error ?? '')?.[1];
      expect([report.error, errorId]).toEqual([report.error, expect.any(String)]);
      expect(t.logs()).toContain(errorId);
    });
  });

  describe('generate with from/to', () => {
    it('narrows a long template period as the template itself may span (up to 3,660 days)', async () => {
      const created = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          name: 'Ten years',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], dateRange: { from: '2015-01-01', to: '2024-12-31' } },
          format: 'PDF',
        });
      expect(created.status).toBe(201);
      const generate = (body: object) =>
        t.http
          .post(`/api/report-templates/${created.body.id as number}/generate`)
          .set('authorization', admin)
          .send(body);
      // the template's whole period is generated…
      expect((await generate({})).status).toBe(202);
      // …and so is a shorter part of it
      for (const body of [{ to: '2023-12-31' }, { from: '2016-01-01' }, { from: '2015-06-01', to: '2024-05-31' }]) {
        const res = await generate(body);
        expect([body, res.status, res.body]).toEqual([body, 202, { reportId: expect.stringMatching(/^\d+$/) }]);
      }
      // longer than any template may be: refused, naming the field
      const tooLong = await generate({ from: '2014-12-01' });
      expect([tooLong.status, tooLong.body.code, tooLong.body.details]).toEqual([
        400,
        'VALIDATION_FAILED',
        [{ field: 'to', messages: ['must be at most 3660 days after from'] }],
      ]);
    });
  });
});
