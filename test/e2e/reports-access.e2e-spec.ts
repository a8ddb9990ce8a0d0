// Part of the reports spec (header in reports.e2e-spec.ts): AGENTs refused, and every route kept inside the
// caller's sub-accounts.
import { TestApp } from '../support/test-app';
import { CONFIG, ReportsFixture, reportsHelpers, setupReports } from '../support/reports-setup';

describe('reports', () => {
  let fx: ReportsFixture;
  let t: TestApp;
  let subA: number;
  let adminA: string;
  let adminB: string;
  let agentA: string;
  const { createTemplate, generated } = reportsHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupReports();
    ({ t, subA, adminA, adminB, agentA } = fx);
  });
  afterAll(() => fx?.close());

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
