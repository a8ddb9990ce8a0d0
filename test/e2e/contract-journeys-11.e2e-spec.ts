// Audit 11 of API.md "Webhooks (public, signed)", "Leads" and "Analytics": whole journeys as the providers
// and the CRM frontend play them, read literally, in a sub-account whose local date is not the UTC date
// (Pacific/Kiritimati, UTC+14, or Pacific/Pago_Pago, UTC-11, whichever puts today on another local day).
//  1. signed deliveries: Google Ads lead forms, a generic form tool and Meta (valid, redelivered, wrong
//     signature, garbage, unknown ids, nothing to process), every answer in API.md's shape;
//  2. the events page and replay (a FAILED Meta lead replayed once the Graph API reads it; a PROCESSED one
//     replayed changes nothing);
//  3. leads: one person across providers is one lead (e-mail, phone in another form, external id),
//     list filters, search, sort, detail with sourceTracking, PATCH and history;
//  4. analytics whose figures equal what was delivered, on local days; team calls either side of a local
//     midnight;
//  5. reordered GoHighLevel deliveries (an update before its create) and a delivery bridging two leads;
// and another sub-account's ADMIN at every step (404 for records, 403 for an explicit subAccountId).
// Cases other specs already pin (contract-webhooks-integrations-6, contract-leads-oauth-5,
// contract-analytics-7, analytics, leads*) are left to them.
// Failed before its fix: a range converting more leads than it created answered conversionRate 2 (overview
// totals, bySource, team), where API.md makes rates fractions 0–1. Every other case passed and stays as a
// guard of the journeys end to end.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, CreatedIntegration, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { WebhookEventsRepository } from '../../src/modules/webhooks/webhook-events.repository';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import {
  activate,
  eventsSettled,
  genericSignature,
  googleLead,
  jobsOfEvent,
  metaLeadgen,
  metaSignature,
  postGeneric,
  settledEvent,
  waitFor,
} from '../support/webhooks';

type Json = Record<string, unknown>;
const GOOGLE_KEY = 'journey-11-google-key';
const GENERIC = {
  mapping: { email: '/email', fullName: '/name', phone: '/phone', campaignId: '/campaign' },
  externalIdPointer: '/id',
};
// a zone whose local date today is not the UTC date: +14 from 11:00 UTC, -11 before
const ZONE = new Date().getUTCHours() >= 11 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
const localDate = (at: Date, timeZone = ZONE): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const utcDate = (at: Date): string => at.toISOString().slice(0, 10);
const offsetMs = ZONE === 'Pacific/Kiritimati' ? 14 * 3_600_000 : -11 * 3_600_000;
/** The instant of a local wall-clock time in ZONE (neither zone has DST). */
const localInstant = (date: string, time: string): string =>
  new Date(Date.parse(`${date}T${time}Z`) - offsetMs).toISOString();

