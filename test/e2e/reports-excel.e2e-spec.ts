// Part of the reports spec (header in reports.e2e-spec.ts): an Excel file read back with exceljs and opened by its
// signed link, a period given by one bound, and the rows written so far while a long Excel report is generated.
import ExcelJS from 'exceljs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_DATA_SOURCE, ReportDataSource } from '../../src/modules/reports/data/report-data-source';
import { localDaysRange } from '../../src/modules/analytics/time/date-range';
import { ReportGenerator } from '../../src/modules/reports/generation/report-generator';
import { ReportsService } from '../../src/modules/reports/reports.service';
import { ReportTemplatesRepository } from '../../src/modules/reports/templates/report-templates.repository';
import { seedBulkLeads } from '../support/report-fixtures';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { binaryBody } from '../support/binary-body';
import { ReportBody, ReportsFixture, reportsHelpers, setupReports } from '../support/reports-setup';

describe('reports', () => {
  let fx: ReportsFixture;
  let t: TestApp;
  let storage: string;
  let subA: number;
  let adminA: string;
  const { createTemplate, generated } = reportsHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupReports();
    ({ t, storage, subA, adminA } = fx);
  });
  afterAll(() => fx?.close());

  it('generates an Excel file of the period’s leads that exceljs reads back, and a signed link opens it', async () => {
    const templateId = await createTemplate(adminA, {
      subAccountId: subA,
      name: 'Leads',
      type: 'CUSTOM',
      config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
      format: 'PDF',
    });
    const report = await generated(templateId, { format: 'EXCEL', from: '2024-03-01', to: '2024-03-03' });
    expect(report).toMatchObject({
      status: 'ready',
      fileType: 'EXCEL',
      rows: 4,
      fileName: 'leads_2024-03-01_2024-03-03.xlsx',
    });
    expect(report.downloadUrl).toMatch(
      /^https:\/\/hub\.example\.test\/api\/reports\/\d+\/download\?expires=\d+&signature=/,
    );

    const url = new URL(report.downloadUrl ?? '');
    const file = await t.http.get(`${url.pathname}${url.search}`).buffer(true).parse(binaryBody);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const xlsxPath = join(storage, 'downloaded.xlsx');
    writeFileSync(xlsxPath, file.body as Buffer);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsxPath);
    const rows: unknown[][] = [];
    workbook.worksheets[0].eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    expect(rows[0]).toEqual([
      'Lead id',
      'Created',
      'Name',
      'E-mail',
      'Phone',
      'Status',
      'Source',
      'Integration',
      'Campaign id',
      'Campaign',
      'Cost',
      'Currency',
    ]);
    expect(rows.slice(1).map((r) => [r[2], r[5], r[6], r[8]])).toEqual([
      ['Łukasz Kowalski', 'CONVERTED', 'meta', 'c1'],
      ['Мария Иванова', 'NEW', 'meta', 'c1'],
      ['Σοφία Παπαδοπούλου', 'LOST', 'google-ads', 'c2'],
      ['José Álvarez', 'QUALIFIED', 'meta', 'c1'],
    ]);
    expect((rows[4][1] as Date).toISOString()).toBe('2024-03-03T23:30:00.000Z');
    expect(typeof rows[1][0]).toBe('number');
    // after the lead list, a Summary sheet: what the report is, its period and zone, and the PDF's figures
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Leads', 'Summary']);
    const summary: unknown[][] = [];
    workbook.worksheets[1].eachRow((r) => summary.push((r.values as unknown[]).slice(1)));
    expect(summary.filter(([label]) => label !== 'Generated at')).toEqual([
      ['Report', 'Leads'],
      ['Type', 'CUSTOM'],
      ['Period', '2024-03-01 – 2024-03-03'],
      ['Time zone', 'UTC'],
      ['Metric', 'Value'],
      ['New leads', 4],
    ]);

    // the signature covers the report id and the expiry
    const other = url.pathname.replace(/\/(\d+)\/download$/, (_m, id: string) => `/${BigInt(id) + 1n}/download`);
    expect((await t.http.get(`${other}${url.search}`)).status).toBe(401);
    const tampered = url.search.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 60}`);
    expect((await t.http.get(`${url.pathname}${tampered}`)).status).toBe(401);
    const noAuth = await t.http.get(url.pathname);
    expect(noAuth.status).toBe(401);
    expect(noAuth.body.code).toBe('UNAUTHENTICATED');
  });

  it("generates with one bound given: the other is the template's (API.md: from? and to? each optional)", async () => {
    const templateId = await createTemplate(adminA, {
      subAccountId: subA,
      name: 'One bound',
      type: 'CUSTOM',
      config: { metrics: ['newLeads'], dateRange: { from: '2024-03-01', to: '2024-03-03' } },
      format: 'EXCEL',
    });
    const fromOnly = await generated(templateId, { from: '2024-03-02' });
    expect(fromOnly).toMatchObject({
      status: 'ready',
      fileName: 'one-bound_2024-03-02_2024-03-03.xlsx',
      periodStart: '2024-03-02T00:00:00.000Z',
      periodEnd: '2024-03-04T00:00:00.000Z',
    });
    const toOnly = await generated(templateId, { to: '2024-03-01' });
    expect(toOnly).toMatchObject({ status: 'ready', fileName: 'one-bound_2024-03-01.xlsx' });
    const reversed = await t.http
      .post(`/api/report-templates/${templateId}/generate`)
      .set('authorization', adminA)
      .send({ from: '2024-03-05' });
    expect([reversed.status, reversed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('shows the rows written so far while a long Excel report is being generated', async () => {
    await seedBulkLeads(t.sql, subA, '2024-06-01T00:00:00Z', 2500);
    const template = await t.app.get(ReportTemplatesRepository).findById(
      await createTemplate(adminA, {
        subAccountId: subA,
        name: 'Bulk',
        type: 'CUSTOM',
        config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
        format: 'EXCEL',
      }),
    );
    if (!template) throw new Error('template missing');
    const report = await t.app
      .get(ReportsService)
      .queue(
        template,
        'EXCEL',
        localDaysRange({ year: 2024, month: 6, day: 1 }, { year: 2024, month: 6, day: 1 }, 'UTC'),
        'test',
      );
    // hold the generation after its first page of 1,000 rows
    const source = t.app.get<ReportDataSource>(REPORT_DATA_SOURCE);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = source.leadPage.bind(source);
    let calls = 0;
    const spy = jest.spyOn(source, 'leadPage').mockImplementation(async (...args) => {
      calls += 1;
      if (calls === 2) await gate;
      return original(...args);
    });
    const done = t.app.get(ReportGenerator).generate(report.id);
    const running = await waitFor(
      async () => {
        const list = await t.http.get(`/api/reports?templateId=${template.id}`).set('authorization', adminA);
        const item = (list.body.items as ReportBody[])[0];
        return item?.status === 'running' && item.rows === 1000 ? item : undefined;
      },
      20_000,
      'progress',
    );
    expect(running.progress).toBe(0.4);
    expect(running.downloadUrl).toBeNull();
    release();
    const finished = await done;
    spy.mockRestore();
    expect(finished).toMatchObject({ status: 'ready', rows: 2500, totalRows: 2500 });
  });
});
