// API.md "Conventions", "Authentication and roles", "Leads", "Sub-account settings" and "OAuth
// connections", read as an outside tester with only API.md would read them (audit 5). Only what the
// other contract specs leave open: see the report in notes/audit3.md.
// This part holds the leads' bad input and their list; another sub-account and POST /api/leads dedupe are in
// contract-leads-oauth-5-dedupe.e2e-spec.ts, sub-account settings and OAuth connections in
// contract-leads-oauth-5-settings.e2e-spec.ts; the shared setup in test/support/contract-leads-oauth-5-setup.ts.
import { createSubAccount } from '../support/factories';
import { TestApp } from '../support/test-app';
import { Audit5Fixture, audit5Helpers, setupAudit5 } from '../support/contract-leads-oauth-5-setup';

describe('API.md contract audit 5: leads, sub-account settings, OAuth (black box)', () => {
  let fx: Audit5Fixture;
  let t: TestApp;
  let admin: string;
  let agent: string;
  const { newLead, expectRefused } = audit5Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupAudit5();
    ({ t, admin, agent } = fx);
  });
  afterAll(() => fx?.close());

  describe('Leads: bad input on every route answers 400 VALIDATION_FAILED naming the field', () => {
    let id: string;
    beforeAll(async () => {
      id = (await newLead({ fullName: 'Probe Person', email: 'probe@example.org' })).id as string;
    });

    it('PATCH: status outside the enum or in another case, tags of other types, an assignee that is no text', async () => {
      for (const [body, field] of [
        [{ status: 'WON' }, 'status'],
        [{ status: 'contacted' }, 'status'],
        [{ status: 7 }, 'status'],
        [{ tags: [1, 2] }, 'tags'],
        [{ tags: { vip: true } }, 'tags'],
        [{ tags: [null] }, 'tags'],
        [{ assignedUserId: 42 }, 'assignedUserId'],
        [{ assignedUserId: '' }, 'assignedUserId'],
        [{ assignedUserName: 5 }, 'assignedUserName'],
      ] as const) {
        const res = await t.http.patch(`/api/leads/${id}`).set('authorization', agent).send(body);
        expectRefused(res, field);
      }
      const lead = await t.http.get(`/api/leads/${id}`).set('authorization', agent);
      expect([lead.body.status, lead.body.tags, lead.body.assignedUserId]).toEqual(['NEW', [], null]);
    });

    it('PATCH to the status the lead already has records no change in the history', async () => {
      const lead = await newLead({ fullName: 'Same Status', email: 'same-status@example.org' });
      const before = await t.http.get(`/api/leads/${String(lead.id)}/history`).set('authorization', agent);
      const res = await t.http
        .patch(`/api/leads/${String(lead.id)}`)
        .set('authorization', agent)
        .send({ status: 'NEW' });
      expect([res.status, res.body.status]).toEqual([200, 'NEW']);
      const after = await t.http.get(`/api/leads/${String(lead.id)}/history`).set('authorization', agent);
      expect(after.body).toEqual(before.body);
    });

    it('history items are { from, to, at, by } chained in order, by the caller', async () => {
      const lead = await newLead({ fullName: 'Chain', email: 'chain@example.org' });
      const lid = String(lead.id);
      for (const status of ['CONTACTED', 'QUALIFIED', 'LOST'])
        expect((await t.http.patch(`/api/leads/${lid}`).set('authorization', agent).send({ status })).status).toBe(200);
      const res = await t.http.get(`/api/leads/${lid}/history`).set('authorization', admin);
      expect(res.status).toBe(200);
      const changes = (res.body as Array<Record<string, unknown>>).filter((c) => c.to !== 'NEW' || c.from !== null);
      expect(changes.map((c) => [c.from, c.to, c.by])).toEqual([
        ['NEW', 'CONTACTED', 'u-agent5'],
        ['CONTACTED', 'QUALIFIED', 'u-agent5'],
        ['QUALIFIED', 'LOST', 'u-agent5'],
      ]);
      for (const c of res.body as Array<Record<string, unknown>>) {
        expect(c.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(typeof c.id).toBe('string');
      }
    });

    it('activities: type and outcome enums, userId required, durationSeconds a non-negative integer', async () => {
      for (const [body, field] of [
        [{ type: 'call', userId: 'a1' }, 'type'],
        [{ type: 'SMS', userId: 'a1' }, 'type'],
        [{ userId: 'a1' }, 'type'],
        [{ type: 'CALL', outcome: 'VOICEMAIL', userId: 'a1' }, 'outcome'],
        [{ type: 'CALL', outcome: 'answered', userId: 'a1' }, 'outcome'],
        [{ type: 'CALL' }, 'userId'],
        [{ type: 'CALL', userId: '' }, 'userId'],
        [{ type: 'CALL', userId: 12 }, 'userId'],
        [{ type: 'CALL', userId: 'a1', durationSeconds: -1 }, 'durationSeconds'],
        [{ type: 'CALL', userId: 'a1', durationSeconds: 1.5 }, 'durationSeconds'],
        [{ type: 'CALL', userId: 'a1', durationSeconds: '60' }, 'durationSeconds'],
        [{ type: 'CALL', userId: 'a1', occurredAt: 1733000000000 }, 'occurredAt'],
        [{ type: 'NOTE', userId: 'a1', note: 5 }, 'note'],
      ] as const) {
        const res = await t.http.post(`/api/leads/${id}/activities`).set('authorization', agent).send(body);
        expectRefused(res, field);
      }
      const lead = await t.http.get(`/api/leads/${id}`).set('authorization', agent);
      expect(lead.body.activities).toEqual([]);
    });

    it('activities: 201 with the activity as recorded; it is on the lead afterwards', async () => {
      const res = await t.http.post(`/api/leads/${id}/activities`).set('authorization', agent).send({
        type: 'CALL',
        outcome: 'NO_ANSWER',
        userId: 'crm-7',
        userName: 'Carla',
        occurredAt: '2026-01-05T10:00:00+02:00',
        durationSeconds: 0,
        note: 'left a message',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        leadId: id,
        type: 'CALL',
        outcome: 'NO_ANSWER',
        userId: 'crm-7',
        userName: 'Carla',
        occurredAt: '2026-01-05T08:00:00.000Z',
        durationSeconds: 0,
        note: 'left a message',
        createdBy: 'u-agent5',
        createdAt: expect.stringMatching(/Z$/),
      });
      const lead = await t.http.get(`/api/leads/${id}`).set('authorization', agent);
      expect((lead.body.activities as Array<{ id: string }>).map((a) => a.id)).toContain(res.body.id);
    });

    it('an id that is no id is 400 (or 404), never 500, on every lead route', async () => {
      for (const bad of ['abc', '1.5', '-1', '99999999999999999999999', '0x10']) {
        for (const res of [
          await t.http.get(`/api/leads/${bad}`).set('authorization', agent),
          await t.http.patch(`/api/leads/${bad}`).set('authorization', agent).send({ status: 'NEW' }),
          await t.http.get(`/api/leads/${bad}/history`).set('authorization', agent),
          await t.http
            .post(`/api/leads/${bad}/activities`)
            .set('authorization', agent)
            .send({ type: 'NOTE', userId: 'a' }),
        ]) {
          expect([bad, res.status]).toEqual([bad, expect.any(Number)]);
          expect([400, 404]).toContain(res.status);
          expect(res.body).toEqual({
            statusCode: res.status,
            code: res.status === 400 ? 'VALIDATION_FAILED' : 'NOT_FOUND',
            message: expect.any(String),
            details: expect.any(Array),
          });
        }
      }
    });
  });

  describe('Leads: list paging, filters and sort', () => {
    let listSub: number;
    let auth: string;
    beforeAll(async () => {
      listSub = await createSubAccount(t, 'MAX', 'List Five');
      auth = `Bearer ${t.token('MANAGER', [listSub])}`;
      for (const [fullName, email, phone] of [
        ['Zoe Quint', 'zoe@quint.example', '+14155550101'],
        ['Yan Other', 'yan@other.example', '+14155550102'],
        ['Xia Quintana', 'xia@elsewhere.example', '+14155550103'],
      ])
        expect(
          (
            await t.http
              .post('/api/leads')
              .set('authorization', auth)
              .send({ subAccountId: listSub, fullName, email, phone })
          ).status,
        ).toBe(201);
    });

    it('answers { items, page, pageSize, total } and refuses page/pageSize out of range naming them', async () => {
      const page = await t.http.get(`/api/leads?subAccountId=${listSub}&page=2&pageSize=2`).set('authorization', auth);
      expect(page.status).toBe(200);
      expect(Object.keys(page.body).sort()).toEqual(['items', 'page', 'pageSize', 'total']);
      expect([page.body.page, page.body.pageSize, page.body.total, page.body.items.length]).toEqual([2, 2, 3, 1]);
      const beyond = await t.http.get(`/api/leads?subAccountId=${listSub}&page=9`).set('authorization', auth);
      expect([beyond.status, beyond.body.items, beyond.body.total]).toEqual([200, [], 3]);
      const max = await t.http.get(`/api/leads?subAccountId=${listSub}&pageSize=200`).set('authorization', auth);
      expect([max.status, max.body.pageSize]).toEqual([200, 200]);
      for (const [query, field] of [
        ['pageSize=201', 'pageSize'],
        ['pageSize=0', 'pageSize'],
        ['pageSize=ten', 'pageSize'],
        ['page=0', 'page'],
        ['page=-1', 'page'],
        ['page=1.5', 'page'],
        ['minScore=101', 'minScore'],
        ['minScore=-1', 'minScore'],
        ['minScore=high', 'minScore'],
        ['sort=name', 'sort'],
        ['sort=-updatedAt', 'sort'],
        ['status=new', 'status'],
        ['source=myspace', 'source'],
        ['createdFrom=yesterday', 'createdFrom'],
      ]) {
        const res = await t.http.get(`/api/leads?subAccountId=${listSub}&${query}`).set('authorization', auth);
        expectRefused(res, field);
      }
    });

    it('q finds by part of the name, e-mail or phone, in any case; sort orders by createdAt both ways', async () => {
      const names = async (query: string): Promise<string[]> => {
        const res = await t.http.get(`/api/leads?subAccountId=${listSub}&${query}`).set('authorization', auth);
        expect(res.status).toBe(200);
        return (res.body.items as Array<{ fullName: string }>).map((l) => l.fullName);
      };
      expect((await names('q=QUINT')).sort()).toEqual(['Xia Quintana', 'Zoe Quint']);
      expect(await names('q=yan%40other')).toEqual(['Yan Other']);
      expect(await names('q=5550103')).toEqual(['Xia Quintana']);
      expect(await names('sort=createdAt')).toEqual(['Zoe Quint', 'Yan Other', 'Xia Quintana']);
      expect(await names('sort=-createdAt')).toEqual(['Xia Quintana', 'Yan Other', 'Zoe Quint']);
      expect(await names('')).toEqual(['Xia Quintana', 'Yan Other', 'Zoe Quint']);
      expect(await names('minScore=100')).toEqual([]);
      expect((await names('minScore=0')).length).toBe(3);
      expect((await names('status=NEW&source=manual')).length).toBe(3);
    });
  });
});
