// Shared setup of the contract-analytics-7-*.e2e-spec.ts parts (API.md analytics and reports, audit 7): each
// part boots its own app with report storage and a fake SMTP server, and a Sao Paulo sub-account beside another.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubAccount } from './factories';
import { FakeSmtpServer } from './fake-smtp';
import { createTestApp, TestApp } from './test-app';

export type Json = Record<string, unknown>;
interface Detail {
  field?: string;
  pointer?: string;
}
export interface Series {
  key: string;
  points: Array<{ bucket: string; value: number }>;
}

export interface Analytics7 {
  t: TestApp;
  storage: string;
  smtp: FakeSmtpServer;
  /** America/Sao_Paulo */
  sp: number;
  subB: number;
  admin: string;
  manager: string;
  agent: string;
  adminB: string;
  close(): Promise<void>;
}

export async function startAnalytics7(): Promise<Analytics7> {
  const storage = mkdtempSync(join(tmpdir(), 'hub-contract-ar7-'));
  const smtp = await FakeSmtpServer.start();
  const t = await createTestApp({
    env: { REPORT_STORAGE_DIR: storage, SMTP_URL: smtp.url(), MAIL_FROM: 'Hub <reports@hub.example.test>' },
  });
  const close = async () => {
    await t.close();
    await smtp.stop();
    await rm(storage, { recursive: true, force: true });
  };
  // the schedules below fire at chosen instants only: createTestApp runs no report-scheduler cron
  const cron = await t.sql.query("SELECT 1 FROM pgboss.schedule WHERE name = 'report-scheduler'");
  expect(cron.rowCount).toBe(0);
  const sp = await createSubAccount(t, 'PRO', 'Audit7 SP');
  const subB = await createSubAccount(t, 'PRO', 'Audit7 B');
  const admin = `Bearer ${t.token('ADMIN', [sp], 'u-admin')}`;
  const manager = `Bearer ${t.token('MANAGER', [sp], 'u-manager')}`;
  const agent = `Bearer ${t.token('AGENT', [sp], 'u-agent')}`;
  const adminB = `Bearer ${t.token('ADMIN', [subB], 'u-admin-b')}`;
  await t.http
    .patch(`/api/sub-accounts/${sp}`)
    .set('authorization', admin)
    .send({ timezone: 'America/Sao_Paulo' })
    .expect(200);
  return { t, storage, smtp, sp, subB, admin, manager, agent, adminB, close };
}

export const names = (details: unknown): string[] =>
  Array.isArray(details) ? (details as Detail[]).map((d) => d.field ?? d.pointer ?? '') : [];

/** Helpers over the part's app, read when called (after its beforeAll). */
export function analytics7Helpers(w: () => Analytics7) {
  const get = (path: string, auth = w().admin) => w().t.http.get(path).set('authorization', auth);
  const ok = async (path: string, auth = w().admin): Promise<Json> => {
    const res = await get(path, auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Json;
  };
  const setStatus = (id: string, to: string, at: string): Promise<unknown> =>
    w().t.sql.query(`SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, 'u-admin', 'api')`, [
      w().sp,
      id,
      to,
      at,
    ]);
  return { get, ok, setStatus };
}
