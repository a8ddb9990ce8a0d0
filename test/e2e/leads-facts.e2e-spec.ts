// Issue 13 over HTTP: manual leads through the ingest dedup, status/assignee changes as facts with
// their history, activities, lead score sort/filter, sub-account settings, integration stats; roles
// and tenant isolation on every route.
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

describe('lead facts, settings and integration stats', () => {
  let t: TestApp;
  let sub: number;
  let outsider: number;
  let admin: string;
  let agent: string;
  let manager: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Facts Co');
    outsider = await createSubAccount(t, 'MAX', 'Elsewhere');
    admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin')}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'u-agent')}`;
    manager = `Bearer ${t.token('MANAGER', [sub], 'u-manager')}`;
    other = `Bearer ${t.token('ADMIN', [outsider], 'u-other')}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a manual lead (201), and the same person again answers 200 with the same lead', async () => {
    const first = await t.http
      .post('/api/leads')
      .set('authorization', agent)
      .send({
        subAccountId: sub,
        fullName: 'Ana Souza',
        email: 'Ana@Example.org',
        source: { platform: 'manual', campaignId: 'walk-in', formId: 'desk-1', formName: 'Front desk' },
      });
    expect(first.status).toBe(201);
    expect(first.body).toEqual(
      expect.objectContaining({
        email: 'ana@example.org',
        status: 'NEW',
        score: expect.any(Number),
        assignedUserId: null,
      }),
    );
    expect(first.body.sourceTracking.firstTouch).toEqual(
      expect.objectContaining({ platform: 'manual', campaignId: 'walk-in', formId: 'desk-1', formName: 'Front desk' }),
    );
    const again = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'ana@example.org', phone: '+5511987654321' });
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    // a later record with only a first name keeps the full name the lead has; it names a lead without one
    const partial = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'ana@example.org', firstName: 'Ana' });
    expect([partial.status, partial.body.fullName, partial.body.firstName]).toEqual([200, 'Ana Souza', 'Ana']);
    const renamed = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'ana@example.org', firstName: 'Ana', lastName: 'Lima' });
    expect(renamed.body.fullName).toBe('Ana Lima');
    const firstOnly = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'bea@example.org', firstName: 'Bea' });
    expect([firstOnly.status, firstOnly.body.fullName]).toEqual([201, 'Bea']);
    const foreign = await t.http
      .post('/api/leads')
      .set('authorization', other)
      .send({ subAccountId: sub, email: 'x@example.org' });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
    const unknownField = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'y@example.org', vip: true });
    expect([unknownField.status, unknownField.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    // tags are a list: one string is refused as not being one (it read "no more than 100 elements")
    const oneTag = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, email: 'z@example.org', tags: 'vip' });
    expect(oneTag.status).toBe(400);
    expect(oneTag.body.details).toEqual([
      { field: 'tags', messages: expect.arrayContaining(['tags must be an array']) },
    ]);
  });

  // a lead of a sub-account that does not exist broke the foreign key: 500 INTERNAL instead of API.md's NOT_FOUND
  it('answers 404 NOT_FOUND for a manual lead of a sub-account that does not exist', async () => {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send({ subAccountId: 987654, email: 'nobody@example.org' });
    expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('records status changes { from, to, at, by } and assignments; other sub-accounts get 404', async () => {
    const created = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Bruno', email: 'bruno@example.org' });
    const id = created.body.id as string;
    const patched = await t.http
      .patch(`/api/leads/${id}`)
      .set('authorization', agent)
      .send({ status: 'CONTACTED', assignedUserId: 'ana', assignedUserName: 'Ana', tags: ['vip', 'vip', 'b'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual(
      expect.objectContaining({
        status: 'CONTACTED',
        assignedUserId: 'ana',
        assignedUserName: 'Ana',
        tags: ['vip', 'b'],
      }),
    );
    // the same status again is no change and no fact
    await t.http.patch(`/api/leads/${id}`).set('authorization', agent).send({ status: 'CONTACTED' });
    await t.http.patch(`/api/leads/${id}`).set('authorization', manager).send({ status: 'CONVERTED' });
    const history = await t.http.get(`/api/leads/${id}/history`).set('authorization', agent);
    expect(history.status).toBe(200);
    expect(history.body.map((h: Record<string, unknown>) => [h.from, h.to, h.by, h.origin])).toEqual([
      ['NEW', 'CONTACTED', 'u-agent', 'api'],
      ['CONTACTED', 'CONVERTED', 'u-manager', 'api'],
    ]);
    const assignments = await t.sql.query(
      'SELECT from_user_id, to_user_id, by FROM lead_assignments WHERE lead_id = $1',
      [id],
    );
    expect(assignments.rows).toEqual([{ from_user_id: null, to_user_id: 'ana', by: 'u-agent' }]);
    for (const [method, path, body] of [
      ['patch', `/api/leads/${id}`, { status: 'LOST' }],
      ['get', `/api/leads/${id}/history`, undefined],
      ['post', `/api/leads/${id}/activities`, { type: 'NOTE', userId: 'x' }],
    ] as const) {
      const res = await t.http[method](path).set('authorization', other).send(body);
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    expect((await t.http.get(`/api/leads/${id}`).set('authorization', admin)).body.status).toBe('CONVERTED');
  });

  // the rule of every PATCH (integrations, templates, report templates): null for a field that cannot be
  // null is 400 naming it, not a silent no-op that answers 200 with nothing changed
  it('answers null for status or tags 400 VALIDATION_FAILED naming the field; a null assignee unassigns', async () => {
    const created = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Nula', email: 'nula@example.org', tags: ['keep'] });
    const id = created.body.id as string;
    for (const field of ['status', 'tags']) {
      const res = await t.http
        .patch(`/api/leads/${id}`)
        .set('authorization', agent)
        .send({ [field]: null });
      expect([field, res.status, res.body.code]).toEqual([field, 400, 'VALIDATION_FAILED']);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    }
    await t.http.patch(`/api/leads/${id}`).set('authorization', agent).send({ assignedUserId: 'ana' });
    const unassigned = await t.http
      .patch(`/api/leads/${id}`)
      .set('authorization', agent)
      .send({ assignedUserId: null });
    expect(unassigned.status).toBe(200);
    expect(unassigned.body).toEqual(
      expect.objectContaining({ status: 'NEW', tags: ['keep'], assignedUserId: null, assignedUserName: null }),
    );
  });

  // API.md "Conventions": sub-account ids are integers; a string, a boolean or a hex form is a bad request,
  // not sub-account 1 (the body's ids went through Number(), so true and "0x1" named sub-account 1)
  it('takes the subAccountId of a new lead and of the leads filter as an integer only', async () => {
    for (const bad of [String(sub), true, `0x${sub.toString(16)}`, [sub]]) {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: bad, email: 'typed@example.org' });
      expect([JSON.stringify(bad), res.status, res.body.code]).toEqual([JSON.stringify(bad), 400, 'VALIDATION_FAILED']);
    }
    for (const bad of [`0x${sub.toString(16)}`, `${sub}e0`, `${sub}.0`, 'abc']) {
      const res = await t.http.get(`/api/leads?subAccountId=${bad}`).set('authorization', admin);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    for (const bad of ['0x2', '1e1', '2.0']) {
      const res = await t.http.get(`/api/leads?page=${bad}`).set('authorization', admin);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    const ok = await t.http
      .get(`/api/leads?subAccountId=${sub}&page=1&pageSize=5&minScore=0`)
      .set('authorization', admin);
    expect([ok.status, ok.body.page, ok.body.pageSize]).toEqual([200, 1, 5]);
  });

  it('takes activities (an outcome on every type, answered calls only scoring) and scores leads, sortable and filterable', async () => {
    const hot = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Hot', email: 'hot@example.org' });
    const call = await t.http
      .post(`/api/leads/${hot.body.id}/activities`)
      .set('authorization', agent)
      .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'ana', userName: 'Ana', durationSeconds: 120, note: 'keen' });
    expect(call.status).toBe(201);
    expect(call.body).toEqual(
      expect.objectContaining({ type: 'CALL', outcome: 'ANSWERED', userId: 'ana', createdBy: 'u-agent' }),
    );
    // API.md: outcome? on every type; it is kept, and only an answered CALL counts (the score below)
    const meeting = await t.http
      .post(`/api/leads/${hot.body.id}/activities`)
      .set('authorization', agent)
      .send({ type: 'MEETING', outcome: 'ANSWERED', userId: 'ana' });
    expect(meeting.status).toBe(201);
    expect(meeting.body).toEqual(expect.objectContaining({ type: 'MEETING', outcome: 'ANSWERED' }));
    const badOutcome = await t.http
      .post(`/api/leads/${hot.body.id}/activities`)
      .set('authorization', agent)
      .send({ type: 'NOTE', outcome: 'MAYBE', userId: 'ana' });
    expect(badOutcome.status).toBe(400);
    await t.http.patch(`/api/leads/${hot.body.id}`).set('authorization', agent).send({ status: 'QUALIFIED' });
    // manual source 10 + QUALIFIED 25 + one answered call 5 + recent 15 (default weights)
    const scored = await t.http.get(`/api/leads/${hot.body.id}`).set('authorization', agent);
    expect(scored.body.score).toBe(55);
    // the lead's detail shows the activities the CRM reported, oldest first
    expect(scored.body.activities).toEqual([call.body, meeting.body]);
    const sorted = await t.http.get(`/api/leads?subAccountId=${sub}&sort=-score`).set('authorization', agent);
    const scores = sorted.body.items.map((l: { score: number }) => l.score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
    // the converted lead of the previous test (manual 10 + CONVERTED 40 + recent 15) ranks above it
    expect(scores.slice(0, 2)).toEqual([65, 55]);
    expect(sorted.body.items[1].id).toBe(hot.body.id);
    const ids = async (minScore: number): Promise<string[]> =>
      (
        await t.http.get(`/api/leads?subAccountId=${sub}&minScore=${minScore}`).set('authorization', agent)
      ).body.items.map((l: { id: string }) => l.id);
    expect(await ids(55)).toContain(hot.body.id);
    expect(await ids(56)).not.toContain(hot.body.id);
    expect((await ids(56)).length).toBe(1);
  });

  it('settings: timezone and funnelStages validated, ADMIN of its own sub-account only, tier for super-admins', async () => {
    const get = await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', manager);
    expect(get.body).toEqual(
      expect.objectContaining({ timezone: 'UTC', funnelStages: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED'] }),
    );
    const ok = await t.http
      .patch(`/api/sub-accounts/${sub}`)
      .set('authorization', admin)
      .send({ timezone: 'Asia/Kolkata', funnelStages: ['NEW', 'QUALIFIED', 'CONVERTED'] });
    expect([ok.status, ok.body.timezone, ok.body.funnelStages]).toEqual([
      200,
      'Asia/Kolkata',
      ['NEW', 'QUALIFIED', 'CONVERTED'],
    ]);
    for (const body of [
      { timezone: 'Mars/Olympus' },
      { funnelStages: ['NEW'] },
      { funnelStages: ['NEW', 'NEW'] },
      { funnelStages: ['NEW', 'WON'] },
    ]) {
      const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send(body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
        JSON.stringify(body),
        400,
        'VALIDATION_FAILED',
      ]);
    }
    expect(
      (await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', manager).send({ timezone: 'UTC' })).status,
    ).toBe(403);
    expect(
      (await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', other).send({ timezone: 'UTC' })).status,
    ).toBe(404);
    expect((await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', other)).status).toBe(404);
    expect(
      (await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ tier: 'STARTER' })).status,
    ).toBe(403);
  });

  it('integrations carry stats: leads whose first touch came through them, today in local time, last sync status', async () => {
    const integration = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await t.sql.query(
      `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_integration_id)
       VALUES ($1, now(), now(), 'meta', $2), ($1, now() - interval '3 days', now(), 'meta', $2),
              ($1, now(), now(), 'meta', NULL)`,
      [sub, integration.id],
    );
    await t.sql.query(
      `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_integration_id, is_test)
       VALUES ($1, now(), now(), 'meta', $2, true)`,
      [sub, integration.id],
    );
    const one = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
    expect(one.body.stats).toEqual({ totalLeads: 2, leadsToday: 1, lastSyncStatus: null });
    const list = await t.http.get(`/api/integrations?subAccountId=${sub}`).set('authorization', admin);
    expect(list.body.items.find((i: { id: number }) => i.id === integration.id).stats).toEqual(one.body.stats);
    // every answer that is an integration carries the same figures (PATCH and disconnect answered zeros)
    const patched = await t.http
      .patch(`/api/integrations/${integration.id}`)
      .set('authorization', admin)
      .send({ name: 'Renamed' });
    expect([patched.status, patched.body.stats]).toEqual([200, one.body.stats]);
    const disconnected = await t.http
      .post(`/api/integrations/${integration.id}/disconnect`)
      .set('authorization', admin);
    expect([disconnected.status, disconnected.body.stats]).toEqual([200, one.body.stats]);
  });
});
