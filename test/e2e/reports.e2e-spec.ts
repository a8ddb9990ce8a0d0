// Reports over HTTP (API.md "Reports"): templates validated by their JSON Schema, Excel re-read with
// exceljs and PDF text read with pdf-parse holding hand-computed figures, progress while generating,
// bearer and signed downloads, roles and tenant isolation on every route.
import ExcelJS from 'exceljs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_DATA_SOURCE, ReportDataSource } from '../../src/modules/reports/data/report-data-source';
import { localDaysRange } from '../../src/modules/analytics/time/date-range';
import { ReportGenerator } from '../../src/modules/reports/generation/report-generator';
import { ReportsService } from '../../src/modules/reports/reports.service';
import { ReportTemplatesRepository } from '../../src/modules/reports/templates/report-templates.repository';
import { createSubAccount } from '../support/factories';
import { pdfText } from '../support/pdf-text';
import { seedBulkLeads, seedLeads, seedSpend } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { binaryBody } from '../support/binary-body';

const CONFIG = {
  metrics: [
    'totalLeads',
    'newLeads',
    'convertedLeads',
    'lostLeads',
    'conversionRate',
    'spend',
    'costPerLead',
    'costPerConversion',
  ],
  groupBy: ['source'],
  dateRange: { from: '2024-03-01', to: '2024-03-03' },
  chartTypes: ['bar', 'pie', 'table'],
};

interface ReportBody {
  id: string;
  status: string;
  rows: number;
  bytes: number | null;
  fileType: string;
  fileName: string;
  downloadUrl: string | null;
  progress: number | null;
  periodStart: string;
  periodEnd: string;
  generatedBy: string;
  templateId: number;
}

