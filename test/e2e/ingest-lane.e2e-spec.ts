// The webhook ingest statement has connections of its own (DbPool's ingest lane): a delivery is
// acknowledged while every connection of the main pool is taken — by workers' event transactions
// under load, here by the test — instead of queueing behind them.
import type { PoolClient } from 'pg';
import { DbPool } from '../../src/database/db-pool';
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead } from '../support/webhooks';

const GOOGLE_KEY = 'lane-google-key-0123456789';

describe('the ingest lane', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { APP_ROLE: 'api', DB_POOL_SIZE: '6' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('acknowledges a delivery while the main pool has no free connection', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    await activate(t, sub, google.id);
    const path = new URL(google.webhookUrl).pathname;
    const deliver = (leadId: string) =>
      t.http
        .post(path)
        .set('content-type', 'application/json')
        .send(googleLead(GOOGLE_KEY, leadId, { name: 'Lane Test', email: `${leadId}@example.com` }));
    // the first delivery looks the webhook id up (main pool) and caches it
    expect((await deliver('lane-warm')).status).toBe(200);

    const pools = t.app.get(DbPool);
    expect(pools.ingest).not.toBe(pools.pool);
    // DB_POOL_SIZE 6 = the LISTEN session + the lane's 2 + the main pool's 3
    const held: PoolClient[] = await Promise.all(Array.from({ length: 3 }, () => pools.pool.connect()));
    try {
      expect(pools.pool.totalCount).toBe(3);
      expect(pools.pool.idleCount).toBe(0);
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        deliver('lane-held'),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 5000))),
      ]).finally(() => clearTimeout(timer));
      expect(answer === 'timeout' ? 'timeout' : answer.status).toBe(200);
      expect(answer !== 'timeout' && (answer.body as { status: string }).status).toBe('received');
    } finally {
      held.forEach((c) => c.release());
    }
    const { rows } = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1',
      [google.id],
    );
    expect(rows[0].n).toBe(2);
  });
});
