// The app and fixtures of API.md contract audit 3 (test/e2e/contract-audit-3*.e2e-spec.ts): each part boots its
// own app with tenants A and B (a WhatsApp and a GoHighLevel integration, a lead, a conversation, a message and an
// approved template each; A's bulk, opt-out, report template and report, failed webhook event and sync run),
// and the helpers the parts share (requests as sent, a fingerprint of every stored row, provider calls).
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from './factories';
import { FakeServer } from './fake-server';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { auth } from './security';
import { createTestApp, TestApp } from './test-app';
import { activate, waitFor } from './webhooks';
import { approvedTemplate } from './whatsapp-bulk';

export type Json = Record<string, unknown>;
export type Method = 'get' | 'post' | 'patch' | 'delete';
export type Res = {
  status: number;
  body: Json & { code?: string; details?: Array<{ field?: string; pointer?: string }> };
};

const PHONE_B = '106540352249999';
const WABA_B = '102290129349999';
/** Strings only A's rows hold: none may appear in an answer to B. */
export const A_MARKERS = [
  'Tenant A',
  'VictimText',
  'Victim Alice',
  'victim.alice@a.example',
  'victim_tpl',
  'Victim report',
  'VictimProfile',
  '+14155559876',
];
export const UNKNOWN = 'zzUnknown';
/** Bytes sent as they are, with content-type application/json. */
export class Raw {
  constructor(readonly text: string) {}
}

/** The body with `zzUnknown: true` added to the object at `at` (a path of keys and indexes). */
export function withUnknownAt(body: Json, at: Array<string | number>): Json {
  const copy = JSON.parse(JSON.stringify(body)) as Json;
  let node: Record<string | number, unknown> = copy;
  for (const key of at) node = node[key] as Record<string | number, unknown>;
  node[UNKNOWN] = true;
  return copy;
}

