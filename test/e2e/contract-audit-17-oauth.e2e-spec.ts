/**
 * Audit 17 (OAuth connections, ad spend): API.md "OAuth connections" read by the CRM, by an attacker
 * steering the redirect or replaying a state, and by providers whose token endpoint fails or answers
 * garbage, or that refuse a grant nothing can refresh.
 */
import { createIntegration } from '../support/factories';
import { connectGhlOAuth } from '../support/oauth';
import { activate, waitFor } from '../support/webhooks';
import {
  AUDIT17_AD_ACCOUNT,
  AUDIT17_CRM,
  AUDIT17_GOOGLE_CUSTOMER,
  Audit17OAuthFixture,
  setupAudit17OAuth,
} from '../support/contract-audit-17-oauth-setup';

describe('audit 17: OAuth connections and ad spend', () => {
  let fx: Audit17OAuthFixture;

  beforeAll(async () => {
    fx = await setupAudit17OAuth();
  });
  afterAll(() => fx?.close());

  const expire = (id: number) =>
    fx.t.sql.query(`UPDATE integrations SET oauth_expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
  const calendars = (id: number) =>
    fx.t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', fx.admin);
  const test = (id: number) => fx.t.http.post(`/api/integrations/${id}/test`).set('authorization', fx.admin);
  const status = async (id: number): Promise<{ status: string; errorMessage: string | null }> =>
    (await fx.t.http.get(`/api/integrations/${id}`).set('authorization', fx.admin)).body;

  it('a due token whose refresh the token endpoint fails or garbles: 502/422 in the error shape, never 500; the grant survives', async () => {
    const id = await connectGhlOAuth(fx.t, fx.ghlAuth, fx.sub, AUDIT17_CRM, 'loc_A17_REFRESH');
    const cases = [
      { reply: { status: 503, body: { error: 'temporarily_unavailable' } }, code: 'CONNECTION_FAILED', http: 502 },
      {
        reply: { status: 200, raw: '<html>Service moved</html>', headers: { 'content-type': 'text/html' } },
        code: 'CONNECTION_FAILED',
        http: 502,
      },
      { reply: { status: 200, body: { token_type: 'Bearer' } }, code: 'CONNECTION_FAILED', http: 502 },
      { reply: { status: 401, body: { error: 'invalid_client' } }, code: 'INVALID_CREDENTIALS', http: 422 },
    ];
    for (const { reply, code, http } of cases) {
      await expire(id);
      fx.refreshAnswer(reply);
      const passthrough = await calendars(id);
      expect([passthrough.status, passthrough.body.code]).toEqual([http, code]);
      // a connection test reports the failure as a failed test: success false, status error with a message
      const tested = await test(id);
      expect([tested.status, tested.body.code, tested.body.success]).toEqual([http, code, false]);
      const row = await status(id);
      expect(row.status).toBe('error');
      expect(row.errorMessage).toEqual(expect.any(String));
      for (const token of fx.issued) expect(JSON.stringify([passthrough.body, tested.body, row])).not.toContain(token);
    }
    // the provider recovers: the stored (single-use, rotating) refresh token was never spent or dropped
    fx.refreshAnswer(null);
    expect((await calendars(id)).status).toBe(200);
    expect((await test(id)).status).toBe(200);
    expect((await status(id)).status).toBe('active');
  });

  it('redirectUri tricks are refused; spellings of the allow-listed URI send the person back to exactly it', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A17_REDIRECT' });
    const startWith = (redirectUri: string) =>
      fx.t.http.post(`/api/integrations/${id}/oauth/start`).set('authorization', fx.admin).send({ redirectUri });
    const refused = [
      'https://crm.example.test.evil.test/integrations/connected',
      'https://evil.test/crm.example.test/integrations/connected',
      'https://crm.example.test./integrations/connected',
      'https://crm.example.test:8443/integrations/connected',
      'http://crm.example.test/integrations/connected',
      'https://user:pw@crm.example.test/integrations/connected',
      'https://evil.test\\@crm.example.test/integrations/connected',
      'https://crm.example.test%2eevil.test/integrations/connected',
      'https://crm.example.test/integrations/connected/more',
      'https://crm.example.test/integrations/connectedx',
      'https://crm.example.test/integrations/%63onnected',
      'https://crm.example.test/integrations/connected%2f..%2f..%2fevil',
      'javascript:alert(1)//crm.example.test/integrations/connected',
      'data:text/html,https://crm.example.test/integrations/connected',
      '//crm.example.test/integrations/connected',
    ];
    for (const uri of refused) {
      const res = await startWith(uri);
      expect([uri, res.status, res.body.code]).toEqual([uri, 400, 'VALIDATION_FAILED']);
    }
    const spellings = [
      'HTTPS://CRM.EXAMPLE.TEST/integrations/connected',
      'https://crm.example.test:443/integrations/connected',
      'https://crm.example.test/integrations/x/../connected',
      'https://crm.example.test\\integrations\\connected#fragment',
    ];
    for (const uri of spellings) {
      const start = await startWith(uri);
      expect([uri, start.status]).toEqual([uri, 200]);
      const { path } = fx.ghlAuth.consent(start.body.authorizationUrl, { locationId: 'loc_A17_REDIRECT' });
      const back = new URL(String((await fx.t.http.get(path)).headers.location));
      expect([uri, back.origin + back.pathname]).toEqual([uri, AUDIT17_CRM]);
    }
  });

  it('two callbacks with one state at once: exactly one is exchanged and redirected, the other is refused', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A17_TWICE' });
    const start = await fx.t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', fx.admin)
      .send({ redirectUri: AUDIT17_CRM });
    const { path } = fx.ghlAuth.consent(start.body.authorizationUrl, { locationId: 'loc_A17_TWICE' });
    const exchanges = fx.ghlAuth.tokenCalls('authorization_code');
    const answers = await Promise.all([fx.t.http.get(path), fx.t.http.get(path)]);
    expect(answers.map((a) => a.status).sort()).toEqual([302, 400]);
    expect(fx.ghlAuth.tokenCalls('authorization_code') - exchanges).toBe(1);
    const back = answers.find((a) => a.status === 302)?.headers.location ?? '';
    expect(new URL(back).searchParams.get('status')).toBe('active');
    for (const a of answers) expect(JSON.stringify([a.headers.location ?? '', a.body])).not.toMatch(/code-gohighlevel/);
  });

  it('a refresh answered with an expires_in no date can hold keeps the new tokens (no 500, no lost rotating refresh token)', async () => {
    const id = await connectGhlOAuth(fx.t, fx.ghlAuth, fx.sub, AUDIT17_CRM, 'loc_A17_EXPIRY');
    for (const expiresIn of [1e300, '99999999999999999999']) {
      await expire(id);
      const access = `at-a17-huge-${fx.issued.length}`;
      fx.issued.push(access);
      fx.fakes.location(access, 'loc_A17_EXPIRY');
      fx.refreshAnswer({
        status: 200,
        body: { access_token: access, refresh_token: `rt-${access}`, expires_in: expiresIn },
      });
      const passthrough = await calendars(id);
      expect(passthrough.status).toBe(200);
      expect(fx.fakes.ghl.requests.at(-1)?.headers.authorization).toBe(`Bearer ${access}`);
      const stored = await fx.t.sql.query('SELECT oauth_expires_at FROM integrations WHERE id = $1', [id]);
      expect(stored.rows[0].oauth_expires_at).toBeNull();
    }
    fx.refreshAnswer(null);
  });

  /** A sync run of `id` to its end: its status and error. */
  const syncRun = async (id: number): Promise<{ status: string; error: string | null }> => {
    const started = await fx.t.http.post(`/api/integrations/${id}/sync`).set('authorization', fx.admin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const run = (await fx.t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]))
          .rows[0];
        return run && run.status !== 'RUNNING' ? run : undefined;
      },
      30_000,
      'sync run',
    );
  };

  it('a Meta token the person revoked (Graph 190; Meta has no refresh grant): status error with REAUTHORIZATION_REQUIRED, no further calls', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'facebook-ads', { adAccountId: AUDIT17_AD_ACCOUNT });
    const start = await fx.t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', fx.admin)
      .send({ redirectUri: AUDIT17_CRM });
    const back = await fx.t.http.get(fx.metaAuth.consent(start.body.authorizationUrl).path);
    expect(new URL(back.headers.location).searchParams.get('status')).toBe('active');
    expect(await syncRun(id)).toEqual({ status: 'SUCCEEDED', error: null });

    // the person removes the app at Meta: every token of the grant is refused with code 190
    fx.metaLive.clear();
    const failed = await syncRun(id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/^REAUTHORIZATION_REQUIRED/);
    const row = await status(id);
    expect(row.status).toBe('error');
    expect(row.errorMessage).toMatch(/^REAUTHORIZATION_REQUIRED/);
    const stored = await fx.t.sql.query('SELECT oauth_tokens FROM integrations WHERE id = $1', [id]);
    expect(stored.rows[0].oauth_tokens).toBeNull();
    // nothing calls Meta with the dead grant again
    const calls = fx.fakes.graph.requests.length;
    expect((await syncRun(id)).error).toMatch(/^REAUTHORIZATION_REQUIRED/);
    const tested = await test(id);
    expect([tested.status, tested.body.code, tested.body.success]).toEqual([422, 'INVALID_CREDENTIALS', false]);
    expect(tested.body.message).toMatch(/^REAUTHORIZATION_REQUIRED/);
    expect(fx.fakes.graph.requests.length).toBe(calls);
  });

  it('Google Ads spend with a pasted refresh token Google refused (invalid_grant): the run fails and the integration is error with INVALID_CREDENTIALS', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'google-ads-lead-forms', {
      googleKey: 'gkey-a17-0001',
      customerId: AUDIT17_GOOGLE_CUSTOMER,
      developerToken: 'dev-token-a17',
      clientId: 'gads-client-a17',
      clientSecret: 'gads-secret-a17',
      refreshToken: fx.googleAuth.grant(),
    });
    await activate(fx.t, fx.sub, id);
    expect(await syncRun(id)).toEqual({ status: 'SUCCEEDED', error: null });

    // the person revoked the app's access at Google: the pasted refresh token answers invalid_grant
    fx.googleAuth.revokeAll = true;
    try {
      const failed = await syncRun(id);
      expect(failed.status).toBe('FAILED');
      const row = await status(id);
      expect(row.status).toBe('error');
      expect(row.errorMessage).toMatch(/^INVALID_CREDENTIALS: .*refresh token/);
      expect(row.errorMessage).not.toContain('gads-secret-a17');
    } finally {
      fx.googleAuth.revokeAll = false;
    }
  });
});
