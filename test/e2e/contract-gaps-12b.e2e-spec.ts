// Audit 12 (b) of API.md "Conventions" over the WhatsApp, messaging and reports routes: "Ids are returned as
// the API returns them (integers for sub-accounts, templates and integrations; strings for high-volume
// records such as events, jobs, leads and messages)", "Ids of messages, conversations, bulk jobs and
// templates are strings" (WhatsApp) and "Timestamps ISO-8601 UTC". contract-core scans the integration and
// lead routes for both; no spec scanned these routes, where an id or a timestamp is read from other tables
// (a conversation's leadId, a recipient's messageId, a report's period). Every route is read after real
// traffic (a template send, a bulk send, an opt-out, a generated report) so that each field has a value.
// Also the pagination rules on the lists contract-conventions-7 does not list (bulk recipients, events,
// integration templates). Passed when written: no divergence; it stays as a guard.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup, seedLead, whatsAppSetup } from '../support/whatsapp-bulk';

type Json = Record<string, unknown>;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Keys whose values are ids, and the JSON type API.md gives them. */
const ID_TYPES: Record<string, 'number' | 'string'> = {
  subAccountId: 'number',
  integrationId: 'number',
  leadId: 'string',
  messageId: 'string',
  conversationId: 'string',
  bulkId: 'string',
  reportId: 'string',
  jobId: 'string',
};
/** Keys holding instants: `…At`, `…Until` and a report's period bounds. */
const isInstantKey = (key: string): boolean => /(At|Until)$/.test(key) || key === 'periodStart' || key === 'periodEnd';

/** Every id or instant in `value` with a type or form API.md does not give it, as "path: value". */
function violations(value: unknown, path: string, idOfItems: 'number' | 'string'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => violations(v, `${path}[${i}]`, idOfItems));
  if (value === null || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const [key, v] of Object.entries(value as Json)) {
    const at = `${path}.${key}`;
    const idType = key === 'id' ? idOfItems : ID_TYPES[key];
    if (idType && v !== null && typeof v !== idType) found.push(`${at}: ${JSON.stringify(v)} is not a ${idType}`);
    else if (isInstantKey(key) && v !== null && (typeof v !== 'string' || !ISO_UTC.test(v)))
      found.push(`${at}: ${JSON.stringify(v)} is not ISO-8601 UTC`);
    // nested objects (a contact, a template reference) carry ids of their own kind: only the keyed ids count
    else if (key !== 'id') found.push(...violations(v, at, 'string'));
  }
  return found;
}

