// The foundation spec's "sub-accounts" and "health and documentation" sections (the OpenAPI document);
// "GET /api/me" and "errors" are in foundation-auth-errors.e2e-spec.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  clashingSchemaNames,
  controllersOf,
  routeModels,
  undeclaredResponses,
  undocumentedOperations,
} from '../../src/common/http/openapi-contract';
import { createTestApp, TestApp } from '../support/test-app';

describe('foundation (HTTP contract)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('sub-accounts', () => {
    it('lets a super-admin create and update, and scopes the list to the caller', async () => {
      const su = `Bearer ${t.token('SUPER_ADMIN')}`;
      const a = await t.http
        .post('/api/sub-accounts')
        .set('authorization', su)
        .send({ name: 'Alpha', tier: 'PRO', defaultRegion: 'GB' });
      expect(a.status).toBe(201);
      expect(a.body).toEqual(
        expect.objectContaining({ id: expect.any(Number), name: 'Alpha', tier: 'PRO', defaultRegion: 'GB' }),
      );
      const b = await t.http.post('/api/sub-accounts').set('authorization', su).send({ name: 'Beta' });
      expect(b.body).toEqual(expect.objectContaining({ tier: 'STARTER', defaultRegion: 'US' }));

      const patched = await t.http
        .patch(`/api/sub-accounts/${a.body.id}`)
        .set('authorization', su)
        .send({ tier: 'MAX' });
      expect(patched.status).toBe(200);
      expect(patched.body.tier).toBe('MAX');

      const mine = await t.http
        .get('/api/sub-accounts')
        .set('authorization', `Bearer ${t.token('ADMIN', [b.body.id])}`);
      expect(mine.body.map((s: { id: number }) => s.id)).toEqual([b.body.id]);
      const all = await t.http.get('/api/sub-accounts').set('authorization', su);
      expect(all.body.length).toBeGreaterThanOrEqual(2);

      const audit = await t.sql.query(
        'SELECT action, actor_role, entity_id FROM audit_logs WHERE entity_id = $1 ORDER BY id',
        [String(a.body.id)],
      );
      expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(['sub-account.create', 'sub-account.update']);
    });

    // API.md: a bad request is 400 VALIDATION_FAILED; null for a field that cannot be null was a 500 (NOT NULL violation)
    // the weights are read by the score SQL on every lead insert, activity and status change: a text or
    // a huge number stored here made each of those answer 500 for the whole sub-account
    it('takes scoreWeights only as numbers under their known keys: anything else 400 naming the field, leads keep working', async () => {
      const su = `Bearer ${t.token('SUPER_ADMIN')}`;
      const sub = await t.http.post('/api/sub-accounts').set('authorization', su).send({ name: 'Weights Co' });
      const admin = `Bearer ${t.token('ADMIN', [sub.body.id as number])}`;
      const refused: Array<[Record<string, unknown>, string]> = [
        [{ source: { manual: 'x' } }, 'scoreWeights.source.manual'],
        [{ source: 'x' }, 'scoreWeights.source'],
        [{ source: { nowhere: 5 } }, 'scoreWeights.source.nowhere'],
        [{ stage: { NEW: 'x' } }, 'scoreWeights.stage.NEW'],
        [{ stage: { WON: 5 } }, 'scoreWeights.stage.WON'],
        [{ answeredCall: 'x' }, 'scoreWeights.answeredCall'],
        [{ recency: 1e308 }, 'scoreWeights.recency'],
        [{ maxAnsweredCalls: 2.5 }, 'scoreWeights.maxAnsweredCalls'],
        [{ recencyHalfLifeDays: -1 }, 'scoreWeights.recencyHalfLifeDays'],
        [{ bonus: 5 }, 'scoreWeights.bonus'],
      ];
      for (const [scoreWeights, field] of refused) {
        const res = await t.http
          .patch(`/api/sub-accounts/${sub.body.id}`)
          .set('authorization', admin)
          .send({ scoreWeights });
        expect([field, res.status, res.body.code]).toEqual([field, 400, 'VALIDATION_FAILED']);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      const weights = {
        source: { default: 5, manual: 30, meta: -10 },
        stage: { CONTACTED: 20 },
        answeredCall: 10,
        maxAnsweredCalls: 2,
        whatsappReply: 0,
        maxWhatsappReplies: 0,
        recency: 0,
        recencyHalfLifeDays: 3,
      };
      const saved = await t.http
        .patch(`/api/sub-accounts/${sub.body.id}`)
        .set('authorization', admin)
        .send({ scoreWeights: weights });
      expect([saved.status, saved.body.scoreWeights]).toEqual([200, weights]);
      const lead = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub.body.id, fullName: 'Weighted' });
      expect([lead.status, lead.body.score]).toEqual([201, 30]);
      const call = await t.http
        .post(`/api/leads/${lead.body.id}/activities`)
        .set('authorization', admin)
        .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'u1' });
      expect(call.status).toBe(201);
      const cleared = await t.http
        .patch(`/api/sub-accounts/${sub.body.id}`)
        .set('authorization', admin)
        .send({ scoreWeights: null });
      expect([cleared.status, cleared.body.scoreWeights]).toEqual([200, null]);
    });

    it('answers null for name, tier or defaultRegion 400 VALIDATION_FAILED naming the field', async () => {
      const su = `Bearer ${t.token('SUPER_ADMIN')}`;
      for (const field of ['tier', 'defaultRegion']) {
        const res = await t.http
          .post('/api/sub-accounts')
          .set('authorization', su)
          .send({ name: 'Nulls', [field]: null });
        expect(res.status).toBe(400);
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
      const created = await t.http.post('/api/sub-accounts').set('authorization', su).send({ name: 'Nulls' });
      for (const field of ['name', 'tier', 'defaultRegion']) {
        const res = await t.http
          .patch(`/api/sub-accounts/${created.body.id}`)
          .set('authorization', su)
          .send({ [field]: null });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    });

    it('forbids non-super-admins from writing sub-accounts', async () => {
      const res = await t.http
        .post('/api/sub-accounts')
        .set('authorization', `Bearer ${t.token('ADMIN', [1])}`)
        .send({ name: 'Nope' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('answers 404 for a sub-account that does not exist and 400 for a garbage id', async () => {
      const su = `Bearer ${t.token('SUPER_ADMIN')}`;
      expect((await t.http.patch('/api/sub-accounts/999999').set('authorization', su).send({ name: 'x' })).status).toBe(
        404,
      );
      expect(
        (await t.http.patch('/api/sub-accounts/99999999999').set('authorization', su).send({ name: 'x' })).status,
      ).toBe(404);
      expect((await t.http.patch('/api/sub-accounts/abc').set('authorization', su).send({ name: 'x' })).status).toBe(
        400,
      );
    });
  });

  describe('health and documentation', () => {
    it('answers liveness and readiness', async () => {
      expect((await t.http.get('/api/health')).body).toEqual({ status: 'ok' });
      const ready = await t.http.get('/api/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.details).toEqual({ database: { status: 'up' }, queue: { status: 'up' } });
    });

    it('serves an OpenAPI 3 document listing every route, with bearer auth', async () => {
      const res = await t.http.get('/api/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(res.body.components.securitySchemes.bearer).toEqual(
        expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      );
      // every route of API.md (and of the issues) is documented
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/health',
          '/api/health/ready',
          '/api/me',
          '/api/sub-accounts',
          '/api/sub-accounts/{id}',
          '/api/integration-templates',
          '/api/integration-templates/{id}',
          '/api/integration-handlers',
          '/api/integrations',
          '/api/integrations/limits',
          '/api/integrations/{id}',
          '/api/integrations/{id}/test',
          '/api/integrations/{id}/sync',
          '/api/integrations/{id}/sync-runs',
          '/api/integrations/{id}/rotate-webhook-secret',
          '/api/integrations/{id}/health',
          '/api/integrations/{id}/events',
          '/api/webhook-events/{id}/replay',
          '/api/integrations/{id}/ghl/calendars',
          '/api/integrations/{id}/ghl/calendars/{calendarId}/free-slots',
          '/api/integrations/{id}/ghl/calendars/{calendarId}/block-slots',
          '/api/integrations/{id}/ghl/contacts',
          '/api/webhooks/{provider}',
          '/api/webhooks/{provider}/{webhookId}',
          '/api/leads',
          '/api/leads/{id}',
          '/api/audit-log',
        ]),
      );
      expect(Object.keys(res.body.paths['/api/webhooks/{provider}'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect((await t.http.get('/api/docs')).status).toBe(200);
    });

    it('serves exactly the checked-in openapi.json, every route with its response DTO (`npm run openapi:write` after a change)', async () => {
      const res = await t.http.get('/api/docs-json');
      expect(undeclaredResponses(res.body)).toEqual([]);
      // and a summary and its error answers, for the frontend developers who read /api/docs
      expect(undocumentedOperations(res.body)).toEqual([]);
      expect(res.body).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8')));
      // a list answers through ApiPaginatedResponse: one named page schema per item type
      expect(res.body.paths['/api/leads'].get.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/LeadPageDto',
      });
      expect(res.body.components.schemas.LeadPageDto.properties.items).toEqual({
        type: 'array',
        items: { $ref: '#/components/schemas/LeadDto' },
      });
    });

    // swagger names a schema by class name alone: a second class of the same name replaced the first,
    // and POST /api/integration-templates documented the WhatsApp template body (API.md: the OpenAPI
    // document must agree with the code; the CRM generates its client from it)
    it('gives every DTO its own schema: no two classes share a name, and each route documents its own body', async () => {
      expect(clashingSchemaNames(routeModels(controllersOf(t.app)))).toEqual([]);
      const doc = (await t.http.get('/api/docs-json')).body;
      const body = (path: string): string[] => {
        const ref: string = doc.paths[path].post.requestBody.content['application/json'].schema.$ref;
        return Object.keys(doc.components.schemas[ref.replace('#/components/schemas/', '')].properties);
      };
      expect(body('/api/integration-templates')).toEqual(expect.arrayContaining(['handler', 'configSchema']));
      expect(body('/api/whatsapp/templates')).toEqual(expect.arrayContaining(['integrationId', 'components']));
      expect(body('/api/whatsapp/messages')).toEqual(expect.arrayContaining(['to', 'template', 'parameters']));
      expect(body('/api/messages')).toEqual(expect.arrayContaining(['channel', 'conversationId']));
    });
  });
});
