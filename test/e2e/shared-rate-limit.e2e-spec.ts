// Issue 14 point 1 over HTTP: an integration's outbound budget lives in PostgreSQL, so the health of
// an integration served by one API process reports what another process (a worker) spent or was told.
import { Pool } from 'pg';
import { systemClock } from '../../src/common/clock';
import { OutboundBudgetRepository } from '../../src/common/outbound/outbound-budget.repository';
import { OutboundHttpFactory } from '../../src/common/outbound/outbound-http.factory';
import { testPool } from '../support/database';
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';

describe("GET /api/integrations/:id/health reads the deployment's shared outbound budget", () => {
  let t: TestApp;
  let provider: FakeServer;
  let worker: Pool;

  beforeAll(async () => {
    provider = await FakeServer.start();
    t = await createTestApp({ env: { APP_ROLE: 'api' } });
    worker = testPool(t.db.url, 2);
  });
  afterAll(async () => {
    await worker.end();
    await t.close();
    await provider.close();
  });

  it('shows the remaining count and the pause another process heard from the provider', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const ghl = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const health = async () =>
      (await t.http.get(`/api/integrations/${ghl.id}/health`).set('authorization', admin).expect(200)).body.rateLimit;
    expect(await health()).toEqual({ remaining: null, resetAt: null }); // no call yet, anywhere

    // another process (its own pool and factory, as a worker has) calls the provider for this integration
    let daily = '7';
    provider.on('GET', '/contacts/', () => ({
      status: 200,
      body: { contacts: [] },
      headers: { 'x-ratelimit-remaining': '17', 'x-ratelimit-daily-remaining': daily },
    }));
    const other = new OutboundHttpFactory(systemClock, new OutboundBudgetRepository(worker));
    const http = other.forKey(`integration:${ghl.id}`, { limit: 100, windowMs: 10_000 });
    await http.request({ method: 'GET', url: `${provider.url}/contacts/` });
    expect(await health()).toEqual({ remaining: 17, resetAt: null });

    daily = '0'; // GoHighLevel's daily budget is spent: nobody calls before the next UTC day
    await http.request({ method: 'GET', url: `${provider.url}/contacts/` });
    const now = new Date();
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    expect(await health()).toEqual({ remaining: 0, resetAt: midnight.toISOString() });
  });

  it("another sub-account's token gets 404, never the budget", async () => {
    const sub = await createSubAccount(t, 'MAX');
    const stranger = await createSubAccount(t, 'MAX');
    const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_OTHER42' });
    const res = await t.http
      .get(`/api/integrations/${ghl.id}/health`)
      .set('authorization', `Bearer ${t.token('ADMIN', [stranger])}`);
    expect(res.status).toBe(404);
    expect(res.body.rateLimit).toBeUndefined();
  });
});
