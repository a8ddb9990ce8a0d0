// Issue 13 over HTTP: facts -> rollup -> every analytics endpoint on hand-computed figures in
// America/Sao_Paulo across its 2018 DST start and in Asia/Kolkata (+05:30); rebuild gives
// byte-identical answers; roles and tenant isolation per API.md.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { waitForJob } from '../support/webhooks';

describe('analytics (facts, rollup, dashboards)', () => {
  let t: TestApp;
  let sp: number; // America/Sao_Paulo
  let ind: number; // Asia/Kolkata
  let admin: string;
  let manager: string;
  let agent: string;
  let other: string; // an admin of another sub-account only
  const ids: Record<string, string> = {};

  const lead = async (
    sub: number,
    createdAt: string,
    platform: string,
    campaign: string,
    isTest = false,
  ): Promise<string> =>
    (
      await t.sql.query<{ id: string }>(
        `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_campaign_id, is_test)
         VALUES ($1, $2, now(), $3, $4, $5) RETURNING id::text`,
        [sub, createdAt, platform, campaign, isTest],
      )
    ).rows[0].id;
  const status = (sub: number, id: string, to: string, at: string): Promise<unknown> =>
    t.sql.query(`SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, 'u-admin', 'api')`, [
      sub,
      id,
      to,
      at,
    ]);
  const get = async (path: string, auth = admin): Promise<Record<string, unknown>> => {
    const res = await t.http.get(path).set('authorization', auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  };
  const range = `from=2018-11-03&to=2018-11-05`;

  beforeAll(async () => {
    t = await createTestApp();
    sp = await createSubAccount(t, 'MAX', 'Sao Paulo');
    ind = await createSubAccount(t, 'MAX', 'Kolkata');
    const outsider = await createSubAccount(t, 'MAX', 'Outsider');
    admin = `Bearer ${t.token('ADMIN', [sp, ind], 'u-admin')}`;
    manager = `Bearer ${t.token('MANAGER', [sp], 'u-manager')}`;
    agent = `Bearer ${t.token('AGENT', [sp], 'u-agent')}`;
    other = `Bearer ${t.token('ADMIN', [outsider], 'u-other')}`;
    // a name typed in another case is stored as the tz database spells it
    for (const [sub, timezone, stored] of [
      [sp, 'america/sao_paulo', 'America/Sao_Paulo'],
      [ind, 'Asia/Kolkata', 'Asia/Kolkata'],
    ] as const) {
      const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone });
      expect([res.status, res.body.timezone]).toEqual([200, stored]);
    }
    // Sao Paulo, 2018-11-04: midnight (-03) became 01:00 (-02)
    ids.l1 = await lead(sp, '2018-11-03T12:00:00Z', 'meta', 'c1'); // Nov 3
    ids.l2 = await lead(sp, '2018-11-04T02:59:00Z', 'google-ads', 'g1'); // Nov 3, 23:59 -03
    ids.l3 = await lead(sp, '2018-11-04T03:00:00Z', 'meta', 'c1'); // Nov 4, 01:00 -02
    ids.l4 = await lead(sp, '2018-11-04T12:00:00Z', 'meta', 'c1', true); // a test lead
    ids.l5 = await lead(sp, '2018-11-05T12:00:00Z', 'meta', 'c2'); // Nov 5
    await t.sql.query(
      "INSERT INTO lead_assignments (sub_account_id, lead_id, to_user_id, to_user_name, at, by) VALUES ($1, $2, 'ana', 'Ana', '2018-11-03T13:00Z', 'u-admin')",
      [sp, ids.l1],
    );
    await t.sql.query("UPDATE leads SET assigned_user_id = 'ana' WHERE id = $1", [ids.l1]);
    await status(sp, ids.l1, 'CONTACTED', '2018-11-04T10:00:00Z');
    await status(sp, ids.l1, 'CONVERTED', '2018-11-05T01:59:00Z'); // Nov 4, 23:59 -02
    await status(sp, ids.l3, 'QUALIFIED', '2018-11-05T02:00:00Z'); // Nov 5, 00:00 -02
    await status(sp, ids.l3, 'LOST', '2018-11-05T10:00:00Z');
    await status(sp, ids.l4, 'CONVERTED', '2018-11-05T10:00:00Z'); // test: never counted
    for (const [outcome, occurredAt] of [
      ['ANSWERED', '2018-11-04T15:00:00Z'],
      ['NO_ANSWER', '2018-11-05T15:00:00Z'],
    ]) {
      const res = await t.http
        .post(`/api/leads/${ids.l1}/activities`)
        .set('authorization', agent)
        .send({ type: 'CALL', outcome, userId: 'ana', occurredAt, durationSeconds: 60 });
      expect(res.status).toBe(201);
    }
    // spend as NUMERIC: 10.01 BRL on campaign c1 (Facebook Ads buys Meta leads); L1 touched c1 before converting
    await t.sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, name, spend, currency,
         impressions, clicks, leads, updated_at)
       VALUES ($1, 999, 'facebook-ads', '2018-11-04', 'ad', 'c1', 'a1', NULL, 6.00, 'BRL', 0, 0, 0, now()),
              ($1, 999, 'facebook-ads', '2018-11-04', 'ad', 'c1', 'a2', NULL, 4.01, 'BRL', 0, 0, 0, now())`,
      [sp],
    );
    await t.sql.query(
      `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, campaign_name, submitted_at)
       VALUES ($1::bigint, $2, 'meta', 'x1', 'event:x1', 'c1', 'Spring', '2018-11-03T12:00:00Z'),
              ($1::bigint, $2, 'google-ads', 'x2', 'event:x2', 'g1', NULL, '2018-11-04T12:00:00Z')`,
      [ids.l1, sp],
    );
    await lead(ind, '2026-03-08T18:29:00Z', 'meta', 'c1'); // 23:59 IST on the 8th
    await lead(ind, '2026-03-08T18:30:00Z', 'meta', 'c1'); // 00:00 IST on the 9th
  });
  afterAll(async () => {
    await t.close();
  });

  it('overview: events in the range, the status stock at its end, and the previous period', async () => {
    const body = await get(`/api/analytics/overview?subAccountId=${sp}&${range}&compare=previous`);
    expect(body.timezone).toBe('America/Sao_Paulo');
    expect(body.totals).toEqual({ totalLeads: 4, newLeads: 4, convertedLeads: 1, lostLeads: 1, conversionRate: 0.25 });
    expect(body.byStatus).toEqual({ NEW: 2, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1, LOST: 1 });
    expect(body.previous).toEqual({
      totals: { totalLeads: 0, newLeads: 0, convertedLeads: 0, lostLeads: 0, conversionRate: 0 },
    });
    expect(body.bySource).toEqual([
      expect.objectContaining({ platform: 'google-ads', integrationId: null, leads: 1, converted: 0 }),
      expect.objectContaining({ platform: 'meta', integrationId: null, leads: 3, converted: 1, conversionRate: 1 / 3 }),
    ]);
  });

  it('time series: local days, zero-filled, grouped, and summing to the overview', async () => {
    const total = await get(`/api/analytics/timeseries?subAccountId=${sp}&${range}&granularity=day&metric=newLeads`);
    expect(total.series).toEqual([
      {
        key: 'total',
        points: [
          { bucket: '2018-11-03', value: 2 },
          { bucket: '2018-11-04', value: 1 },
          { bucket: '2018-11-05', value: 1 },
        ],
      },
    ]);
    const bySource = await get(
      `/api/analytics/timeseries?subAccountId=${sp}&${range}&granularity=day&metric=newLeads&groupBy=source`,
    );
    expect(
      (bySource.series as Array<{ key: string; points: Array<{ value: number }> }>).map((s) => [
        s.key,
        s.points.map((p) => p.value),
      ]),
    ).toEqual([
      ['google-ads', [1, 0, 0]],
      ['meta', [1, 1, 1]],
    ]);
    const converted = await get(
      `/api/analytics/timeseries?subAccountId=${sp}&${range}&granularity=day&metric=convertedLeads`,
    );
    expect((converted.series as Array<{ points: Array<{ value: number }> }>)[0].points.map((p) => p.value)).toEqual([
      0, 1, 0,
    ]);
    // the DST day has 23 hours; its one lead is in the 01:00 -02 hour; hours sum to the day
    const hours = await get(
      `/api/analytics/timeseries?subAccountId=${sp}&from=2018-11-04&to=2018-11-04&granularity=hour&metric=newLeads`,
    );
    const points = (hours.series as Array<{ points: Array<{ bucket: string; value: number }> }>)[0].points;
    expect(points).toHaveLength(23);
    expect(points.filter((p) => p.value > 0)).toEqual([{ bucket: '2018-11-04T01:00-02:00', value: 1 }]);
    // a week from days: Saturday the 3rd and Sunday the 4th are 2018-W44, Monday the 5th W45
    const weeks = await get(`/api/analytics/timeseries?subAccountId=${sp}&${range}&granularity=week&metric=newLeads`);
    expect((weeks.series as Array<{ points: unknown[] }>)[0].points).toEqual([
      { bucket: '2018-W44', value: 3 },
      { bucket: '2018-W45', value: 1 },
    ]);
  });

  it('Asia/Kolkata: 18:29Z and 18:30Z fall on two local days and two local hours', async () => {
    const days = await get(
      `/api/analytics/timeseries?subAccountId=${ind}&from=2026-03-08&to=2026-03-09&metric=newLeads`,
    );
    expect((days.series as Array<{ points: unknown[] }>)[0].points).toEqual([
      { bucket: '2026-03-08', value: 1 },
      { bucket: '2026-03-09', value: 1 },
    ]);
    const hours = await get(
      `/api/analytics/timeseries?subAccountId=${ind}&from=2026-03-09&to=2026-03-09&granularity=hour&metric=newLeads`,
    );
    const points = (hours.series as Array<{ points: Array<{ bucket: string; value: number }> }>)[0].points;
    expect(points[0]).toEqual({ bucket: '2026-03-09T00:00+05:30', value: 1 });
    expect(points).toHaveLength(24);
  });

  it('funnel: each lead at every stage up to the furthest it reached', async () => {
    const body = await get(`/api/analytics/funnel?subAccountId=${sp}&${range}`);
    expect(body.stages).toEqual([
      { stage: 'NEW', count: 4, percentage: 1, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
      { stage: 'CONTACTED', count: 2, percentage: 0.5, fromPrevious: 0.5, dropOff: 2, dropOffRate: 0.5 },
      { stage: 'QUALIFIED', count: 2, percentage: 0.5, fromPrevious: 1, dropOff: 0, dropOffRate: 0 },
      { stage: 'CONVERTED', count: 1, percentage: 0.25, fromPrevious: 0.5, dropOff: 1, dropOffRate: 0.5 },
    ]);
    // whole days come from the rollup's reached sets, instants from the facts: the same days as
    // instants (local midnights, -03:00 before the DST start, -02:00 after) give the same answers
    const instants = `from=${encodeURIComponent('2018-11-03T00:00-03:00')}&to=${encodeURIComponent('2018-11-06T00:00-02:00')}`;
    for (const filter of ['', '&source=meta', '&source=google-ads', '&campaignId=c1', '&source=meta&campaignId=none']) {
      const byDays = await get(`/api/analytics/funnel?subAccountId=${sp}&${range}${filter}`);
      const byInstants = await get(`/api/analytics/funnel?subAccountId=${sp}&${instants}${filter}`);
      expect([filter, byDays.stages]).toEqual([filter, byInstants.stages]);
    }
  });

  it('team: assignments, calls and conversions per agent', async () => {
    const res = await t.http.get(`/api/analytics/team?subAccountId=${sp}&${range}`).set('authorization', manager);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        userId: 'ana',
        userName: 'Ana',
        leadsAssigned: 1,
        callsMade: 2,
        callsAnswered: 1,
        leadsConverted: 1,
        conversionRate: 1,
      },
    ]);
  });

  it('snapshots: daily figures with the status stock at the end of each day', async () => {
    const body = (await get(`/api/analytics/snapshots?subAccountId=${sp}&${range}&period=DAILY`)) as unknown as Array<{
      date: string;
      metrics: Record<string, unknown>;
    }>;
    expect(
      body.map((s) => [
        s.date,
        s.metrics.newLeads,
        s.metrics.convertedLeads,
        s.metrics.lostLeads,
        s.metrics.totalLeads,
      ]),
    ).toEqual([
      ['2018-11-03', 2, 0, 0, 2],
      ['2018-11-04', 1, 1, 0, 3],
      ['2018-11-05', 1, 0, 1, 4],
    ]);
    expect(body[1].metrics.leadsByStatus).toEqual({ NEW: 2, CONTACTED: 0, QUALIFIED: 0, CONVERTED: 1, LOST: 0 });
    expect(body[0].metrics.leadsBySource).toEqual({ meta: 1, 'google-ads': 1 });
  });

  it('a rebuild (ADMIN) restores byte-identical answers from the facts alone', async () => {
    const paths = [
      `/api/analytics/overview?subAccountId=${sp}&${range}&compare=previous`,
      `/api/analytics/timeseries?subAccountId=${sp}&${range}&metric=newLeads&groupBy=campaign`,
      `/api/analytics/snapshots?subAccountId=${sp}&${range}&period=WEEKLY`,
      `/api/analytics/team?subAccountId=${sp}&${range}`,
    ];
    const before = await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))));
    await t.sql.query('DELETE FROM analytics_daily WHERE sub_account_id = $1', [sp]);
    expect(JSON.stringify(await get(paths[0]))).not.toBe(before[0]);
    expect(
      (await t.http.post('/api/analytics/rebuild').set('authorization', manager).send({ subAccountId: sp })).status,
    ).toBe(403);
    const res = await t.http.post('/api/analytics/rebuild').set('authorization', admin).send({ subAccountId: sp });
    expect(res.status).toBe(202);
    expect(res.body.jobId).toEqual(expect.any(String));
    await waitForJob(t.sql, res.body.jobId, 'the rebuild');
    expect(await Promise.all(paths.map(async (p) => JSON.stringify(await get(p))))).toEqual(before);
  });

  it('ROI: spend as decimal strings per source and attributed per campaign under each model', async () => {
    const overview = await get(`/api/analytics/overview?subAccountId=${sp}&${range}`);
    expect((overview.bySource as Array<Record<string, unknown>>).find((s) => s.platform === 'meta')).toEqual({
      platform: 'meta',
      integrationId: null,
      leads: 3,
      converted: 1,
      conversionRate: 1 / 3,
      spend: '10.01',
      costPerLead: '3.34',
      costPerConversion: '10.01',
      currency: 'BRL',
    });
    const last = (await get(
      `/api/analytics/attribution?subAccountId=${sp}&${range}&model=last`,
    )) as unknown as unknown[];
    expect(last).toEqual([
      {
        platform: 'google-ads',
        campaignId: 'g1',
        campaignName: null,
        conversions: 1,
        spend: null,
        costPerConversion: null,
        currency: null,
      },
      {
        platform: 'meta',
        campaignId: 'c1',
        campaignName: null,
        conversions: 0,
        spend: '10.01',
        costPerConversion: null,
        currency: 'BRL',
      },
    ]);
    const linear = (await get(
      `/api/analytics/attribution?subAccountId=${sp}&${range}&model=linear`,
    )) as unknown as Array<Record<string, unknown>>;
    expect(linear.map((r) => [r.platform, r.conversions, r.costPerConversion])).toEqual([
      ['google-ads', 0.5, null],
      ['meta', 0.5, '20.02'],
    ]);
  });

  it('from/to left out: the last 30 local days, today included, on every dashboard route', async () => {
    const local = (d: Date) => d.toLocaleDateString('en-CA', { timeZone: 'America/Sao_Paulo' });
    const today = local(new Date());
    const first = local(new Date(Date.parse(`${today}T12:00:00Z`) - 29 * 86_400_000));
    await lead(sp, new Date().toISOString(), 'meta', 'c-now');
    for (const route of ['overview', 'timeseries', 'funnel', 'team', 'attribution', 'snapshots']) {
      const implicit = await t.http.get(`/api/analytics/${route}?subAccountId=${sp}`).set('authorization', admin);
      const explicit = await get(`/api/analytics/${route}?subAccountId=${sp}&from=${first}&to=${today}`);
      expect({ route, status: implicit.status, body: implicit.body }).toEqual({ route, status: 200, body: explicit });
    }
    const overview = await get(`/api/analytics/overview?subAccountId=${sp}`);
    expect((overview.totals as { newLeads: number }).newLeads).toBeGreaterThanOrEqual(1);
    // one bound alone: the other is its default
    const fromOnly = await get(`/api/analytics/overview?subAccountId=${sp}&from=${first}`);
    expect(fromOnly).toEqual(overview);
  });

  it('roles and tenants: AGENT and other sub-accounts are refused', async () => {
    expect(
      (await t.http.get(`/api/analytics/overview?subAccountId=${sp}&${range}`).set('authorization', agent)).status,
    ).toBe(403);
    for (const path of ['overview', 'timeseries', 'funnel', 'team', 'attribution', 'snapshots']) {
      const res = await t.http.get(`/api/analytics/${path}?subAccountId=${sp}&${range}`).set('authorization', other);
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    const rebuild = await t.http.post('/api/analytics/rebuild').set('authorization', other).send({ subAccountId: sp });
    expect(rebuild.status).toBe(403);
    const bad = await t.http
      .get(`/api/analytics/overview?subAccountId=${sp}&from=2018-11-05&to=2018-11-03`)
      .set('authorization', admin);
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
