// Audit 18 of API.md's "Leads" (second pass) as the CRM's frontend and as another tenant with a signed token.
// Failed before their fix:
// - GET /api/leads/:id showed the OLDEST 500 interactions and activities of a lead: once a lead had 500
//   messages (a WhatsApp conversation of a few weeks), every later inbound message vanished from its
//   `interactions` (API.md, WhatsApp: "Inbound messages of a linked conversation appear in the lead's
//   `interactions`"), and a call logged with POST …/activities (201) never showed on the lead;
// - createdFrom / createdTo (and every other date filter validated by IsTimestamp) took a month or a year
//   alone ("2026-03", "2026") although the field names a date (YYYY-MM-DD) or a timestamp, and read it as
//   its first instant: createdFrom=2026-03&createdTo=2026-03 answered 200 with none of March's leads.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;

describe('API.md audit 18 (leads, second pass)', () => {
  let t: TestApp;
  let sub: number;
  let agent: string;
  let outsider: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Audit 18 Leads');
    const elsewhere = await createSubAccount(t, 'MAX', 'Audit 18 Elsewhere');
    agent = `Bearer ${t.token('AGENT', [sub], 'u-agent18')}`;
    outsider = `Bearer ${t.token('ADMIN', [elsewhere], 'u-out18')}`;
  });
  afterAll(() => t.close());

  describe('GET /api/leads createdFrom / createdTo: a date (YYYY-MM-DD) or a timestamp', () => {
    // "2026-03" read as its first instant: createdFrom=2026-03&createdTo=2026-03 listed no lead of March
    it.each([
      ['createdTo', '2026-03'],
      ['createdFrom', '2026-03'],
      ['createdTo', '2026'],
    ])('%s=%s (a month or a year) is 400 VALIDATION_FAILED naming it, not an instant', async (field, value) => {
      const res = await t.http.get(`/api/leads?subAccountId=${sub}&${field}=${value}`).set('authorization', agent);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    });

    it('a whole UTC day and an instant still filter', async () => {
      const made = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, fullName: 'Dated Person', email: 'dated18@example.org' });
      const day = String(made.body.createdAt).slice(0, 10);
      const ids = async (query: string): Promise<string[]> => {
        const res = await t.http.get(`/api/leads?subAccountId=${sub}&${query}`).set('authorization', agent);
        expect(res.status).toBe(200);
        return (res.body.items as Json[]).map((item) => String(item.id));
      };
      expect(await ids(`createdFrom=${day}&createdTo=${day}`)).toContain(made.body.id);
      const at = encodeURIComponent(String(made.body.createdAt));
      expect(await ids(`createdFrom=${at}&createdTo=${at}`)).toEqual([made.body.id]);
    });
  });

  describe('GET /api/leads/:id of a lead with a long timeline', () => {
    let id: string;
    const start = Date.parse('2026-01-01T09:00:00.000Z');

    beforeAll(async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', agent)
        .send({ subAccountId: sub, fullName: 'Long Talker', phone: '+14155550118' });
      expect(res.status).toBe(201);
      id = String(res.body.id);
      // 500 messages and 500 logged calls over the months before: what a busy lead has
      await t.sql.query(
        `INSERT INTO lead_interactions (lead_id, sub_account_id, platform, channel, direction, body, origin, occurred_at)
         SELECT $1::bigint, $2, 'whatsapp', 'whatsapp', 'inbound', 'old message ' || n, 'audit18:' || n,
                $3::timestamptz + n * interval '1 minute'
         FROM generate_series(1, 500) n`,
        [id, sub, new Date(start).toISOString()],
      );
      await t.sql.query(
        `INSERT INTO lead_activities (sub_account_id, lead_id, type, outcome, user_id, occurred_at, created_by)
         SELECT $2, $1::bigint, 'CALL', 'NO_ANSWER', 'u-agent18', $3::timestamptz + n * interval '1 minute', 'u-agent18'
         FROM generate_series(1, 500) n`,
        [id, sub, new Date(start).toISOString()],
      );
    });

    it('shows the newest message and the call just logged (the latest 500 of each, oldest first)', async () => {
      // the person writes again today; an agent calls back and logs it
      await t.sql.query(
        `INSERT INTO lead_interactions (lead_id, sub_account_id, platform, channel, direction, body, origin, occurred_at)
         VALUES ($1::bigint, $2, 'whatsapp', 'whatsapp', 'inbound', 'are you still there?', 'audit18:new', now())`,
        [id, sub],
      );
      const logged = await t.http
        .post(`/api/leads/${id}/activities`)
        .set('authorization', agent)
        .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'u-agent18', durationSeconds: 120, note: 'called back' });
      expect(logged.status).toBe(201);

      const res = await t.http.get(`/api/leads/${id}`).set('authorization', agent);
      expect(res.status).toBe(200);
      const interactions = res.body.interactions as Json[];
      const activities = res.body.activities as Json[];
      expect([interactions.length, activities.length]).toEqual([500, 500]);
      expect(interactions[interactions.length - 1].body).toBe('are you still there?');
      expect(activities[activities.length - 1]).toMatchObject({ id: logged.body.id, note: 'called back' });
      // the oldest one is the one left out, and the order is still oldest first
      expect(interactions[0].body).toBe('old message 2');
      expect(activities[0].occurredAt).toBe(new Date(start + 2 * 60_000).toISOString());
      for (const list of [interactions, activities]) {
        const times = list.map((item) => Date.parse(String(item.occurredAt)));
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }
    });

    it('another tenant still sees none of it', async () => {
      const res = await t.http.get(`/api/leads/${id}`).set('authorization', outsider);
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      expect(JSON.stringify(res.body)).not.toContain('are you still there?');
    });
  });
});
