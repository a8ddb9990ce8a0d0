// The contract-core probe's OpenAPI and "Leads" sections; the other sections are in
// contract-core-*.e2e-spec.ts (conventions first), the shared setup in test/support/contract-core-setup.ts.
import { META_CONFIG, templateId } from '../support/factories';
import { auth } from '../support/security';
import { TestApp } from '../support/test-app';
import { metaSignature } from '../support/webhooks';
import { setupContractCore } from '../support/contract-core-setup';

describe('API.md contract probe: conventions, roles, templates, integrations, webhooks, leads', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let ghlId: number;
  let metaId: number;
  let leadId: string;
  let su: string;
  let admin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, sub, other, ghlId, metaId, leadId, su, admin, close } = await setupContractCore());
  });
  afterAll(() => close());

  describe('The OpenAPI document agrees with the code', () => {
    interface Schema {
      $ref?: string;
      type?: string;
      properties?: Record<string, Schema>;
      items?: Schema;
      required?: string[];
      allOf?: Schema[];
      nullable?: boolean;
      additionalProperties?: unknown;
    }
    interface Doc {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
      >;
      components: { schemas: Record<string, Schema> };
    }

    /** Where an answer differs from its documented schema: undocumented keys, missing required ones, wrong types. */
    function differences(doc: Doc, value: unknown, schema: Schema, at = ''): string[] {
      const resolve = (s: Schema): Schema => {
        if (s.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop() ?? '']);
        if (!s.allOf) return s;
        const parts = s.allOf.map(resolve);
        return {
          type: 'object',
          properties: Object.assign({}, ...parts.map((x) => x.properties ?? {})) as Record<string, Schema>,
          required: parts.flatMap((x) => x.required ?? []),
        };
      };
      const r = resolve(schema);
      if (value === null) return r.nullable || r.type === undefined ? [] : [`${at}: null, documented ${r.type}`];
      if (Array.isArray(value)) {
        if (r.type !== 'array') return [`${at}: array, documented ${r.type}`];
        return value.slice(0, 3).flatMap((v, i) => (r.items ? differences(doc, v, r.items, `${at}/${i}`) : []));
      }
      if (typeof value === 'object' && value !== undefined) {
        if (r.type !== undefined && r.type !== 'object') return [`${at}: object, documented ${r.type}`];
        if (!r.properties) return [];
        const properties = r.properties;
        const own = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
          k in properties
            ? differences(doc, v, properties[k], `${at}/${k}`)
            : r.additionalProperties
              ? []
              : [`${at}/${k}: undocumented`],
        );
        const missing = (r.required ?? []).filter((k) => !(k in value)).map((k) => `${at}/${k}: missing`);
        return [...own, ...missing];
      }
      const type = typeof value;
      const fits = r.type === undefined || type === r.type || (type === 'number' && r.type === 'integer');
      return fits ? [] : [`${at}: ${type}, documented ${r.type}`];
    }

    it('documents each answer of these sections as it is sent: every key, every required key, every type', async () => {
      const doc = (await t.http.get('/api/docs-json')).body as Doc;
      const ghlTemplate = await templateId(t, 'gohighlevel');
      const metaBody = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: META_CONFIG.pageId,
            time: 1,
            changes: [
              {
                field: 'leadgen',
                value: { leadgen_id: 'oa-1', page_id: META_CONFIG.pageId, form_id: '1', created_time: 1 },
              },
            ],
          },
        ],
      });
      const cases: Array<[string, string, string, () => Promise<{ status: number; body: unknown }>]> = [
        [
          'get',
          '/api/integrations/{id}',
          '200',
          () => t.http.get(`/api/integrations/${ghlId}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations',
          '200',
          () => t.http.get(`/api/integrations?subAccountId=${sub}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integration-templates/{id}',
          '200',
          () => t.http.get(`/api/integration-templates/${ghlTemplate}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integration-templates',
          '200',
          () => t.http.get('/api/integration-templates').set('authorization', su),
        ],
        [
          'get',
          '/api/integration-handlers',
          '200',
          () => t.http.get('/api/integration-handlers').set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/limits',
          '200',
          () => t.http.get(`/api/integrations/limits?subAccountId=${sub}`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/health',
          '200',
          () => t.http.get(`/api/integrations/${metaId}/health`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/events',
          '200',
          () => t.http.get(`/api/integrations/${metaId}/events`).set('authorization', su),
        ],
        [
          'get',
          '/api/integrations/{id}/sync-runs',
          '200',
          () => t.http.get(`/api/integrations/${ghlId}/sync-runs`).set('authorization', su),
        ],
        ['get', '/api/leads', '200', () => t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', su)],
        ['get', '/api/leads/{id}', '200', () => t.http.get(`/api/leads/${leadId}`).set('authorization', su)],
        [
          'get',
          '/api/leads/{id}/history',
          '200',
          () => t.http.get(`/api/leads/${leadId}/history`).set('authorization', su),
        ],
        ['get', '/api/sub-accounts/{id}', '200', () => t.http.get(`/api/sub-accounts/${sub}`).set('authorization', su)],
        [
          'post',
          '/api/integrations/{id}/sync',
          '202',
          () => t.http.post(`/api/integrations/${ghlId}/sync`).set('authorization', su),
        ],
        [
          'post',
          '/api/integrations/{id}/test',
          '200',
          () => t.http.post(`/api/integrations/${ghlId}/test`).set('authorization', su),
        ],
        [
          'post',
          '/api/leads/{id}/activities',
          '201',
          () =>
            t.http
              .post(`/api/leads/${leadId}/activities`)
              .set('authorization', su)
              .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'u', userName: 'U', durationSeconds: 3, note: 'n' }),
        ],
        [
          'post',
          '/api/leads',
          '201',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', su)
              .send({
                subAccountId: sub,
                email: 'openapi@example.org',
                source: { platform: 'manual', campaignId: 'c' },
              }),
        ],
        [
          'patch',
          '/api/integration-templates/{id}',
          '200',
          () =>
            t.http
              .patch(`/api/integration-templates/${ghlTemplate}`)
              .set('authorization', su)
              .send({ displayName: 'GoHighLevel' }),
        ],
        [
          'post',
          '/api/webhooks/{provider}',
          '200',
          () =>
            t.http
              .post('/api/webhooks/meta-lead-ads')
              .set('content-type', 'application/json')
              .set('x-hub-signature-256', metaSignature(metaBody, META_CONFIG.appSecret))
              .send(metaBody),
        ],
      ];
      const found: string[] = [];
      for (const [method, route, status, send] of cases) {
        const res = await send();
        const schema = doc.paths[route]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
        if (String(res.status) !== status)
          found.push(`${method} ${route}: answered ${res.status}, documented ${status}`);
        else if (!schema) found.push(`${method} ${route}: no documented body`);
        else found.push(...differences(doc, res.body, schema).map((d) => `${method} ${route} ${d}`));
      }
      expect(found).toEqual([]);
    });
  });

  describe('Leads', () => {
    it('sorts by createdAt, -createdAt, score and -score, and refuses another sort 400', async () => {
      for (const sort of ['createdAt', '-createdAt', 'score', '-score']) {
        const res = await t.http.get(`/api/leads?subAccountId=${sub}&sort=${sort}`).set('authorization', admin);
        expect([sort, res.status]).toEqual([sort, 200]);
        const key = sort.replace('-', '') as 'createdAt' | 'score';
        const values = res.body.items.map((l: Record<string, string | number>) => l[key]);
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect([sort, values]).toEqual([sort, sort.startsWith('-') ? sorted.reverse() : sorted]);
      }
      const bad = await t.http.get(`/api/leads?subAccountId=${sub}&sort=name`).set('authorization', admin);
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('deduplicates a manual lead on the normalised E.164 phone: 200 with the existing lead', async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Same Person', phone: '(415) 555-0123' });
      expect([res.status, res.body.id]).toEqual([200, leadId]);
      // within the sub-account: the same e-mail in another sub-account is another lead
      const elsewhere = await t.http
        .post('/api/leads')
        .set('authorization', su)
        .send({ subAccountId: other, fullName: 'Probe Lead', email: 'PROBE@example.org' });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.id).not.toBe(leadId);
    });

    it('PATCH answers the lead; activities take every type and refuse an unknown one', async () => {
      const patched = await t.http
        .patch(`/api/leads/${leadId}`)
        .set('authorization', auth(t, 'AGENT', [sub]))
        .send({ status: 'CONTACTED' });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual(
        expect.objectContaining({ id: leadId, status: 'CONTACTED', sourceTracking: expect.any(Object) }),
      );
      for (const type of ['CALL', 'EMAIL', 'MEETING', 'NOTE', 'WHATSAPP']) {
        const res = await t.http
          .post(`/api/leads/${leadId}/activities`)
          .set('authorization', admin)
          .send({ type, userId: 'u1', occurredAt: '2026-12-01T10:00:00Z', durationSeconds: 30 });
        expect([type, res.status]).toEqual([type, 201]);
      }
      for (const outcome of ['ANSWERED', 'NO_ANSWER', 'BUSY', 'FAILED']) {
        const res = await t.http
          .post(`/api/leads/${leadId}/activities`)
          .set('authorization', admin)
          .send({ type: 'CALL', outcome, userId: 'u1' });
        expect([outcome, res.status]).toEqual([outcome, 201]);
      }
      const bad = await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', admin)
        .send({ type: 'SMS', userId: 'u1' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const noUser = await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', admin)
        .send({ type: 'NOTE' });
      expect(noUser.body.details.map((d: { field: string }) => d.field)).toEqual(['userId']);
    });
  });
});