describe('API.md audit 12b: id types and UTC timestamps across WhatsApp, messaging and reports', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let manager: string;
  let leadId: string;
  let messageId: string;
  let conversationId: string;
  let bulkId: string;
  let reportTemplateId: number;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({ accessToken: 'EAAW-whatsapp-token-wxyz', appSecret: 'wa-app-secret-7777' });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    s = await whatsAppSetup(t, fake);
    manager = auth(t, 'MANAGER', [s.subAccountId]);
    leadId = await seedLead(t.sql, s.subAccountId, '+14155550612', 'Ids Twelve');
    const post = (path: string, body: object) => t.http.post(path).set('authorization', manager).send(body);

    const sent = await post('/api/whatsapp/messages', {
      subAccountId: s.subAccountId,
      leadId,
      template: { id: s.templateId },
      parameters: { '1': 'Ana' },
    });
    expect(sent.status).toBe(202);
    messageId = sent.body.id as string;
    conversationId = sent.body.conversationId as string;
    // Graph's answer to the send gives it a wamid
    await waitFor(async () => {
      const m = await t.http.get(`/api/whatsapp/messages?subAccountId=${s.subAccountId}`).set('authorization', manager);
      return (m.body.items as Json[]).some((i) => i.id === messageId && i.wamid !== null);
    });

    const bulk = await post('/api/whatsapp/bulk', {
      subAccountId: s.subAccountId,
      leadIds: [leadId, await seedLead(t.sql, s.subAccountId, null, 'No Phone')],
      template: { id: s.templateId },
      parameters: { '1': 'Ana' },
    });
    expect(bulk.status).toBe(202);
    bulkId = bulk.body.id as string;
    await waitFor(async () => {
      const b = await t.http.get(`/api/whatsapp/bulk/${bulkId}`).set('authorization', manager);
      return b.body.status === 'completed';
    }, 30_000);

    expect(
      (await post('/api/whatsapp/opt-outs', { subAccountId: s.subAccountId, phone: '+14155550699', scope: 'all' }))
        .status,
    ).toBe(201);

    const template = await post('/api/report-templates', {
      subAccountId: s.subAccountId,
      name: 'Ids twelve',
      type: 'SOURCE',
      config: {
        metrics: ['newLeads'],
        filters: {},
        groupBy: ['source'],
        dateRange: 'LAST_7_DAYS',
        chartTypes: ['table'],
      },
      format: 'EXCEL',
      isActive: true,
    });
    expect(template.status).toBe(201);
    reportTemplateId = template.body.id as number;
    const generated = await post(`/api/report-templates/${reportTemplateId}/generate`, {});
    expect(generated.status).toBe(202);
    await waitFor(async () => {
      const r = await t.http.get(`/api/reports?subAccountId=${s.subAccountId}`).set('authorization', manager);
      return (r.body.items as Json[]).some((i) => i.status === 'ready');
    }, 30_000);
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('answers every id with its API.md type and every instant as ISO-8601 UTC', async () => {
    const sub = s.subAccountId;
    // [path, the JSON type of the `id` of its items (or of the record itself)]
    const routes: Array<[string, 'number' | 'string']> = [
      [`/api/whatsapp/templates?subAccountId=${sub}`, 'string'],
      [`/api/whatsapp/messages?subAccountId=${sub}`, 'string'],
      [`/api/whatsapp/conversations?subAccountId=${sub}`, 'string'],
      [`/api/whatsapp/conversations/${conversationId}`, 'string'],
      [`/api/whatsapp/bulk?subAccountId=${sub}`, 'string'],
      [`/api/whatsapp/bulk/${bulkId}`, 'string'],
      [`/api/whatsapp/bulk/${bulkId}/recipients`, 'string'],
      [`/api/whatsapp/opt-outs?subAccountId=${sub}`, 'string'],
      [`/api/conversations?subAccountId=${sub}`, 'string'],
      [`/api/conversations/${conversationId}`, 'string'],
      [`/api/messages?subAccountId=${sub}`, 'string'],
      [`/api/leads/${leadId}`, 'string'],
      [`/api/report-templates/${reportTemplateId}`, 'number'],
      [`/api/reports?subAccountId=${sub}`, 'string'],
    ];
    const wrong: string[] = [];
    let checkedIds = 0;
    for (const [path, idType] of routes) {
      const res = await t.http.get(path).set('authorization', manager);
      if (res.status !== 200) {
        wrong.push(`${path}: ${res.status}`);
        continue;
      }
      const body = res.body as Json;
      const items = Array.isArray(body.items) ? (body.items as unknown[]) : [body];
      if (items.length === 0) wrong.push(`${path}: no items to check`);
      checkedIds += JSON.stringify(body).match(/"(id|leadId|messageId|conversationId|integrationId)":/g)?.length ?? 0;
      wrong.push(...violations(items, path, idType));
    }
    expect(wrong).toEqual([]);
    // the scan saw ids to check, not only empty pages
    expect(checkedIds).toBeGreaterThan(20);
  });

  it('pages the lists contract-conventions-7 leaves out: pageSize 200 taken, 201 and 0 refused naming pageSize', async () => {
    const lists = [
      `/api/whatsapp/bulk/${bulkId}/recipients`,
      `/api/integrations/${s.integrationId}/events`,
      '/api/integration-templates',
    ];
    const wrong: string[] = [];
    for (const path of lists) {
      const plain = await t.http.get(path).set('authorization', manager);
      if (
        Object.keys(plain.body as Json)
          .sort()
          .join() !== 'items,page,pageSize,total' ||
        plain.body.pageSize !== 50
      )
        wrong.push(`${path}: ${JSON.stringify(Object.keys(plain.body as Json))} ${String(plain.body.pageSize)}`);
      const max = await t.http.get(`${path}?pageSize=200&page=2`).set('authorization', manager);
      if (max.status !== 200 || max.body.pageSize !== 200 || max.body.page !== 2)
        wrong.push(`${path} 200: ${max.status}`);
      for (const bad of ['201', '0']) {
        const res = await t.http.get(`${path}?pageSize=${bad}`).set('authorization', manager);
        const fields = ((res.body.details ?? []) as Array<{ field?: string }>).map((d) => d.field);
        if (res.status !== 400 || res.body.code !== 'VALIDATION_FAILED' || !fields.includes('pageSize'))
          wrong.push(`${path} pageSize=${bad}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
