/**
 * Issue 9 point 10: the public readiness probe uses terminus's Prisma indicator and shows no
 * database error text (host, database name, driver message) to an unauthenticated caller.
 */
import { Client } from 'pg';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

describe('security: a readiness probe that tells nothing', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { APP_ROLE: 'api' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 200 with each dependency up', async () => {
    const res = await t.http.get('/api/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up' }, queue: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' }, queue: { status: 'up' } },
    });
  });

  it('answers /api/health/ready 503 naming the database, with none of its error text, while it is unreachable', async () => {
    const database = new URL(t.db.url).pathname.slice(1);
    const server = new URL(t.db.url);
    server.pathname = '/postgres';
    const admin = new Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [
        database,
        (await t.sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid,
      ]);
      const logFrom = t.logs().length;
      const res = await t.http.get('/api/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('database'),
        details: expect.arrayContaining([{ component: 'database', status: 'down' }]),
      });
      expect(res.text).not.toContain(database);
      expect(res.text).not.toMatch(/accepting|terminat|connect|ECONN|127\.0\.0\.1|postgres/i);
      // the reason is for the operators: in the log
      await waitFor(async () => /not ready/.test(t.logs().slice(logFrom)), 20_000, 'the reason in the log');
    } finally {
      await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    // and ready again once it is back
    await waitFor(async () => (await t.http.get('/api/health/ready')).status === 200, 20_000, 'readiness');
  });
});
