// API.md contract audit 19 (isolation sweep): "Conventions" and "Authentication and roles" across every route the
// controllers expose (src/modules/**/*.controller.ts), the later ones included: WhatsApp, channels, analytics,
// reports, OAuth, GoHighLevel passthrough, event replay, sync runs, audit log. Audit 3 (contract-audit-3-isolation,
// contract-audit-3-lists) pins the table of routes holding another tenant's ids; this part adds what it leaves:
// - the role table of "Authentication and roles", route by route (AGENT where MANAGER is the least, MANAGER where
//   ADMIN is, ADMIN where SUPER_ADMIN is): 403 FORBIDDEN, nothing stored;
// - the later routes holding A's ids asked by B's ADMIN (replay, sync runs, OAuth start, GoHighLevel free/block
//   slots, template sync, WhatsApp sends naming A's template or number): 404 NOT_FOUND, 403 FORBIDDEN for A's
//   subAccountId, nothing of A's in the answer, nothing of A's changed, no provider called;
// - SUPER_ADMIN's subAccountIds are ignored ("who may act on all");
// - claims of the wrong shape are refused (401), never widened;
// - ids of the wrong type (text, negative, fraction, past int8, UUID for an int) on every route with an id: 400 or
//   404 in the error shape, never 5xx, and list paging (pageSize ≤ 200) on every paged list;
// - the one error shape `{ statusCode, code, message, details }` for unknown routes, 413 and 415.
// The sweep found no divergence in these sections; these tests pin it.
import { sign } from 'jsonwebtoken';
import { A_MARKERS, Audit3, Json, Method, setupAudit3 } from '../support/contract-audit-3-setup';
import { auth } from '../support/security';
import { TEST_JWT_SECRET } from '../support/test-app';

function hasErrorShape(body: Json): boolean {
  return (
    typeof body.statusCode === 'number' &&
    typeof body.code === 'string' &&
    typeof body.message === 'string' &&
    Array.isArray(body.details)
  );
}

