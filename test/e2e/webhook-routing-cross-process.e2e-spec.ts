/**
 * Two API processes on one database (README "Scale-out"), each caching webhook routing for
 * WEBHOOK_CACHE_TTL_MS — set to a minute here, so only the cross-process notification (PostgreSQL
 * LISTEN/NOTIFY on `integration_changes`) can explain a change reaching the other process in time.
 * API.md: after a disconnect "webhook deliveries for it answer 409 INTEGRATION_NOT_ACTIVE"; an
 * integration receives only while isActive. Before the notification, B kept answering 200 for the
 * whole TTL after a disconnect or a switch-off made through A.
 */
import { IntegrationChanges } from '../../src/modules/integrations/integration-changes';
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { googleLead } from '../support/webhooks';

const env = { APP_ROLE: 'api', WEBHOOK_CACHE_TTL_MS: '60000' };
/** Far below the TTL: a notification arrives within milliseconds. */
const WITHIN_MS = 1000;

describe('webhook routing after a change made through another process', () => {
  let a: TestApp;
  let b: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, db: a.db });
    sub = await createSubAccount(a, 'MAX');
    admin = `Bearer ${a.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A live Google Ads lead-form integration that B has just taken a delivery for (B's routing cached). */
  async function cachedInB(key: string): Promise<{ id: number; deliver: (leadId: string) => Promise<number> }> {
    const g = await createIntegration(a, sub, 'google-ads-lead-forms', { googleKey: key });
    expect((await a.http.post(`/api/integrations/${g.id}/test`).set('authorization', admin)).status).toBe(200);
    const path = new URL(g.webhookUrl).pathname;
    const deliver = async (leadId: string): Promise<number> =>
      (
        await b.http
          .post(path)
          .set('content-type', 'application/json')
          .send(googleLead(key, leadId, { name: 'Ana' }))
      ).status;
    expect(await deliver('cached-1')).toBe(200);
    return { id: g.id, deliver };
  }

  /** The statuses B answers until one is `expected` or WITHIN_MS have passed (the last one is returned). */
  async function answerWithin(deliver: (leadId: string) => Promise<number>, expected: number): Promise<number> {
    const until = Date.now() + WITHIN_MS;
    let n = 0;
    for (;;) {
      const status = await deliver(`poll-${expected}-${n++}`);
      if (status === expected || Date.now() > until) return status;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('a disconnect through A makes B refuse deliveries with 409', async () => {
    const g = await cachedInB('xproc-key-disconnect-01');
    expect((await a.http.post(`/api/integrations/${g.id}/disconnect`).set('authorization', admin)).status).toBe(200);
    expect(await answerWithin(g.deliver, 409)).toBe(409);
  });

  it('isActive false through A makes B refuse deliveries with 409, and true makes B take them again', async () => {
    const g = await cachedInB('xproc-key-switch-000001');
    const off = await a.http.patch(`/api/integrations/${g.id}`).set('authorization', admin).send({ isActive: false });
    expect(off.status).toBe(200);
    expect(await answerWithin(g.deliver, 409)).toBe(409);
    const on = await a.http.patch(`/api/integrations/${g.id}`).set('authorization', admin).send({ isActive: true });
    expect(on.status).toBe(200);
    expect(await answerWithin(g.deliver, 200)).toBe(200);
  });

  // a token refresh, secrets sealed again, a worker setting status error: frequent background writes
  // that leave every integration routed as before. B drops only the changed integration's lookups; it
  // dropped all of them, so each refresh of a token sweep cost every hot integration a query again
  it("a change that keeps an integration's routing ('own') drops only that integration's lookups in B", async () => {
    const x = await cachedInB('xproc-key-own-changed-01');
    const y = await cachedInB('xproc-key-own-bystander');
    // written straight into the table (nobody is told): only a dropped lookup can show them
    await a.sql.query('UPDATE integrations SET is_active = false WHERE id = ANY($1::int[])', [[x.id, y.id]]);
    await a.app.get(IntegrationChanges).changed(x.id, 'own');
    expect(await answerWithin(x.deliver, 409)).toBe(409);
    expect(await y.deliver('still-cached')).toBe(200);
    // a change that may move routing drops everything, the bystander's lookup too
    await a.app.get(IntegrationChanges).changed(x.id);
    expect(await answerWithin(y.deliver, 409)).toBe(409);
  });

  it("after B's listening connection is killed, B drops its cache and listens again", async () => {
    const g = await cachedInB('xproc-key-reconnect-0001');
    const dbName = new URL(a.db.url).pathname.slice(1);
    const listeners = async (): Promise<number[]> =>
      (
        await a.sql.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'integration-hub-api-listen'",
          [dbName],
        )
      ).rows.map((r) => r.pid);
    // one listening connection per process
    expect(await listeners()).toHaveLength(2);
    // both are killed: this suite cannot tell A's from B's, and A's coming back is checked as well
    const killed = await listeners();
    await a.sql.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed]);

    // a change B could not be told of while its listener was down: written straight into the table,
    // so no process publishes it, and only the dropped cache can explain B's 409
    await a.sql.query('UPDATE integrations SET is_active = false WHERE id = $1', [g.id]);
    expect(await answerWithin(g.deliver, 409)).toBe(409);

    // the listeners come back (new connections), and later changes through A reach B again
    const deadline = Date.now() + 10_000;
    let back: number[] = [];
    while (Date.now() < deadline) {
      back = (await listeners()).filter((pid) => !killed.includes(pid));
      if (back.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(back).toHaveLength(2);
    const on = await a.http.patch(`/api/integrations/${g.id}`).set('authorization', admin).send({ isActive: true });
    expect(on.status).toBe(200);
    expect(await answerWithin(g.deliver, 200)).toBe(200);
    expect((await a.http.post(`/api/integrations/${g.id}/disconnect`).set('authorization', admin)).status).toBe(200);
    expect(await answerWithin(g.deliver, 409)).toBe(409);
  });
});
