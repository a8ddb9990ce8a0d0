// Part of audit 11 (header in contract-journeys-11.e2e-spec.ts): sections 3 and 4, the leads as the CRM reads and
// changes them and the analytics equal to what was delivered, on local days. The setup makes the deliveries of
// sections 1 and 2 (that part asserts their answers); section 5 is in contract-journeys-11-reordered.e2e-spec.ts.
import { CreatedIntegration } from '../support/factories';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  deliverJourney11,
  Journeys11Fixture,
  journeys11Helpers,
  Json,
  localDate,
  localInstant,
  setupJourneys11,
  utcDate,
  ZONE,
} from '../support/contract-journeys-11-setup';

describe('API.md journeys: webhooks, leads and analytics in a local time zone (audit 11)', () => {
  let fx: Journeys11Fixture;
  let t: TestApp;
  let sub: number;
  let admin: string;
  let manager: string;
  let agent: string;
  let attacker: string;
  let google: CreatedIntegration;
  let meta: CreatedIntegration;
  let today: string;
  const { get, leadsOf, expectError } = journeys11Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupJourneys11();
    ({ t, sub, admin, manager, agent, attacker, google, meta, today } = fx);
    // the deliveries of the first part (contract-journeys-11.e2e-spec.ts), which asserts their answers
    await deliverJourney11(fx);
  });
  afterAll(() => fx?.close());

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
});
