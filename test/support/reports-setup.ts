// The app of the reports spec (test/e2e/reports*.e2e-spec.ts), one a part: a report storage dir, sub-account A
// with hand-computed leads and spend around 2024-03-01..03, B with one lead, their tokens; and the helpers the
// parts share (a template created, a report generated until it is ready or failed).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from './factories';
import { seedLeads, seedSpend } from './report-fixtures';
import { createTestApp, TestApp } from './test-app';
import { waitFor } from './webhooks';

export const CONFIG = {
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

export interface ReportBody {
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

export interface ReportsFixture {
  t: TestApp;
  /** REPORT_STORAGE_DIR, a temp dir removed by close(). */
  storage: string;
  subA: number;
  subB: number;
  adminA: string;
  managerA: string;
  adminB: string;
  agentA: string;
  close(): Promise<void>;
}

export async function setupReports(): Promise<ReportsFixture> {
  const storage = mkdtempSync(join(tmpdir(), 'hub-reports-'));
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await rm(storage, { recursive: true, force: true });
  };
  try {
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    const subA = await createSubAccount(t, 'PRO', 'Reports A');
    const subB = await createSubAccount(t, 'PRO', 'Reports B');
    const adminA = `Bearer ${t.token('ADMIN', [subA])}`;
    const managerA = `Bearer ${t.token('MANAGER', [subA], 'manager-7')}`;
    const adminB = `Bearer ${t.token('ADMIN', [subB])}`;
    const agentA = `Bearer ${t.token('AGENT', [subA])}`;
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
    return { t, storage, subA, subB, adminA, managerA, adminB, agentA, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The helpers of the parts, on the fixture their beforeAll set (read when called). */
export function reportsHelpers(fx: () => ReportsFixture) {
  async function createTemplate(auth: string, body: Record<string, unknown>): Promise<number> {
    const res = await fx().t.http.post('/api/report-templates').set('authorization', auth).send(body);
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  async function generated(templateId: number, body: Record<string, unknown> = {}): Promise<ReportBody> {
    const res = await fx()
      .t.http.post(`/api/report-templates/${templateId}/generate`)
      .set('authorization', fx().adminA)
      .send(body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ reportId: expect.stringMatching(/^\d+$/) });
    const id = res.body.reportId as string;
    return waitFor(
      async () => {
        const list = await fx().t.http.get(`/api/reports?templateId=${templateId}`).set('authorization', fx().adminA);
        const report = (list.body.items as ReportBody[]).find((r) => r.id === id);
        return report && (report.status === 'ready' || report.status === 'failed') ? report : undefined;
      },
      30_000,
      'the report',
    );
  }
  return { createTemplate, generated };
}
