// Part of "concurrent requests from the CRM" (header in concurrency.e2e-spec.ts): integrations and their events,
// and the races on an OAuth connection (its own app on the OAuth fakes); the shared setup of the first is in
// test/support/concurrency-setup.ts.
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { connectGhlOAuth } from '../support/oauth';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, waitFor } from '../support/webhooks';
import { ConcurrencyFixture, setupConcurrency } from '../support/concurrency-setup';

describe('concurrent requests from the CRM', () => {
  let fx: ConcurrencyFixture;
  let t: TestApp;

  beforeAll(async () => {
    fx = await setupConcurrency();
    ({ t } = fx);
  });
  afterAll(() => fx?.close());

  describe('integrations and their events', () => {
    const GENERIC = { mapping: { email: '/email' }, externalIdPointer: '/id' };
    let max: number;
    let maxAdmin: string;

    beforeAll(async () => {
      max = await createSubAccount(t, 'MAX', 'Race Max');
      maxAdmin = `Bearer ${t.token('ADMIN', [max])}`;
    });

    it('PATCH config from two tabs changing different fields at once: both kept (merged over the stored one)', async () => {
      for (let round = 0; round < 4; round++) {
        const integration = await createIntegration(t, max, 'generic-webhook', GENERIC);
        const [a, b] = await Promise.all([
          t.http
            .patch(`/api/integrations/${integration.id}`)
            .set('authorization', maxAdmin)
            .send({ config: { eventTypePointer: '/type' } }),
          t.http
            .patch(`/api/integrations/${integration.id}`)
            .set('authorization', maxAdmin)
            .send({ config: { customAnswersPointer: '/answers' } }),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
        const after = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', maxAdmin);
        expect(after.body.config).toMatchObject({ eventTypePointer: '/type', customAnswersPointer: '/answers' });
      }
    });

    it('replay and replay-failed sent twice at once: every FAILED event is reopened exactly once', async () => {
      const integration = await createIntegration(t, max, 'generic-webhook', GENERIC);
      await activate(t, max, integration.id);
      const path = new URL(integration.webhookUrl).pathname;
      const eventIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify({ id: `replay-race-${i}`, email: `replay-race-${i}@example.com` });
        const ts = Math.floor(Date.now() / 1000);
        const res = await t.http
          .post(path)
          .set('content-type', 'application/json')
          .set('x-webhook-timestamp', String(ts))
          .set('x-webhook-signature', genericSignature(body, integration.webhookSecret, ts))
          .send(body);
        expect(res.body.status).toBe('received');
        eventIds.push(res.body.eventId as string);
      }
      const settled = (status: string) =>
        waitFor(async () => {
          const { rows } = await t.sql.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = $2',
            [integration.id, status],
          );
          return rows[0].n === 3 ? true : undefined;
        });
      await settled('PROCESSED');
      await t.sql.query(
        "UPDATE webhook_events SET status = 'FAILED', processed_at = NULL, attempts = 5, last_error = 'x' WHERE integration_id = $1",
        [integration.id],
      );
      const answers = await Promise.all([
        t.http.post(`/api/integrations/${integration.id}/events/replay-failed`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[0]}/replay`).set('authorization', maxAdmin),
        t.http.post(`/api/integrations/${integration.id}/events/replay-failed`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[0]}/replay`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[1]}/replay`).set('authorization', maxAdmin),
      ]);
      for (const a of answers) expect([200, 202, 409]).toContain(a.status);
      // the two replay-failed calls share the three FAILED events (a replayed event is never FAILED again
      // here: the worker processes it); a single replay may also reopen one the worker already processed
      const replayedInBulk = answers.reduce(
        (n, a) => n + (typeof a.body.replayed === 'number' ? (a.body.replayed as number) : 0),
        0,
      );
      expect(replayedInBulk).toBeLessThanOrEqual(3);
      expect(replayedInBulk + answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(3);
      await settled('PROCESSED');
    });

    it('DELETE racing the other writes on one integration (a second tab): each answers cleanly, never 500', async () => {
      const clean = [200, 202, 204, 400, 404, 409, 422, 502];
      for (let round = 0; round < 10; round++) {
        const integration = await createIntegration(t, max, 'facebook-ads', {
          adAccountId: `act_90${round}`,
          accessToken: `EAAB-race-token-${round}`,
        });
        const base = `/api/integrations/${integration.id}`;
        const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const answers = await Promise.all([
          t.http.delete(base).set('authorization', maxAdmin),
          later(round % 3).then(() => t.http.post(`${base}/sync`).set('authorization', maxAdmin)),
          t.http.post(`${base}/sync`).set('authorization', maxAdmin),
          t.http.post(`${base}/rotate-webhook-secret`).set('authorization', maxAdmin),
          t.http.post(`${base}/disconnect`).set('authorization', maxAdmin),
          t.http.patch(base).set('authorization', maxAdmin).send({ name: 'Renamed' }),
          t.http.post(`${base}/events/replay-failed`).set('authorization', maxAdmin),
          t.http.get(`${base}/health`).set('authorization', maxAdmin),
        ]);
        const labels = ['delete', 'sync later', 'sync', 'rotate', 'disconnect', 'patch', 'replay-failed', 'health'];
        const unclean = answers
          .map((a, i) => ({ request: labels[i], status: a.status, code: a.body?.code as string | undefined }))
          .filter((a) => !clean.includes(a.status));
        expect(unclean).toEqual([]);
      }
    });
  });
});

describe('concurrent requests on an OAuth connection', () => {
  const CRM = 'https://crm.example.test/integrations/connected';
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      onToken: (token, grant) => {
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    fakes.ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [] } }));
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'OAuth race');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), ghlAuth.close()]);
  });

  it('disconnect racing a connection test: a disconnected integration never comes back active without its tokens', async () => {
    for (let round = 0; round < 6; round++) {
      const id = await connectGhlOAuth(t, ghlAuth, sub, CRM, `loc_race_${round}`);
      const [tested, disconnected] = await Promise.all([
        t.http.post(`/api/integrations/${id}/test`).set('authorization', admin),
        new Promise((resolve) => setTimeout(resolve, round % 3)).then(() =>
          t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin),
        ),
      ]);
      expect([200, 409, 422]).toContain(tested.status);
      expect(disconnected.status).toBe(200);
      const after = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      // the test either finished before the disconnect, or found the tokens gone (error), or was refused
      expect(['disconnected', 'error']).toContain(after.body.status);
    }
  });

  it('OAuth start racing a DELETE of the integration: 200 or 404, never 500', async () => {
    for (let round = 0; round < 10; round++) {
      const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: `loc_gone_${round}` });
      const start = () =>
        t.http.post(`/api/integrations/${id}/oauth/start`).set('authorization', admin).send({ redirectUri: CRM });
      const answers = await Promise.all([
        start(),
        t.http.delete(`/api/integrations/${id}`).set('authorization', admin),
        new Promise((resolve) => setTimeout(resolve, round % 3)).then(start),
      ]);
      for (const a of answers) expect([200, 204, 404]).toContain(a.status);
    }
  });

  it('the same OAuth callback twice at once (a reloaded tab): one connection, the other refused as used', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_twice' });
    const start = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    const path = ghlAuth.consent(start.body.authorizationUrl, { locationId: 'loc_twice' }).path;
    const [a, b] = await Promise.all([t.http.get(path), t.http.get(path)]);
    expect([a.status, b.status].sort()).toEqual([302, 400]);
    const after = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(after.body.status).toBe('active');
  });
});
