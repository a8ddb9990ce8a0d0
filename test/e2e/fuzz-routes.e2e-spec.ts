// Every route of the OpenAPI document, with what an attacker or a buggy client sends: ids that are not
// ids, query values of every wrong kind, bodies of the wrong type and every declared field set to the
// wrong type. API.md "Conventions": errors always have one shape, and nothing a caller sends is a 5xx
// (INTERNAL is for the service's own faults). The sweep is generated from /api/docs-json, so a route
// added later is swept too.
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;
interface Operation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  query: string[];
  bodyFields: string[];
  hasBody: boolean;
}

const BAD_IDS = ['abc', '0', '-1', '1.5', '99999999999999999999', '%00', '1%20OR%201=1', '%E2%80%AE1'];
const BAD_QUERY = ['', 'abc', '-1', '1e308', '99999999999999999999', 'x'.repeat(3000), '\u0000', '[object Object]'];
const BAD_FIELD: unknown[] = [{}, [], 'x'.repeat(20_000), -1, 1e308, true, null, '\u0000', { $gt: '' }];
const BAD_BODY: unknown[] = [[], 'text', 42, null];

describe('every route answers garbage with a 4xx in the error shape, never a 5xx', () => {
  let t: TestApp;
  let operations: Operation[];
  const realIds: Record<string, string> = {};
  let superAdmin: string;
  let admin: string;

  const resolve = (doc: Json, schema: unknown): Json => {
    let s = (schema ?? {}) as Json;
    for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
      const name = s.$ref.split('/').pop() as string;
      s = ((doc.components as Json).schemas as Json)[name] as Json;
    }
    const all = Array.isArray(s.allOf) ? (s.allOf as unknown[]).map((p) => resolve(doc, p)) : [];
    const properties = Object.assign({}, ...all.map((p) => p.properties ?? {}), s.properties ?? {}) as Json;
    return { ...s, properties };
  };

  beforeAll(async () => {
    t = await createTestApp();
    superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    const sub = await createSubAccount(t, 'MAX', 'Fuzzed');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const integration = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email', fullName: '/name' },
      externalIdPointer: '/id',
    });
    const lead = await t.http
      .post('/api/leads')
      .set('authorization', superAdmin)
      .send({ subAccountId: sub, fullName: 'Fuzz Target', email: 'fuzz@example.org' });
    expect([200, 201]).toContain(lead.status);
    const template = await t.http
      .post('/api/report-templates')
      .set('authorization', superAdmin)
      .send({
        subAccountId: sub,
        name: 'Fuzzed',
        type: 'SOURCE',
        config: { metrics: ['newLeads'], dateRange: 'LAST_7_DAYS' },
        format: 'PDF',
      });
    expect(template.status).toBe(201);
    Object.assign(realIds, {
      'sub-accounts': String(sub),
      integrations: String(integration.id),
      leads: String(lead.body.id),
      'report-templates': String(template.body.id),
      provider: 'generic-webhook',
      webhookId: integration.webhookUrl.split('/').pop() as string,
    });

    const doc = (await t.http.get('/api/docs-json')).body as Json;
    operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        const params = (op.parameters ?? []) as { in: string; name: string }[];
        const content = ((op.requestBody as Json | undefined)?.content ?? {}) as Record<string, { schema?: unknown }>;
        const schema = content['application/json']?.schema;
        return {
          method: method as Operation['method'],
          path,
          query: params.filter((p) => p.in === 'query').map((p) => p.name),
          bodyFields: schema ? Object.keys(resolve(doc, schema).properties as Json) : [],
          hasBody: schema !== undefined,
        };
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The path with each `{param}` set: the real record of its route family, or `value`. */
  const pathWith = (path: string, value?: string): string =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (value !== undefined) return value;
      if (name === 'provider' || name === 'webhookId') return realIds[name];
      const family = /\/api\/([a-z-]+)\/\{/.exec(path)?.[1] ?? '';
      return realIds[family] ?? '1';
    });

  it.each(['SUPER_ADMIN', 'ADMIN'])(
    'sweeps the document as %s',
    async (role) => {
      const auth = role === 'ADMIN' ? admin : superAdmin;
      expect(operations.length).toBeGreaterThan(80);
      const problems: string[] = [];
      const statuses = new Map<number, number>();
      const check = async (label: string, send: () => Promise<{ status: number; body: unknown }>) => {
        const res = await send();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = res.body as Json;
        const shaped =
          res.status < 400 ||
          (body?.statusCode === res.status && typeof body.code === 'string' && typeof body.message === 'string');
        // a connection test's provider being unreachable is the contract's 502, not a fault
        const fault = res.status >= 500 && !(res.status === 502 && body?.code === 'CONNECTION_FAILED');
        if (fault || !shaped) problems.push(`${label} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      };
      const request = (op: Operation, url: string) =>
        t.http[op.method](url).set('authorization', auth).set('content-type', 'application/json');

      for (const op of operations) {
        const name = `${op.method.toUpperCase()} ${op.path}`;
        if (op.path.includes('{')) {
          for (const bad of BAD_IDS) {
            const url = pathWith(op.path, bad);
            await check(`${name} id=${bad}`, () => request(op, url).send(op.hasBody ? {} : undefined));
          }
        }
        const url = pathWith(op.path);
        for (const q of op.query) {
          for (const bad of BAD_QUERY) {
            await check(`${name} ?${q}=${JSON.stringify(bad).slice(0, 20)}`, () =>
              request(op, `${url}?${q}=${encodeURIComponent(bad)}`),
            );
          }
          await check(`${name} ?${q} twice`, () => request(op, `${url}?${q}=1&${q}=2`));
        }
        if (op.method !== 'get') {
          for (const bad of BAD_BODY) {
            await check(`${name} body ${JSON.stringify(bad)}`, () => request(op, url).send(JSON.stringify(bad)));
          }
          await check(`${name} body cut short`, () => request(op, url).send('{"a":'));
          for (const field of op.bodyFields) {
            for (const bad of BAD_FIELD) {
              await check(`${name} ${field}=${JSON.stringify(bad).slice(0, 20)}`, () =>
                request(op, url).send({ [field]: bad }),
              );
            }
          }
        }
      }
      expect(problems).toEqual([]);
      // the sweep reached the handlers: most answers are the validation's, not the guard's
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(2000);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(total / 2);
      expect(statuses.get(401) ?? 0).toBeLessThan(total / 10);
    },
    600_000,
  );
});
