// Reports and scheduled e-mails whose worker died on the last attempt pg-boss allowed (killed or out of
// memory on every try): no code of theirs ran to record the end, so a report stayed `queued`/`running`
// (progress shown forever, counted against the sub-account's 25 queued requests) and a delivery
// `pending`/`sending` for good. The scheduler's tick now ends them `failed` with the reason, and leaves
// alone every row a job will still take (created, retry, active) and rows younger than ten minutes.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobsService } from '../../src/jobs/jobs.service';
import { ReportScheduler } from '../../src/modules/reports/schedule/report-scheduler';
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const HOUR = 3_600_000;

describe('reports whose worker died on the last attempt', () => {
  let storage: string;
  let t: TestApp;
  let sub: number;
  let admin: string;
  let templateId: number;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-reports-abandoned-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    sub = await createSubAccount(t, 'PRO', 'Abandoned reports');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        name: 'Weekly sources',
        type: 'SOURCE',
        config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] },
        format: 'PDF',
      });
    expect(created.status).toBe(201);
    templateId = created.body.id as number;
  });
  afterAll(async () => {
    await t?.close();
    await rm(storage, { recursive: true, force: true });
  });

  /** A report row as the service writes it, `ago` ms old, in `status`. */
  async function report(status: 'queued' | 'running', ago: number, generatedBy = 'user-1'): Promise<string> {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO reports (sub_account_id, template_id, status, file_type, file_name, period_start, period_end,
                            timezone, generated_by, created_at, started_at)
       VALUES ($1, $2, $3::"ReportStatus", 'PDF', 'weekly.pdf', now() - interval '7 days', now(), 'UTC', $4,
               $5::timestamptz, CASE WHEN $3::text = 'running' THEN $5::timestamptz END)
       RETURNING id::text AS id`,
      [sub, templateId, status, generatedBy, new Date(Date.now() - ago).toISOString()],
    );
    return rows[0].id;
  }

  async function delivery(reportId: string, status: 'pending' | 'sending', periodKey: string): Promise<string> {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO report_deliveries (template_id, sub_account_id, frequency, period_key, report_id, status, recipients,
                                      message_id, attempts, claimed_until, created_at)
       VALUES ($1, $2, 'DAILY', $3, $4, $5::text, ARRAY['ops@example.test'], $6, 9,
               CASE WHEN $5::text = 'sending' THEN now() - interval '1 minute' END, now() - interval '1 hour')
       RETURNING id::text AS id`,
      [templateId, sub, periodKey, reportId, status, `<report-${periodKey}@hub.example.test>`],
    );
    return rows[0].id;
  }

  const reportState = async (id: string) =>
    (
      await t.sql.query<{ status: string; error: string | null }>('SELECT status, error FROM reports WHERE id = $1', [
        id,
      ])
    ).rows[0];
  const deliveryState = async (id: string) =>
    (
      await t.sql.query<{ status: string; error: string | null }>(
        'SELECT status, error FROM report_deliveries WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('ends the ones no job will take again, failed with the reason, and leaves the rest', async () => {
    const jobs: JobsService = t.app.get(JobsService);
    const later = new Date(Date.now() + 6 * HOUR); // a job still waiting (a retry's backoff): never run here
    // requested: its job's attempts are spent (the job is gone or failed), and one whose retry still waits
    const dead = await report('running', HOUR);
    const waiting = await report('queued', HOUR);
    await jobs.send('report-generate', { reportId: BigInt(waiting) }, { startAfter: later });
    const fresh = await report('running', 60_000); // too young to judge
    // scheduled: a delivery whose sender died on its last attempt, and one whose retry still waits
    const deadScheduled = await report('queued', HOUR, 'schedule');
    const deadDelivery = await delivery(deadScheduled, 'sending', '2026-11-01');
    const waitingScheduled = await report('queued', HOUR, 'schedule');
    const waitingDelivery = await delivery(waitingScheduled, 'pending', '2026-11-02');
    await jobs.send('report-delivery', { deliveryId: BigInt(waitingDelivery) }, { startAfter: later });

    await t.app.get(ReportScheduler).tick(); // the minute's cron tick

    const failedReport = await reportState(dead);
    expect(failedReport.status).toBe('failed');
    expect(failedReport.error).toMatch(/stopped on every attempt/);
    expect(await reportState(deadScheduled)).toMatchObject({ status: 'failed' });
    expect(await deliveryState(deadDelivery)).toEqual({
      status: 'failed',
      error: expect.stringMatching(/^Not sent: the worker sending it stopped/),
    });
    expect(await reportState(waiting)).toMatchObject({ status: 'queued', error: null });
    expect(await reportState(fresh)).toMatchObject({ status: 'running', error: null });
    expect(await reportState(waitingScheduled)).toMatchObject({ status: 'queued', error: null });
    expect(await deliveryState(waitingDelivery)).toMatchObject({ status: 'pending' });

    // the list the CRM shows: the dead request reads failed with its reason, no longer in progress
    const list = await t.http
      .get(`/api/reports?subAccountId=${sub}&templateId=${templateId}`)
      .set('authorization', admin);
    expect(list.status).toBe(200);
    const shown = (list.body.items as Array<{ id: string; status: string; error: string | null }>).find(
      (r) => String(r.id) === dead,
    );
    expect(shown).toMatchObject({ status: 'failed', error: expect.stringMatching(/generate it again/) });

    // a second tick finds nothing more to end
    expect(await t.app.get(ReportScheduler).failAbandoned(new Date())).toEqual({ reports: 0, deliveries: 0 });
  });
});
