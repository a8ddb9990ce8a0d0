/**
 * Webhook routing caches integrations for WEBHOOK_CACHE_TTL_MS (default 5 s, kept here): a change of
 * an integration made through this process must still apply to the very next delivery. API.md: after
 * a disconnect "webhook deliveries for it answer 409 INTEGRATION_NOT_ACTIVE"; an integration receives
 * only while isActive. The disconnect and switch-off cases failed before the cache was dropped on the
 * change's commit (the delivery right after was still 200 received); the deletion case is a guard.
 */
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { googleLead } from '../support/webhooks';

describe('webhook routing after a change of the integration (default cache TTL)', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({});
    sub = await createSubAccount(t, 'MAX');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => t.close());

  /** A live Google Ads lead-form integration that has just taken a delivery (its routing cached). */
  async function liveAndCached(key: string): Promise<{ id: number; deliver: (leadId: string) => Promise<number> }> {
    const g = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: key });
    const tested = await t.http.post(`/api/integrations/${g.id}/test`).set('authorization', admin);
    expect(tested.status).toBe(200);
    const path = new URL(g.webhookUrl).pathname;
    const deliver = async (leadId: string): Promise<number> =>
      (
        await t.http
          .post(path)
          .set('content-type', 'application/json')
          .send(googleLead(key, leadId, { name: 'Ana' }))
      ).status;
    expect(await deliver('cached-1')).toBe(200);
    return { id: g.id, deliver };
  }

  it('a disconnect refuses the next delivery with 409', async () => {
    const g = await liveAndCached('cache-key-disconnect-01');
    expect((await t.http.post(`/api/integrations/${g.id}/disconnect`).set('authorization', admin)).status).toBe(200);
    expect(await g.deliver('after-disconnect')).toBe(409);
  });

  it('isActive false refuses the next delivery with 409, and true takes it again', async () => {
    const g = await liveAndCached('cache-key-switch-0001');
    const off = await t.http.patch(`/api/integrations/${g.id}`).set('authorization', admin).send({ isActive: false });
    expect(off.status).toBe(200);
    expect(await g.deliver('while-off')).toBe(409);
    const on = await t.http.patch(`/api/integrations/${g.id}`).set('authorization', admin).send({ isActive: true });
    expect(on.status).toBe(200);
    expect(await g.deliver('back-on')).toBe(200);
  });

  it('a deleted integration answers the next delivery 404', async () => {
    const g = await liveAndCached('cache-key-deleted-0001');
    expect((await t.http.delete(`/api/integrations/${g.id}`).set('authorization', admin)).status).toBe(204);
    expect(await g.deliver('after-delete')).toBe(404);
  });
});
