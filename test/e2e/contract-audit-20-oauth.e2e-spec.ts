/**
 * Audit 20 (OAuth connections, second pass): API.md "OAuth connections" read by an admin whose reconnect
 * fails or is misdirected, by a key rotation that re-seals tokens while a rotating refresh is in flight,
 * and by a browser (or attacker) that sends the callback garbage.
 */
import { createIntegration } from '../support/factories';
import { connectGhlOAuth } from '../support/oauth';
import { OAuthTokensService } from '../../src/modules/integrations/oauth-tokens.service';
import { AUDIT17_CRM, Audit17OAuthFixture, setupAudit17OAuth } from '../support/contract-audit-17-oauth-setup';

describe('audit 20: OAuth connections', () => {
  let fx: Audit17OAuthFixture;

  beforeAll(async () => {
    fx = await setupAudit17OAuth();
  });
  afterAll(() => fx?.close());

  const calendars = (id: number) =>
    fx.t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', fx.admin);
  const get = async (id: number): Promise<{ status: string; isActive: boolean; errorMessage: string | null }> =>
    (await fx.t.http.get(`/api/integrations/${id}`).set('authorization', fx.admin)).body;
  const stored = async (id: number): Promise<string | null> =>
    (await fx.t.sql.query<{ t: string | null }>('SELECT oauth_tokens AS t FROM integrations WHERE id = $1', [id]))
      .rows[0].t;
  const start = async (id: number): Promise<string> => {
    const res = await fx.t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', fx.admin)
      .send({ redirectUri: AUDIT17_CRM });
    expect(res.status).toBe(200);
    return res.body.authorizationUrl;
  };
  const outcome = (location: string): URLSearchParams => new URL(location).searchParams;

  it('a failed reconnect of a working integration leaves its tokens and status alone; the CRM is told status=error', async () => {
    const id = await connectGhlOAuth(fx.t, fx.ghlAuth, fx.sub, AUDIT17_CRM, 'loc_A20_RECONNECT');
    expect(await get(id)).toMatchObject({ status: 'active', isActive: true, errorMessage: null });
    const before = await stored(id);

    // the person installs the app on another location than the integration's: the exchange is refused
    const misdirected = await fx.t.http.get(fx.ghlAuth.consent(await start(id), { locationId: 'loc_A20_OTHER' }).path);
    expect(misdirected.status).toBe(302);
    expect([
      outcome(misdirected.headers.location).get('status'),
      outcome(misdirected.headers.location).get('code'),
    ]).toEqual(['error', 'INVALID_CREDENTIALS']);
    // the person declines consent on a second try
    const state = new URL(await start(id)).searchParams.get('state') ?? '';
    const declined = await fx.t.http.get(
      `/api/oauth/callback/gohighlevel?error=access_denied&state=${encodeURIComponent(state)}`,
    );
    expect(outcome(declined.headers.location).get('status')).toBe('error');

    // the working connection is untouched: same sealed tokens, still active, still calling the provider
    expect(await stored(id)).toBe(before);
    expect(await get(id)).toMatchObject({ status: 'active', isActive: true, errorMessage: null });
    expect((await calendars(id)).status).toBe(200);
    // the failed attempt is on the audit trail, and no token is in it
    const audit = await fx.t.sql.query<{ changes: unknown }>(
      `SELECT changes FROM audit_logs WHERE entity = 'integration' AND entity_id = $1 AND action = 'integration.oauth.failed'`,
      [String(id)],
    );
    expect(audit.rows).toHaveLength(1);
    for (const token of fx.issued) expect(JSON.stringify(audit.rows)).not.toContain(token);

    // a disconnected one stays disconnected (as after a failed connection test)
    expect((await fx.t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', fx.admin)).status).toBe(
      200,
    );
    await fx.t.http.get(fx.ghlAuth.consent(await start(id), { locationId: 'loc_A20_OTHER' }).path);
    expect(await get(id)).toMatchObject({ status: 'disconnected', isActive: false });

    // an integration that was not working yet still shows why its connection failed
    const { id: fresh } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A20_FRESH' });
    await fx.t.http.get(fx.ghlAuth.consent(await start(fresh), { locationId: 'loc_A20_ELSEWHERE' }).path);
    expect(await get(fresh)).toMatchObject({
      status: 'error',
      errorMessage: expect.stringContaining('OAuth connection failed'),
    });
  });

  it('tokens re-sealed (key rotation) while a rotating refresh is in flight: the new refresh token is kept, the connection survives', async () => {
    const id = await connectGhlOAuth(fx.t, fx.ghlAuth, fx.sub, AUDIT17_CRM, 'loc_A20_RESEAL');
    const expire = () =>
      fx.t.sql.query(`UPDATE integrations SET oauth_expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
    const tokens = fx.t.app.get(OAuthTokensService);
    await expire();
    const hold = fx.ghlAuth.holdNextRefresh();
    const call = calendars(id).then((res) => res);
    await hold.arrived;
    // what secrets:rotate (or any change of a row on an older key) does to the OAuth column meanwhile:
    // the same tokens, sealed again
    const sealed = await stored(id);
    if (sealed === null) throw new Error('no tokens stored');
    const resealed = tokens.seal(id, tokens.open(id, sealed));
    expect(resealed).not.toBe(sealed);
    await fx.t.sql.query('UPDATE integrations SET oauth_tokens = $2 WHERE id = $1', [id, resealed]);
    hold.release();
    expect((await call).status).toBe(200);

    // the refresh's result was stored: the single-use refresh token it spent is not what is kept
    const after = await stored(id);
    if (after === null) throw new Error('tokens dropped');
    expect(tokens.open(id, after).refreshToken).not.toBe(tokens.open(id, sealed).refreshToken);
    // and the next refresh works with it
    await expire();
    const next = await calendars(id);
    expect([next.status, next.body.code]).toEqual([200, undefined]);
    expect(await get(id)).toMatchObject({ status: 'active' });
  });

  it('callback garbage (repeated parameters, an error with a code) never answers 500 nor leaks anything', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A20_GARBAGE' });
    const state = new URL(await start(id)).searchParams.get('state') ?? '';
    const repeatedState = await fx.t.http.get(
      `/api/oauth/callback/gohighlevel?code=a&state=${encodeURIComponent(state)}&state=${encodeURIComponent(state)}`,
    );
    expect([repeatedState.status, repeatedState.body.code]).toEqual([400, 'VALIDATION_FAILED']);

    const url = new URL(await start(id));
    const { code } = fx.ghlAuth.consent(url.toString(), { locationId: 'loc_A20_GARBAGE' });
    const s = url.searchParams.get('state') ?? '';
    const repeatedCode = await fx.t.http.get(
      `/api/oauth/callback/gohighlevel?code=${code}&code=${code}&state=${encodeURIComponent(s)}`,
    );
    expect(repeatedCode.status).toBe(302);
    const back = new URL(repeatedCode.headers.location);
    expect(back.origin + back.pathname).toBe(AUDIT17_CRM);
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'integrationId', 'status']);

    const url2 = new URL(await start(id));
    const consent = fx.ghlAuth.consent(url2.toString(), { locationId: 'loc_A20_GARBAGE' });
    const withError = await fx.t.http.get(`${consent.path}&error=access_denied`);
    expect(withError.status).toBe(302);
    expect(outcome(withError.headers.location).get('status')).toBe('error');
    expect(await stored(id)).toBeNull();
    for (const token of fx.issued)
      expect(JSON.stringify([repeatedState.body, repeatedCode.headers, withError.headers])).not.toContain(token);
  });
  it('an integration disconnected while the callback tests it: the person is still sent back (status=error, CONFLICT), never left on an API error', async () => {
    const location = 'loc_A20_DISCONNECT_RACE';
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: location });
    let arrive = (): void => undefined;
    let release = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // the connection test's location read waits until the admin has disconnected
    fx.fakes.ghl.on('GET', `/locations/${location}`, async () => {
      arrive();
      await released;
      return { status: 200, body: { location: { id: location, name: 'Race' } } };
    });
    const callback = fx.t.http.get(fx.ghlAuth.consent(await start(id), { locationId: location }).path).then((r) => r);
    await arrived;
    const disconnected = await fx.t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', fx.admin);
    expect(disconnected.status).toBe(200);
    release();
    const back = await callback;
    expect(back.status).toBe(302);
    const params = outcome(back.headers.location);
    expect([params.get('integrationId'), params.get('status'), params.get('code')]).toEqual([
      String(id),
      'error',
      'CONFLICT',
    ]);
    expect(await get(id)).toMatchObject({ status: 'disconnected', isActive: false });
    expect(await stored(id)).toBeNull();
  });
});