describe('API.md journeys: webhooks, leads and analytics in a local time zone (audit 11)', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let sub: number;
  let other: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let attacker: string;
  let google: CreatedIntegration;
  let generic: CreatedIntegration;
  let meta: CreatedIntegration;
  let foreignGeneric: CreatedIntegration;
  let today: string;

  const get = (path: string, token = admin) => t.http.get(path).set('authorization', token);
  const post = (path: string, body: string, headers: Record<string, string> = {}) => {
    let req = t.http.post(path).set('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(body);
  };
  const pathOf = (i: CreatedIntegration) => new URL(i.webhookUrl).pathname;
  const leadsOf = async (query: string, token = admin) => {
    const res = await get(`/api/leads?${query}`, token);
    expect(res.status).toBe(200);
    return res.body as { items: Json[]; total: number; page: number; pageSize: number };
  };
  const expectError = (res: { status: number; body: Json }, status: number, code: string) => {
    expect([res.status, res.body.statusCode, res.body.code, typeof res.body.message]).toEqual([
      status,
      status,
      code,
      'string',
    ]);
  };

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    fakes.page(META_CONFIG.pageAccessToken, META_CONFIG.pageId);
    t = await createTestApp({ env: { ...fakes.env, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Journey Eleven');
    other = await createSubAccount(t, 'MAX', 'Attacker Eleven');
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    const tz = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', superAdmin).send({ timezone: ZONE });
    expect(tz.status).toBe(200);
    admin = `Bearer ${t.token('ADMIN', [sub], 'admin-11')}`;
    manager = `Bearer ${t.token('MANAGER', [sub], 'manager-11')}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'agent-11')}`;
    attacker = `Bearer ${t.token('ADMIN', [other], 'attacker-11')}`;
    google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    generic = await createIntegration(t, sub, 'generic-webhook', GENERIC);
    meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    foreignGeneric = await createIntegration(t, other, 'generic-webhook', GENERIC);
    for (const i of [google, generic, meta]) await activate(t, sub, i.id);
    await activate(t, other, foreignGeneric.id);
    today = localDate(new Date());
  });
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });

  describe('signed deliveries', () => {
    it('Google Ads lead form: received, redelivered → duplicate of the same event, wrong key 401, garbage 400, unknown ids 404', async () => {
      expect(today).not.toBe(utcDate(new Date()));
      const body = googleLead(GOOGLE_KEY, 'g11-1', {
        name: 'Ana Lima',
        email: 'Ana.Lima@Example.com',
        phone: '+1 650 555 0111',
      });
      const first = await post(pathOf(google), body);
      expect([first.status, first.body]).toEqual([200, { status: 'received', eventId: expect.any(String) }]);
      const again = await post(pathOf(google), body);
      expect([again.status, again.body]).toEqual([200, { status: 'duplicate', eventId: first.body.eventId }]);

      expectError(
        await post(pathOf(google), body.replace(GOOGLE_KEY, 'not-the-key')),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
      const garbage = await post(pathOf(google), '{"lead_id": "g11-x", ');
      expect(garbage.status).toBe(400);
      expect(garbage.body.statusCode).toBe(400);
      const unknownId = await post('/api/webhooks/google-ads-lead-forms/00000000-0000-4000-8000-000000000000', body);
      expectError(unknownId, 404, 'NOT_FOUND');
      // the webhookId of another provider's integration, and a provider that is none
      expectError(
        await post(`/api/webhooks/google-ads-lead-forms/${pathOf(generic).split('/').pop()}`, body),
        404,
        'NOT_FOUND',
      );
      expectError(await post('/api/webhooks/not-a-provider', body), 404, 'NOT_FOUND');
      await eventsSettled(t);
      const stored = await t.sql.query('SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1', [
        google.id,
      ]);
      expect(stored.rows[0].n).toBe(1);
    });

    it('generic form tool: wrong signature, stale timestamp and form encoding refused; the same person dedups into one lead', async () => {
      const payload = { id: 'f11-1', email: 'ana.lima@example.com', name: 'Ana Lima', phone: '(650) 555-0111' };
      const body = JSON.stringify(payload);
      const ts = Math.floor(Date.now() / 1000);
      expectError(
        await post(pathOf(generic), body, {
          'x-webhook-timestamp': String(ts),
          'x-webhook-signature': genericSignature(body, 'someone-elses-secret', ts),
        }),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
      const stale = ts - 3600;
      expectError(
        await post(pathOf(generic), body, {
          'x-webhook-timestamp': String(stale),
          'x-webhook-signature': genericSignature(body, generic.webhookSecret, stale),
        }),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
      const form = await t.http
        .post(pathOf(generic))
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', genericSignature('a=1', generic.webhookSecret, ts))
        .send('a=1');
      expectError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const signedGarbage = '{"id": "f11-x"';
      const garbage = await post(pathOf(generic), signedGarbage, {
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': genericSignature(signedGarbage, generic.webhookSecret, ts),
      });
      expect(garbage.status).toBe(400);

      const ok = await postGeneric(t, generic, payload);
      expect(ok.body).toEqual({ status: 'received', eventId: expect.any(String) });
      // the same e-mail in another sub-account is that sub-account's own lead
      expect((await postGeneric(t, foreignGeneric, { ...payload, name: 'Ana Elsewhere' })).body.status).toBe(
        'received',
      );
      await eventsSettled(t);
      const mine = await leadsOf(`subAccountId=${sub}`);
      expect(mine.total).toBe(1);
      const lead = mine.items[0];
      const detail = await get(`/api/leads/${String(lead.id)}`);
      expect(detail.status).toBe(200);
      const sources = detail.body.sourceTracking.sources as Json[];
      expect(sources.map((s) => [s.platform, s.integrationId, s.externalId])).toEqual([
        ['google-ads', google.id, 'g11-1'],
        ['generic', generic.id, 'f11-1'],
      ]);
      expect(detail.body.sourceTracking).toMatchObject({
        platform: 'google-ads',
        integrationId: google.id,
        externalId: 'g11-1',
        campaignId: '991214827',
        adGroupId: '20000000000',
        formId: '18698608977',
        cost: null,
      });
      expect(detail.body).toMatchObject({ email: 'ana.lima@example.com', phone: '+16505550111' });
      expect(Array.isArray(detail.body.interactions)).toBe(true);
      const theirs = await leadsOf('', attacker);
      expect(theirs.items.map((l) => [l.subAccountId, l.fullName])).toEqual([[other, 'Ana Elsewhere']]);
    });

    it('Meta: a page change that is no leadgen is ignored (eventId null); two leads in one delivery carry eventIds; an unknown page is 401', async () => {
      const feed = JSON.stringify({
        object: 'page',
        entry: [
          { id: META_CONFIG.pageId, time: 1, changes: [{ field: 'feed', value: { item: 'status', verb: 'add' } }] },
        ],
      });
      const sig = (b: string) => ({ 'x-hub-signature-256': metaSignature(b, META_CONFIG.appSecret) });
      const ignored = await post('/api/webhooks/meta-lead-ads', feed, sig(feed));
      expect([ignored.status, ignored.body]).toEqual([200, { status: 'ignored', eventId: null }]);

      const leadOf = (id: string, email: string, phone: string) => ({
        status: 200,
        body: {
          id,
          created_time: new Date().toISOString().replace('Z', '+0000'),
          form_id: '11000000000011',
          ad_id: '23851100000000011',
          adset_id: '23851100000000012',
          campaign_id: '23851100000000013',
          campaign_name: 'Journey 11',
          is_organic: false,
          field_data: [
            { name: 'email', values: [email] },
            { name: 'phone_number', values: [phone] },
            { name: 'full_name', values: ['Meta Person'] },
          ],
        },
      });
      fakes.graph.on('GET', '/110000000001', () => leadOf('110000000001', 'bea@example.com', '+16505550222'));
      // the phone of Ana's lead written another way: the same person
      fakes.graph.on('GET', '/110000000002', () => leadOf('110000000002', 'ana.other@example.com', '650-555-0111'));
      const two = metaLeadgen(META_CONFIG.pageId, ['110000000001', '110000000002']);
      const res = await post('/api/webhooks/meta-lead-ads', two, sig(two));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'received', eventId: expect.any(String), eventIds: expect.any(Array) });
      expect(res.body.eventIds).toHaveLength(2);
      expect(res.body.eventIds[0]).toBe(res.body.eventId);

      const unknown = metaLeadgen('999999999999011', ['110000000003']);
      expectError(await post('/api/webhooks/meta-lead-ads', unknown, sig(unknown)), 401, 'WEBHOOK_SIGNATURE_INVALID');
      expectError(
        await post('/api/webhooks/meta-lead-ads', two, { 'x-hub-signature-256': 'sha256=00' }),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
      await eventsSettled(t);
      // Ana's phone in another form found her lead: two leads, not three (which e-mail it keeps is not in API.md)
      const leads = await leadsOf(`subAccountId=${sub}&sort=createdAt`);
      expect(leads.items.map((l) => l.phone)).toEqual(['+16505550111', '+16505550222']);
      expect(leads.items[1].email).toBe('bea@example.com');
    });
  });

  describe('events and replay', () => {
    it('a FAILED Meta lead is listed with lastError, replayed (MANAGER 202, AGENT 403, attacker 404) and then PROCESSED', async () => {
      const body = metaLeadgen(META_CONFIG.pageId, ['110000000009']);
      const res = await post('/api/webhooks/meta-lead-ads', body, {
        'x-hub-signature-256': metaSignature(body, META_CONFIG.appSecret),
      });
      expect(res.body.status).toBe('received');
      const failed = await settledEvent(t, res.body.eventId as string);
      expect(failed.status).toBe('FAILED');
      const list = await get(`/api/integrations/${meta.id}/events?status=FAILED`, manager);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
      expect(list.body.items[0]).toMatchObject({
        id: res.body.eventId,
        provider: 'meta-lead-ads',
        status: 'FAILED',
        lastError: expect.any(String),
        receivedAt: expect.any(String),
      });
      expect((await get(`/api/integrations/${meta.id}/events`, attacker)).status).toBe(404);
      expect((await get(`/api/integrations/${meta.id}/events`, agent)).status).toBe(403);
      const replay = (token: string) =>
        t.http.post(`/api/webhook-events/${res.body.eventId}/replay`).set('authorization', token);
      expectError(await replay(attacker), 404, 'NOT_FOUND');
      expectError(await replay(agent), 403, 'FORBIDDEN');

      fakes.graph.on('GET', '/110000000009', () => ({
        status: 200,
        body: {
          id: '110000000009',
          created_time: new Date().toISOString().replace('Z', '+0000'),
          form_id: '11000000000011',
          field_data: [{ name: 'email', values: ['cai@example.com'] }],
        },
      }));
      expect((await replay(manager)).status).toBe(202);
      await waitFor(async () => (await settledEvent(t, res.body.eventId as string)).status === 'PROCESSED');
      expect((await leadsOf(`subAccountId=${sub}&q=cai@example.com`)).total).toBe(1);
      // a PROCESSED event replayed again changes nothing: still one lead, one touch
      expect((await replay(admin)).status).toBe(202);
      await eventsSettled(t);
      const again = await leadsOf(`subAccountId=${sub}&q=cai@example.com`);
      expect(again.total).toBe(1);
      const detail = await get(`/api/leads/${String(again.items[0].id)}`);
      expect(detail.body.sourceTracking.sources).toHaveLength(1);
      const processed = await get(`/api/integrations/${meta.id}/events?status=PROCESSED`, manager);
      expect(processed.body.items.map((e: Json) => e.id)).toContain(res.body.eventId);
    });
  });

  describe('leads as the CRM reads and changes them', () => {
    it('filters by source, status, q, created dates and minScore; sorts; pages; an attacker is 403 for the sub-account', async () => {
      const all = await leadsOf(`subAccountId=${sub}`);
      expect(all).toMatchObject({ page: 1, pageSize: 50, total: 3 });
      expect((await leadsOf(`subAccountId=${sub}&source=google-ads`)).total).toBe(1);
      expect((await leadsOf(`subAccountId=${sub}&source=generic`)).total).toBe(1);
      expect((await leadsOf(`subAccountId=${sub}&source=meta`)).total).toBe(3);
      expect((await leadsOf(`subAccountId=${sub}&source=linkedin`)).total).toBe(0);
      expect((await leadsOf(`subAccountId=${sub}&status=NEW`)).total).toBe(3);
      expect((await leadsOf(`subAccountId=${sub}&q=BEA@EXAMPLE`)).total).toBe(1);
      expect((await leadsOf(`subAccountId=${sub}&q=650-555-0222`)).total).toBe(1);
      const now = Date.now();
      const hourAgo = new Date(now - 3_600_000).toISOString();
      const hourAhead = new Date(now + 3_600_000).toISOString();
      expect((await leadsOf(`subAccountId=${sub}&createdFrom=${hourAgo}&createdTo=${hourAhead}`)).total).toBe(3);
      expect((await leadsOf(`subAccountId=${sub}&createdFrom=${hourAhead}`)).total).toBe(0);
      expect((await leadsOf(`subAccountId=${sub}&minScore=0`)).total).toBe(3);
      const asc = (await leadsOf(`subAccountId=${sub}&sort=createdAt`)).items.map((l) => l.id);
      const desc = (await leadsOf(`subAccountId=${sub}`)).items.map((l) => l.id);
      expect(desc).toEqual([...asc].reverse());
      const page2 = await leadsOf(`subAccountId=${sub}&sort=createdAt&page=2&pageSize=2`);
      expect(page2).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      expect(page2.items.map((l) => l.id)).toEqual([asc[2]]);
      for (const l of all.items) expect(typeof l.id).toBe('string');

      const forbidden = await get(`/api/leads?subAccountId=${sub}`, attacker);
      expectError(forbidden, 403, 'FORBIDDEN');
      expectError(await get(`/api/leads?subAccountId=${sub}&q=ana`, attacker), 403, 'FORBIDDEN');
    });

    it('PATCH status, assignee and tags; history { from, to, at, by }; activities; the attacker gets 404 and changes nothing', async () => {
      const [ana, bea, cai] = (await leadsOf(`subAccountId=${sub}&sort=createdAt`)).items.map((l) => String(l.id));
      const patch = (id: string, body: Json, token = admin) =>
        t.http.patch(`/api/leads/${id}`).set('authorization', token).send(body);
      for (const status of ['CONTACTED', 'QUALIFIED', 'CONVERTED']) {
        const res = await patch(ana, { status, assignedUserId: 'agent-11', assignedUserName: 'Agent Eleven' });
        expect([res.status, res.body.status, res.body.assignedUserId]).toEqual([200, status, 'agent-11']);
      }
      expect((await patch(bea, { status: 'LOST', tags: ['cold'] }, agent)).body).toMatchObject({
        status: 'LOST',
        tags: ['cold'],
      });
      expect((await patch(cai, { assignedUserId: 'agent-11' }, manager)).status).toBe(200);

      const history = await get(`/api/leads/${ana}/history`);
      expect(history.body.map((h: Json) => [h.from, h.to, h.by])).toEqual([
        ['NEW', 'CONTACTED', 'admin-11'],
        ['CONTACTED', 'QUALIFIED', 'admin-11'],
        ['QUALIFIED', 'CONVERTED', 'admin-11'],
      ]);
      for (const h of history.body as Json[]) expect(new Date(String(h.at)).toISOString()).toBe(h.at);

      // calls either side of the sub-account's local midnight that starts today
      const calls = [
        { at: localInstant(today, '00:10:00'), outcome: 'ANSWERED' },
        { at: localInstant(today, '08:00:00'), outcome: 'NO_ANSWER' },
        { at: new Date(Date.parse(localInstant(today, '00:00:00')) - 10 * 60_000).toISOString(), outcome: 'ANSWERED' },
      ];
      for (const c of calls) {
        const res = await t.http
          .post(`/api/leads/${ana}/activities`)
          .set('authorization', agent)
          .send({ type: 'CALL', outcome: c.outcome, userId: 'agent-11', userName: 'Agent Eleven', occurredAt: c.at });
        expect(res.status).toBe(201);
      }

      expectError(await patch(ana, { status: 'LOST' }, attacker), 404, 'NOT_FOUND');
      expectError(await get(`/api/leads/${ana}`, attacker), 404, 'NOT_FOUND');
      expectError(await get(`/api/leads/${ana}/history`, attacker), 404, 'NOT_FOUND');
      expectError(
        await t.http
          .post(`/api/leads/${ana}/activities`)
          .set('authorization', attacker)
          .send({ type: 'NOTE', userId: 'attacker-11' }),
        404,
        'NOT_FOUND',
      );
      expect((await get(`/api/leads/${ana}`)).body.status).toBe('CONVERTED');
    });

    it('POST /api/leads: the same person by e-mail in another case is 200 with the existing lead; the attacker cannot create in the sub-account', async () => {
      const same = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, fullName: 'Bea', email: 'BEA@example.com' });
      expect(same.status).toBe(200);
      expect(same.body.email).toBe('bea@example.com');
      expect((await leadsOf(`subAccountId=${sub}`)).total).toBe(3);
      expectError(
        await t.http
          .post('/api/leads')
          .set('authorization', attacker)
          .send({ subAccountId: sub, email: 'x@example.com' }),
        403,
        'FORBIDDEN',
      );
    });
  });

  describe('analytics equal to what was delivered, on local days', () => {
    it('overview: totals, bySource per integration, byStatus, in the local day that is not the UTC day', async () => {
      const res = await get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}&compare=previous`);
      expect(res.status).toBe(200);
      expect(res.body.timezone).toBe(ZONE);
      expect(res.body.totals).toEqual({
        totalLeads: 3,
        newLeads: 3,
        convertedLeads: 1,
        lostLeads: 1,
        conversionRate: 1 / 3,
      });
      expect(res.body.previous).toEqual({
        totals: { totalLeads: 0, newLeads: 0, convertedLeads: 0, lostLeads: 0, conversionRate: 0 },
      });
      expect(res.body.byStatus).toMatchObject({ NEW: 1, CONVERTED: 1, LOST: 1 });
      const by = Object.fromEntries(
        (res.body.bySource as Json[]).map((s) => [`${String(s.platform)}:${String(s.integrationId)}`, s]),
      );
      expect(by[`google-ads:${google.id}`]).toMatchObject({ leads: 1, converted: 1, conversionRate: 1 });
      expect(by[`meta:${meta.id}`]).toMatchObject({ leads: 2, converted: 0, conversionRate: 0 });
      // the UTC date of today is another local day: nothing of today's deliveries on it
      const utc = utcDate(new Date());
      const onUtcDay = await get(`/api/analytics/overview?subAccountId=${sub}&from=${utc}&to=${utc}`);
      expect(onUtcDay.body.totals.newLeads).toBe(0);
      expectError(await get(`/api/analytics/overview?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
      expectError(await get(`/api/analytics/overview?subAccountId=${sub}`, agent), 403, 'FORBIDDEN');
    });

    it('timeseries: zero-filled local days and hours; groupBy source and integration sum to the overview', async () => {
      const yesterday = localDate(new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000), 'UTC');
      const days = await get(
        `/api/analytics/timeseries?subAccountId=${sub}&from=${yesterday}&to=${today}&granularity=day&metric=newLeads`,
      );
      expect(days.status).toBe(200);
      expect(days.body).toMatchObject({ timezone: ZONE, granularity: 'day' });
      expect(days.body.series).toEqual([
        {
          key: expect.any(String),
          points: [
            { bucket: yesterday, value: 0 },
            { bucket: today, value: 3 },
          ],
        },
      ]);
      const bySource = await get(
        `/api/analytics/timeseries?subAccountId=${sub}&from=${today}&to=${today}&metric=newLeads&groupBy=source`,
      );
      const sums = Object.fromEntries(
        (bySource.body.series as Array<{ key: string; points: Array<{ value: number }> }>).map((s) => [
          s.key,
          s.points.reduce((n, p) => n + p.value, 0),
        ]),
      );
      expect(sums).toMatchObject({ 'google-ads': 1, meta: 2 });
      const byIntegration = await get(
        `/api/analytics/timeseries?subAccountId=${sub}&from=${today}&to=${today}&metric=convertedLeads&groupBy=integration`,
      );
      const converted = (byIntegration.body.series as Array<{ key: string; points: Array<{ value: number }> }>)
        .map((s) => [s.key, s.points.reduce((n, p) => n + p.value, 0)])
        .filter(([, n]) => n !== 0);
      expect(converted).toEqual([[String(google.id), 1]]);
      const hours = await get(
        `/api/analytics/timeseries?subAccountId=${sub}&from=${today}&to=${today}&granularity=hour&metric=newLeads`,
      );
      const points = (hours.body.series as Array<{ points: Array<{ bucket: string; value: number }> }>)[0].points;
      expect(points).toHaveLength(24);
      const offset = ZONE === 'Pacific/Kiritimati' ? '+14:00' : '-11:00';
      expect(points[0].bucket).toBe(`${today}T00:00${offset}`);
      expect(points.reduce((n, p) => n + p.value, 0)).toBe(3);
      expectError(await get(`/api/analytics/timeseries?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
    });

    it('funnel among the leads created today: every stage up to the furthest reached', async () => {
      const res = await get(`/api/analytics/funnel?subAccountId=${sub}&from=${today}&to=${today}`);
      expect(res.status).toBe(200);
      expect(res.body.stages.map((s: Json) => [s.stage, s.count])).toEqual([
        ['NEW', 3],
        ['CONTACTED', 1],
        ['QUALIFIED', 1],
        ['CONVERTED', 1],
      ]);
      expect(res.body.stages[1]).toMatchObject({
        percentage: 1 / 3,
        fromPrevious: 1 / 3,
        dropOff: 2,
        dropOffRate: 2 / 3,
      });
      const google1 = await get(
        `/api/analytics/funnel?subAccountId=${sub}&from=${today}&to=${today}&source=google-ads`,
      );
      expect(google1.body.stages.map((s: Json) => s.count)).toEqual([1, 1, 1, 1]);
      expectError(await get(`/api/analytics/funnel?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
    });

    it('team: the calls of the local day, not those of the minutes before its midnight', async () => {
      const res = await get(`/api/analytics/team?subAccountId=${sub}&from=${today}&to=${today}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        {
          userId: 'agent-11',
          userName: 'Agent Eleven',
          leadsAssigned: 2,
          callsMade: 2,
          callsAnswered: 1,
          leadsConverted: 1,
          conversionRate: 0.5,
        },
      ]);
      expectError(await get(`/api/analytics/team?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
    });

    it('snapshots and a rebuild: the same figures before and after; the attacker is 403 on both', async () => {
      const before = await get(`/api/analytics/snapshots?subAccountId=${sub}&period=DAILY&from=${today}&to=${today}`);
      expect(before.status).toBe(200);
      expect(before.body).toEqual([
        expect.objectContaining({
          date: today,
          period: 'DAILY',
          metrics: expect.objectContaining({ totalLeads: 3, newLeads: 3, convertedLeads: 1, lostLeads: 1 }),
        }),
      ]);
      const overview = await get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}`);
      const rebuild = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub });
      expect([rebuild.status, typeof rebuild.body.jobId]).toEqual([202, 'string']);
      expectError(
        await t.http.post('/api/analytics/rebuild').set('authorization', attacker).send({ subAccountId: sub }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await t.http.post('/api/analytics/rebuild').set('authorization', manager).send({ subAccountId: sub }),
        403,
        'FORBIDDEN',
      );
      await waitFor(
        async () => {
          const after = await get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}`);
          const snaps = await get(
            `/api/analytics/snapshots?subAccountId=${sub}&period=DAILY&from=${today}&to=${today}`,
          );
          return JSON.stringify(after.body) === JSON.stringify(overview.body) &&
            JSON.stringify(snaps.body) === JSON.stringify(before.body)
            ? true
            : undefined;
        },
        20_000,
        'identical answers after the rebuild',
      );
      expectError(await get(`/api/analytics/snapshots?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
      expectError(await get(`/api/analytics/attribution?subAccountId=${sub}`, attacker), 403, 'FORBIDDEN');
    });

    it('rates stay fractions (0–1) when a range converts more leads than it creates', async () => {
      const create = async (email: string) => {
        const res = await t.http
          .post('/api/leads')
          .set('authorization', agent)
          .send({ subAccountId: sub, fullName: email.split('@')[0], email, source: { platform: 'manual' } });
        expect(res.status).toBe(201);
        return String(res.body.id);
      };
      const patch = async (id: string, body: Json) =>
        expect((await t.http.patch(`/api/leads/${id}`).set('authorization', agent).send(body)).status).toBe(200);
      const early = [await create('rate1@example.com'), await create('rate2@example.com')];
      for (const id of early) await patch(id, { assignedUserId: 'closer-11', assignedUserName: 'Closer' });
      await new Promise((r) => setTimeout(r, 20));
      const from = new Date().toISOString();
      const late = await create('rate3@example.com');
      await patch(late, { assignedUserId: 'closer-11', assignedUserName: 'Closer' });
      for (const id of early) await patch(id, { status: 'CONVERTED' });
      const to = new Date(Date.now() + 60_000).toISOString();
      const range = `subAccountId=${sub}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

      const overview = await get(`/api/analytics/overview?${range}`);
      expect(overview.status).toBe(200);
      expect(overview.body.totals).toMatchObject({ newLeads: 1, convertedLeads: 2 });
      const rates: number[] = [
        overview.body.totals.conversionRate,
        ...(overview.body.bySource as Json[]).map((s) => Number(s.conversionRate)),
      ];
      const team = await get(`/api/analytics/team?${range}`);
      expect(team.status).toBe(200);
      const closer = (team.body as Json[]).find((m) => m.userId === 'closer-11');
      expect(closer).toMatchObject({ leadsAssigned: 1, leadsConverted: 2 });
      rates.push(Number(closer?.conversionRate));
      for (const rate of rates) {
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }
    });
  });

  describe('reordered and bridging deliveries (after the figures above)', () => {
    it("GoHighLevel: a ContactUpdate before its ContactCreate is one lead with the update's values; a redelivery is a duplicate; the attacker sees none of it", async () => {
      const ed = generateKeyPairSync('ed25519');
      const ghl = await createIntegration(t, sub, 'gohighlevel', {
        ...GHL_CONFIG,
        webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      await activate(t, sub, ghl.id);
      const fixture = (file: string) =>
        JSON.parse(readFileSync(join(__dirname, '../../src/handlers/gohighlevel/fixtures', file), 'utf8')) as Json;
      const deliver = (event: Json) => {
        const body = JSON.stringify(event);
        return post('/api/webhooks/gohighlevel', body, {
          'x-ghl-signature': sign(null, Buffer.from(body), ed.privateKey).toString('base64'),
        });
      };
      const contact = {
        locationId: GHL_CONFIG.locationId,
        id: 'ghl-c11',
        phone: '+14155550111',
        email: 'dan@example.com',
      };
      const at = Date.now();
      const update = {
        ...fixture('ContactUpdate.json'),
        ...contact,
        webhookId: 'wh-11-2',
        timestamp: new Date(at).toISOString(),
        city: 'Porto', // the contact as changed
      };
      const create = {
        ...fixture('ContactCreate.json'),
        ...contact,
        webhookId: 'wh-11-1',
        timestamp: new Date(at - 60_000).toISOString(),
        city: 'Lisbon', // the contact as added
      };
      expect((await deliver(update)).body.status).toBe('received');
      const created = await deliver(create);
      expect(created.body.status).toBe('received');
      expect((await deliver(create)).body).toEqual({ status: 'duplicate', eventId: created.body.eventId });
      await eventsSettled(t);
      const found = await leadsOf(`subAccountId=${sub}&source=gohighlevel`);
      expect(found.total).toBe(1);
      // the late create is older than the update: it fills nothing the update set (it put Lisbon back before)
      expect(found.items[0]).toMatchObject({ phone: '+14155550111', email: 'dan@example.com', city: 'Porto' });
      expect((await leadsOf('q=dan@example.com', attacker)).total).toBe(0);
      expectError(await get(`/api/leads/${String(found.items[0].id)}`, attacker), 404, 'NOT_FOUND');
    });

    it('replays an event waiting for its retry now (202); one a worker is running is 409 with its status', async () => {
      const delivered = await post(
        pathOf(google),
        googleLead(GOOGLE_KEY, 'g11-retry', { name: 'Rita', email: 'rita@example.com' }),
      );
      const id = delivered.body.eventId as string;
      await waitFor(async () => (await settledEvent(t, id)).status === 'PROCESSED');
      // as the processor leaves a transient failure: PENDING, its next attempt an hour away
      await t.sql.query(
        `UPDATE webhook_events SET status = 'PENDING', attempts = 3, last_error = 'HTTP 503', processed_at = NULL,
                next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
        [id],
      );
      const replay = () => t.http.post(`/api/webhook-events/${id}/replay`).set('authorization', manager);
      const jobs = () => jobsOfEvent(t, id);
      const jobsBefore = await jobs();
      // the worker's claim waits until every replay is answered: on a loaded machine it could otherwise
      // finish the event in the middle of the burst, and a replay after that is a new replay (a second job)
      const events = t.app.get(WebhookEventsRepository);
      const claim = events.claim.bind(events);
      let release = (): void => undefined;
      const answered = new Promise<void>((resolve) => (release = resolve));
      const held = jest.spyOn(events, 'claim').mockImplementation(async (eventId) => {
        await answered;
        return claim(eventId);
      });
      // it answered 409 "already queued" and the event waited its hour; concurrent replays queue one job
      const answers = await Promise.all(Array.from({ length: 6 }, replay)).finally(release);
      held.mockRestore();
      // 202 while it waits or is queued, each answer as it is now
      expect(answers.map((a) => [a.status, a.body])).toEqual(
        Array.from({ length: 6 }, () => [202, { eventId: id, status: 'PENDING' }]),
      );
      expect(await jobs()).toBe(jobsBefore + 1);
      await waitFor(async () => (await settledEvent(t, id)).status === 'PROCESSED');
      const row = await t.sql.query('SELECT attempts, last_error, next_attempt_at FROM webhook_events WHERE id = $1', [
        id,
      ]);
      expect(row.rows[0]).toEqual({ attempts: 1, last_error: null, next_attempt_at: null });
      await t.sql.query("UPDATE webhook_events SET status = 'PROCESSING', processed_at = NULL WHERE id = $1", [id]);
      const running = await replay();
      expect([running.status, running.body.code, running.body.details]).toEqual([
        409,
        'CONFLICT',
        [{ eventId: id, status: 'PROCESSING' }],
      ]);
      await t.sql.query("UPDATE webhook_events SET status = 'PROCESSED', processed_at = now() WHERE id = $1", [id]);
      expect((await leadsOf(`subAccountId=${sub}&q=rita@example.com`)).total).toBe(1);
    });
    it('a delivery naming one lead by e-mail and another by phone creates no third lead', async () => {
      const before = (await leadsOf(`subAccountId=${sub}`)).total;
      expect((await postGeneric(t, generic, { id: 'f11-mia', email: 'mia@example.com', name: 'Mia' })).status).toBe(
        200,
      );
      const phoneOnly = googleLead(GOOGLE_KEY, 'g11-mia', { name: 'Mia W', phone: '+1 650 555 0333' });
      expect((await post(pathOf(google), phoneOnly)).body.status).toBe('received');
      await eventsSettled(t);
      expect((await leadsOf(`subAccountId=${sub}`)).total).toBe(before + 2);
      const both = await postGeneric(t, generic, { id: 'f11-mia-2', email: 'MIA@example.com', phone: '650 555 0333' });
      expect(both.body.status).toBe('received');
      await eventsSettled(t);
      expect((await leadsOf(`subAccountId=${sub}`)).total).toBe(before + 2);
    });
  });
});
