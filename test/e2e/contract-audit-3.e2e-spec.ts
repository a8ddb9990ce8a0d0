// A third black-box audit of API.md: two rules swept over every route, table-driven.
//  1. "Unknown JSON fields in request bodies are rejected (VALIDATION_FAILED), never silently stored":
//     every write body with (a) an unknown top-level field, (b) an unknown field in each nested object,
//     (c) a field of the wrong type, (d) null for a required field, (e) an array or a string as the
//     whole body, (f) no body where one is required; and the routes that take no body at all.
//  2. Tenant isolation: an ADMIN of sub-account B holding A's record ids, A's sub-account id and A's
//     ids inside bodies gets 404 (records) or 403 (an explicit subAccountId), and lists never hold A's rows.
// Cases other specs already pin are left to them (contract-core, integrations-isolation, attacker-recent).
// This part holds rule 1 (the write routes' table is in test/support/contract-audit-3-routes*.ts); rule 2 is in
// contract-audit-3-isolation.e2e-spec.ts and contract-audit-3-lists.e2e-spec.ts, the shared setup in
// test/support/contract-audit-3-setup.ts.
// Failed before their fix: every case of "routes that take no body" (test, disconnect, sync,
// rotate-webhook-secret, replay, bulk cancel/pause/resume ran with {"zzUnknown":true}, an array or a
// string as their body; the three DELETE rows were added after that fix, which covers them too);
// POST /api/leads with a customAnswers value that is not text (400 with empty
// details, the field unnamed); an unknown key in a report template's config or schedule (details named
// the object holding it, not the key). Everything else passed and stays as a guard of what no other
// spec covers.
import { GHL_CONFIG, templateId } from '../support/factories';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { Audit3, Json, Method, Raw, setupAudit3, UNKNOWN, withUnknownAt } from '../support/contract-audit-3-setup';
import { BodyRoute, bodyRoutes, TemplateIds } from '../support/contract-audit-3-routes';

describe('API.md contract audit 3: unknown fields and tenant isolation on every route', () => {
  let fx: Audit3;
  let t: TestApp;
  let A: Audit3['A'];
  let adminA: string;
  let aEvent: string;
  let call: Audit3['call'];
  let fingerprint: Audit3['fingerprint'];
  let outbound: Audit3['outbound'];

  beforeAll(async () => {
    fx = await setupAudit3();
    ({ t, A, adminA, aEvent, call, fingerprint, outbound } = fx);
  });
  afterAll(() => fx?.close());

  describe('Rule 1: "Unknown JSON fields in request bodies are rejected (VALIDATION_FAILED), never silently stored"', () => {
    const templateIds: TemplateIds = { meta: 0, ghl: 0 };
    const routes = (): BodyRoute[] => bodyRoutes(fx, templateIds);
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
});
