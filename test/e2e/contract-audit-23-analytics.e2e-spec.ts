// Contract audit 23 of API.md "Analytics (computed in the sub-account's time zone)" and the "Sub-account
// settings" it reads, black-box, as an outside suite written from API.md alone: leads made through
// POST /api/leads and PATCH /api/leads/:id (and a GoHighLevel webhook), figures computed by hand.
// Not repeated here (earlier audits pin them): DST days, Sao Paulo weeks, attribution models, money rounding.
//
// Found and fixed (the rollup, migration 20261210100000): a provider's status change dated before the hub
// created the lead (a GoHighLevel opportunity won before its contact reached the hub) is stored at that
// earlier instant (the order of changes depends on it: contract-audit-14), and its status-stock rows were
// counted there too, so between the two byStatus answered `NEW: -1`. The stock now moves at the later of
// the change's date and the lead's creation; the conversion still counts on its own day.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { seedLeads } from '../support/report-fixtures';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, eventsSettled } from '../support/webhooks';

type Json = Record<string, unknown>;

const DAY_MS = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const stage = (name: string, count: number, first: number, previous: number): Json => ({
  stage: name,
  count,
  percentage: first === 0 ? 0 : count / first,
  fromPrevious: previous === 0 ? 0 : count / previous,
  dropOff: previous - count,
  dropOffRate: previous === 0 ? 0 : (previous - count) / previous,
});

