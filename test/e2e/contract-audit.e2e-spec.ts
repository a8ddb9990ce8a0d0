// A black-box audit of API.md: statements the other contract specs leave unasked, each case a
// request and the answer API.md promises for it. Every case here failed before its fix.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

describe('API.md contract audit', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Audit');
    await t.http
      .patch(`/api/sub-accounts/${sub}`)
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send({ timezone: 'America/Sao_Paulo' })
      .expect(200);
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('Analytics: "`from`/`to` are local dates (`YYYY-MM-DD`, inclusive) or ISO instants"', () => {
    const queued = async (jobId: string): Promise<unknown> =>
      (await t.sql.query<{ data: unknown }>('SELECT data FROM pgboss.job WHERE id = $1', [jobId])).rows[0]?.data;

    it('a rebuild takes ISO instants and rebuilds the local days they name in the sub-account zone', async () => {
      const res = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2026-03-01T02:00:00Z', to: '2026-03-10T03:00:00Z' });
      expect(res.status).toBe(202);
      expect(typeof res.body.jobId).toBe('string');
      // 02:00Z on 1 March is still 28 February in São Paulo (UTC-3); the exclusive end 03:00Z is 00:00 on the 10th
      expect(await queued(res.body.jobId)).toMatchObject({ subAccountId: sub, from: '2026-02-28', to: '2026-03-09' });
    });

    it('a rebuild still takes local dates, and refuses bounds out of order or unreadable with 400', async () => {
      const dates = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2026-03-01', to: '2026-03-10' });
      expect(dates.status).toBe(202);
      expect(await queued(dates.body.jobId)).toMatchObject({ from: '2026-03-01', to: '2026-03-10' });
      for (const body of [
        { from: '2026-03-10T00:00:00Z', to: '2026-03-01T00:00:00Z' },
        { from: '2026-02-30' },
        { to: 'yesterday' },
        { from: '2026-03-01T10:00' },
      ]) {
        const res = await t.http
          .post('/api/analytics/rebuild')
          .set('authorization', admin)
          .send({ subAccountId: sub, ...body });
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      }
    });
  });
});
