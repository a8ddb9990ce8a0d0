// Audit 14 of API.md "Analytics" and "Reports", black-box, on figures the earlier audits left unasked:
// a report's conversion rates are the analytics endpoints' fractions (0–1) when a period converts more
// leads than it creates; a template's fixed dateRange is refused past the longest range the analytics
// routes compute (3,660 days), where it was stored and every TEAM or FUNNEL report of it failed; a
// report queued before the sub-account's time zone changed counts its own period, not the new zone's day of the same date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportGenerator } from '../../src/modules/reports/generation/report-generator';
import { ReportsRepository } from '../../src/modules/reports/reports.repository';
import { binaryBody } from '../support/binary-body';
import { createSubAccount } from '../support/factories';
import { pdfText } from '../support/pdf-text';
import { seedLeads } from '../support/report-fixtures';
import { ReportsFixture, reportsHelpers, setupReports } from '../support/reports-setup';
import { TestApp } from '../support/test-app';

type Json = Record<string, unknown>;

describe('contract audit 14: analytics and reports', () => {
  let fx: ReportsFixture;
  let t: TestApp;
  let subA: number;
  let adminA: string;
  const { createTemplate, generated } = reportsHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupReports();
    ({ t, subA, adminA } = fx);
  });
  afterAll(() => fx?.close());

  const ok = async (path: string): Promise<Json> => {
    const res = await t.http.get(path).set('authorization', adminA);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Json;
  };

  async function pdfOf(reportId: string, auth = adminA): Promise<string> {
    const file = await t.http
      .get(`/api/reports/${reportId}/download`)
      .set('authorization', auth)
      .buffer(true)
      .parse(binaryBody);
    expect(file.status).toBe(200);
    const path = join(fx.storage, `audit-14-${reportId}.pdf`);
    writeFileSync(path, file.body as Buffer);
    return (await pdfText(path)).text.replace(/\s+/g, ' ');
  }

  describe('report rates', () => {
    // May 2023 (UTC): one meta lead created, three converted (two of them created in April)
    beforeAll(async () => {
      const ids = await seedLeads(t.sql, subA, [
        { at: '2023-04-10T10:00:00Z', name: 'R1', status: 'NEW', platform: 'meta', campaignId: 'm' },
        { at: '2023-04-11T10:00:00Z', name: 'R2', status: 'NEW', platform: 'meta', campaignId: 'm' },
        { at: '2023-05-02T10:00:00Z', name: 'R3', status: 'NEW', platform: 'meta', campaignId: 'm' },
      ]);
      for (const id of ids) {
        await t.sql.query(`SELECT lead_set_status($1, $2::bigint, 'CONVERTED', '2023-05-05T10:00:00Z', 'u', 'api')`, [
          subA,
          id,
        ]);
      }
    });

    it('are fractions of at most 1 in the PDF, as the overview gives them, when conversions outnumber new leads', async () => {
      const overview = await ok(`/api/analytics/overview?subAccountId=${subA}&from=2023-05-01&to=2023-05-31`);
      expect(overview.totals).toMatchObject({ newLeads: 1, convertedLeads: 3, conversionRate: 1 });
      expect(overview.bySource).toEqual([
        expect.objectContaining({ platform: 'meta', leads: 1, converted: 3, conversionRate: 1 }),
      ]);
      const templateId = await createTemplate(adminA, {
        subAccountId: subA,
        name: 'May conversions',
        type: 'CONVERSION',
        format: 'PDF',
        config: {
          metrics: ['newLeads', 'convertedLeads', 'conversionRate'],
          groupBy: ['source'],
          dateRange: { from: '2023-05-01', to: '2023-05-31' },
          chartTypes: ['table'],
        },
      });
      const report = await generated(templateId);
      expect(report.status).toBe('ready');
      const text = await pdfOf(report.id);
      // the summary and the meta row: 100.00%, never 300.00% (3 conversions over 1 new lead)
      expect(text).toContain('Conversion rate 100.00%');
      expect(text).toContain('meta 1 3 0 100.00%');
      expect(text).not.toContain('300.00%');
    });
  });

  it('queued before the sub-account’s time zone changed, a report counts its own period, not the new zone’s day', async () => {
    const sub = await createSubAccount(t, 'PRO', 'Audit14 Tokyo');
    const admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin-14')}`;
    const zone = (timezone: string) =>
      t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone }).expect(200);
    await zone('Asia/Tokyo');
    // Tokyo's 2024-03-10 is [03-09T15:00Z, 03-10T15:00Z): the first two; UTC's 2024-03-10 holds the last three
    await seedLeads(t.sql, sub, [
      { at: '2024-03-09T16:00:00Z', name: 'T1', status: 'NEW', platform: 'meta' },
      { at: '2024-03-10T10:00:00Z', name: 'T2', status: 'NEW', platform: 'meta' },
      { at: '2024-03-10T20:00:00Z', name: 'T3', status: 'NEW', platform: 'meta' },
      { at: '2024-03-10T21:00:00Z', name: 'T4', status: 'NEW', platform: 'meta' },
    ]);
    const templateId = await createTemplate(admin, {
      subAccountId: sub,
      name: 'Tokyo day',
      type: 'CUSTOM',
      format: 'PDF',
      config: { metrics: ['newLeads'], dateRange: { from: '2024-03-10', to: '2024-03-10' }, chartTypes: ['table'] },
    });
    // the report of Tokyo's 2024-03-10 as a generate (or a schedule) queues it; the zone changes before it runs
    const queued = await t.app.get(ReportsRepository).create({
      subAccountId: sub,
      templateId,
      fileType: 'PDF',
      fileName: 'tokyo-day_2024-03-10.pdf',
      periodStart: new Date('2024-03-09T15:00:00Z'),
      periodEnd: new Date('2024-03-10T15:00:00Z'),
      timezone: 'Asia/Tokyo',
      generatedBy: 'u-admin-14',
    });
    await zone('UTC');
    // the dashboard's 2024-03-10 is now UTC's: three leads
    const overview = await t.http
      .get(`/api/analytics/overview?subAccountId=${sub}&from=2024-03-10&to=2024-03-10`)
      .set('authorization', admin);
    expect(overview.body.totals).toMatchObject({ newLeads: 3 });
    const report = await t.app.get(ReportGenerator).generate(queued.id);
    expect(report?.status).toBe('ready');
    expect(await pdfOf(queued.id.toString(), admin)).toContain('New leads 2');
  });

  describe('a template’s fixed dateRange', () => {
    const config = (from: string, to: string) => ({
      metrics: ['newLeads', 'convertedLeads'],
      dateRange: { from, to },
      chartTypes: ['table'],
    });

    it('is refused past the longest range the analytics routes compute (3,660 days), which TEAM and FUNNEL reports read', async () => {
      for (const type of ['TEAM', 'FUNNEL', 'SOURCE']) {
        const res = await t.http
          .post('/api/report-templates')
          .set('authorization', adminA)
          .send({
            subAccountId: subA,
            name: `Decade ${type}`,
            type,
            format: 'PDF',
            config: config('2010-01-01', '2024-12-31'),
          });
        expect([type, res.status, res.body.code]).toEqual([type, 400, 'CONFIG_SCHEMA_INVALID']);
        expect(res.body.details).toEqual([expect.objectContaining({ pointer: '/config/dateRange/to' })]);
      }
      // the longest allowed is taken, and a PATCH cannot stretch it
      const id = await createTemplate(adminA, {
        subAccountId: subA,
        name: 'Ten years',
        type: 'TEAM',
        format: 'PDF',
        config: config('2015-01-01', '2025-01-07'), // 3,660 days
      });
      const longer = await t.http
        .patch(`/api/report-templates/${id}`)
        .set('authorization', adminA)
        .send({ config: config('2015-01-01', '2025-01-08') }); // one day more
      expect([longer.status, longer.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      const report = await generated(id);
      expect([report.status, report.periodStart, report.periodEnd]).toEqual([
        'ready',
        '2015-01-01T00:00:00.000Z',
        '2025-01-08T00:00:00.000Z',
      ]);
    });
  });
});
