// A fourth black-box audit of API.md's integration-facing sections (integration templates,
// integrations, GoHighLevel passthrough, leads, webhooks, OAuth), as three readers of the contract:
//  1. the CRM frontend: every filter of the lists filters, pages count, ids have their types;
//  2. an attacker holding another sub-account's ADMIN token, or a MANAGER / AGENT token;
//  3. an outside platform delivering to an integration's own webhookUrl.
// Cases other specs already pin (contract-core, contract-audit-3, integrations*, security-*, leads,
// webhooks*, oauth-*) are left to them.
// Failed before their fix: q holding digits beside text (an e-mail like bob77@…) matched every lead
// whose phone held those digits; q=% or _ were LIKE wildcards; a provider error quoting the refused
// bearer token put it into the 422 of the GoHighLevel passthrough, of a test and test-config, and into
// errorMessage. Everything else passed and stays as a guard of what no other spec covers.
import { createIntegration, createSubAccount, GHL_CONFIG, templateId } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { auth } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, settledEvent } from '../support/webhooks';

type Json = Record<string, unknown>;
type ErrorBody = { statusCode: number; code: string; message: string; details: unknown[] };

const GENERIC = { mapping: { email: '/email', fullName: '/name', phone: '/phone' }, externalIdPointer: '/id' };

function expectErrorShape(body: Json, statusCode: number, code: string): void {
  const e = body as unknown as ErrorBody;
  expect({ statusCode: e.statusCode, code: e.code }).toEqual({ statusCode, code });
  expect(typeof e.message).toBe('string');
  expect(Array.isArray(e.details)).toBe(true);
}

