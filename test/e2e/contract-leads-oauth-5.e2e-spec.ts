// API.md "Conventions", "Authentication and roles", "Leads", "Sub-account settings" and "OAuth
// connections", read as an outside tester with only API.md would read them (audit 5). Only what the
// other contract specs leave open: see the report in notes/audit3.md.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';

const CRM = 'https://crm.example.test/integrations/connected';

describe('API.md contract audit 5: leads, sub-account settings, OAuth (black box)', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let elsewhere: number;
  let admin: string;
  let agent: string;
  let outsiderAdmin: string;
  let outsiderAgent: string;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      onToken: (token, grant) => {
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Audit Five');
    elsewhere = await createSubAccount(t, 'MAX', 'Elsewhere Five');
    admin = `Bearer ${t.token('ADMIN', [sub], 'u-admin5')}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'u-agent5')}`;
    outsiderAdmin = `Bearer ${t.token('ADMIN', [elsewhere], 'u-out-admin')}`;
    outsiderAgent = `Bearer ${t.token('AGENT', [elsewhere], 'u-out-agent')}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), ghlAuth.close()]);
  });

  async function newLead(body: Record<string, unknown>, auth = agent): Promise<Record<string, unknown>> {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', auth)
      .send({ subAccountId: sub, ...body });
    expect([res.status, JSON.stringify(res.body)]).toEqual([201, expect.any(String)]);
    return res.body as Record<string, unknown>;
  }

  /** The one error shape of Conventions, naming `field` in details. */
  function expectRefused(res: { status: number; body: Record<string, unknown> }, field: string, status = 400): void {
    expect([res.status, res.body.code, res.body.statusCode, typeof res.body.message]).toEqual([
      status,
      status === 400 ? 'VALIDATION_FAILED' : expect.any(String),
      status,
      'string',
    ]);
    expect(JSON.stringify(res.body.details)).toContain(field);
  }

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

  describe('Leads: another sub-account (Authentication and roles: 404 for a record, 403 for subAccountId)', () => {
    it("answers an AGENT and an ADMIN of another sub-account 404 on each of the lead's routes, and changes nothing", async () => {
      const lead = await newLead({ fullName: 'Private', email: 'private@example.org' });
      const lid = String(lead.id);
      for (const auth of [outsiderAgent, outsiderAdmin]) {
        for (const res of [
          await t.http.get(`/api/leads/${lid}`).set('authorization', auth),
          await t.http.patch(`/api/leads/${lid}`).set('authorization', auth).send({ status: 'LOST' }),
          await t.http.get(`/api/leads/${lid}/history`).set('authorization', auth),
          await t.http
            .post(`/api/leads/${lid}/activities`)
            .set('authorization', auth)
            .send({ type: 'NOTE', userId: 'x' }),
        ]) {
          expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
          expect(JSON.stringify(res.body)).not.toContain('private@example.org');
        }
        const list = await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', auth);
        expect([list.status, list.body.code]).toEqual([403, 'FORBIDDEN']);
        const create = await t.http
          .post('/api/leads')
          .set('authorization', auth)
          .send({ subAccountId: sub, email: 'private@example.org' });
        expect([create.status, create.body.code]).toEqual([403, 'FORBIDDEN']);
        const own = await t.http.get('/api/leads').set('authorization', auth);
        expect((own.body.items as Array<{ id: string }>).map((l) => l.id)).not.toContain(lid);
      }
      const after = await t.http.get(`/api/leads/${lid}`).set('authorization', agent);
      expect([after.body.status, after.body.activities]).toEqual(['NEW', []]);
    });

    it('a token without a role the table knows, or without sub-accounts, is refused', async () => {
      const none = `Bearer ${t.token('AGENT', [], 'u-none')}`;
      const list = await t.http.get('/api/leads').set('authorization', none);
      expect([list.status, list.body.items ?? list.body.code]).toEqual([200, []]);
      const named = await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', none);
      expect([named.status, named.body.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('Leads: POST /api/leads dedupe (normalised E.164 phone, lower-cased e-mail, within the sub-account)', () => {
    it('matches a phone written in another national or international form: 200 with the same lead', async () => {
      const first = await newLead({ fullName: 'Phone Person', phone: '(415) 555-0177' });
      expect(first.phone).toBe('+14155550177');
      for (const phone of ['+1 415 555 0177', '415.555.0177', '+1-415-555-0177', '1 (415) 555-0177']) {
        const again = await t.http.post('/api/leads').set('authorization', agent).send({ subAccountId: sub, phone });
        expect([phone, again.status, again.body.id]).toEqual([phone, 200, first.id]);
      }
    });

    it('concurrent creates of one person: one 201, the rest 200 with the same lead', async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.http
            .post('/api/leads')
            .set('authorization', agent)
            .send({ subAccountId: sub, email: i % 2 ? 'RACE@example.org' : 'race@example.org', firstName: `R${i}` }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    });

    it('a lead found by e-mail and given a phone is found by that phone afterwards', async () => {
      const first = await newLead({ email: 'grow@example.org' });
      const both = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, email: 'grow@example.org', phone: '+44 20 7946 0958' });
      expect([both.status, both.body.id, both.body.phone]).toEqual([200, first.id, '+442079460958']);
      const byPhone = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, phone: '+442079460958', fullName: 'Grown' });
      expect([byPhone.status, byPhone.body.id, byPhone.body.email]).toEqual([200, first.id, 'grow@example.org']);
    });

    it('matches an e-mail in another case; a different address or another sub-account is a new lead (201)', async () => {
      const first = await newLead({ email: 'Mixed.Case@Example.ORG' });
      expect(first.email).toBe('mixed.case@example.org');
      const again = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, email: 'MIXED.CASE@example.org' });
      expect([again.status, again.body.id]).toEqual([200, first.id]);
      const other = await t.http
        .post('/api/leads')
        .set('authorization', outsiderAgent)
        .send({ subAccountId: elsewhere, email: 'mixed.case@example.org' });
      expect(other.status).toBe(201);
      expect(other.body.id).not.toBe(first.id);
      expect(other.body.subAccountId).toBe(elsewhere);
    });

    it('refuses a body that names no one, an e-mail that is none, and a missing or foreign subAccountId', async () => {
      for (const [body, field] of [
        [{ subAccountId: sub }, ''],
        // a name of spaces is no name: it was stored as null, a lead naming no one
        [{ subAccountId: sub, fullName: '   ' }, ''],
        [{ subAccountId: sub, firstName: ' ', lastName: '\t', phone: '  ' }, ''],
        [{ subAccountId: sub, email: 'not-an-email' }, 'email'],
        [{ subAccountId: sub, phone: 4155550100 }, 'phone'],
        [{ email: 'nosub@example.org' }, 'subAccountId'],
        [{ subAccountId: String(sub), email: 'str@example.org' }, 'subAccountId'],
        [{ subAccountId: sub, email: 'src@example.org', source: { platform: 'meta' } }, 'platform'],
        [{ subAccountId: sub, email: 'src2@example.org', source: 'manual' }, 'source'],
      ] as const) {
        const res = await t.http.post('/api/leads').set('authorization', agent).send(body);
        expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
          JSON.stringify(body),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details ?? [])).toContain(field);
      }
    });

    it('GET /api/leads/:id: sourceTracking names platform, integrationId, externalId, campaign, ad group, ad, form, cost', async () => {
      const lead = await newLead({
        fullName: 'Tracked',
        email: 'tracked@example.org',
        source: {
          platform: 'manual',
          campaignId: 'c-1',
          campaignName: 'Spring',
          adGroupId: 'g-1',
          adGroupName: 'Group',
          adId: 'a-1',
          adName: 'Ad',
          formId: 'f-1',
          formName: 'Form',
        },
      });
      const res = await t.http.get(`/api/leads/${String(lead.id)}`).set('authorization', agent);
      expect(res.status).toBe(200);
      expect(res.body.sourceTracking).toEqual(
        expect.objectContaining({
          platform: 'manual',
          integrationId: null,
          externalId: expect.any(String),
          campaignId: 'c-1',
          campaignName: 'Spring',
          adGroupId: 'g-1',
          adGroupName: 'Group',
          adId: 'a-1',
          adName: 'Ad',
          formId: 'f-1',
          formName: 'Form',
          cost: null,
        }),
      );
      expect(res.body.interactions).toEqual([]);
      expect(typeof res.body.id).toBe('string');
      expect(res.body.subAccountId).toBe(sub);
    });
  });

  describe('Sub-account settings', () => {
    it('timezone: IANA names in any letter case come back as the tz database spells them; others 400 naming it', async () => {
      const ok = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', admin)
        .send({ timezone: 'america/sao_paulo' });
      expect([ok.status, ok.body.timezone]).toEqual([200, 'America/Sao_Paulo']);
      for (const timezone of ['', '  ', '+05:30', 'GMT+5', 'Europe', 'America/Nowhere', 5, null, 'UTC '.repeat(20)]) {
        const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone });
        expect([JSON.stringify(timezone), res.status, res.body.code]).toEqual([
          JSON.stringify(timezone),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details)).toContain('timezone');
      }
      const get = await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', agent);
      expect(get.body.timezone).toBe('America/Sao_Paulo');
    });

    it('funnelStages: refuses empty, unknown, lower-case, repeated, non-array or null; keeps the order given', async () => {
      for (const funnelStages of [
        [],
        ['NEW', 'WON'],
        ['new', 'contacted'],
        ['CONTACTED', 'CONTACTED'],
        'NEW,CONTACTED',
        null,
        [1, 2],
      ]) {
        const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ funnelStages });
        expect([JSON.stringify(funnelStages), res.status, res.body.code]).toEqual([
          JSON.stringify(funnelStages),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details)).toContain('funnelStages');
      }
      const ok = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', admin)
        .send({ funnelStages: ['NEW', 'LOST', 'CONVERTED'] });
      expect([ok.status, ok.body.funnelStages]).toEqual([200, ['NEW', 'LOST', 'CONVERTED']]);
    });

    it('an AGENT may not change settings (403); a super-admin on a sub-account that does not exist gets 404', async () => {
      const byAgent = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', agent)
        .send({ timezone: 'UTC' });
      expect([byAgent.status, byAgent.body.code]).toEqual([403, 'FORBIDDEN']);
      const missing = await t.http
        .patch('/api/sub-accounts/987654')
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({ timezone: 'UTC' });
      expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
      const bad = await t.http.patch('/api/sub-accounts/abc').set('authorization', admin).send({ timezone: 'UTC' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('OAuth connections', () => {
    let id: number;
    beforeAll(async () => {
      ({ id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_AUDIT5' }));
    });

    async function start(
      redirectUri: string,
      auth = admin,
    ): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await t.http
        .post(`/api/integrations/${id}/oauth/start`)
        .set('authorization', auth)
        .send({ redirectUri });
      return { status: res.status, body: res.body as Record<string, unknown> };
    }

    it('start: an AGENT is 403, a missing or non-URL redirectUri 400 naming it, an unknown integration 404', async () => {
      expect((await start(CRM, agent)).body.code).toBe('FORBIDDEN');
      expect((await start(CRM, agent)).status).toBe(403);
      for (const redirectUri of [undefined, 42, '', 'javascript:alert(1)', 'crm.example.test/integrations/connected']) {
        const res = await t.http
          .post(`/api/integrations/${id}/oauth/start`)
          .set('authorization', admin)
          .send(redirectUri === undefined ? {} : { redirectUri });
        expectRefused({ status: res.status, body: res.body as Record<string, unknown> }, 'redirectUri');
      }
      const missing = await t.http
        .post('/api/integrations/987654/oauth/start')
        .set('authorization', admin)
        .send({ redirectUri: CRM });
      expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('callback: redirects to the redirectUri with integrationId, status and code; keeps the CRM’s own query', async () => {
      const started = await start(`${CRM}?tab=crm&integrationId=999`);
      expect(started.status).toBe(200);
      const { path } = ghlAuth.consent(String(started.body.authorizationUrl), { locationId: 'loc_AUDIT5' });
      const back = await t.http.get(path);
      expect(back.status).toBe(302);
      const url = new URL(String(back.headers.location));
      expect(url.origin + url.pathname).toBe(CRM);
      expect(url.searchParams.get('tab')).toBe('crm');
      expect(url.searchParams.getAll('integrationId')).toEqual([String(id)]);
      expect(url.searchParams.get('status')).toBe('active');
      // a second use of the same state: 400 in the one error shape, never a redirect
      const replay = await t.http.get(path);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: expect.any(Array),
      });
    });

    it('state: lives 10 minutes', async () => {
      const started = await start(CRM);
      const state = new URL(String(started.body.authorizationUrl)).searchParams.get('state');
      expect(state).toBeTruthy();
      const rows = await t.sql.query<{ s: number }>(
        'SELECT extract(epoch FROM expires_at - created_at)::int AS s FROM oauth_states ORDER BY created_at DESC LIMIT 1',
      );
      expect(rows.rows[0].s).toBe(600);
    });
  });
});