export interface Audit3 {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  ghl: FakeServer;
  A: {
    sub: number;
    wa: number;
    ghl: number;
    lead: string;
    conv: string;
    message: string;
    bulk: string;
    template: string;
    optOut: string;
    report: string;
  };
  B: { sub: number; wa: number; ghl: number; lead: string; conv: string; message: string; template: string };
  aEvent: string;
  aReportTemplate: number;
  aWebhookEvents: number;
  other: number;
  su: string;
  adminA: string;
  adminB: string;
  call(method: Method, path: string, token: string, body?: unknown): Promise<Res>;
  /** Every row the API can write, as one hash: a refused request leaves it as it was. */
  fingerprint(subAccountId?: number): Promise<string>;
  outbound(): number;
  conversation(sub: number, integration: number, waId: string, lead: string | null, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function setupAudit3(): Promise<Audit3> {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let ghl: FakeServer;
  const A = { sub: 0, wa: 0, ghl: 0, lead: '', conv: '', message: '', bulk: '', template: '', optOut: '', report: '' };
  const B = { sub: 0, wa: 0, ghl: 0, lead: '', conv: '', message: '', template: '' };
  let aEvent: string;
  let aReportTemplate: number;
  let aWebhookEvents: number;
  let other: number;
  let su: string;
  let adminA: string;
  let adminB: string;

  const call = (method: Method, path: string, token: string, body?: unknown): Promise<Res> => {
    const req = t.http[method](path).set('authorization', token);
    if (body === undefined) return req;
    if (body instanceof Raw) return req.set('content-type', 'application/json').send(body.text);
    if (typeof body === 'string') return req.set('content-type', 'application/json').send(JSON.stringify(body));
    return req.send(body as object);
  };

  /** Every row the API can write, as one hash: a refused request leaves it as it was. */
  const fingerprint = async (subAccountId?: number): Promise<string> => {
    const tables = [
      'sub_accounts',
      'integration_templates',
      'integrations',
      'leads',
      'lead_sources',
      'lead_activities',
      'lead_status_changes',
      'conversations',
      'messages',
      'whatsapp_templates',
      'whatsapp_opt_outs',
      'whatsapp_bulk_jobs',
      'whatsapp_bulk_recipients',
      'report_templates',
      'reports',
      'oauth_states',
      'sync_runs',
      'webhook_events',
    ];
    const parts: string[] = [];
    for (const table of tables) {
      const scoped =
        subAccountId !== undefined && !['sub_accounts', 'integration_templates', 'oauth_states'].includes(table);
      const where = scoped ? `WHERE x.sub_account_id = ${subAccountId}` : '';
      const hasSub = scoped
        ? (
            await t.sql.query(
              "SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'sub_account_id'",
              [table],
            )
          ).rowCount
        : 0;
      const { rows } = await t.sql.query<{ h: string | null }>(
        `SELECT md5(string_agg(row_to_json(x)::text, '|' ORDER BY row_to_json(x)::text)) AS h FROM ${table} x ${hasSub ? where : ''}`,
      );
      parts.push(`${table}:${rows[0].h ?? ''}`);
    }
    return parts.join('\n');
  };
  const outbound = (): number => fake.sends.length + fake.requests.length + ghl.requests.length;

  const conversation = async (sub: number, integration: number, waId: string, lead: string | null, name: string) =>
    (
      await t.sql.query<{ id: string }>(
        `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         profile_name, lead_id, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, '+' || $3, '+' || $3, $4, $5::bigint, now(), now(), 1, now())
       RETURNING id::text`,
        [sub, integration, waId, name, lead],
      )
    ).rows[0].id;
  const inboundMessage = async (sub: number, integration: number, conv: string, lead: string, text: string) =>
    (
      await t.sql.query<{ id: string }>(
        `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
         status, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, 'whatsapp', $4::bigint, 'inbound', 'text', $5, 'received', now(), now(), now())
       RETURNING id::text`,
        [sub, integration, conv, lead, text],
      )
    ).rows[0].id;
  const lead = async (sub: number, token: string, fullName: string, email: string, phone: string) => {
    const res = await call('post', '/api/leads', token, { subAccountId: sub, fullName, email, phone });
    if (res.status !== 201) throw new Error(`lead: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };

  const close = async () => {
    await t?.close();
    await fake?.close();
    await ghl?.close();
  };
  try {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [WHATSAPP_CONFIG.phoneNumberId]: WHATSAPP_CONFIG.wabaId, [PHONE_B]: WABA_B },
      pairLimit: null,
    });
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url, GHL_API_URL: ghl.url } });
    su = auth(t, 'SUPER_ADMIN');
    A.sub = await createSubAccount(t, 'MAX', 'Tenant A');
    B.sub = await createSubAccount(t, 'MAX', 'Tenant B');
    other = await createSubAccount(t, 'MAX', "Tenant B's second");
    adminA = auth(t, 'ADMIN', [A.sub]);
    adminB = auth(t, 'ADMIN', [B.sub]);

    A.wa = (await createIntegration(t, A.sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    B.wa = (
      await createIntegration(t, B.sub, 'whatsapp-cloud', {
        ...WHATSAPP_CONFIG,
        phoneNumberId: PHONE_B,
        wabaId: WABA_B,
      })
    ).id;
    A.ghl = (await createIntegration(t, A.sub, 'gohighlevel', GHL_CONFIG)).id;
    B.ghl = (await createIntegration(t, B.sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_TENANT_B' })).id;
    for (const [sub, id] of [
      [A.sub, A.wa],
      [B.sub, B.wa],
      [A.sub, A.ghl],
      [B.sub, B.ghl],
    ])
      await activate(t, sub, id);

    A.lead = await lead(A.sub, adminA, 'Victim Alice', 'victim.alice@a.example', '+14155559876');
    B.lead = await lead(B.sub, adminB, 'Bob Attacker', 'bob@b.example', '+14155550111');
    A.conv = await conversation(A.sub, A.wa, '14155559876', A.lead, 'VictimProfile');
    B.conv = await conversation(B.sub, B.wa, '14155550111', B.lead, 'Bob');
    A.message = await inboundMessage(A.sub, A.wa, A.conv, A.lead, 'VictimText');
    B.message = await inboundMessage(B.sub, B.wa, B.conv, B.lead, 'hi');
    const template = {
      name: 'victim_tpl',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    };
    A.template = await approvedTemplate(t.sql, fake, A.sub, A.wa, template);
    B.template = await approvedTemplate(t.sql, fake, B.sub, B.wa, { ...template, name: 'attacker_tpl' });

    const bulk = await call('post', '/api/whatsapp/bulk', adminA, {
      subAccountId: A.sub,
      leadIds: [A.lead],
      template: { id: A.template },
      parameters: { '1': 'x' },
      scheduledAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
    });
    if (bulk.status !== 202) throw new Error(`bulk: ${bulk.status} ${JSON.stringify(bulk.body)}`);
    A.bulk = bulk.body.id as string;
    const optOut = await call('post', '/api/whatsapp/opt-outs', adminA, {
      subAccountId: A.sub,
      phone: '+14155559875',
      scope: 'marketing',
    });
    if (optOut.status !== 201) throw new Error(`opt-out: ${optOut.status} ${JSON.stringify(optOut.body)}`);
    A.optOut = String(optOut.body.id);
    const reportTemplate = await call('post', '/api/report-templates', adminA, {
      subAccountId: A.sub,
      name: 'Victim report',
      type: 'SOURCE',
      config: { metrics: ['newLeads'], groupBy: [], dateRange: 'LAST_7_DAYS', chartTypes: ['table'] },
      format: 'EXCEL',
    });
    if (reportTemplate.status !== 201) throw new Error(`report template: ${JSON.stringify(reportTemplate.body)}`);
    aReportTemplate = reportTemplate.body.id as number;
    const generated = await call('post', `/api/report-templates/${aReportTemplate}/generate`, adminA, {});
    if (generated.status !== 202) throw new Error(`report: ${JSON.stringify(generated.body)}`);
    A.report = generated.body.reportId as string;
    // settled before the sweep, whose fingerprints would otherwise see it finish
    await waitFor(async () => {
      const { rows } = await t.sql.query<{ status: string }>('SELECT status FROM reports WHERE id = $1', [A.report]);
      return rows[0] && !['queued', 'running'].includes(rows[0].status.toLowerCase());
    });
    aEvent = (
      await t.sql.query<{ id: string }>(
        `INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, external_id, event_type, status, attempts, last_error, payload)
       VALUES ($1, $2, 'gohighlevel', 'id:victim-1', 'victim-1', 'ContactCreate', 'FAILED', 5, 'boom', '{}') RETURNING id::text`,
        [A.ghl, A.sub],
      )
    ).rows[0].id;
    aWebhookEvents = 1;
    await t.sql.query(
      `INSERT INTO sync_runs (integration_id, sub_account_id, status, trigger, finished_at) VALUES ($1, $2, 'SUCCEEDED', 'manual', now())`,
      [A.ghl, A.sub],
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    t,
    fake,
    ghl,
    A,
    B,
    aEvent,
    aReportTemplate,
    aWebhookEvents,
    other,
    su,
    adminA,
    adminB,
    call,
    fingerprint,
    outbound,
    conversation,
    close,
  };
}
