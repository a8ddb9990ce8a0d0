// The app of the analytics and reports contract audit (test/e2e/contract-analytics-reports*.e2e-spec.ts), one a
// part: sub-account A in Asia/Kolkata with three leads and a day of spend, B beside it, their tokens, a report
// storage dir; and the helpers the parts share.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from './factories';
import { seedLeads, seedSpend } from './report-fixtures';
import { createTestApp, TestApp } from './test-app';

export type Json = Record<string, unknown>;
interface Detail {
  field?: string;
  pointer?: string;
}

export const RANGE = 'from=2024-03-01&to=2024-03-03';
export const CONFIG = { metrics: ['newLeads', 'convertedLeads'], dateRange: { from: '2024-03-01', to: '2024-03-03' } };

export interface AnalyticsReportsFixture {
  t: TestApp;
  sub: number;
  subB: number;
  admin: string;
  manager: string;
  agent: string;
  adminB: string;
  close(): Promise<void>;
}

export async function setupAnalyticsReports(): Promise<AnalyticsReportsFixture> {
  const storage = mkdtempSync(join(tmpdir(), 'hub-contract-ar-'));
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await rm(storage, { recursive: true, force: true });
  };
  try {
    t = await createTestApp({ env: { REPORT_STORAGE_DIR: storage } });
    const sub = await createSubAccount(t, 'PRO', 'Audit A');
    const subB = await createSubAccount(t, 'PRO', 'Audit B');
    const admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin')}`;
    const manager = `Bearer ${t.token('MANAGER', [sub], 'u-manager')}`;
    const agent = `Bearer ${t.token('AGENT', [sub], 'u-agent')}`;
    const adminB = `Bearer ${t.token('ADMIN', [subB], 'u-admin-b')}`;
    await t.http
      .patch(`/api/sub-accounts/${sub}`)
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send({ timezone: 'Asia/Kolkata' })
      .expect(200);
    await seedLeads(t.sql, sub, [
      { at: '2024-03-01T05:00:00Z', name: 'A1', status: 'CONVERTED', platform: 'meta', campaignId: 'c1' },
      { at: '2024-03-01T06:00:00Z', name: 'A2', status: 'CONTACTED', platform: 'meta', campaignId: 'c1' },
      { at: '2024-03-02T06:00:00Z', name: 'A3', status: 'LOST', platform: 'google-ads', campaignId: 'g1' },
    ]);
    await seedSpend(t.sql, sub, [{ day: '2024-03-01', campaignId: 'c1', spend: '12.5000', currency: 'EUR' }]);
    return { t, sub, subB, admin, manager, agent, adminB, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** GET as the fixture's ADMIN (or `auth`), on the fixture the part's beforeAll set (read when called). */
export const getAs =
  (fx: () => AnalyticsReportsFixture) =>
  (path: string, auth = fx().admin) =>
    fx().t.http.get(path).set('authorization', auth);
/** The fields a 400's details name. */
export const names = (details: unknown): string[] =>
  Array.isArray(details) ? (details as Detail[]).map((d) => d.field ?? d.pointer ?? '') : [];