describe('API.md contract audit 23: analytics', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let history: number;
  let other: number;
  let admin: string;
  let otherAdmin: string;
  const ed = generateKeyPairSync('ed25519');

  const get = (path: string, auth = admin) => t.http.get(path).set('authorization', auth);
  const ok = async (path: string, auth = admin): Promise<Json> => {
    const res = await get(path, auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Json;
  };
  const createLead = async (subAccountId: number, body: Json, auth = admin): Promise<string> => {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', auth)
      .send({ subAccountId, ...body });
    if (res.status !== 201) throw new Error(`lead: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.body.id);
  };
  const patchLead = async (id: string, body: Json, auth = admin): Promise<void> => {
    const res = await t.http.patch(`/api/leads/${id}`).set('authorization', auth).send(body);
    if (res.status !== 200) throw new Error(`patch ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const activity = async (id: string, body: Json, auth = admin): Promise<void> => {
    const res = await t.http.post(`/api/leads/${id}/activities`).set('authorization', auth).send(body);
    if (res.status !== 201) throw new Error(`activity ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Audit23 analytics');
    history = await createSubAccount(t, 'PRO', 'Audit23 history');
    other = await createSubAccount(t, 'PRO', 'Audit23 other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub, history], 'u-admin')}`;
    otherAdmin = `Bearer ${t.token('ADMIN', [other], 'u-other')}`;
  });
  afterAll(async () => {
    await t?.close();
    await ghl?.close();
  });

  describe('figures of leads made and moved through the API (sub-account in UTC, today)', () => {
    let today: string;
    let range: string;
    beforeAll(async () => {
      today = isoDay(Date.now());
      range = `from=${today}&to=${today}`;
      // won: NEW → CONTACTED → QUALIFIED → CONVERTED (camp-a), lost: NEW → LOST (camp-a), idle: NEW (camp-b)
      const won = await createLead(sub, {
        fullName: 'Won',
        email: 'won@audit23.example',
        source: { platform: 'manual', campaignId: 'camp-a' },
      });
      const lost = await createLead(sub, {
        fullName: 'Lost',
        email: 'lost@audit23.example',
        source: { platform: 'manual', campaignId: 'camp-a' },
      });
      await createLead(sub, {
        fullName: 'Idle',
        email: 'idle@audit23.example',
        source: { platform: 'manual', campaignId: 'camp-b' },
      });
      // a test lead (converted) counts nowhere; a duplicate by e-mail (200) is no new lead
      const test = await createLead(sub, { fullName: 'Test', email: 'test@audit23.example', isTest: true });
      await patchLead(test, { status: 'CONVERTED', assignedUserId: 'ag1' });
      const dup = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Won again', email: 'WON@audit23.example' });
      expect([dup.status, String(dup.body.id)]).toEqual([200, won]);

      await patchLead(won, { assignedUserId: 'ag1', assignedUserName: 'Agent One' });
      await patchLead(won, { status: 'CONTACTED' });
      await patchLead(won, { status: 'CONTACTED' }); // no change: no transition
      await patchLead(won, { status: 'QUALIFIED' });
      await patchLead(won, { status: 'CONVERTED' });
      // reassigned and lost in one PATCH: the loss is not a conversion of anyone
      await patchLead(lost, { assignedUserId: 'ag1' });
      await patchLead(lost, { assignedUserId: 'ag2', assignedUserName: 'Agent Two', status: 'LOST' });
      await patchLead(lost, { assignedUserId: 'ag2' }); // the same assignee again: no assignment
      await activity(won, { type: 'CALL', outcome: 'ANSWERED', userId: 'ag1' });
      await activity(won, { type: 'CALL', outcome: 'NO_ANSWER', userId: 'ag1' });
      await activity(won, { type: 'EMAIL', outcome: 'ANSWERED', userId: 'ag1' }); // not a call
      await activity(lost, { type: 'CALL', userId: 'ag3', userName: 'Agent Three' });

      // another tenant's agent of the same user id, with another name and figures of its own
      const foreign = await createLead(other, { fullName: 'Foreign', email: 'f@audit23.example' }, otherAdmin);
      await patchLead(foreign, { assignedUserId: 'ag1', assignedUserName: 'Mallory', status: 'CONVERTED' }, otherAdmin);
      await activity(foreign, { type: 'CALL', outcome: 'ANSWERED', userId: 'ag1', userName: 'Mallory' }, otherAdmin);
    });

    it('overview: events of the range, bySource with money as null without spend, byStatus as the stock; dates and instants agree', async () => {
      const expected = {
        timezone: 'UTC',
        totals: { totalLeads: 3, newLeads: 3, convertedLeads: 1, lostLeads: 1, conversionRate: 1 / 3 },
        bySource: [
          {
            platform: 'manual',
            integrationId: null,
            leads: 3,
            converted: 1,
            conversionRate: 1 / 3,
            spend: null,
            costPerLead: null,
            costPerConversion: null,
            currency: null,
          },
        ],
        byStatus: { NEW: 1, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1, LOST: 1 },
        // the day before: nothing happened, every rate 0
        previous: { totals: { totalLeads: 0, newLeads: 0, convertedLeads: 0, lostLeads: 0, conversionRate: 0 } },
      };
      expect(await ok(`/api/analytics/overview?subAccountId=${sub}&${range}&compare=previous`)).toEqual(expected);
      const next = isoDay(Date.parse(`${today}T00:00:00Z`) + DAY_MS);
      const instants = `from=${today}T00:00:00Z&to=${next}T00:00:00%2B00:00`;
      expect(await ok(`/api/analytics/overview?subAccountId=${sub}&${instants}&compare=previous`)).toEqual(expected);
    });

    it('an "all time" range (2000-01-01..2099-12-31) is answered like today (API.md sets no limit)', async () => {
      const all = 'from=2000-01-01&to=2099-12-31';
      const overview = await ok(`/api/analytics/overview?subAccountId=${sub}&${all}`);
      expect(overview.totals).toEqual({
        totalLeads: 3,
        newLeads: 3,
        convertedLeads: 1,
        lostLeads: 1,
        conversionRate: 1 / 3,
      });
      expect(overview.byStatus).toEqual({ NEW: 1, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1, LOST: 1 });
      const funnel = await ok(`/api/analytics/funnel?subAccountId=${sub}&${all}`);
      expect((funnel.stages as Json[])[0]).toMatchObject({ stage: 'NEW', count: 3 });
      const monthly = await ok(
        `/api/analytics/timeseries?subAccountId=${sub}&${all}&granularity=month&metric=newLeads`,
      );
      const points = (monthly.series as Array<{ points: Array<{ value: number }> }>)[0].points;
      expect(points).toHaveLength(100 * 12);
      expect(points.reduce((n, p) => n + p.value, 0)).toBe(3);
    });

    it('funnel: each lead at every stage up to the furthest it reached; stages, source and campaignId filters', async () => {
      const funnel = async (query: string): Promise<unknown> =>
        (await ok(`/api/analytics/funnel?subAccountId=${sub}&${range}${query}`)).stages;
      expect(await funnel('')).toEqual([
        stage('NEW', 3, 3, 3),
        stage('CONTACTED', 1, 3, 3),
        stage('QUALIFIED', 1, 3, 1),
        stage('CONVERTED', 1, 3, 1),
      ]);
      expect(await funnel('&stages=NEW,LOST')).toEqual([stage('NEW', 3, 3, 3), stage('LOST', 1, 3, 3)]);
      expect(await funnel('&source=manual&campaignId=camp-a')).toEqual([
        stage('NEW', 2, 2, 2),
        stage('CONTACTED', 1, 2, 2),
        stage('QUALIFIED', 1, 2, 1),
        stage('CONVERTED', 1, 2, 1),
      ]);
      expect(await funnel('&campaignId=camp-b')).toEqual([
        stage('NEW', 1, 1, 1),
        stage('CONTACTED', 0, 1, 1),
        stage('QUALIFIED', 0, 1, 0),
        stage('CONVERTED', 0, 1, 0),
      ]);
      // no lead: every count and rate 0, never NaN
      expect(await funnel('&source=meta')).toEqual(
        ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'].map((s) => stage(s, 0, 0, 0)),
      );
      // the same leads read from the facts (an instant range) as from the rollup (local dates)
      const instants = await ok(
        `/api/analytics/funnel?subAccountId=${sub}&from=${today}T00:00:00Z&to=${today}T23:59:59.999Z`,
      );
      expect(instants.stages).toEqual(await funnel(''));
    });

    it('team: assignments, calls and conversions per agent of this sub-account only, rates capped 0–1', async () => {
      expect(await ok(`/api/analytics/team?subAccountId=${sub}&${range}`)).toEqual([
        // won and lost were assigned to ag1; won converted with ag1; two calls, one answered
        {
          userId: 'ag1',
          userName: 'Agent One',
          leadsAssigned: 2,
          callsMade: 2,
          callsAnswered: 1,
          leadsConverted: 1,
          conversionRate: 0.5,
        },
        {
          userId: 'ag2',
          userName: 'Agent Two',
          leadsAssigned: 1,
          callsMade: 0,
          callsAnswered: 0,
          leadsConverted: 0,
          conversionRate: 0,
        },
        {
          userId: 'ag3',
          userName: 'Agent Three',
          leadsAssigned: 0,
          callsMade: 1,
          callsAnswered: 0,
          leadsConverted: 0,
          conversionRate: 0,
        },
      ]);
    });

    it('timeseries: groupBy status counts the leads that entered each status, campaign and integration keys', async () => {
      const series = async (query: string): Promise<unknown> =>
        (await ok(`/api/analytics/timeseries?subAccountId=${sub}&${range}${query}`)).series;
      const point = (key: string, value: number): Json => ({ key, points: [{ bucket: today, value }] });
      expect(await series('&metric=newLeads&groupBy=status')).toEqual([
        point('CONTACTED', 1),
        point('CONVERTED', 1),
        point('LOST', 1),
        point('NEW', 3),
        point('QUALIFIED', 1),
      ]);
      expect(await series('&metric=newLeads&groupBy=campaign')).toEqual([point('camp-a', 2), point('camp-b', 1)]);
      expect(await series('&metric=lostLeads&groupBy=integration')).toEqual([point('none', 1)]);
      expect(await series('&metric=convertedLeads')).toEqual([point('total', 1)]);
      // nothing sent: the ungrouped series is there, zero-filled
      expect(await series('&metric=messagesSent')).toEqual([point('total', 0)]);
      const spend = (await ok(`/api/analytics/timeseries?subAccountId=${sub}&${range}&metric=spend`)).series;
      expect(spend).toEqual([{ key: 'total', currency: null, points: [{ bucket: today, value: '0.00' }] }]);
    });
  });

  describe('local calendars (seeded history)', () => {
    beforeAll(async () => {
      // ISO weeks across New Year (2020-12-31 is in 2020-W53, 2024-12-31 in 2025-W01)
      await seedLeads(t.sql, history, [
        { at: '2020-12-31T12:00:00Z', name: 'W1', status: 'NEW', platform: 'meta', campaignId: 'w' },
        { at: '2021-01-03T23:30:00Z', name: 'W2', status: 'NEW', platform: 'meta', campaignId: 'w' },
        { at: '2021-01-04T00:30:00Z', name: 'W3', status: 'NEW', platform: 'meta', campaignId: 'w' },
        { at: '2024-12-31T12:00:00Z', name: 'W4', status: 'NEW', platform: 'meta', campaignId: 'w' },
      ]);
    });

    it('weeks are ISO weeks (Monday first, 53rd week) and months local months, from the rollup or the facts alike', async () => {
      const series = async (query: string): Promise<unknown> =>
        (await ok(`/api/analytics/timeseries?subAccountId=${history}&${query}`)).series;
      const weeks = [
        {
          key: 'total',
          points: [
            { bucket: '2020-W53', value: 2 },
            { bucket: '2021-W01', value: 1 },
          ],
        },
      ];
      expect(await series('from=2020-12-28&to=2021-01-10&granularity=week')).toEqual(weeks);
      expect(await series('from=2020-12-28T00:00:00Z&to=2021-01-10T12:00:00Z&granularity=week')).toEqual(weeks);
      const months = [
        {
          key: 'total',
          points: [
            { bucket: '2020-12', value: 1 },
            { bucket: '2021-01', value: 2 },
          ],
        },
      ];
      expect(await series('from=2020-12-28&to=2021-01-10&granularity=month')).toEqual(months);
      expect(await series('from=2024-12-30&to=2025-01-05&granularity=week')).toEqual([
        { key: 'total', points: [{ bucket: '2025-W01', value: 1 }] },
      ]);
    });

    it('a new time zone moves whole local days at once (the rollup follows the setting)', async () => {
      const day = async (d: string): Promise<unknown> =>
        (await ok(`/api/analytics/overview?subAccountId=${history}&from=${d}&to=${d}`)).totals;
      expect(await day('2021-01-03')).toEqual(expect.objectContaining({ newLeads: 1 }));
      const res = await t.http
        .patch(`/api/sub-accounts/${history}`)
        .set('authorization', admin)
        .send({ timezone: 'America/New_York' });
      expect(res.status).toBe(200);
      // 23:30Z and 00:30Z on 3–4 January are both the evening of the 3rd in New York (UTC−5)
      expect(await day('2021-01-03')).toEqual(expect.objectContaining({ newLeads: 2 }));
      expect(await day('2021-01-04')).toEqual(expect.objectContaining({ newLeads: 0 }));
      const hours = (
        await ok(
          `/api/analytics/timeseries?subAccountId=${history}&from=2021-01-03&to=2021-01-03&granularity=hour&metric=newLeads`,
        )
      ).series as Array<{ points: Array<{ bucket: string; value: number }> }>;
      expect(hours[0].points).toHaveLength(24);
      expect(hours[0].points.filter((p) => p.value > 0)).toEqual([
        { bucket: '2021-01-03T18:00-05:00', value: 1 },
        { bucket: '2021-01-03T19:00-05:00', value: 1 },
      ]);
      const reset = await t.http
        .patch(`/api/sub-accounts/${history}`)
        .set('authorization', admin)
        .send({ timezone: 'UTC' });
      expect(reset.status).toBe(200);
    });
  });

  describe('parameters refused with 400 in the error shape, naming the field', () => {
    const cases: Array<[string, string]> = [
      ['timeseries?granularity=year', 'granularity'],
      ['timeseries?metric=revenue', 'metric'],
      ['timeseries?groupBy=country', 'groupBy'],
      ['timeseries?metric=spend&groupBy=status', 'groupBy'],
      ['timeseries?metric=messagesSent&groupBy=campaign', 'groupBy'],
      ['overview?compare=next', 'compare'],
      ['overview?from=2024-02-30', 'from'],
      ['overview?from=2024-01-01T10:00:00', 'from'], // an instant without its offset
      ['overview?to=2024-01-01T24:00:00Z', 'to'],
      ['overview?from=2024-05-02&to=2024-05-01', 'to'],
      ['overview?from=2024-05-01T10:00:00Z&to=2024-05-01T10:00:00Z', 'to'],
      ['overview?from=1990-01-01&to=2100-12-31', 'to'],
      ['overview?unknown=1', 'unknown'],
      ['funnel?stages=NEW', 'stages'],
      ['funnel?stages=NEW,NEW', 'stages'],
      ['funnel?stages=new,contacted', 'stages'],
      ['attribution?model=u-shaped', 'model'],
      ['snapshots?period=YEARLY', 'period'],
      ['team?from=yesterday', 'from'],
    ];
    it.each(cases)('%s → 400 VALIDATION_FAILED on %s', async (query, field) => {
      const [route, params] = query.split('?');
      const res = await get(`/api/analytics/${route}?subAccountId=${sub}&${params}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: expect.arrayContaining([expect.objectContaining({ field })]),
      });
    });

    it('subAccountId missing, not an integer, or given twice → 400 naming it', async () => {
      for (const q of ['', 'subAccountId=abc', 'subAccountId=1.5', `subAccountId=${sub}&subAccountId=${other}`]) {
        const res = await get(`/api/analytics/overview?${q}`);
        expect([q, res.status, res.body.code, res.body.details?.[0]?.field]).toEqual([
          q,
          400,
          'VALIDATION_FAILED',
          'subAccountId',
        ]);
      }
    });
  });

  describe('tenants and roles', () => {
    const routes = ['overview', 'timeseries', 'funnel', 'team', 'attribution', 'snapshots'];

    it('another tenant’s subAccountId → 403 FORBIDDEN on every route, the rebuild included', async () => {
      for (const route of routes) {
        const res = await get(`/api/analytics/${route}?subAccountId=${other}`);
        expect([route, res.status, res.body.code]).toEqual([route, 403, 'FORBIDDEN']);
      }
      const rebuild = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: other });
      expect([rebuild.status, rebuild.body.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('AGENT may read none; MANAGER reads but may not rebuild; a SUPER_ADMIN asking about no sub-account gets 404', async () => {
      const agent = `Bearer ${t.token('AGENT', [sub])}`;
      const manager = `Bearer ${t.token('MANAGER', [sub])}`;
      const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
      for (const route of routes) {
        expect([route, (await get(`/api/analytics/${route}?subAccountId=${sub}`, agent)).status]).toEqual([route, 403]);
        expect([route, (await get(`/api/analytics/${route}?subAccountId=${sub}`, manager)).status]).toEqual([
          route,
          200,
        ]);
        const missing = await get(`/api/analytics/${route}?subAccountId=999999`, superAdmin);
        expect([route, missing.status, missing.body.code]).toEqual([route, 404, 'NOT_FOUND']);
      }
      const byManager = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', manager)
        .send({ subAccountId: sub });
      expect(byManager.status).toBe(403);
      const byAdmin = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub });
      expect([byAdmin.status, typeof byAdmin.body.jobId]).toEqual([202, 'string']);
      const unknownField = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, everything: true });
      expect([unknownField.status, unknownField.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('a provider’s status change dated before the hub made the lead (GoHighLevel)', () => {
    let ghlSub: number;
    let ghlAdmin: string;
    const weekAgo = Date.now() - 7 * DAY_MS;
    const postGhl = async (payload: Json): Promise<void> => {
      const bytes = Buffer.from(
        JSON.stringify({ locationId: GHL_CONFIG.locationId, timestamp: new Date().toISOString(), ...payload }),
      );
      const res = await t.http
        .post('/api/webhooks/gohighlevel')
        .set('content-type', 'application/json')
        .set('x-ghl-signature', sign(null, bytes, ed.privateKey).toString('base64'))
        .send(bytes.toString('utf8'));
      expect(res.status).toBe(200);
      await eventsSettled(t);
    };

    beforeAll(async () => {
      ghlSub = await createSubAccount(t, 'MAX', 'Audit23 GHL');
      ghlAdmin = `Bearer ${t.token('ADMIN', [ghlSub])}`;
      const integration = await createIntegration(t, ghlSub, 'gohighlevel', {
        ...GHL_CONFIG,
        webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      await activate(t, ghlSub, integration.id);
      // a contact of last week reaches the hub today, then its opportunity, won last week
      await postGhl({
        type: 'ContactCreate',
        id: 'audit23-late-contact',
        email: 'late@audit23.example',
        firstName: 'Late',
        dateAdded: new Date(weekAgo).toISOString(),
      });
      await postGhl({
        type: 'OpportunityStatusUpdate',
        id: 'audit23-opportunity',
        contactId: 'audit23-late-contact',
        status: 'won',
        dateUpdated: new Date(weekAgo + 3_600_000).toISOString(),
      });
    });

    it('the lead exists today and is CONVERTED (the setup the next test needs)', async () => {
      const today = isoDay(Date.now());
      const body = await ok(`/api/analytics/overview?subAccountId=${ghlSub}&from=${today}&to=${today}`, ghlAdmin);
      expect(body.byStatus).toEqual(expect.objectContaining({ CONVERTED: 1 }));
      expect((body.totals as Json).totalLeads).toBe(1);
    });

    // Failed before the fix: the change's stock rows were counted at last week's instant and the lead at
    // today's, so the stock of any day between was NEW −1, CONVERTED +1
    it('byStatus is a stock: never negative, and summing to totalLeads, between a back-dated change and the lead', async () => {
      const midweek = isoDay(weekAgo + 3 * DAY_MS);
      const body = await ok(`/api/analytics/overview?subAccountId=${ghlSub}&from=${midweek}&to=${midweek}`, ghlAdmin);
      const stock = Object.values(body.byStatus as Record<string, number>);
      expect(stock.every((n) => n >= 0)).toBe(true);
      expect(stock.reduce((a, b) => a + b, 0)).toBe((body.totals as Json).totalLeads);
      expect((body.totals as Json).totalLeads).toBe(0);
    });

    it('the conversion still counts on the provider’s day (API.md: a lead converted on day D is counted on D)', async () => {
      const body = await ok(
        `/api/analytics/overview?subAccountId=${ghlSub}&from=${isoDay(weekAgo)}&to=${isoDay(Date.now())}`,
        ghlAdmin,
      );
      expect(body.totals).toEqual(expect.objectContaining({ newLeads: 1, convertedLeads: 1, totalLeads: 1 }));
      expect(body.byStatus).toEqual(expect.objectContaining({ NEW: 0, CONVERTED: 1 }));
    });
  });
});
