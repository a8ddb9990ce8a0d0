// Reports over HTTP (API.md "Reports"): templates validated by their JSON Schema, Excel re-read with
// exceljs and PDF text read with pdf-parse holding hand-computed figures, progress while generating,
// bearer and signed downloads, roles and tenant isolation on every route.
// This part holds templates and the PDF; the Excel file, one-bound periods and progress while generating are in
// reports-excel.e2e-spec.ts, roles and tenant isolation in reports-access.e2e-spec.ts; the shared setup in
// test/support/reports-setup.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfText } from '../support/pdf-text';
import { TestApp } from '../support/test-app';
import { binaryBody } from '../support/binary-body';
import { CONFIG, ReportsFixture, reportsHelpers, setupReports } from '../support/reports-setup';

describe('reports', () => {
  let fx: ReportsFixture;
  let t: TestApp;
  let storage: string;
  let subA: number;
  let adminA: string;
  let managerA: string;
  const { createTemplate, generated } = reportsHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupReports();
    ({ t, storage, subA, adminA, managerA } = fx);
  });
  afterAll(() => fx?.close());

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
      // spend, then cost per lead and per conversion ("—": no google-ads spend is known, none converted)
      'google-ads 1 0 1 0.00% — — —',
      'meta 3 1 0 33.33% 15.00 USD 5.00 USD 15.00 USD',
      'New leads by source',
    ]) {
      expect(flat).toContain(expected);
    }
    expect(flat).not.toContain('Other Tenant');
  });
});
