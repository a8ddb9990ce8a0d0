// Issue 14 point 4: a process opens at most DB_POOL_SIZE + JOBS_POOL_SIZE connections (the shared
// pool that Prisma, the hot-path statements and the shared rate limits use, plus pg-boss's), however
// many requests and jobs it is serving at once — with the LISTEN session (DB_POOL_SIZE ≥ 3) and the
// ingest lane (DB_POOL_SIZE ≥ 5 with the LISTEN session) carved out of DB_POOL_SIZE, and without them.
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, waitFor } from '../support/webhooks';

const JOBS_POOL_SIZE = 2;
const GOOGLE_KEY = 'budget-google-key-0123456789';

describe.each([
  { DB_POOL_SIZE: 2, pools: ['integration-hub-all', 'integration-hub-all-jobs'] },
  { DB_POOL_SIZE: 3, pools: ['integration-hub-all', 'integration-hub-all-jobs', 'integration-hub-all-listen'] },
  {
    DB_POOL_SIZE: 5,
    pools: [
      'integration-hub-all',
      'integration-hub-all-ingest',
      'integration-hub-all-jobs',
      'integration-hub-all-listen',
    ],
  },
])('the connection budget of one process (DB_POOL_SIZE $DB_POOL_SIZE)', ({ DB_POOL_SIZE, pools }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { APP_ROLE: 'all', DB_POOL_SIZE: String(DB_POOL_SIZE), JOBS_POOL_SIZE: String(JOBS_POOL_SIZE) },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it(`stays within DB_POOL_SIZE + JOBS_POOL_SIZE (${DB_POOL_SIZE} + ${JOBS_POOL_SIZE}) under concurrent requests and jobs`, async () => {
    const sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    await activate(t, sub, google.id);
    const path = new URL(google.webhookUrl).pathname;
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const dbName = new URL(t.db.url).pathname.slice(1);

    let peak = 0;
    const names = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await t.sql.query<{ app: string; n: number }>(
          `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
           WHERE datname = $1 AND application_name LIKE 'integration-hub-%' GROUP BY 1`,
          [dbName],
        );
        for (const r of rows) names.add(r.app);
        peak = Math.max(
          peak,
          rows.reduce((sum, r) => sum + r.n, 0),
        );
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const deliveries = Array.from({ length: 120 }, (_, i) =>
      t.http
        .post(path)
        .set('content-type', 'application/json')
        .send(googleLead(GOOGLE_KEY, `budget-${i}`, { name: `Budget ${i}`, email: `budget${i}@example.com` })),
    );
    const reads = Array.from({ length: 40 }, () => t.http.get('/api/leads').set('authorization', admin));
    const answers = await Promise.all([...deliveries, ...reads]);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    await waitFor(
      async () =>
        (
          await t.sql.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'PROCESSED'",
            [google.id],
          )
        ).rows[0].n === 120,
      60_000,
      'every event processed',
    );
    sampling = false;
    await sampler;

    expect([...names].sort()).toEqual(pools);
    expect(peak).toBeGreaterThan(DB_POOL_SIZE); // the pools were busy: the bound below is not trivially met
    expect(peak).toBeLessThanOrEqual(DB_POOL_SIZE + JOBS_POOL_SIZE);
  });
});
