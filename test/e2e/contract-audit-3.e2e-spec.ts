// A third black-box audit of API.md: two rules swept over every route, table-driven.
//  1. "Unknown JSON fields in request bodies are rejected (VALIDATION_FAILED), never silently stored":
//     every write body with (a) an unknown top-level field, (b) an unknown field in each nested object,
//     (c) a field of the wrong type, (d) null for a required field, (e) an array or a string as the
//     whole body, (f) no body where one is required; and the routes that take no body at all.
//  2. Tenant isolation: an ADMIN of sub-account B holding A's record ids, A's sub-account id and A's
//     ids inside bodies gets 404 (records) or 403 (an explicit subAccountId), and lists never hold A's rows.
// Cases other specs already pin are left to them (contract-core, integrations-isolation, attacker-recent).
// Failed before their fix: every case of "routes that take no body" (test, disconnect, sync,
// rotate-webhook-secret, replay, bulk cancel/pause/resume ran with {"zzUnknown":true}, an array or a
// string as their body; the three DELETE rows were added after that fix, which covers them too);
// POST /api/leads with a customAnswers value that is not text (400 with empty
// details, the field unnamed); an unknown key in a report template's config or schedule (details named
// the object holding it, not the key). Everything else passed and stays as a guard of what no other
// spec covers.
import { createIntegration, createSubAccount, GHL_CONFIG, templateId, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';
import { approvedTemplate } from '../support/whatsapp-bulk';

type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'patch' | 'delete';
type Res = { status: number; body: Json & { code?: string; details?: Array<{ field?: string; pointer?: string }> } };

const PHONE_B = '106540352249999';
const WABA_B = '102290129349999';
/** Strings only A's rows hold: none may appear in an answer to B. */
const A_MARKERS = [
  'Tenant A',
  'VictimText',
  'Victim Alice',
  'victim.alice@a.example',
  'victim_tpl',
  'Victim report',
  'VictimProfile',
  '+14155559876',
];
const UNKNOWN = 'zzUnknown';
/** Bytes sent as they are, with content-type application/json. */
class Raw {
  constructor(readonly text: string) {}
}

/** The body with `zzUnknown: true` added to the object at `at` (a path of keys and indexes). */
function withUnknownAt(body: Json, at: Array<string | number>): Json {
  const copy = JSON.parse(JSON.stringify(body)) as Json;
  let node: Record<string | number, unknown> = copy;
  for (const key of at) node = node[key] as Record<string | number, unknown>;
  node[UNKNOWN] = true;
  return copy;
}

describe('API.md contract audit 3: unknown fields and tenant isolation on every route', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let ghl: FakeServer;
  const A = { sub: 0, wa: 0, ghl: 0, lead: '', conv: '', message: '', bulk: '', template: '', optOut: '', report: '' };
  const B = { sub: 0, wa: 0, ghl: 0, lead: '', conv: '', message: '', template: '' };
  let aEvent = '';
  let aReportTemplate = 0;
  let aWebhookEvents = 0;
  let other = 0;
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

  beforeAll(async () => {
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
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await ghl?.close();
  });

  describe('Rule 1: "Unknown JSON fields in request bodies are rejected (VALIDATION_FAILED), never silently stored"', () => {
    interface BodyRoute {
      route: string;
      method: Method;
      token: () => string;
      path: () => string;
      /** A body the route takes (a 2xx without the defect). */
      body: () => Json;
      /** Each nested object of the body that has declared fields: where it is. */
      nested: Array<Array<string | number>>;
      wrongType: [string, unknown];
      /** More values of the wrong type: [field, value, the field details must name]. */
      moreWrong?: Array<[string, unknown, string]>;
      /** Optional fields that cannot be cleared: null is refused, not read as "left out". */
      notNull?: string[];
      /** A required field (null must be refused), if the body has one. */
      required?: string;
      /** A connection test: its errors also carry success: false. */
      connectionTest?: true;
      /** Its nested objects are checked by a JSON Schema whose errors name the object, not the unknown key. */
      namedByParent?: true;
    }
    const routes = (): BodyRoute[] => [
      {
        route: 'POST /api/integration-templates',
        method: 'post',
        token: () => su,
        path: () => '/api/integration-templates',
        // configSchema is a JSON Schema: any keyword is its own (Ajv strict mode judges it), not a DTO field
        body: () => ({
          name: 'audit3-forms',
          displayName: 'Forms',
          category: 'Forms',
          handler: 'generic-webhook',
          configSchema: { type: 'object', properties: {} },
        }),
        nested: [],
        wrongType: ['displayName', 42],
        // a configSchema that is no object at all ("object", []) is not an object schema: API.md's
        // CONFIG_SCHEMA_INVALID with the reason in details, pinned by contract-conventions-7
        required: 'handler',
      },
      {
        route: 'PATCH /api/integration-templates/:id',
        method: 'patch',
        token: () => su,
        path: () => `/api/integration-templates/${templateIds.meta}`,
        body: () => ({ displayName: 'Meta renamed' }),
        nested: [],
        wrongType: ['isActive', 'yes'],
        notNull: ['name', 'displayName', 'configSchema', 'isActive'],
      },
      {
        route: 'POST /api/integrations',
        method: 'post',
        token: () => adminA,
        path: () => '/api/integrations',
        // config is checked by the template's JSON Schema (its own case below)
        body: () => ({ subAccountId: A.sub, integrationTemplateId: templateIds.ghl, name: 'x', config: GHL_CONFIG }),
        nested: [],
        wrongType: ['name', ['x']],
        moreWrong: [
          ['config', 'x', 'config'],
          ['config', [GHL_CONFIG], 'config'],
        ],
        required: 'integrationTemplateId',
      },
      {
        route: 'POST /api/integrations/test-config',
        method: 'post',
        token: () => adminA,
        path: () => '/api/integrations/test-config',
        body: () => ({ subAccountId: A.sub, integrationTemplateId: templateIds.ghl, config: GHL_CONFIG }),
        nested: [],
        wrongType: ['integrationTemplateId', 'ghl'],
        required: 'subAccountId',
        connectionTest: true,
      },
      {
        route: 'PATCH /api/integrations/:id',
        method: 'patch',
        token: () => adminA,
        path: () => `/api/integrations/${A.ghl}`,
        body: () => ({ name: 'renamed', description: 'd' }),
        nested: [],
        wrongType: ['isActive', 'true'],
        moreWrong: [['config', 'x', 'config']],
        notNull: ['name', 'config', 'isActive'],
      },
      {
        route: 'POST /api/integrations/:id/ghl/calendars/:calendarId/block-slots',
        method: 'post',
        token: () => adminA,
        path: () => `/api/integrations/${A.ghl}/ghl/calendars/cal1/block-slots`,
        body: () => ({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' }),
        nested: [],
        wrongType: ['title', 7],
        required: 'startTime',
      },
      {
        route: 'POST /api/integrations/:id/ghl/contacts',
        method: 'post',
        token: () => adminA,
        path: () => `/api/integrations/${A.ghl}/ghl/contacts`,
        body: () => ({ leadId: A.lead }),
        nested: [],
        wrongType: ['leadId', { id: A.lead }],
        required: 'leadId',
      },
      {
        route: 'POST /api/integrations/:id/oauth/start',
        method: 'post',
        token: () => adminA,
        path: () => `/api/integrations/${A.ghl}/oauth/start`,
        body: () => ({ redirectUri: 'https://crm.example.com/done' }),
        nested: [],
        wrongType: ['redirectUri', 5],
        required: 'redirectUri',
      },
      {
        route: 'POST /api/leads',
        method: 'post',
        token: () => adminA,
        path: () => '/api/leads',
        body: () => ({ subAccountId: A.sub, fullName: 'New', email: 'new@a.example', source: { platform: 'manual' } }),
        nested: [['source']],
        wrongType: ['email', 12],
        // customAnswers is a map of the form's questions: any key, but answers are text
        moreWrong: [
          ['customAnswers', { q: { nested: 1 } }, 'customAnswers'],
          ['customAnswers', { q: 5 }, 'customAnswers'],
          ['source', 'manual', 'source'],
        ],
        required: 'subAccountId',
      },
      {
        route: 'PATCH /api/leads/:id',
        method: 'patch',
        token: () => adminA,
        path: () => `/api/leads/${A.lead}`,
        body: () => ({ status: 'CONTACTED', tags: ['x'] }),
        nested: [],
        wrongType: ['tags', 'x'],
        moreWrong: [
          ['tags', [1, 2], 'tags'],
          ['tags', [{}], 'tags'],
        ],
        notNull: ['status', 'tags'],
      },
      {
        route: 'POST /api/leads/:id/activities',
        method: 'post',
        token: () => adminA,
        path: () => `/api/leads/${A.lead}/activities`,
        body: () => ({ type: 'CALL', outcome: 'ANSWERED', userId: 'u1' }),
        nested: [],
        wrongType: ['durationSeconds', '60'],
        required: 'type',
      },
      {
        route: 'PATCH /api/sub-accounts/:id',
        method: 'patch',
        token: () => adminA,
        path: () => `/api/sub-accounts/${A.sub}`,
        body: () => ({
          timezone: 'Europe/Lisbon',
          funnelStages: ['NEW', 'CONVERTED'],
          scoreWeights: { answeredCall: 5, source: { meta: 8 }, stage: { CONTACTED: 10 } },
        }),
        // not in API.md, but a body field all the same; `source` and `stage` are keyed by platform and status
        nested: [['scoreWeights'], ['scoreWeights', 'source'], ['scoreWeights', 'stage']],
        wrongType: ['funnelStages', 'NEW'],
        notNull: ['timezone', 'funnelStages'],
      },
      {
        route: 'POST /api/whatsapp/templates',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/templates',
        body: () => ({
          integrationId: A.wa,
          name: 'audit3_new',
          language: 'en_US',
          category: 'UTILITY',
          components: [
            { type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } },
            { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] },
          ],
        }),
        nested: [
          ['components', 0],
          ['components', 0, 'example'],
          ['components', 1],
          ['components', 1, 'buttons', 0],
        ],
        wrongType: ['components', { type: 'BODY' }],
        required: 'integrationId',
      },
      {
        route: 'POST /api/whatsapp/templates/sync',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/templates/sync',
        body: () => ({ integrationId: A.wa }),
        nested: [],
        wrongType: ['integrationId', 'one'],
        required: 'integrationId',
      },
      {
        route: 'POST /api/whatsapp/messages',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/messages',
        // parameters is a map of the template's variables: any key is a variable name, not a field
        body: () => ({ subAccountId: A.sub, leadId: A.lead, template: { id: A.template }, parameters: { '1': 'Ana' } }),
        nested: [['template']],
        wrongType: ['parameters', 'Ana'],
        moreWrong: [
          ['parameters', { '1': { x: 1 } }, 'parameters'],
          ['parameters', { '1': 5 }, 'parameters'],
          ['template', 'victim_tpl', 'template'],
          ['template', [{ id: '1' }], 'template'],
        ],
        notNull: ['integrationId', 'template'],
        required: 'subAccountId',
      },
      {
        route: 'POST /api/whatsapp/conversations/:id/link',
        method: 'post',
        token: () => adminA,
        path: () => `/api/whatsapp/conversations/${A.conv}/link`,
        body: () => ({ leadId: A.lead }),
        nested: [],
        wrongType: ['leadId', true],
        required: 'leadId',
      },
      {
        route: 'POST /api/whatsapp/conversations/:id/capture-lead',
        method: 'post',
        token: () => adminA,
        path: () => `/api/whatsapp/conversations/${A.conv}/capture-lead`,
        body: () => ({ fullName: 'Captured' }),
        nested: [],
        wrongType: ['fullName', 5],
      },
      {
        route: 'POST /api/whatsapp/conversations/auto-link',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/conversations/auto-link',
        body: () => ({ subAccountId: A.sub }),
        nested: [],
        wrongType: ['subAccountId', 'A'],
        required: 'subAccountId',
      },
      {
        route: 'POST /api/whatsapp/bulk',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/bulk',
        body: () => ({
          subAccountId: A.sub,
          filter: { status: 'NEW', tags: ['x'] },
          template: { id: A.template },
          parameters: { '1': 'x' },
          scheduledAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
        }),
        nested: [['filter'], ['template']],
        wrongType: ['scheduledAt', 1234],
        moreWrong: [
          ['parameters', { '1': ['x'] }, 'parameters'],
          ['filter', ['NEW'], 'filter'],
        ],
        notNull: ['integrationId'],
        required: 'subAccountId',
      },
      {
        route: 'POST /api/whatsapp/opt-outs',
        method: 'post',
        token: () => adminA,
        path: () => '/api/whatsapp/opt-outs',
        body: () => ({ subAccountId: A.sub, phone: '+14155550999', scope: 'all' }),
        nested: [],
        wrongType: ['scope', ['all']],
        required: 'scope',
      },
      {
        route: 'POST /api/messages',
        method: 'post',
        token: () => adminA,
        path: () => '/api/messages',
        body: () => ({ subAccountId: A.sub, channel: 'whatsapp', conversationId: A.conv, text: 'hi' }),
        nested: [],
        wrongType: ['text', { body: 'hi' }],
        required: 'channel',
      },
      {
        route: 'POST /api/conversations/:id/link',
        method: 'post',
        token: () => adminA,
        path: () => `/api/conversations/${A.conv}/link`,
        body: () => ({ leadId: A.lead }),
        nested: [],
        wrongType: ['leadId', 12.5],
        required: 'leadId',
      },
      {
        route: 'POST /api/conversations/:id/capture-lead',
        method: 'post',
        token: () => adminA,
        path: () => `/api/conversations/${A.conv}/capture-lead`,
        body: () => ({ fullName: 'Captured' }),
        nested: [],
        wrongType: ['email', false],
      },
      {
        route: 'POST /api/analytics/rebuild',
        method: 'post',
        token: () => adminA,
        path: () => '/api/analytics/rebuild',
        body: () => ({ subAccountId: A.sub, from: '2026-03-01', to: '2026-03-02' }),
        nested: [],
        wrongType: ['from', 20260301],
        required: 'subAccountId',
      },
      {
        route: 'POST /api/report-templates',
        method: 'post',
        token: () => adminA,
        path: () => '/api/report-templates',
        body: () => ({
          subAccountId: A.sub,
          name: 'New report',
          type: 'SOURCE',
          config: {
            metrics: ['newLeads'],
            filters: { source: ['manual'] },
            groupBy: [],
            dateRange: { from: '2026-03-01', to: '2026-03-31' },
            chartTypes: ['table'],
          },
          format: 'PDF',
          schedule: { frequency: 'DAILY', time: '08:00', recipients: ['boss@a.example'] },
        }),
        nested: [['config'], ['config', 'filters'], ['config', 'dateRange'], ['schedule']],
        wrongType: ['name', 1],
        required: 'config',
        namedByParent: true,
      },
      {
        route: 'PATCH /api/report-templates/:id',
        method: 'patch',
        token: () => adminA,
        path: () => `/api/report-templates/${aReportTemplate}`,
        body: () => ({
          name: 'Victim report',
          config: { metrics: ['newLeads'], groupBy: [], dateRange: { from: '2026-03-01', to: '2026-03-31' } },
          schedule: { frequency: 'WEEKLY', dayOfWeek: 1, time: '08:00', recipients: ['boss@a.example'] },
        }),
        nested: [['config'], ['config', 'dateRange'], ['schedule']],
        wrongType: ['isActive', 'no'],
        notNull: ['name', 'type', 'config', 'format', 'isActive'],
        namedByParent: true,
      },
      {
        route: 'POST /api/report-templates/:id/generate',
        method: 'post',
        token: () => adminA,
        path: () => `/api/report-templates/${aReportTemplate}/generate`,
        body: () => ({ format: 'PDF', from: '2026-03-01', to: '2026-03-02' }),
        nested: [],
        wrongType: ['from', 1],
      },
    ];
    const templateIds = { meta: 0, ghl: 0 };
    beforeAll(async () => {
      templateIds.meta = await templateId(t, 'meta-lead-ads');
      templateIds.ghl = await templateId(t, 'gohighlevel');
    });

    interface Case {
      what: string;
      body: unknown;
      /** What `details` must name (a field, or a JSON pointer of a JSON Schema error); undefined: anything. */
      names?: string;
      namedByParent?: boolean;
    }
    const cases = (r: BodyRoute): Case[] => {
      const valid = r.body();
      const list: Case[] = [
        { what: '(a) unknown top-level field', body: { ...valid, [UNKNOWN]: true }, names: UNKNOWN },
        ...r.nested.map((at) => ({
          what: `(b) unknown field in ${at.join('.')}`,
          body: withUnknownAt(valid, at),
          names: [...at, UNKNOWN].join('.'),
          namedByParent: r.namedByParent,
        })),
        {
          what: `(c) ${r.wrongType[0]} of the wrong type`,
          body: { ...valid, [r.wrongType[0]]: r.wrongType[1] },
          names: r.wrongType[0],
        },
        ...(typeof valid.subAccountId === 'number'
          ? [
              {
                what: '(c) subAccountId as a string',
                body: { ...valid, subAccountId: String(valid.subAccountId) },
                names: 'subAccountId',
              },
            ]
          : []),
        ...(r.notNull ?? []).map((field) => ({
          what: `(d) ${field}: null`,
          body: { ...valid, [field]: null },
          names: field,
        })),
        ...(r.moreWrong ?? []).map(([field, value, names]) => ({
          what: `(c) ${field}: ${JSON.stringify(value)}`,
          body: { ...valid, [field]: value },
          names,
        })),
        { what: '(e) an array as the body', body: [valid] },
        { what: '(e) a string as the body', body: 'hello' },
        { what: '(e) a number as the body', body: new Raw('42') },
      ];
      if (r.required) {
        list.push({ what: `(d) ${r.required}: null`, body: { ...valid, [r.required]: null }, names: r.required });
        list.push({ what: '(f) no body', body: undefined });
        list.push({ what: '(f) an empty application/json body', body: new Raw('') });
        list.push({ what: '(f) a JSON null body', body: new Raw('null') });
      }
      return list;
    };
    const table = (): Array<[string, string, BodyRoute, Case]> =>
      routes().flatMap((r) => cases(r).map((c): [string, string, BodyRoute, Case] => [r.route, c.what, r, c]));

    const defects = async (r: BodyRoute, c: Case, checkNamed = true): Promise<string[]> => {
      const before = await fingerprint();
      const sent = outbound();
      const res = await call(r.method, r.path(), r.token(), c.body);
      const details = Array.isArray(res.body.details) ? res.body.details : [];
      const named = details.map((d) =>
        (d.field ?? (d.pointer ?? '').slice(1).replace(/\//g, '.')).replace(/\[(\d+)\]/g, '.$1'),
      );
      const codeOk =
        res.body.code === 'VALIDATION_FAILED' ||
        // report `config` is validated by a JSON Schema (API.md "Reports"), as integration configs are
        (res.body.code === 'CONFIG_SCHEMA_INVALID' &&
          r.route.includes('report-templates') &&
          c.names?.startsWith('config.'));
      // API.md: every error body of a failed connection test also carries success: false
      const keys = ['code', 'details', 'message', 'statusCode', ...(r.connectionTest ? ['success'] : [])].sort();
      const problems: string[] = [];
      if (res.status !== 400 || !codeOk) problems.push(`${res.status} ${res.body.code ?? ''}`);
      if (JSON.stringify(Object.keys(res.body).sort()) !== JSON.stringify(keys))
        problems.push(`shape ${Object.keys(res.body).join(',')}`);
      if (checkNamed && c.names !== undefined && !named.some((n) => n === c.names || n.startsWith(`${c.names}.`)))
        problems.push(`details name ${JSON.stringify(named)}`);
      if ((await fingerprint()) !== before) problems.push('stored something');
      if (outbound() !== sent) problems.push('called a provider');
      return problems.map((p) => `${r.route} ${c.what}: ${p}`);
    };

    it('refuses each defective body of every write route with 400 in the one error shape, naming the field, storing and sending nothing', async () => {
      const wrong: string[] = [];
      for (const [, , r, c] of table()) if (!c.namedByParent) wrong.push(...(await defects(r, c)));
      expect(wrong).toEqual([]);
    });

    // a report template's config and schedule are checked by Ajv: the unknown key is named itself
    it('names the unknown key itself in a report template config or schedule', async () => {
      const wrong: string[] = [];
      for (const [, , r, c] of table()) if (c.namedByParent) wrong.push(...(await defects(r, c)));
      expect(wrong).toEqual([]);
    });

    it('refuses an integration config holding a property the template schema does not declare (CONFIG_SCHEMA_INVALID)', async () => {
      const wrong: string[] = [];
      const sends: Array<[string, Method, string, Json]> = [
        [
          'create',
          'post',
          '/api/integrations',
          {
            subAccountId: A.sub,
            integrationTemplateId: templateIds.ghl,
            name: 'x',
            config: { ...GHL_CONFIG, [UNKNOWN]: 1 },
          },
        ],
        [
          'test-config',
          'post',
          '/api/integrations/test-config',
          { subAccountId: A.sub, integrationTemplateId: templateIds.ghl, config: { ...GHL_CONFIG, [UNKNOWN]: 1 } },
        ],
        ['update', 'patch', `/api/integrations/${A.ghl}`, { config: { [UNKNOWN]: 1 } }],
      ];
      for (const [what, method, path, body] of sends) {
        const before = await fingerprint();
        const res = await call(method, path, adminA, body);
        if (res.status !== 400 || res.body.code !== 'CONFIG_SCHEMA_INVALID')
          wrong.push(`${what}: ${res.status} ${res.body.code}`);
        else if (!JSON.stringify(res.body.details).includes(UNKNOWN))
          wrong.push(`${what}: details ${JSON.stringify(res.body.details)}`);
        if ((await fingerprint()) !== before) wrong.push(`${what}: stored something`);
      }
      expect(wrong).toEqual([]);
    });

    // routes that take no body: a body with fields is a client mistake the route would silently drop
    it.each([
      ['POST /api/integrations/:id/test', 'post', () => `/api/integrations/${A.ghl}/test`],
      ['POST /api/integrations/:id/disconnect', 'post', () => `/api/integrations/${A.ghl}/disconnect`],
      ['POST /api/integrations/:id/sync', 'post', () => `/api/integrations/${A.ghl}/sync`],
      [
        'POST /api/integrations/:id/rotate-webhook-secret',
        'post',
        () => `/api/integrations/${A.ghl}/rotate-webhook-secret`,
      ],
      ['POST /api/webhook-events/:id/replay', 'post', () => `/api/webhook-events/${aEvent}/replay`],
      // not in API.md, but served: the same rule
      [
        'POST /api/integrations/:id/events/replay-failed',
        'post',
        () => `/api/integrations/${A.ghl}/events/replay-failed`,
      ],
      ['POST /api/whatsapp/bulk/:id/cancel', 'post', () => `/api/whatsapp/bulk/${A.bulk}/cancel`],
      ['POST /api/whatsapp/bulk/:id/pause', 'post', () => `/api/whatsapp/bulk/${A.bulk}/pause`],
      ['POST /api/whatsapp/bulk/:id/resume', 'post', () => `/api/whatsapp/bulk/${A.bulk}/resume`],
      ['DELETE /api/whatsapp/conversations/:id/link', 'delete', () => `/api/whatsapp/conversations/${A.conv}/link`],
      ['DELETE /api/whatsapp/opt-outs/:id', 'delete', () => `/api/whatsapp/opt-outs/${A.optOut}`],
      ['DELETE /api/integrations/:id', 'delete', () => `/api/integrations/${A.ghl}`],
    ] as Array<[string, Method, () => string]>)(
      '%s refuses a body with fields, an array or a string: 400 VALIDATION_FAILED, nothing done',
      async (_route, method, path) => {
        for (const body of [{ [UNKNOWN]: true }, [{ [UNKNOWN]: true }], 'hello']) {
          const before = await fingerprint();
          const sent = outbound();
          const res = await call(method, path(), adminA, body);
          expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
            JSON.stringify(body),
            400,
            'VALIDATION_FAILED',
          ]);
          expect(await fingerprint()).toBe(before);
          expect(outbound()).toBe(sent);
        }
      },
    );
  });

  it('tells a caller without a token, or without the role, so before anything about the body of a route taking none', async () => {
    const path = `/api/integrations/${A.ghl}/disconnect`;
    expect((await call('post', path, 'Bearer not-a-token', { [UNKNOWN]: true })).status).toBe(401);
    const agent = auth(t, 'AGENT', [A.sub]);
    expect((await call('post', path, agent, { [UNKNOWN]: true })).status).toBe(403);
  });

  describe("Rule 2: an ADMIN of B holding A's ids gets 404 for records, 403 for A's subAccountId, and nothing of A's", () => {
    // 'empty': a filter naming A's record answers B's empty page, as a filter naming no record does (or 404);
    // 'unknown ids': bulk leadIds are checked as a list, 400 naming the ids not found in B, as for ids of no lead
    // 'no leak': B's own record, asked with one of A's ids as a parameter: any answer but 5xx, with nothing of A's
    type Expect = 403 | 404 | 'empty' | 'unknown ids' | 'no leak';
    // [what, method, path, body, answer]; the cases contract-core, integrations-isolation and attacker-recent
    // already pin (integration GET/PATCH/DELETE/test/rotate/disconnect/OAuth/GHL, event replay, sync runs,
    // lead GET, WhatsApp send as B / on A's number / replying to A's message, A's template sync) are theirs
    const isolation = (): Array<[string, Method, string, Json | undefined, Expect]> => [
      // records by id in the path
      ["A's integration health", 'get', `/api/integrations/${A.ghl}/health`, undefined, 404],
      ["A's integration events", 'get', `/api/integrations/${A.ghl}/events`, undefined, 404],
      ["A's failed events replayed", 'post', `/api/integrations/${A.ghl}/events/replay-failed`, undefined, 404],
      ["A's integration sync", 'post', `/api/integrations/${A.ghl}/sync`, undefined, 404],
      ["A's lead PATCH", 'patch', `/api/leads/${A.lead}`, { status: 'LOST' }, 404],
      ["A's lead history", 'get', `/api/leads/${A.lead}/history`, undefined, 404],
      ["A's lead activities", 'post', `/api/leads/${A.lead}/activities`, { type: 'NOTE', userId: 'b' }, 404],
      // the sub-account is the record here, not a subAccountId parameter
      ["A's sub-account", 'get', `/api/sub-accounts/${A.sub}`, undefined, 404],
      [
        "B's conversation paged back from A's message",
        'get',
        `/api/whatsapp/conversations/${B.conv}?before=${A.message}`,
        undefined,
        'no leak',
      ],
      [
        "B's conversation (channels) paged back from A's message",
        'get',
        `/api/conversations/${B.conv}?before=${A.message}`,
        undefined,
        'no leak',
      ],
      ["A's sub-account PATCH", 'patch', `/api/sub-accounts/${A.sub}`, { timezone: 'Asia/Tokyo' }, 404],
      ["A's WhatsApp conversation", 'get', `/api/whatsapp/conversations/${A.conv}`, undefined, 404],
      ["A's WhatsApp conversation link", 'post', `/api/whatsapp/conversations/${A.conv}/link`, { leadId: B.lead }, 404],
      ["A's WhatsApp conversation unlink", 'delete', `/api/whatsapp/conversations/${A.conv}/link`, undefined, 404],
      ["A's WhatsApp conversation capture", 'post', `/api/whatsapp/conversations/${A.conv}/capture-lead`, {}, 404],
      ["A's conversation (channels)", 'get', `/api/conversations/${A.conv}`, undefined, 404],
      ["A's conversation link (channels)", 'post', `/api/conversations/${A.conv}/link`, { leadId: B.lead }, 404],
      ["A's conversation capture (channels)", 'post', `/api/conversations/${A.conv}/capture-lead`, {}, 404],
      ["A's bulk", 'get', `/api/whatsapp/bulk/${A.bulk}`, undefined, 404],
      ["A's bulk recipients", 'get', `/api/whatsapp/bulk/${A.bulk}/recipients`, undefined, 404],
      ["A's bulk cancel", 'post', `/api/whatsapp/bulk/${A.bulk}/cancel`, undefined, 404],
      ["A's bulk pause", 'post', `/api/whatsapp/bulk/${A.bulk}/pause`, undefined, 404],
      ["A's bulk resume", 'post', `/api/whatsapp/bulk/${A.bulk}/resume`, undefined, 404],
      ["A's WhatsApp template DELETE", 'delete', `/api/whatsapp/templates/${A.template}`, undefined, 404],
      ["A's opt-out DELETE", 'delete', `/api/whatsapp/opt-outs/${A.optOut}`, undefined, 404],
      ["A's report template", 'get', `/api/report-templates/${aReportTemplate}`, undefined, 404],
      ["A's report template PATCH", 'patch', `/api/report-templates/${aReportTemplate}`, { name: 'stolen' }, 404],
      ["A's report template DELETE", 'delete', `/api/report-templates/${aReportTemplate}`, undefined, 404],
      ["A's report template generate", 'post', `/api/report-templates/${aReportTemplate}/generate`, {}, 404],
      ["A's report download", 'get', `/api/reports/${A.report}/download`, undefined, 404],
      // A's ids inside B's own bodies
      [
        "A's lead in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, leadId: A.lead, text: 'hi' },
        404,
      ],
      [
        "A's template in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, leadId: B.lead, template: { id: A.template }, parameters: { '1': 'x' } },
        404,
      ],
      [
        "A's integration in a WhatsApp send",
        'post',
        '/api/whatsapp/messages',
        {
          subAccountId: B.sub,
          integrationId: A.wa,
          leadId: B.lead,
          template: { id: B.template },
          parameters: { '1': 'x' },
        },
        404,
      ],
      ["A's lead to B's GoHighLevel", 'post', `/api/integrations/${B.ghl}/ghl/contacts`, { leadId: A.lead }, 404],
      [
        "A's lead linked to B's conversation",
        'post',
        `/api/whatsapp/conversations/${B.conv}/link`,
        { leadId: A.lead },
        404,
      ],
      [
        "A's lead linked to B's conversation (channels)",
        'post',
        `/api/conversations/${B.conv}/link`,
        { leadId: A.lead },
        404,
      ],
      [
        "A's leads in a bulk",
        'post',
        '/api/whatsapp/bulk',
        { subAccountId: B.sub, leadIds: [A.lead], template: { id: B.template }, parameters: { '1': 'x' } },
        'unknown ids',
      ],
      [
        "A's template in a bulk",
        'post',
        '/api/whatsapp/bulk',
        { subAccountId: B.sub, leadIds: [B.lead], template: { id: A.template }, parameters: { '1': 'x' } },
        404,
      ],
      [
        "A's integration in a bulk",
        'post',
        '/api/whatsapp/bulk',
        {
          subAccountId: B.sub,
          integrationId: A.wa,
          leadIds: [B.lead],
          template: { id: B.template },
          parameters: { '1': 'x' },
        },
        404,
      ],
      [
        "A's conversation in a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', conversationId: A.conv, text: 'hi' },
        404,
      ],
      [
        "A's lead in a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', leadId: A.lead, text: 'hi' },
        404,
      ],
      [
        "A's message as the reply of a channel send",
        'post',
        '/api/messages',
        { subAccountId: B.sub, channel: 'whatsapp', conversationId: B.conv, text: 'hi', replyToMessageId: A.message },
        404,
      ],
      [
        "A's integration for a new WhatsApp template",
        'post',
        '/api/whatsapp/templates',
        {
          integrationId: A.wa,
          name: 'stolen_tpl',
          language: 'en_US',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Hi' }],
        },
        404,
      ],
      // A's subAccountId in B's bodies
      ['auto-link in A', 'post', '/api/whatsapp/conversations/auto-link', { subAccountId: A.sub }, 403],
      ['bulk in A', 'post', '/api/whatsapp/bulk', { subAccountId: A.sub, leadIds: [A.lead], text: 'hi' }, 403],
      [
        'opt-out in A',
        'post',
        '/api/whatsapp/opt-outs',
        { subAccountId: A.sub, phone: '+14155550998', scope: 'all' },
        403,
      ],
      [
        'channel send in A',
        'post',
        '/api/messages',
        { subAccountId: A.sub, channel: 'whatsapp', conversationId: A.conv, text: 'x' },
        403,
      ],
      ['analytics rebuild of A', 'post', '/api/analytics/rebuild', { subAccountId: A.sub }, 403],
      [
        'report template in A',
        'post',
        '/api/report-templates',
        {
          subAccountId: A.sub,
          name: 'x',
          type: 'SOURCE',
          config: { metrics: ['newLeads'], groupBy: [], dateRange: 'LAST_7_DAYS' },
          format: 'PDF',
        },
        403,
      ],
      // A's subAccountId in B's queries
      ...[
        '/api/whatsapp/templates',
        '/api/whatsapp/conversations',
        '/api/whatsapp/opt-outs',
        '/api/whatsapp/bulk',
        '/api/whatsapp/analytics',
        '/api/conversations',
        '/api/messages',
        '/api/report-templates',
        '/api/reports',
        '/api/audit-log',
        '/api/analytics/overview',
        '/api/analytics/timeseries',
        '/api/analytics/funnel',
        '/api/analytics/team',
        '/api/analytics/attribution',
        '/api/analytics/snapshots',
      ].map((path): [string, Method, string, undefined, Expect] => [
        `${path} of A`,
        'get',
        `${path}?subAccountId=${A.sub}`,
        undefined,
        403,
      ]),
      // A's ids as filters of B's lists
      [
        "B's reports of A's template",
        'get',
        `/api/reports?subAccountId=${B.sub}&templateId=${aReportTemplate}`,
        undefined,
        'empty',
      ],
      [
        "B's messages of A's lead",
        'get',
        `/api/whatsapp/messages?subAccountId=${B.sub}&leadId=${A.lead}`,
        undefined,
        'empty',
      ],
      [
        "B's messages of A's conversation",
        'get',
        `/api/whatsapp/messages?subAccountId=${B.sub}&conversationId=${A.conv}`,
        undefined,
        'empty',
      ],
      [
        "B's templates of A's integration",
        'get',
        `/api/whatsapp/templates?subAccountId=${B.sub}&integrationId=${A.wa}`,
        undefined,
        'empty',
      ],
      [
        "B's conversations of A's integration",
        'get',
        `/api/whatsapp/conversations?subAccountId=${B.sub}&integrationId=${A.wa}`,
        undefined,
        'empty',
      ],
      [
        "B's channel messages of A's lead",
        'get',
        `/api/messages?subAccountId=${B.sub}&leadId=${A.lead}`,
        undefined,
        'empty',
      ],
      [
        "B's channel messages of A's conversation",
        'get',
        `/api/messages?subAccountId=${B.sub}&conversationId=${A.conv}`,
        undefined,
        'empty',
      ],
    ];

    it("answers every route holding A's ids 404 NOT_FOUND / 403 FORBIDDEN, reveals nothing, changes and sends nothing of A's", async () => {
      const wrong: string[] = [];
      for (const [what, method, path, body, status] of isolation()) {
        const beforeA = await fingerprint(A.sub);
        const sent = outbound();
        const res = await call(method, path, adminB, body);
        const answer = `${res.status} ${res.body.code ?? ''}`;
        const accepted =
          status === 'empty'
            ? ['200 ', '404 NOT_FOUND'].includes(answer) && (res.status === 404 || res.body.total === 0)
            : status === 'no leak'
              ? res.status < 500
              : status === 'unknown ids'
                ? ['400 VALIDATION_FAILED', '404 NOT_FOUND'].includes(answer)
                : answer === `${status} ${status === 403 ? 'FORBIDDEN' : 'NOT_FOUND'}`;
        const text = JSON.stringify(res.body);
        if (!accepted) wrong.push(`${what}: ${answer} ${text.slice(0, 120)}`);
        const leaked = A_MARKERS.filter((m) => text.includes(m));
        if (leaked.length) wrong.push(`${what}: leaked ${leaked.join(', ')}`);
        if ((await fingerprint(A.sub)) !== beforeA) wrong.push(`${what}: changed A's rows`);
        if (outbound() !== sent) wrong.push(`${what}: called a provider`);
      }
      expect(wrong).toEqual([]);
      expect((await call('get', `/api/integrations/${A.ghl}/events`, adminA)).body.total).toBe(aWebhookEvents);
    });

    it("never lists A's rows for B: no subAccountId with two sub-accounts in the token, empty, repeated or bracketed", async () => {
      const both = auth(t, 'ADMIN', [B.sub, other]);
      const lists = [
        '/api/sub-accounts',
        '/api/leads?q=Victim',
        '/api/whatsapp/conversations?q=Victim',
        '/api/conversations?q=Victim',
        '/api/integrations',
        '/api/leads',
        '/api/whatsapp/templates',
        '/api/whatsapp/messages',
        '/api/whatsapp/conversations',
        '/api/whatsapp/opt-outs',
        '/api/whatsapp/bulk',
        '/api/conversations',
        '/api/messages',
        '/api/report-templates',
        '/api/reports',
        '/api/audit-log',
        '/api/whatsapp/analytics',
        '/api/analytics/overview',
      ];
      const wrong: string[] = [];
      for (const list of lists) {
        for (const [query, token] of [
          ['', both],
          ['?subAccountId=', both],
          ['?subAccountId=', adminB],
          [`?subAccountId=${B.sub}&subAccountId=${A.sub}`, adminB],
          [`?subAccountId=${A.sub}&subAccountId=${B.sub}`, adminB],
          [`?subAccountId[]=${A.sub}`, adminB],
          [`?subAccountId[0]=${A.sub}`, adminB],
        ] as const) {
          const res = await call('get', `${list}${query.replace(/^\?/, list.includes('?') ? '&' : '?')}`, token);
          const text = JSON.stringify(res.body);
          const leaked = A_MARKERS.filter((m) => text.includes(m));
          const items = Array.isArray(res.body.items) ? (res.body.items as Json[]) : [];
          const foreign = items.filter(
            (i) => i.subAccountId !== undefined && i.subAccountId !== B.sub && i.subAccountId !== other,
          );
          if (res.status >= 500 || leaked.length || foreign.length)
            wrong.push(`${list}${query}: ${res.status} ${leaked.join(',')} ${foreign.length} foreign`);
          // an explicit parameter naming A (alone or among others) is refused, never read as B's (the
          // sub-accounts list has no such parameter: it lists the caller's own)
          if (query.includes(String(A.sub)) && res.status < 400 && list !== '/api/sub-accounts')
            wrong.push(`${list}${query}: ${res.status}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    // last: it gives B a lead and a conversation with the phone of A's lead (a marker above)
    it("keeps B's own work on the phone of A's lead in B: capture, auto-link and a send find no lead of A's", async () => {
      // the contact who is A's lead writes to B's number too
      const mirror = await conversation(B.sub, B.wa, '14155559876', null, 'Mirror');
      const beforeA = await fingerprint(A.sub);
      const linked = await call('post', '/api/whatsapp/conversations/auto-link', adminB, { subAccountId: B.sub });
      expect(linked.status).toBe(200);
      const leadOf = async (conv: string) =>
        (await t.sql.query<{ lead_id: string | null }>('SELECT lead_id::text FROM conversations WHERE id = $1', [conv]))
          .rows[0].lead_id;
      expect(await leadOf(mirror)).not.toBe(A.lead);
      const captured = await call('post', `/api/whatsapp/conversations/${mirror}/capture-lead`, adminB, {});
      expect(captured.status).toBe(201);
      expect(captured.body.id).not.toBe(A.lead);
      expect(JSON.stringify(captured.body)).not.toContain('Victim');
      const sent = await call('post', '/api/whatsapp/messages', adminB, {
        subAccountId: B.sub,
        to: '+14155559876',
        template: { id: B.template },
        parameters: { '1': 'x' },
      });
      expect(sent.status).toBe(202);
      expect(sent.body.conversationId).not.toBe(A.conv);
      expect(await fingerprint(A.sub)).toBe(beforeA);
    });
  });
});
