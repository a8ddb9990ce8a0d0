// Part of the reports spec (header in reports.e2e-spec.ts): a template's fixed dateRange takes ISO instants as
// analytics and generate do (API.md "Analytics": local dates or ISO instants), with the same order and length
// checks in the sub-account's zone.
import { TestApp } from '../support/test-app';
import { ReportsFixture, reportsHelpers, setupReports } from '../support/reports-setup';

describe('reports', () => {
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

  const template = (dateRange: unknown) => ({
    subAccountId: subA,
    name: 'Instants',
    type: 'SOURCE',
    config: { metrics: ['newLeads'], dateRange },
    format: 'EXCEL',
  });

  it('reports over a fixed range of ISO instants', async () => {
    const id = await createTemplate(
      adminA,
      template({ from: '2024-03-01T06:00:00Z', to: '2024-03-03T18:00:00.000000Z' }),
    );
    const stored = await t.http.get(`/api/report-templates/${id}`).set('authorization', adminA);
    expect(stored.body.config.dateRange).toEqual({ from: '2024-03-01T06:00:00Z', to: '2024-03-03T18:00:00.000000Z' });
    const report = await generated(id);
    expect(report).toMatchObject({
      status: 'ready',
      periodStart: '2024-03-01T06:00:00.000Z',
      periodEnd: '2024-03-03T18:00:00.000Z',
    });
  });

  it('refuses an instant range upside down, empty or too long, with the field named', async () => {
    for (const dateRange of [
      { from: '2024-03-02T00:00:00Z', to: '2024-03-01T00:00:00Z' },
      { from: '2024-03-02T00:00:00Z', to: '2024-03-02T00:00:00Z' },
      { from: '2000-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' },
      { from: '2024-03-01T10:00', to: '2024-03-02' },
    ]) {
      const res = await t.http.post('/api/report-templates').set('authorization', adminA).send(template(dateRange));
      expect([dateRange, res.status, res.body.code]).toEqual([dateRange, 400, 'CONFIG_SCHEMA_INVALID']);
      expect(res.body.details[0].pointer).toMatch(/^\/config\/dateRange\/(from|to)$/);
    }
    const id = await createTemplate(adminA, template('LAST_7_DAYS'));
    const patch = await t.http
      .patch(`/api/report-templates/${id}`)
      .set('authorization', adminA)
      .send({
        config: { metrics: ['newLeads'], dateRange: { from: '2000-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } },
      });
    expect([patch.status, patch.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
  });
});