describe('API.md contract audit 4: integration-facing routes', () => {
  let t: TestApp;
  let subA: number;
  let subB: number;
  let generic: { id: number; webhookSecret: string; webhookUrl: string };
  let adminA: string;
  let adminB: string;
  let ghl: FakeServer;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { WEBHOOK_MAX_BYTES: '2048', GHL_API_URL: ghl.url } });
    subA = await createSubAccount(t, 'PRO', 'Tenant A');
    subB = await createSubAccount(t, 'PRO', 'Tenant B');
    adminA = auth(t, 'ADMIN', [subA]);
    adminB = auth(t, 'ADMIN', [subB]);
    generic = await createIntegration(t, subA, 'generic-webhook', GENERIC, 'Website form');
    await activate(t, subA, generic.id);
  });
  afterAll(async () => {
    await t?.close();
    await ghl?.close();
  });

  function deliver(body: string, contentType = 'application/json', url = generic.webhookUrl) {
    const ts = Math.floor(Date.now() / 1000);
    const path = new URL(url).pathname;
    return t.http
      .post(path)
      .set('content-type', contentType)
      .set('x-webhook-timestamp', String(ts))
      .set('x-webhook-signature', genericSignature(body, generic.webhookSecret, ts))
      .send(body);
  }

  describe('an outside platform at the integration-level URL', () => {
    it('answers a second delivery of the same event duplicate with the same eventId', async () => {
      const body = JSON.stringify({ id: 'dup-1', email: 'dup@example.com', name: 'Dup Person' });
      const first = await deliver(body);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ status: 'received', eventId: expect.any(String) });
      const second = await deliver(body);
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });
      await settledEvent(t, first.body.eventId as string);
    });

    it('answers malformed JSON 400, a wrong content type 415, an oversized body 413, in the error shape', async () => {
      const malformed = await deliver('{"id": "x",');
      expect(malformed.status).toBe(400);
      expectErrorShape(malformed.body, 400, 'VALIDATION_FAILED');

      const text = await deliver('id=x', 'text/plain');
      expect(text.status).toBe(415);
      expectErrorShape(text.body, 415, 'UNSUPPORTED_MEDIA_TYPE');

      const big = await deliver(JSON.stringify({ id: 'big', email: 'b@example.com', pad: 'x'.repeat(4096) }));
      expect(big.status).toBe(413);
      expectErrorShape(big.body, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers an unknown webhookId 404 NOT_FOUND in the error shape', async () => {
      const res = await deliver('{"id":"u"}', 'application/json', 'https://x/api/webhooks/generic-webhook/nosuchhook');
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 404, 'NOT_FOUND');
    });
  });

  describe('the CRM frontend', () => {
    it('filters leads by minScore, sorts by score, and counts total across pages', async () => {
      const ids: string[] = [];
      for (const [i, score] of [10, 50, 90].entries()) {
        const res = await t.http
          .post('/api/leads')
          .set('authorization', adminA)
          .send({ subAccountId: subA, fullName: `Scored ${i}`, email: `scored${i}@example.com` });
        expect(res.status).toBe(201);
        expect(typeof res.body.id).toBe('string');
        ids.push(res.body.id as string);
        await t.sql.query('UPDATE leads SET score = $1 WHERE id = $2', [score, res.body.id]);
      }
      const q = `subAccountId=${subA}&q=scored`;
      const min = await t.http.get(`/api/leads?${q}&minScore=50`).set('authorization', adminA);
      expect(min.status).toBe(200);
      expect(min.body.items.map((l: Json) => l.score)).toEqual([90, 50]);
      expect(min.body.total).toBe(2);
      const asc = await t.http.get(`/api/leads?${q}&sort=score`).set('authorization', adminA);
      expect(asc.body.items.map((l: Json) => l.score)).toEqual([10, 50, 90]);
      const desc = await t.http.get(`/api/leads?${q}&sort=-score&page=2&pageSize=2`).set('authorization', adminA);
      expect(desc.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      expect(desc.body.items.map((l: Json) => l.score)).toEqual([10]);
      const manual = await t.http.get(`/api/leads?${q}&source=manual`).set('authorization', adminA);
      expect(manual.body.total).toBe(3);
      const generic = await t.http.get(`/api/leads?${q}&source=generic`).set('authorization', adminA);
      expect(generic.body.total).toBe(0);
    });

    it('finds a lead by an e-mail holding digits without every lead whose phone holds those digits', async () => {
      const make = async (body: Json): Promise<string> => {
        const res = await t.http
          .post('/api/leads')
          .set('authorization', adminA)
          .send({ subAccountId: subA, ...body });
        expect(res.status).toBe(201);
        return res.body.id as string;
      };
      const bob = await make({ fullName: 'Bob Seven', email: 'bob77@example.com' });
      const other = await make({ fullName: 'Other Person', phone: '+1 415 555 7701' });
      const byEmail = await t.http
        .get(`/api/leads?subAccountId=${subA}&q=bob77@example.com`)
        .set('authorization', adminA);
      expect(byEmail.status).toBe(200);
      expect(byEmail.body.items.map((l: Json) => l.id)).toEqual([bob]);
      expect(byEmail.body.total).toBe(1);
      // spaces a paste brings along are not part of what is searched
      const padded = await t.http
        .get(`/api/leads?subAccountId=${subA}&q=${encodeURIComponent('  bob77@example.com ')}`)
        .set('authorization', adminA);
      expect(padded.body.items.map((l: Json) => l.id)).toEqual([bob]);
      // a phone written any way the CRM's users type it still finds the lead by its E.164 phone
      for (const q of ['(415) 555-7701', '+14155557701', '555 7701', ' +1 415 555 7701 ']) {
        const byPhone = await t.http
          .get(`/api/leads?subAccountId=${subA}&q=${encodeURIComponent(q)}`)
          .set('authorization', adminA);
        expect([q, byPhone.body.items.map((l: Json) => l.id)]).toEqual([q, [other]]);
      }
    });

    it('takes q as text: % and _ are characters to find, not wildcards matching every lead', async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', adminA)
        .send({ subAccountId: subA, fullName: 'Under_Score', email: 'under_score@example.com' });
      expect(res.status).toBe(201);
      const find = async (q: string): Promise<string[]> => {
        const page = await t.http
          .get(`/api/leads?subAccountId=${subA}&q=${encodeURIComponent(q)}`)
          .set('authorization', adminA);
        expect(page.status).toBe(200);
        return page.body.items.map((l: Json) => l.id as string);
      };
      expect(await find('%')).toEqual([]);
      expect(await find('100%')).toEqual([]);
      expect(await find('under\\')).toEqual([]);
      expect(await find('_')).toEqual([res.body.id]);
      // "_" stands for itself: an e-mail with an underscore finds that lead, not "underxscore@"
      await t.http
        .post('/api/leads')
        .set('authorization', adminA)
        .send({ subAccountId: subA, fullName: 'Underx', email: 'underxscore@example.com' });
      expect(await find('under_score@')).toEqual([res.body.id]);
    });

    it('answers GET /api/integrations/limits with the tier and { current, limit } per handler key', async () => {
      const res = await t.http.get(`/api/integrations/limits?subAccountId=${subA}`).set('authorization', adminA);
      expect(res.status).toBe(200);
      expect(res.body.tier).toBe('PRO');
      expect(res.body.limits['generic-webhook']).toEqual({ current: 1, limit: 3 });
      const max = await createSubAccount(t, 'MAX', 'Max');
      const unl = await t.http
        .get(`/api/integrations/limits?subAccountId=${max}`)
        .set('authorization', auth(t, 'MANAGER', [max]));
      expect(unl.status).toBe(200);
      expect(unl.body.limits['generic-webhook']).toEqual({ current: 0, limit: -1 });
    });

    it('filters events by status and replays one with 202', async () => {
      const body = JSON.stringify({ id: 'ev-1', email: 'ev@example.com', name: 'Ev Person' });
      const res = await deliver(body);
      await settledEvent(t, res.body.eventId as string);
      const processed = await t.http
        .get(`/api/integrations/${generic.id}/events?status=PROCESSED`)
        .set('authorization', adminA);
      expect(processed.status).toBe(200);
      expect(processed.body.total).toBeGreaterThan(0);
      expect(processed.body.items.every((e: Json) => e.status === 'PROCESSED')).toBe(true);
      const failed = await t.http
        .get(`/api/integrations/${generic.id}/events?status=FAILED`)
        .set('authorization', adminA);
      expect(failed.body).toMatchObject({ items: [], total: 0 });
      const replay = await t.http
        .post(`/api/webhook-events/${res.body.eventId}/replay`)
        .set('authorization', auth(t, 'MANAGER', [subA]));
      expect(replay.status).toBe(202);
      expect(replay.body).toEqual({ eventId: res.body.eventId, status: 'PENDING' });
      await settledEvent(t, res.body.eventId as string);
    });

    it('caps pageSize at 200 on events and sync runs too', async () => {
      for (const path of [`/api/integrations/${generic.id}/events`, `/api/integrations/${generic.id}/sync-runs`]) {
        const ok = await t.http.get(`${path}?pageSize=200`).set('authorization', adminA);
        expect([path, ok.status, ok.body.pageSize]).toEqual([path, 200, 200]);
        const bad = await t.http.get(`${path}?pageSize=201`).set('authorization', adminA);
        expect([path, bad.status, bad.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
      }
    });

    it('hides an inactive template from an admin: not listed with includeInactive=true, 404 by id', async () => {
      const su = auth(t, 'SUPER_ADMIN');
      const created = await t.http
        .post('/api/integration-templates')
        .set('authorization', su)
        .send({
          name: 'retired-form',
          displayName: 'Retired form',
          category: 'Forms',
          handler: 'generic-webhook',
          configSchema: { type: 'object', properties: {}, additionalProperties: true },
          isActive: false,
        });
      expect(created.status).toBe(201);
      const listed = await t.http.get('/api/integration-templates?includeInactive=true').set('authorization', adminA);
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((x: Json) => x.name)).not.toContain('retired-form');
      const byId = await t.http.get(`/api/integration-templates/${created.body.id}`).set('authorization', adminA);
      expect(byId.status).toBe(404);
      const suList = await t.http.get('/api/integration-templates?includeInactive=true').set('authorization', su);
      expect(suList.body.items.map((x: Json) => x.name)).toContain('retired-form');
    });
  });

  describe('an attacker', () => {
    it("answers B's admin 404 for A's event replay, health, events, sync-runs and sync", async () => {
      const ev = (await t.sql.query<{ id: string }>('SELECT id::text FROM webhook_events LIMIT 1')).rows[0];
      const probes: Array<[string, 'get' | 'post', string]> = [
        ['replay', 'post', `/api/webhook-events/${ev.id}/replay`],
        ['health', 'get', `/api/integrations/${generic.id}/health`],
        ['events', 'get', `/api/integrations/${generic.id}/events`],
        ['sync-runs', 'get', `/api/integrations/${generic.id}/sync-runs`],
        ['sync', 'post', `/api/integrations/${generic.id}/sync`],
        ['replay-failed', 'post', `/api/integrations/${generic.id}/events/replay-failed`],
      ];
      for (const [name, method, path] of probes) {
        const res = await t.http[method](path).set('authorization', adminB);
        expect([name, res.status, res.body.code]).toEqual([name, 404, 'NOT_FOUND']);
      }
    });

    it('answers an explicit foreign subAccountId 403 on every list and write that takes one', async () => {
      const probes: Array<[string, () => Promise<{ status: number; body: Json }>]> = [
        ['integrations', () => t.http.get(`/api/integrations?subAccountId=${subA}`).set('authorization', adminB)],
        ['leads', () => t.http.get(`/api/leads?subAccountId=${subA}`).set('authorization', adminB)],
        ['limits', () => t.http.get(`/api/integrations/limits?subAccountId=${subA}`).set('authorization', adminB)],
        [
          'lead create',
          () => t.http.post('/api/leads').set('authorization', adminB).send({ subAccountId: subA, fullName: 'X' }),
        ],
        [
          'test-config',
          async () =>
            t.http
              .post('/api/integrations/test-config')
              .set('authorization', adminB)
              .send({
                subAccountId: subA,
                integrationTemplateId: await templateId(t, 'generic-webhook'),
                config: GENERIC,
              }),
        ],
      ];
      for (const [name, probe] of probes) {
        const res = await probe();
        expect([name, res.status, res.body.code]).toEqual([name, 403, 'FORBIDDEN']);
      }
    });

    it('enforces the role table for MANAGER and AGENT on the integration routes', async () => {
      const manager = auth(t, 'MANAGER', [subA]);
      const agent = auth(t, 'AGENT', [subA]);
      const id = generic.id;
      const cases: Array<[string, string, 'get' | 'post' | 'patch' | 'delete', string, Json | undefined, number]> = [
        ['manager create', manager, 'post', '/api/integrations', { subAccountId: subA }, 403],
        ['manager patch', manager, 'patch', `/api/integrations/${id}`, { name: 'x' }, 403],
        ['manager delete', manager, 'delete', `/api/integrations/${id}`, undefined, 403],
        ['manager rotate', manager, 'post', `/api/integrations/${id}/rotate-webhook-secret`, undefined, 403],
        ['manager disconnect', manager, 'post', `/api/integrations/${id}/disconnect`, undefined, 403],
        ['manager oauth', manager, 'post', `/api/integrations/${id}/oauth/start`, { redirectUri: 'https://x' }, 403],
        ['manager read', manager, 'get', `/api/integrations/${id}`, undefined, 200],
        ['manager health', manager, 'get', `/api/integrations/${id}/health`, undefined, 200],
        ['agent list', agent, 'get', `/api/integrations?subAccountId=${subA}`, undefined, 403],
        ['agent read', agent, 'get', `/api/integrations/${id}`, undefined, 403],
        ['agent events', agent, 'get', `/api/integrations/${id}/events`, undefined, 403],
        ['agent health', agent, 'get', `/api/integrations/${id}/health`, undefined, 403],
        ['agent sync-runs', agent, 'get', `/api/integrations/${id}/sync-runs`, undefined, 403],
        ['agent limits', agent, 'get', `/api/integrations/limits?subAccountId=${subA}`, undefined, 403],
        ['agent templates', agent, 'get', '/api/integration-templates', undefined, 403],
        ['agent handlers', agent, 'get', '/api/integration-handlers', undefined, 403],
        ['agent ghl', agent, 'get', `/api/integrations/${id}/ghl/calendars`, undefined, 403],
        ['agent leads', agent, 'get', `/api/leads?subAccountId=${subA}`, undefined, 200],
      ];
      for (const [name, token, method, path, body, status] of cases) {
        const req = t.http[method](path).set('authorization', token);
        const res = body ? await req.send(body) : await req;
        expect([name, res.status]).toEqual([name, status]);
      }
    });

    it("never repeats a provider's token in an answer, even when the provider's error message quotes it", async () => {
      const token = GHL_CONFIG.privateIntegrationToken;
      // some APIs quote the credential they refuse ("Malformed access token <token>")
      const refuse = () => ({ status: 401, body: { statusCode: 401, message: `Invalid token ${token}` } });
      ghl.on('GET', /^\/locations\//, refuse);
      ghl.on('GET', '/calendars/', refuse);
      const { id } = await createIntegration(t, subA, 'gohighlevel', GHL_CONFIG, 'Quoting GHL');
      await activate(t, subA, id);
      const answers = [
        await t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', adminA),
        await t.http.post(`/api/integrations/${id}/test`).set('authorization', adminA),
        await t.http.get(`/api/integrations/${id}`).set('authorization', adminA),
        await t.http
          .post('/api/integrations/test-config')
          .set('authorization', adminA)
          .send({ subAccountId: subA, integrationTemplateId: await templateId(t, 'gohighlevel'), config: GHL_CONFIG }),
      ];
      expect(answers.map((r) => r.status)).toEqual([422, 422, 200, 422]);
      expect(answers[2].body.errorMessage).toEqual(expect.any(String));
      for (const res of answers) expect(res.text).not.toContain(token);
    });

    it('never shows the webhook secret again: not in a read, a list, a PATCH or a disconnect answer', async () => {
      const other = await createIntegration(t, subA, 'generic-webhook', GENERIC, 'Secret probe');
      const answers = [
        await t.http.get(`/api/integrations/${other.id}`).set('authorization', adminA),
        await t.http.get(`/api/integrations?subAccountId=${subA}`).set('authorization', adminA),
        await t.http.patch(`/api/integrations/${other.id}`).set('authorization', adminA).send({ name: 'Renamed' }),
        await t.http.get(`/api/integrations/${other.id}/health`).set('authorization', adminA),
        await t.http.post(`/api/integrations/${other.id}/disconnect`).set('authorization', adminA),
      ];
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.text).not.toContain(other.webhookSecret);
        expect(res.text).not.toContain('webhookSecret');
      }
      const del = await t.http.delete(`/api/integrations/${other.id}`).set('authorization', adminA);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
    });
  });
});
