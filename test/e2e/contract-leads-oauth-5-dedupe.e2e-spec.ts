// Part of API.md contract audit 5 (header in contract-leads-oauth-5.e2e-spec.ts): leads seen from another
// sub-account, and POST /api/leads dedupe; the shared setup is in test/support/contract-leads-oauth-5-setup.ts.
import { TestApp } from '../support/test-app';
import { Audit5Fixture, audit5Helpers, setupAudit5 } from '../support/contract-leads-oauth-5-setup';

describe('API.md contract audit 5: leads, sub-account settings, OAuth (black box)', () => {
  let fx: Audit5Fixture;
  let t: TestApp;
  let sub: number;
  let elsewhere: number;
  let agent: string;
  let outsiderAdmin: string;
  let outsiderAgent: string;
  const { newLead } = audit5Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupAudit5();
    ({ t, sub, elsewhere, agent, outsiderAdmin, outsiderAgent } = fx);
  });
  afterAll(() => fx?.close());

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
});
