// Audit 21 of API.md's "Leads" as the CRM's frontend uses it, and as another tenant with a signed token.
// No defect found in this pass: these pin the contract points probed (history facts, deduplication under
// concurrency, validation of filters and activities, tenant isolation).
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;

describe('API.md audit 21 (leads)', () => {
  let t: TestApp;
  let sub: number;
  let agent: string;
  let outsider: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Audit 21 Leads');
    const elsewhere = await createSubAccount(t, 'MAX', 'Audit 21 Elsewhere');
    agent = `Bearer ${t.token('AGENT', [sub], 'u-agent21')}`;
    outsider = `Bearer ${t.token('ADMIN', [elsewhere], 'u-out21')}`;
  });
  afterAll(() => t.close());

  const createLead = async (body: Json): Promise<{ status: number; body: Json }> => {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', agent)
      .send({ subAccountId: sub, ...body });
    return { status: res.status, body: res.body as Json };
  };

  it('a PATCH that changes nothing records nothing; each change is one { from, to, at, by } fact', async () => {
    const made = await createLead({ fullName: 'History Person', email: 'history21@example.org' });
    expect(made.status).toBe(201);
    const id = String(made.body.id);
    const patch = (body: Json) => t.http.patch(`/api/leads/${id}`).set('authorization', agent).send(body);
    expect((await patch({ status: 'CONTACTED' })).status).toBe(200);
    expect((await patch({ status: 'CONTACTED' })).status).toBe(200);
    expect((await patch({ tags: ['hot'] })).status).toBe(200);
    const history = await t.http.get(`/api/leads/${id}/history`).set('authorization', agent);
    expect(history.status).toBe(200);
    const facts = history.body as Json[];
    expect(facts.map((f) => [f.from, f.to, f.by])).toEqual([['NEW', 'CONTACTED', 'u-agent21']]);
    expect(Number.isNaN(Date.parse(String(facts[0].at)))).toBe(false);
  });

  it('concurrent PATCHes of the status leave a chained history ending at the stored status', async () => {
    const made = await createLead({ fullName: 'Race Person', email: 'race21@example.org' });
    const id = String(made.body.id);
    const targets = ['CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST', 'CONTACTED', 'QUALIFIED'];
    const answers = await Promise.all(
      targets.map((status) => t.http.patch(`/api/leads/${id}`).set('authorization', agent).send({ status })),
    );
    expect(answers.map((a) => a.status)).toEqual(targets.map(() => 200));
    const history = (await t.http.get(`/api/leads/${id}/history`).set('authorization', agent)).body as Json[];
    const lead = (await t.http.get(`/api/leads/${id}`).set('authorization', agent)).body as Json;
    expect(history.length).toBeGreaterThan(0);
    expect(history[0].from).toBe('NEW');
    for (let i = 1; i < history.length; i += 1) {
      expect(history[i].from).toBe(history[i - 1].to);
      expect(history[i].from).not.toBe(history[i].to);
    }
    expect(history[history.length - 1].to).toBe(lead.status);
  });

  it('concurrent identical creates make one lead: one 201, the rest 200 with the same id', async () => {
    const answers = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        createLead({ fullName: 'Twin Person', phone: n % 2 === 0 ? '+1 (415) 555-0121' : '+14155550121' }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const byEmail = await createLead({ fullName: 'Mail Person', email: 'Case21@Example.org' });
    const again = await createLead({ email: 'case21@example.ORG' });
    expect([byEmail.status, again.status, again.body.id]).toEqual([201, 200, byEmail.body.id]);
  });

  it.each([
    ['sort=name', 'sort'],
    ['pageSize=201', 'pageSize'],
    ['minScore=101', 'minScore'],
    ['status=OPEN', 'status'],
    ['createdFrom=yesterday', 'createdFrom'],
  ])('GET /api/leads?%s is 400 VALIDATION_FAILED naming %s', async (query, field) => {
    const res = await t.http.get(`/api/leads?subAccountId=${sub}&${query}`).set('authorization', agent);
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((res.body.details as Array<{ field: string }>).map((d) => d.field)).toContain(field);
  });

  it('pages as API.md defines them', async () => {
    const res = await t.http.get(`/api/leads?subAccountId=${sub}&page=1&pageSize=200`).set('authorization', agent);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['items', 'page', 'pageSize', 'total']);
    expect([res.body.page, res.body.pageSize]).toEqual([1, 200]);
  });

  it.each([
    [{ type: 'FAX', userId: 'u1' }, 'type'],
    [{ type: 'CALL', outcome: 'MAYBE', userId: 'u1' }, 'outcome'],
    [{ type: 'CALL', userId: 'u1', occurredAt: 'not a date' }, 'occurredAt'],
    [{ type: 'CALL', userId: 'u1', durationSeconds: -1 }, 'durationSeconds'],
    [{ type: 'CALL' }, 'userId'],
  ])('POST …/activities %j is 400 naming %s', async (body, field) => {
    const made = await createLead({ fullName: 'Activity Person', email: 'activity21@example.org' });
    const res = await t.http
      .post(`/api/leads/${String(made.body.id)}/activities`)
      .set('authorization', agent)
      .send(body);
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((res.body.details as Array<{ field: string }>).map((d) => d.field)).toContain(field);
  });

  it("another sub-account's lead is 404 on every route; its subAccountId is 403", async () => {
    const made = await createLead({ fullName: 'Private Person', email: 'private21@example.org' });
    const id = String(made.body.id);
    const answers = await Promise.all([
      t.http.get(`/api/leads/${id}`).set('authorization', outsider),
      t.http.get(`/api/leads/${id}/history`).set('authorization', outsider),
      t.http.patch(`/api/leads/${id}`).set('authorization', outsider).send({ status: 'LOST' }),
      t.http.post(`/api/leads/${id}/activities`).set('authorization', outsider).send({ type: 'NOTE', userId: 'x' }),
    ]);
    expect(answers.map((a) => [a.status, a.body.code])).toEqual(answers.map(() => [404, 'NOT_FOUND']));
    const list = await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', outsider);
    expect([list.status, list.body.code]).toEqual([403, 'FORBIDDEN']);
    const create = await t.http
      .post('/api/leads')
      .set('authorization', outsider)
      .send({ subAccountId: sub, fullName: 'Intruder' });
    expect([create.status, create.body.code]).toEqual([403, 'FORBIDDEN']);
    const lead = (await t.http.get(`/api/leads/${id}`).set('authorization', agent)).body as Json;
    expect(lead.status).toBe('NEW');
  });
});