describe('reports', () => {
  let t: TestApp;
  let storage: string;
  let subA: number;
  let subB: number;
  let adminA: string;
  let managerA: string;
  let adminB: string;
  let agentA: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hub-reports-'));
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    subA = await createSubAccount(t, 'PRO', 'Reports A');
    subB = await createSubAccount(t, 'PRO', 'Reports B');
    adminA = `Bearer ${t.token('ADMIN', [subA])}`;
    managerA = `Bearer ${t.token('MANAGER', [subA], 'manager-7')}`;
    adminB = `Bearer ${t.token('ADMIN', [subB])}`;
    agentA = `Bearer ${t.token('AGENT', [subA])}`;
    await seedLeads(t.sql, subA, [
      { at: '2024-02-28T10:00:00Z', name: 'Earlier Lead', status: 'NEW', platform: 'meta', campaignId: 'c1' },
      {
        at: '2024-03-01T10:00:00Z',
        name: 'Łukasz Kowalski',
        status: 'CONVERTED',
        platform: 'meta',
        campaignId: 'c1',
        campaignName: 'Spring Sale',
      },
      {
        at: '2024-03-01T12:00:00Z',
        name: 'Мария Иванова',
        status: 'NEW',
        platform: 'meta',
        campaignId: 'c1',
        campaignName: 'Spring Sale',
      },
      {
        at: '2024-03-02T09:00:00Z',
        name: 'Σοφία Παπαδοπούλου',
        status: 'LOST',
        platform: 'google-ads',
        campaignId: 'c2',
      },
      {
        at: '2024-03-03T23:30:00Z',
        name: 'José Álvarez',
        status: 'QUALIFIED',
        platform: 'meta',
        campaignId: 'c1',
        campaignName: 'Spring Sale',
      },
      {
        at: '2024-03-02T11:00:00Z',
        name: 'Test Lead',
        status: 'CONVERTED',
        platform: 'meta',
        campaignId: 'c1',
        isTest: true,
      },
      { at: '2024-03-04T00:00:00Z', name: 'After Range', status: 'NEW', platform: 'meta', campaignId: 'c1' },
    ]);
    await seedSpend(t.sql, subA, [
      { day: '2024-03-01', campaignId: 'c1', spend: '10.5000', currency: 'USD' },
      { day: '2024-03-02', campaignId: 'c1', spend: '4.5000', currency: 'USD' },
      { day: '2024-03-05', campaignId: 'c1', spend: '99.0000', currency: 'USD' },
    ]);
    await seedLeads(t.sql, subB, [
      { at: '2024-03-02T10:00:00Z', name: 'Other Tenant', status: 'CONVERTED', platform: 'meta', campaignId: 'c1' },
    ]);
  });
  afterAll(async () => {
    await t.close();
    await rm(storage, { recursive: true, force: true });
  });

  async function createTemplate(auth: string, body: Record<string, unknown>): Promise<number> {
    const res = await t.http.post('/api/report-templates').set('authorization', auth).send(body);
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  async function generated(templateId: number, body: Record<string, unknown> = {}): Promise<ReportBody> {
    const res = await t.http
      .post(`/api/report-templates/${templateId}/generate`)
      .set('authorization', adminA)
      .send(body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ reportId: expect.stringMatching(/^\d+$/) });
    const id = res.body.reportId as string;
    return waitFor(
      async () => {
        const list = await t.http.get(`/api/reports?templateId=${templateId}`).set('authorization', adminA);
        const report = (list.body.items as ReportBody[]).find((r) => r.id === id);
        return report && (report.status === 'ready' || report.status === 'failed') ? report : undefined;
      },
      30_000,
      'the report',
    );
  }

  it('creates, reads, updates and deletes templates; config is checked by its JSON Schema', async () => {
    const res = await t.http
      .post('/api/report-templates')
      .set('authorization', managerA)
      .send({ subAccountId: subA, name: 'Sources', type: 'SOURCE', config: CONFIG, format: 'PDF' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(Number),
      subAccountId: subA,
      name: 'Sources',
      description: null,
      type: 'SOURCE',
      format: 'PDF',
      schedule: null,
      isActive: true,
      createdBy: 'manager-7',
      config: { ...CONFIG, filters: {} },
    });
    const id = res.body.id as number;
    expect((await t.http.get(`/api/report-templates/${id}`).set('authorization', adminA)).body.name).toBe('Sources');
    const list = await t.http.get('/api/report-templates').set('authorization', adminA);
    expect(list.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });

    const patched = await t.http
      .patch(`/api/report-templates/${id}`)
      .set('authorization', adminA)
      .send({
        name: 'Sources weekly',
        schedule: { frequency: 'WEEKLY', dayOfWeek: 1, time: '08:00', recipients: ['boss@example.com'] },
      });
    expect(patched.status).toBe(200);
    expect(patched.body.schedule).toEqual({
      frequency: 'WEEKLY',
      dayOfWeek: 1,
      time: '08:00',
      recipients: ['boss@example.com'],
    });
    const unscheduled = await t.http
      .patch(`/api/report-templates/${id}`)
      .set('authorization', adminA)
      .send({ schedule: null });
    expect(unscheduled.body.schedule).toBeNull();
    // fields that cannot be cleared refuse null (400) instead of ignoring it; description can be cleared
    for (const field of ['name', 'type', 'config', 'format', 'isActive']) {
      const cleared = await t.http
        .patch(`/api/report-templates/${id}`)
        .set('authorization', adminA)
        .send({ [field]: null });
      expect({ field, status: cleared.status, code: cleared.body.code }).toEqual({
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const noDescription = await t.http
      .patch(`/api/report-templates/${id}`)
      .set('authorization', adminA)
      .send({ description: null });
    expect([noDescription.status, noDescription.body.description, noDescription.body.name]).toEqual([
      200,
      null,
      'Sources weekly',
    ]);

    const bad = async (config: unknown, pointer: string): Promise<void> => {
      const r = await t.http
        .post('/api/report-templates')
        .set('authorization', adminA)
        .send({ subAccountId: subA, name: 'x', type: 'CUSTOM', config, format: 'EXCEL' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('CONFIG_SCHEMA_INVALID');
      expect((r.body.details as { pointer: string }[]).map((d) => d.pointer)).toContain(pointer);
    };
    await bad({ ...CONFIG, groupBy: ['source', 'status', 'day'] }, '/config/groupBy');
    await bad({ ...CONFIG, metrics: ['revenue'] }, '/config/metrics/0');
    await bad({ ...CONFIG, chartTypes: ['radar'] }, '/config/chartTypes/0');
    await bad({ ...CONFIG, dateRange: 'LAST_YEAR' }, '/config/dateRange');
    await bad({ ...CONFIG, dateRange: { from: '2024-03-05', to: '2024-03-01' } }, '/config/dateRange/to');
    // the unknown or missing key itself, as an integration config's errors name it
    await bad({ ...CONFIG, extra: true }, '/config/extra');
    await bad({ dateRange: 'LAST_7_DAYS' }, '/config/metrics');

    const unknownField = await t.http
      .post('/api/report-templates')
      .set('authorization', adminA)
      .send({ subAccountId: subA, name: 'x', type: 'CUSTOM', config: CONFIG, format: 'PDF', color: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.code).toBe('VALIDATION_FAILED');
    const nullActive = await t.http
      .post('/api/report-templates')
      .set('authorization', adminA)
      .send({ subAccountId: subA, name: 'x', type: 'CUSTOM', config: CONFIG, format: 'PDF', isActive: null });
    expect([nullActive.status, nullActive.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const badSchedule = await t.http
      .post('/api/report-templates')
      .set('authorization', adminA)
      .send({
        subAccountId: subA,
        name: 'x',
        type: 'CUSTOM',
        config: CONFIG,
        format: 'PDF',
        schedule: { frequency: 'WEEKLY', time: '25:00', recipients: ['not-an-address'] },
      });
    expect(badSchedule.status).toBe(400);
    expect(badSchedule.body.code).toBe('VALIDATION_FAILED');

    expect((await t.http.delete(`/api/report-templates/${id}`).set('authorization', adminA)).status).toBe(204);
    expect((await t.http.get(`/api/report-templates/${id}`).set('authorization', adminA)).status).toBe(404);
  });

  it('generates a PDF whose text holds the summary, the breakdown and the spend', async () => {
    const templateId = await createTemplate(adminA, {
      subAccountId: subA,
      name: 'Source ROI — March',
      type: 'SOURCE',
      config: CONFIG,
      format: 'PDF',
    });
    const report = await generated(templateId);
    expect(report).toMatchObject({
      status: 'ready',
      fileType: 'PDF',
      fileName: 'source-roi-march_2024-03-01_2024-03-03.pdf',
      rows: 2, // meta and google-ads
      periodStart: '2024-03-01T00:00:00.000Z',
      periodEnd: '2024-03-04T00:00:00.000Z',
      generatedBy: expect.any(String),
      progress: 1,
    });
    const file = await t.http
      .get(`/api/reports/${report.id}/download`)
      .set('authorization', adminA)
      .buffer(true)
      .parse(binaryBody);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="${report.fileName}"; filename*=UTF-8''${report.fileName}`,
    );
    expect((file.body as Buffer).length).toBe(report.bytes);
    const pdfPath = join(storage, 'downloaded.pdf');
    writeFileSync(pdfPath, file.body as Buffer);
    const { text } = await pdfText(pdfPath);
    const flat = text.replace(/\s+/g, ' ');
    // 4 new leads in the range (the test lead and those outside it excluded), 5 created by its end,
    // 1 converted, 1 lost; spend 10.50 + 4.50 on the range's days (not the 99 after it)
    for (const expected of [
      'Source ROI — March',
      'Period: 2024-03-01 – 2024-03-03 (UTC)',
      'Total leads 5',
      'New leads 4',
      'Converted leads 1',
      'Lost leads 1',
      'Conversion rate 25.00%',
      'Spend 15.00 USD',
      'Cost per lead 3.75 USD',
      'Cost per conversion 15.00 USD',
      // spend, then cost per lead and per conversion (none converted: "—")
      'google-ads 1 0 1 0.00% 0.00 USD 0.00 USD —',
      'meta 3 1 0 33.33% 15.00 USD 5.00 USD 15.00 USD',
      'New leads by source',
    ]) {
      expect(flat).toContain(expected);
    }
    expect(flat).not.toContain('Other Tenant');
  });

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

  it('refuses AGENTs and keeps every route inside the caller’s sub-accounts', async () => {
    const templateId = await createTemplate(adminA, {
      subAccountId: subA,
      name: 'Private',
      type: 'FUNNEL',
      config: { metrics: ['newLeads'], dateRange: { from: '2024-03-01', to: '2024-03-03' } },
      format: 'PDF',
    });
    const report = await generated(templateId);
    expect(report.status).toBe('ready');

    for (const [method, path] of [
      ['get', '/api/report-templates'],
      ['post', '/api/report-templates'],
      ['get', `/api/report-templates/${templateId}`],
      ['patch', `/api/report-templates/${templateId}`],
      ['delete', `/api/report-templates/${templateId}`],
      ['post', `/api/report-templates/${templateId}/generate`],
      ['get', '/api/reports'],
      ['get', `/api/reports/${report.id}/download`],
    ] as const) {
      const res = await t.http[method](path).set('authorization', agentA).send({});
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }

    // another sub-account's valid token: 404 for records, 403 for an explicit subAccountId, never data
    for (const [method, path] of [
      ['get', `/api/report-templates/${templateId}`],
      ['patch', `/api/report-templates/${templateId}`],
      ['delete', `/api/report-templates/${templateId}`],
      ['post', `/api/report-templates/${templateId}/generate`],
      ['get', `/api/reports/${report.id}/download`],
    ] as const) {
      const res = await t.http[method](path)
        .set('authorization', adminB)
        .send(method === 'patch' ? { name: 'stolen' } : {});
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'NOT_FOUND']);
    }
    const create = await t.http
      .post('/api/report-templates')
      .set('authorization', adminB)
      .send({ subAccountId: subA, name: 'x', type: 'CUSTOM', config: CONFIG, format: 'PDF' });
    expect(create.status).toBe(403);
    expect((await t.http.get(`/api/reports?subAccountId=${subA}`).set('authorization', adminB)).status).toBe(403);
    expect((await t.http.get(`/api/report-templates?subAccountId=${subA}`).set('authorization', adminB)).status).toBe(
      403,
    );
    const listB = await t.http.get('/api/reports').set('authorization', adminB);
    expect(listB.body).toMatchObject({ items: [], total: 0 });
    const templatesB = await t.http.get('/api/report-templates').set('authorization', adminB);
    expect(templatesB.body).toMatchObject({ items: [], total: 0 });
    // the template is untouched
    expect((await t.http.get(`/api/report-templates/${templateId}`).set('authorization', adminA)).body.name).toBe(
      'Private',
    );
  });
});
