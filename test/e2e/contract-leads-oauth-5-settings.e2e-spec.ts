// Part of API.md contract audit 5 (header in contract-leads-oauth-5.e2e-spec.ts): sub-account settings and OAuth
// connections; the shared setup is in test/support/contract-leads-oauth-5-setup.ts.
import { createIntegration } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { TestApp } from '../support/test-app';
import { Audit5Fixture, audit5Helpers, CRM, setupAudit5 } from '../support/contract-leads-oauth-5-setup';

describe('API.md contract audit 5: leads, sub-account settings, OAuth (black box)', () => {
  let fx: Audit5Fixture;
  let t: TestApp;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  let agent: string;
  const { expectRefused } = audit5Helpers(() => fx);

  beforeAll(async () => {
    fx = await setupAudit5();
    ({ t, ghlAuth, sub, admin, agent } = fx);
  });
  afterAll(() => fx?.close());

  describe('Sub-account settings', () => {
    it('timezone: IANA names in any letter case come back as the tz database spells them; others 400 naming it', async () => {
      const ok = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', admin)
        .send({ timezone: 'america/sao_paulo' });
      expect([ok.status, ok.body.timezone]).toEqual([200, 'America/Sao_Paulo']);
      for (const timezone of ['', '  ', '+05:30', 'GMT+5', 'Europe', 'America/Nowhere', 5, null, 'UTC '.repeat(20)]) {
        const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone });
        expect([JSON.stringify(timezone), res.status, res.body.code]).toEqual([
          JSON.stringify(timezone),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details)).toContain('timezone');
      }
      const get = await t.http.get(`/api/sub-accounts/${sub}`).set('authorization', agent);
      expect(get.body.timezone).toBe('America/Sao_Paulo');
    });

    it('funnelStages: refuses empty, unknown, lower-case, repeated, non-array or null; keeps the order given', async () => {
      for (const funnelStages of [
        [],
        ['NEW', 'WON'],
        ['new', 'contacted'],
        ['CONTACTED', 'CONTACTED'],
        'NEW,CONTACTED',
        null,
        [1, 2],
      ]) {
        const res = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ funnelStages });
        expect([JSON.stringify(funnelStages), res.status, res.body.code]).toEqual([
          JSON.stringify(funnelStages),
          400,
          'VALIDATION_FAILED',
        ]);
        expect(JSON.stringify(res.body.details)).toContain('funnelStages');
      }
      const ok = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', admin)
        .send({ funnelStages: ['NEW', 'LOST', 'CONVERTED'] });
      expect([ok.status, ok.body.funnelStages]).toEqual([200, ['NEW', 'LOST', 'CONVERTED']]);
    });

    it('an AGENT may not change settings (403); a super-admin on a sub-account that does not exist gets 404', async () => {
      const byAgent = await t.http
        .patch(`/api/sub-accounts/${sub}`)
        .set('authorization', agent)
        .send({ timezone: 'UTC' });
      expect([byAgent.status, byAgent.body.code]).toEqual([403, 'FORBIDDEN']);
      const missing = await t.http
        .patch('/api/sub-accounts/987654')
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({ timezone: 'UTC' });
      expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
      const bad = await t.http.patch('/api/sub-accounts/abc').set('authorization', admin).send({ timezone: 'UTC' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('OAuth connections', () => {
    let id: number;
    beforeAll(async () => {
      ({ id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_AUDIT5' }));
    });

    async function start(
      redirectUri: string,
      auth = admin,
    ): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await t.http
        .post(`/api/integrations/${id}/oauth/start`)
        .set('authorization', auth)
        .send({ redirectUri });
      return { status: res.status, body: res.body as Record<string, unknown> };
    }

    it('start: an AGENT is 403, a missing or non-URL redirectUri 400 naming it, an unknown integration 404', async () => {
      expect((await start(CRM, agent)).body.code).toBe('FORBIDDEN');
      expect((await start(CRM, agent)).status).toBe(403);
      for (const redirectUri of [undefined, 42, '', 'javascript:alert(1)', 'crm.example.test/integrations/connected']) {
        const res = await t.http
          .post(`/api/integrations/${id}/oauth/start`)
          .set('authorization', admin)
          .send(redirectUri === undefined ? {} : { redirectUri });
        expectRefused({ status: res.status, body: res.body as Record<string, unknown> }, 'redirectUri');
      }
      const missing = await t.http
        .post('/api/integrations/987654/oauth/start')
        .set('authorization', admin)
        .send({ redirectUri: CRM });
      expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('callback: redirects to the redirectUri with integrationId, status and code; keeps the CRM’s own query', async () => {
      const started = await start(`${CRM}?tab=crm&integrationId=999`);
      expect(started.status).toBe(200);
      const { path } = ghlAuth.consent(String(started.body.authorizationUrl), { locationId: 'loc_AUDIT5' });
      const back = await t.http.get(path);
      expect(back.status).toBe(302);
      const url = new URL(String(back.headers.location));
      expect(url.origin + url.pathname).toBe(CRM);
      expect(url.searchParams.get('tab')).toBe('crm');
      expect(url.searchParams.getAll('integrationId')).toEqual([String(id)]);
      expect(url.searchParams.get('status')).toBe('active');
      // a second use of the same state: 400 in the one error shape, never a redirect
      const replay = await t.http.get(path);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: expect.any(Array),
      });
    });

    it('state: lives 10 minutes', async () => {
      const started = await start(CRM);
      const state = new URL(String(started.body.authorizationUrl)).searchParams.get('state');
      expect(state).toBeTruthy();
      const rows = await t.sql.query<{ s: number }>(
        'SELECT extract(epoch FROM expires_at - created_at)::int AS s FROM oauth_states ORDER BY created_at DESC LIMIT 1',
      );
      expect(rows.rows[0].s).toBe(600);
    });
  });
});
