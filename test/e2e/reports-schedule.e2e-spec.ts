// Scheduled reports mailed exactly once per period (API.md "Reports", issue 13 point 7): a real SMTP
// server on 127.0.0.1 (smtp-server) counts the messages while the scheduler fires twice for one
// period, concurrently and again after a restart on the same database, and then catches up after
// downtime without skipping a period. Fire instants are computed from the schedule, not waited for.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReportSchedule } from '../../src/modules/reports/schedule/report-schedule';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { nextOccurrence, nextPeriodKey } from '../../src/modules/reports/schedule/schedule-occurrences';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createSubAccount } from '../support/factories';
import { FakeSmtpServer } from '../support/fake-smtp';
import { seedLeads } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const DAY = 24 * 3_600_000;

describe('scheduled reports', () => {
  let db: TestDatabase;
  let smtp: FakeSmtpServer;
  let storage: string;
  let t: TestApp;

  const start = (): Promise<TestApp> =>
    createTestApp({
      db,
      env: { REPORT_STORAGE_DIR: storage, SMTP_URL: smtp.url(), MAIL_FROM: 'Hub Reports <reports@hub.example.test>' },
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await FakeSmtpServer.start();
    storage = mkdtempSync(join(tmpdir(), 'hub-report-mail-'));
    t = await start();
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
    await smtp.stop();
    await rm(storage, { recursive: true, force: true });
  });

  async function deliveries(templateId: number): Promise<{ period_key: string; status: string; attempts: number }[]> {
    const res = await t.sql.query<{ period_key: string; status: string; attempts: number }>(
      'SELECT period_key, status, attempts FROM report_deliveries WHERE template_id = $1 ORDER BY period_key',
      [templateId],
    );
    return res.rows;
  }

  async function allSent(templateId: number, count: number): Promise<void> {
    await waitFor(
      async () => {
        const rows = await deliveries(templateId);
        return rows.length === count && rows.every((r) => r.status === 'sent');
      },
      60_000,
      `${count} deliveries sent`,
    );
  }

  it('mails each period once: double fire, restart, then a catch-up that skips nothing', async () => {
    const sub = await createSubAccount(t, 'PRO', 'Scheduled');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    await seedLeads(t.sql, sub, [{ at: new Date().toISOString(), name: 'Ana Souza', status: 'NEW', platform: 'meta' }]);
    // a local time half a day away, so the real per-minute cron never finds a period due during the test
    const local = new Date(Date.now() + DAY / 2);
    const time = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        name: 'Daily leads',
        type: 'SOURCE',
        config: { metrics: ['newLeads', 'convertedLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['bar'] },
        format: 'PDF',
        schedule: { frequency: 'DAILY', time, recipients: ['boss@example.com', 'sales@example.com'] },
      });
    expect(created.status).toBe(201);
    const templateId = created.body.id as number;
    const rule = parseReportSchedule({ frequency: 'DAILY', time }, 'UTC');
    const first = nextOccurrence(rule, new Date());

    // a double fire of the same minute, concurrently and again right after
    let scheduler = t.app.get(ReportScheduler);
    const fired = await Promise.all([scheduler.runDue(first.fireAt), scheduler.runDue(first.fireAt)]);
    expect(fired.sort()).toEqual([0, 1]);
    expect(await scheduler.runDue(new Date(first.fireAt.getTime() + 60_000))).toBe(0);
    await allSent(templateId, 1);
    expect(smtp.count).toBe(1);
    const [mail] = smtp.messages;
    expect(mail.envelopeTo.sort()).toEqual(['boss@example.com', 'sales@example.com']);
    expect(mail.parsed.subject).toBe(`Report: Daily leads (${first.periodKey}: ${first.periodKey})`);
    expect(mail.parsed.messageId).toBe(`<report-${templateId}-${first.periodKey}@hub.example.test>`);
    expect(mail.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      [`daily-leads_${first.periodKey}.pdf`, 'application/pdf'],
    ]);
    const link = /https:\/\/hub\.example\.test(\/api\/reports\/\d+\/download\?expires=\d+&signature=[\w-]+)/.exec(
      mail.parsed.text ?? '',
    );
    expect(link).not.toBeNull();
    // when the link stops working, on the sub-account's clock (this one is UTC), not as a raw ISO instant
    const expires = new Date(Number(/expires=(\d+)/.exec(link?.[1] ?? '')?.[1]) * 1000);
    const label = `${expires.toISOString().slice(0, 10)} ${expires.toISOString().slice(11, 16)} (UTC)`;
    expect(mail.parsed.text).toContain(`link valid until ${label}`);
    const download = await t.http.get(link?.[1] ?? '');
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');

    // the delivery job run again (a retried job) sends nothing more
    const [{ id }] = (
      await t.sql.query<{ id: string }>('SELECT id::text FROM report_deliveries WHERE template_id = $1', [templateId])
    ).rows;
    await scheduler.deliver({ deliveryId: BigInt(id) });
    expect(smtp.count).toBe(1);

    // a restart on the same database: the same period fires again and is not mailed again
    await t.close();
    t = await start();
    scheduler = t.app.get(ReportScheduler);
    expect(await scheduler.runDue(first.fireAt)).toBe(0);
    expect(smtp.count).toBe(1);

    // down for three days: the catch-up mails each missed period once, oldest first
    const later = new Date(first.fireAt.getTime() + 3 * DAY);
    expect(await Promise.all([scheduler.runDue(later), scheduler.runDue(later)]).then((n) => n[0] + n[1])).toBe(3);
    await allSent(templateId, 4);
    const second = nextPeriodKey('DAILY', first.periodKey);
    const third = nextPeriodKey('DAILY', second);
    const fourth = nextPeriodKey('DAILY', third);
    expect((await deliveries(templateId)).map((d) => [d.period_key, d.status, d.attempts])).toEqual([
      [first.periodKey, 'sent', 1],
      [second, 'sent', 1],
      [third, 'sent', 1],
      [fourth, 'sent', 1],
    ]);
    expect(smtp.count).toBe(4);
    expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(4);
    expect(await scheduler.runDue(later)).toBe(0);
    expect(smtp.count).toBe(4);
  });

  it('a template switched off and on again mails from then on, not every period it was off', async () => {
    const sub = await createSubAccount(t, 'PRO', 'Paused schedule');
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const local = new Date(Date.now() + DAY / 2);
    const time = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
    const schedule = { frequency: 'DAILY', time, recipients: ['boss@example.com'] };
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        name: 'Paused daily',
        type: 'SOURCE',
        config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] },
        format: 'EXCEL',
        schedule,
      });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    // scheduled a week ago: a week of periods is due and would be caught up
    await t.sql.query(`UPDATE report_templates SET schedule_since = now() - interval '7 days' WHERE id = $1`, [id]);
    const patch = (body: object) => t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send(body);
    const since = async (): Promise<number> =>
      (
        await t.sql.query<{ at: Date }>('SELECT schedule_since AS at FROM report_templates WHERE id = $1', [id])
      ).rows[0].at.getTime();
    const weekAgo = await since();
    // a new recipient keeps the history; switching off does too
    expect(
      (await patch({ schedule: { ...schedule, recipients: ['boss@example.com', 'cfo@example.com'] } })).status,
    ).toBe(200);
    expect((await patch({ isActive: false })).status).toBe(200);
    expect(await since()).toBe(weekAgo);
    // switched on again: the week it was off is not mailed all at once
    const switchedOn = Date.now();
    expect((await patch({ isActive: true })).status).toBe(200);
    expect(await since()).toBeGreaterThanOrEqual(switchedOn - 1000);
    const sentBefore = smtp.count;
    expect(await t.app.get(ReportScheduler).runDue(new Date())).toBe(0);
    expect(await deliveries(id)).toEqual([]);
    expect(smtp.count).toBe(sentBefore);
  });
});