describe('API.md contract audit 19: roles, scoping and ids on every route', () => {
  let fx: Audit3;
  let A: Audit3['A'];
  let B: Audit3['B'];
  let call: Audit3['call'];

  beforeAll(async () => {
    fx = await setupAudit3();
    ({ A, B, call } = fx);
  });
  afterAll(() => fx?.close());

  it('refuses each route family to the roles API.md leaves out, 403 FORBIDDEN, and stores nothing', async () => {
    const agent = auth(fx.t, 'AGENT', [A.sub]);
    const manager = auth(fx.t, 'MANAGER', [A.sub]);
    const admin = fx.adminA;
    const slot = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' };
    // [role, token, method, path, body]: every route family whose table row leaves this role out
    const rows: Array<[string, string, Method, string, Json | undefined]> = [
      // integrations: read, test, sync, events, health; GoHighLevel (SUPER_ADMIN, ADMIN, MANAGER)
      ['AGENT', agent, 'get', `/api/integrations?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/${A.ghl}`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/limits?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/${A.ghl}/health`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/${A.ghl}/events`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/${A.ghl}/sync-runs`, undefined],
      ['AGENT', agent, 'post', `/api/integrations/${A.ghl}/sync`, undefined],
      ['AGENT', agent, 'post', `/api/integrations/${A.ghl}/test`, undefined],
      ['AGENT', agent, 'post', `/api/webhook-events/${fx.aEvent}/replay`, undefined],
      ['AGENT', agent, 'post', `/api/integrations/${A.ghl}/events/replay-failed`, undefined],
      ['AGENT', agent, 'get', `/api/integrations/${A.ghl}/ghl/calendars`, undefined],
      ['AGENT', agent, 'post', `/api/integrations/${A.ghl}/ghl/calendars/c1/block-slots`, slot],
      ['AGENT', agent, 'post', `/api/integrations/${A.ghl}/ghl/contacts`, { leadId: A.lead }],
      // integration templates: read active ones (not AGENT)
      ['AGENT', agent, 'get', '/api/integration-templates', undefined],
      ['AGENT', agent, 'get', '/api/integration-handlers', undefined],
      // WhatsApp: templates write/sync, bulk sends, opt-outs (not AGENT)
      ['AGENT', agent, 'post', '/api/whatsapp/templates/sync', { integrationId: A.wa }],
      ['AGENT', agent, 'delete', `/api/whatsapp/templates/${A.template}`, undefined],
      ['AGENT', agent, 'get', `/api/whatsapp/bulk?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/whatsapp/bulk/${A.bulk}`, undefined],
      ['AGENT', agent, 'post', `/api/whatsapp/bulk/${A.bulk}/cancel`, undefined],
      ['AGENT', agent, 'get', `/api/whatsapp/opt-outs?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'delete', `/api/whatsapp/opt-outs/${A.optOut}`, undefined],
      // analytics, report templates, reports (not AGENT)
      ['AGENT', agent, 'get', `/api/whatsapp/analytics?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/analytics/overview?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/analytics/snapshots?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/report-templates?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/report-templates/${fx.aReportTemplate}`, undefined],
      ['AGENT', agent, 'post', `/api/report-templates/${fx.aReportTemplate}/generate`, {}],
      ['AGENT', agent, 'get', `/api/reports?subAccountId=${A.sub}`, undefined],
      ['AGENT', agent, 'get', `/api/reports/${A.report}/download`, undefined],
      // integrations: create, update, delete, rotate secrets; disconnect, OAuth start; analytics rebuild (ADMIN)
      ['MANAGER', manager, 'patch', `/api/integrations/${A.ghl}`, { name: 'x' }],
      ['MANAGER', manager, 'delete', `/api/integrations/${A.ghl}`, undefined],
      ['MANAGER', manager, 'post', `/api/integrations/${A.ghl}/rotate-webhook-secret`, undefined],
      ['MANAGER', manager, 'post', `/api/integrations/${A.ghl}/disconnect`, undefined],
      ['MANAGER', manager, 'post', `/api/integrations/${A.ghl}/oauth/start`, { redirectUri: 'https://crm.example/cb' }],
      ['MANAGER', manager, 'post', '/api/analytics/rebuild', { subAccountId: A.sub }],
      // integration templates: write (SUPER_ADMIN)
      ['ADMIN', admin, 'post', '/api/sub-accounts', { name: 'x', tier: 'PRO' }],
      ['ADMIN', admin, 'patch', '/api/integration-templates/1', { displayName: 'x' }],
      ['ADMIN', admin, 'delete', '/api/integration-templates/1', undefined],
    ];
    const wrong: string[] = [];
    for (const [role, token, method, path, body] of rows) {
      const before = await fx.fingerprint();
      const sent = fx.outbound();
      const res = await call(method, path, token, body);
      if (res.status !== 403 || res.body.code !== 'FORBIDDEN' || !hasErrorShape(res.body))
        wrong.push(`${role} ${method} ${path}: ${res.status} ${res.body.code ?? ''}`);
      if ((await fx.fingerprint()) !== before) wrong.push(`${role} ${method} ${path}: changed rows`);
      if (fx.outbound() !== sent) wrong.push(`${role} ${method} ${path}: called a provider`);
    }
    expect(wrong).toEqual([]);
  });

  it("answers B's ADMIN on the later routes holding A's ids 404 / 403, with nothing of A's and no side effect", async () => {
    const slot = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' };
    const rows: Array<[Method, string, Json | undefined, 403 | 404]> = [
      ['post', `/api/webhook-events/${fx.aEvent}/replay`, undefined, 404],
      ['get', `/api/integrations/${A.ghl}/sync-runs`, undefined, 404],
      ['post', `/api/integrations/${A.ghl}/oauth/start`, { redirectUri: 'https://crm.example.test/cb' }, 404],
      ['get', `/api/integrations/${A.ghl}/ghl/calendars`, undefined, 404],
      [
        'get',
        `/api/integrations/${A.ghl}/ghl/calendars/c1/free-slots?startDate=2026-12-01&endDate=2026-12-02`,
        undefined,
        404,
      ],
      ['post', `/api/integrations/${A.ghl}/ghl/calendars/c1/block-slots`, slot, 404],
      ['post', `/api/integrations/${A.ghl}/ghl/contacts`, { leadId: B.lead }, 404],
      ['post', '/api/whatsapp/templates/sync', { integrationId: A.wa }, 404],
      ['get', `/api/whatsapp/bulk/${A.bulk}/recipients?status=pending`, undefined, 404],
      [
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, integrationId: A.wa, to: '+14155550100', text: 'x' },
        404,
      ],
      [
        'post',
        '/api/whatsapp/messages',
        { subAccountId: B.sub, to: '+14155550100', template: { id: A.template } },
        404,
      ],
      ['post', '/api/whatsapp/bulk', { subAccountId: B.sub, leadIds: [B.lead], template: { id: A.template } }, 404],
      ['post', '/api/whatsapp/bulk', { subAccountId: B.sub, integrationId: A.wa, leadIds: [B.lead], text: 'x' }, 404],
      ['post', '/api/integrations/test-config', { subAccountId: A.sub, integrationTemplateId: 1, config: {} }, 403],
      ['get', `/api/integrations/limits?subAccountId=${A.sub}`, undefined, 403],
      ['post', '/api/leads', { subAccountId: A.sub, fullName: 'x' }, 403],
      ['post', '/api/integrations', { subAccountId: A.sub, integrationTemplateId: 1, name: 'x', config: {} }, 403],
    ];
    const wrong: string[] = [];
    for (const [method, path, body, status] of rows) {
      const before = await fx.fingerprint(A.sub);
      const sent = fx.outbound();
      const res = await call(method, path, fx.adminB, body);
      const code = status === 403 ? 'FORBIDDEN' : 'NOT_FOUND';
      if (res.status !== status || res.body.code !== code || !hasErrorShape(res.body))
        wrong.push(`${method} ${path}: ${res.status} ${res.body.code ?? ''}`);
      const text = JSON.stringify(res.body);
      const leaked = A_MARKERS.filter((m) => text.includes(m));
      if (leaked.length) wrong.push(`${method} ${path}: leaked ${leaked.join(', ')}`);
      if ((await fx.fingerprint(A.sub)) !== before) wrong.push(`${method} ${path}: changed A's rows`);
      if (fx.outbound() !== sent) wrong.push(`${method} ${path}: called a provider`);
    }
    expect(wrong).toEqual([]);
    // B's audit log holds B's records only
    const log = await call('get', '/api/audit-log', fx.adminB);
    expect(log.status).toBe(200);
    const items = log.body.items as Array<{ subAccountId: number | null }>;
    expect(items.length).toBeGreaterThan(0);
    expect(items.filter((i) => i.subAccountId !== B.sub)).toEqual([]);
  });

  it("ignores SUPER_ADMIN's subAccountIds: one naming only B acts on A's records", async () => {
    const su = auth(fx.t, 'SUPER_ADMIN', [B.sub]);
    for (const path of [
      `/api/leads/${A.lead}`,
      `/api/whatsapp/conversations/${A.conv}`,
      `/api/integrations/${A.ghl}/sync-runs`,
      `/api/analytics/overview?subAccountId=${A.sub}`,
      `/api/audit-log?subAccountId=${A.sub}`,
    ]) {
      const res = await call('get', path, su);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it('refuses claims of the wrong shape 401 UNAUTHENTICATED, never reading them as a wider scope', async () => {
    const token = (payload: Json, options: Json = { expiresIn: 600 }): string =>
      `Bearer ${sign(payload, TEST_JWT_SECRET, { algorithm: 'HS256', ...options })}`;
    const unsigned = (payload: Json): string =>
      `Bearer ${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
        JSON.stringify(payload),
      ).toString('base64url')}.`;
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string]> = [
      ['subAccountIds of strings', token({ sub: 'u', role: 'ADMIN', subAccountIds: [String(A.sub)] })],
      ['subAccountIds a string', token({ sub: 'u', role: 'ADMIN', subAccountIds: String(A.sub) })],
      ['subAccountIds an object', token({ sub: 'u', role: 'ADMIN', subAccountIds: { 0: A.sub, length: 1 } })],
      ['a negative sub-account id', token({ sub: 'u', role: 'ADMIN', subAccountIds: [-A.sub] })],
      ['a fractional sub-account id', token({ sub: 'u', role: 'ADMIN', subAccountIds: [A.sub + 0.5] })],
      ['a null sub-account id', token({ sub: 'u', role: 'ADMIN', subAccountIds: [null] })],
      ['a lower-case role', token({ sub: 'u', role: 'admin', subAccountIds: [A.sub] })],
      ['a role in an array', token({ sub: 'u', role: ['SUPER_ADMIN'], subAccountIds: [] })],
      ['no sub', token({ role: 'ADMIN', subAccountIds: [A.sub] })],
      ['no exp', token({ sub: 'u', role: 'ADMIN', subAccountIds: [A.sub] }, {})],
      ['an expired exp', token({ sub: 'u', role: 'ADMIN', subAccountIds: [A.sub], exp: now - 10 }, {})],
      ['another signing key', `Bearer ${sign({ sub: 'u', role: 'ADMIN', subAccountIds: [A.sub] }, 'x'.repeat(48))}`],
      ['alg none', unsigned({ sub: 'u', role: 'SUPER_ADMIN', subAccountIds: [], iat: now, exp: now + 600 })],
    ];
    const wrong: string[] = [];
    for (const [what, bearer] of cases) {
      for (const path of [
        `/api/leads?subAccountId=${A.sub}`,
        `/api/whatsapp/conversations/${A.conv}`,
        '/api/audit-log',
      ]) {
        const res = await call('get', path, bearer);
        if (res.status !== 401 || res.body.code !== 'UNAUTHENTICATED' || !hasErrorShape(res.body))
          wrong.push(`${what} ${path}: ${res.status} ${res.body.code ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers ids of the wrong type 400 or 404 in the error shape on every route with an id, never 5xx', async () => {
    const bad = [
      'abc',
      '-1',
      '0',
      '1.5',
      '99999999999999999999999',
      '3fa85f64-5717-4562-b3fc-2c963f66afa6',
      '1e3',
      '0x10',
    ];
    const slot = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'x' };
    const routes: Array<[Method, string, Json | undefined]> = [
      ['get', '/api/integrations/:id', undefined],
      ['patch', '/api/integrations/:id', { name: 'x' }],
      ['delete', '/api/integrations/:id', undefined],
      ['post', '/api/integrations/:id/test', undefined],
      ['post', '/api/integrations/:id/disconnect', undefined],
      ['post', '/api/integrations/:id/rotate-webhook-secret', undefined],
      ['post', '/api/integrations/:id/sync', undefined],
      ['get', '/api/integrations/:id/sync-runs', undefined],
      ['get', '/api/integrations/:id/health', undefined],
      ['get', '/api/integrations/:id/events', undefined],
      ['post', '/api/integrations/:id/events/replay-failed', undefined],
      ['post', '/api/integrations/:id/oauth/start', { redirectUri: 'https://x.example/cb' }],
      ['get', '/api/integrations/:id/ghl/calendars', undefined],
      ['get', '/api/integrations/:id/ghl/calendars/c1/free-slots?startDate=2026-01-01&endDate=2026-01-02', undefined],
      ['post', '/api/integrations/:id/ghl/calendars/c1/block-slots', slot],
      ['post', '/api/integrations/:id/ghl/contacts', { leadId: '1' }],
      ['post', '/api/webhook-events/:id/replay', undefined],
      ['get', '/api/integration-templates/:id', undefined],
      ['patch', '/api/integration-templates/:id', { displayName: 'x' }],
      ['delete', '/api/integration-templates/:id', undefined],
      ['get', '/api/leads/:id', undefined],
      ['patch', '/api/leads/:id', { status: 'LOST' }],
      ['get', '/api/leads/:id/history', undefined],
      ['post', '/api/leads/:id/activities', { type: 'NOTE', userId: 'u' }],
      ['get', '/api/sub-accounts/:id', undefined],
      ['patch', '/api/sub-accounts/:id', { name: 'x' }],
      ['get', '/api/whatsapp/conversations/:id', undefined],
      ['post', '/api/whatsapp/conversations/:id/link', { leadId: '1' }],
      ['delete', '/api/whatsapp/conversations/:id/link', undefined],
      ['post', '/api/whatsapp/conversations/:id/capture-lead', {}],
      ['get', '/api/conversations/:id', undefined],
      ['post', '/api/conversations/:id/link', { leadId: '1' }],
      ['post', '/api/conversations/:id/capture-lead', {}],
      ['delete', '/api/whatsapp/templates/:id', undefined],
      ['delete', '/api/whatsapp/opt-outs/:id', undefined],
      ['get', '/api/whatsapp/bulk/:id', undefined],
      ['get', '/api/whatsapp/bulk/:id/recipients', undefined],
      ['post', '/api/whatsapp/bulk/:id/pause', undefined],
      ['post', '/api/whatsapp/bulk/:id/resume', undefined],
      ['post', '/api/whatsapp/bulk/:id/cancel', undefined],
      ['get', '/api/report-templates/:id', undefined],
      ['patch', '/api/report-templates/:id', { name: 'x' }],
      ['delete', '/api/report-templates/:id', undefined],
      ['post', '/api/report-templates/:id/generate', {}],
      ['get', '/api/reports/:id/download', undefined],
      // ids in queries
      ['get', '/api/whatsapp/messages?leadId=:id', undefined],
      ['get', '/api/whatsapp/messages?conversationId=:id', undefined],
      ['get', '/api/whatsapp/templates?integrationId=:id', undefined],
      ['get', '/api/whatsapp/conversations?integrationId=:id', undefined],
      ['get', '/api/messages?conversationId=:id', undefined],
      ['get', '/api/reports?templateId=:id', undefined],
      ['get', '/api/integrations?templateId=:id', undefined],
      ['get', '/api/audit-log?subAccountId=:id', undefined],
      ['get', '/api/analytics/overview?subAccountId=:id', undefined],
      ['get', '/api/whatsapp/analytics?subAccountId=:id', undefined],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of routes) {
      for (const id of bad) {
        const res = await call(method, path.replace(':id', id), fx.su, body);
        const refused = [400, 404].includes(res.status) && hasErrorShape(res.body);
        // a query filter naming no record may also answer an empty page
        const empty = path.includes('?') && res.status === 200 && res.body.total === 0;
        if (!refused && !empty) wrong.push(`${method} ${path} ${id}: ${res.status} ${res.body.code ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('bounds paging on every paged list (pageSize 1–200, page ≥ 1): 400 VALIDATION_FAILED outside', async () => {
    const lists = [
      `/api/leads?subAccountId=${A.sub}`,
      `/api/integrations?subAccountId=${A.sub}`,
      '/api/integration-templates?includeInactive=false',
      `/api/audit-log?subAccountId=${A.sub}`,
      `/api/reports?subAccountId=${A.sub}`,
      `/api/report-templates?subAccountId=${A.sub}`,
      `/api/whatsapp/messages?subAccountId=${A.sub}`,
      `/api/whatsapp/templates?subAccountId=${A.sub}`,
      `/api/whatsapp/conversations?subAccountId=${A.sub}`,
      `/api/whatsapp/opt-outs?subAccountId=${A.sub}`,
      `/api/whatsapp/bulk?subAccountId=${A.sub}`,
      `/api/messages?subAccountId=${A.sub}`,
      `/api/conversations?subAccountId=${A.sub}`,
      `/api/integrations/${A.ghl}/sync-runs?status=`,
      `/api/integrations/${A.ghl}/events?status=`,
      `/api/whatsapp/bulk/${A.bulk}/recipients?status=`,
    ].map((l) => l.replace(/\?status=$/, '?page=1'));
    const wrong: string[] = [];
    for (const list of lists) {
      const ok = await call('get', `${list}&pageSize=200`, fx.su);
      if (ok.status !== 200 || ok.body.pageSize !== 200 || ok.body.page !== 1 || typeof ok.body.total !== 'number')
        wrong.push(`${list} pageSize=200: ${ok.status} ${JSON.stringify(ok.body).slice(0, 80)}`);
      for (const q of ['pageSize=201', 'pageSize=0', 'pageSize=-1', 'pageSize=abc', 'page=0', 'page=-1', 'page=1.5']) {
        const res = await call('get', `${list}&${q}`.replace('?page=1&page=', '?page='), fx.su);
        if (res.status !== 400 || res.body.code !== 'VALIDATION_FAILED' || !hasErrorShape(res.body))
          wrong.push(`${list} ${q}: ${res.status} ${res.body.code ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers unknown routes, wrong content types and oversized bodies in the one error shape', async () => {
    const http = fx.t.http;
    const token = fx.adminA;
    const cases: Array<[string, number, string, Promise<{ status: number; body: Json }>]> = [
      ['an unknown route', 404, 'NOT_FOUND', http.get('/api/nope').set('authorization', token)],
      ['an unknown route, no token', 404, 'NOT_FOUND', http.get('/api/nope')],
      ['an unknown method', 404, 'NOT_FOUND', http.put(`/api/leads/${A.lead}`).set('authorization', token).send({})],
      [
        'text/plain',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        http.post('/api/whatsapp/opt-outs').set('authorization', token).set('content-type', 'text/plain').send('x'),
      ],
      [
        'a form',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        http
          .post(`/api/report-templates/${fx.aReportTemplate}/generate`)
          .set('authorization', token)
          .set('content-type', 'application/x-www-form-urlencoded')
          .send('format=PDF'),
      ],
      [
        'a 12 MB body',
        413,
        'PAYLOAD_TOO_LARGE',
        http
          .post('/api/messages')
          .set('authorization', token)
          .set('content-type', 'application/json')
          .send(JSON.stringify({ subAccountId: A.sub, channel: 'whatsapp', text: 'x'.repeat(12 * 1024 * 1024) })),
      ],
      [
        'malformed JSON',
        400,
        'VALIDATION_FAILED',
        http
          .post('/api/whatsapp/bulk')
          .set('authorization', token)
          .set('content-type', 'application/json')
          .send('{"a":'),
      ],
    ];
    const wrong: string[] = [];
    for (const [what, status, code, pending] of cases) {
      const res = await pending;
      if (res.status !== status || res.body.code !== code || res.body.statusCode !== status || !hasErrorShape(res.body))
        wrong.push(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });
});
