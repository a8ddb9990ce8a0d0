// Shared setup of the contract-conventions-7-*.e2e-spec.ts parts (the seventh black-box audit): each part
// boots its own app with two tenants, a GoHighLevel integration and a lead, and checks answers against
// API.md's error shape with notEnvelope.
import { createIntegration, createSubAccount, GHL_CONFIG } from './factories';
import { auth } from './security';
import { createTestApp, TestApp } from './test-app';

export type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
export type Res = { status: number; body: Record<string, unknown> };
export const REPORT_CONFIG = {
  metrics: ['newLeads'],
  filters: {},
  groupBy: [],
  dateRange: 'LAST_7_DAYS',
  chartTypes: ['table'],
};

/** '' when `res` is the error shape with this status and code, else what it was. */
export function notEnvelope(res: Res, status: number, code: string): string {
  // a connection test's errors also carry success: false (API.md)
  const { success, ...b } = res.body;
  if (success !== undefined && success !== false) return `success: ${JSON.stringify(success)}`;
  const ok =
    res.status === status &&
    b.statusCode === status &&
    b.code === code &&
    typeof b.message === 'string' &&
    Array.isArray(b.details) &&
    Object.keys(b).sort().join() === 'code,details,message,statusCode';
  return ok ? '' : `${res.status} ${JSON.stringify(b).slice(0, 200)}`;
}

export interface ContractConventions7 {
  t: TestApp;
  /** Tenant A, with the GoHighLevel integration and the lead. */
  sub: number;
  /** Tenant B. */
  other: number;
  su: string;
  ghlId: number;
  leadId: string;
  /** A request with this token, and this body when given. */
  send(method: Method, path: string, token: string, body?: object): Promise<Res>;
  close(): Promise<void>;
}

export async function setupContractConventions7(): Promise<ContractConventions7> {
  const t = await createTestApp();
  const sub = await createSubAccount(t, 'MAX', 'Tenant A');
  const other = await createSubAccount(t, 'MAX', 'Tenant B');
  const su = auth(t, 'SUPER_ADMIN');
  const ghlId = (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
  const lead = await t.http
    .post('/api/leads')
    .set('authorization', su)
    .send({ subAccountId: sub, email: 'a@example.org' });
  const leadId = lead.body.id as string;
  return {
    t,
    sub,
    other,
    su,
    ghlId,
    leadId,
    send: (method, path, token, body) => {
      const req = t.http[method](path).set('authorization', token);
      return body === undefined ? req : req.send(body);
    },
    close: () => t.close(),
  };
}
