// Issue 13 point 8: a lead score's recency decays with time (points halve every recencyHalfLifeDays
// from `recency`, per sub-account), the lead-score-decay job keeps the stored score current, and
// GET /api/leads sorts and filters on it; a new fact brings the recency back.
import { LeadScoreDecayProcessor } from '../../src/modules/analytics/lead-score-decay.processor';
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const DAY = 86_400_000;

describe('lead score recency decays', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  let decay: LeadScoreDecayProcessor;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Decay Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    decay = t.app.get(LeadScoreDecayProcessor);
  });
  afterAll(() => t.close());

  const create = async (fullName: string, subAccountId = sub): Promise<string> => {
    const res = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId, fullName, email: `${fullName.toLowerCase()}@example.org` });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const score = async (id: string): Promise<number> =>
    (await t.http.get(`/api/leads/${id}`).set('authorization', admin)).body.score as number;
  const sorted = async (query = ''): Promise<string[]> => {
    const res = await t.http.get(`/api/leads?subAccountId=${sub}&sort=-score${query}`).set('authorization', admin);
    expect(res.status).toBe(200);
    return (res.body.items as { id: string }[]).map((l) => l.id);
  };
  /** Moves a lead's latest fact `days` back, as if that much time had passed since. */
  const age = async (id: string, days: number): Promise<void> => {
    await t.sql.query(
      `UPDATE leads SET score_activity_at = score_activity_at - make_interval(days => $2),
                        score_refresh_at = score_refresh_at - make_interval(days => $2)
        WHERE id = $1`,
      [id, days],
    );
  };

  it('a lead untouched for 30 days falls below a fresh one, in the order and the minScore filter', async () => {
    const old = await create('Old');
    const fresh = await create('Fresh');
    expect(
      (await t.http.patch(`/api/leads/${old}`).set('authorization', admin).send({ status: 'CONTACTED' })).status,
    ).toBe(200);
    // manual 10 + CONTACTED 10 + recency 15 against manual 10 + recency 15
    expect([await score(old), await score(fresh)]).toEqual([35, 25]);
    expect((await sorted()).slice(0, 2)).toEqual([old, fresh]);

    await age(old, 30);
    // (the app's own five-minute tick may rewrite it first: either way the job computes the same)
    await decay.decay(new Date());
    // 20 + round(15 × 2^(−30/7)) = 20 + 1
    expect(await score(old)).toBe(21);
    expect((await sorted()).slice(0, 2)).toEqual([fresh, old]);
    expect(await sorted('&minScore=22')).not.toContain(old);
    expect(await decay.decay(new Date())).toBe(0); // nothing more is due now

    // its last point goes at 7 × log2(30) ≈ 34.4 days (the fresh lead has decayed by then too: 2 rows);
    // then nothing is due any more for it
    expect(await decay.decay(new Date(Date.now() + 5 * DAY))).toBe(2);
    expect(await score(fresh)).toBe(10 + Math.round(15 * 2 ** (-5 / 7)));
    expect(await score(old)).toBe(20);
    const row = await t.sql.query<{ refresh: Date | null }>(
      'SELECT score_refresh_at AS refresh FROM leads WHERE id = $1',
      [old],
    );
    expect(row.rows[0].refresh).toBeNull();
  });

  it('a new fact brings the recency back', async () => {
    const id = await create('Revived');
    await age(id, 60);
    await decay.decay(new Date());
    expect(await score(id)).toBe(10);
    const note = await t.http
      .post(`/api/leads/${id}/activities`)
      .set('authorization', admin)
      .send({ type: 'NOTE', userId: 'ana', note: 'called back' });
    expect(note.status).toBe(201);
    expect(await score(id)).toBe(25);
  });

  it('uses the sub-account’s recency weight and half-life', async () => {
    const own = await createSubAccount(t, 'PRO', 'Fast decay');
    const ownAdmin = `Bearer ${t.token('ADMIN', [own])}`;
    const patched = await t.http
      .patch(`/api/sub-accounts/${own}`)
      .set('authorization', ownAdmin)
      .send({ scoreWeights: { recency: 40, recencyHalfLifeDays: 1 } });
    expect(patched.status).toBe(200);
    const res = await t.http
      .post('/api/leads')
      .set('authorization', ownAdmin)
      .send({ subAccountId: own, fullName: 'Quick', email: 'quick@example.org' });
    expect(res.status).toBe(201);
    expect(res.body.score).toBe(50); // manual 10 + 40
    // a day later half the points are left, two days later a quarter
    await decay.decay(new Date(Date.now() + DAY + 60_000));
    expect((await t.http.get(`/api/leads/${res.body.id}`).set('authorization', ownAdmin)).body.score).toBe(30);
    await decay.decay(new Date(Date.now() + 2 * DAY + 60_000));
    expect((await t.http.get(`/api/leads/${res.body.id}`).set('authorization', ownAdmin)).body.score).toBe(20);
  });
});
