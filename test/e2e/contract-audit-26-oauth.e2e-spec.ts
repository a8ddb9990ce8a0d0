/**
 * Audit 26 (OAuth connections, third pass): API.md "OAuth connections" probed by roles and tenants that may not
 * start a connection, by bodies with fields the contract does not know, and by callbacks whose state was issued
 * for another provider or was already spent.
 */
import { createIntegration, createSubAccount } from '../support/factories';
import { AUDIT17_CRM, Audit17OAuthFixture, setupAudit17OAuth } from '../support/contract-audit-17-oauth-setup';

describe('audit 26: OAuth connections', () => {
  let fx: Audit17OAuthFixture;

  beforeAll(async () => {
    fx = await setupAudit17OAuth();
  });
  afterAll(() => fx?.close());

  const startAs = (id: number, auth: string, body: Record<string, unknown>) =>
    fx.t.http.post(`/api/integrations/${id}/oauth/start`).set('authorization', auth).send(body);

  it('only an ADMIN of the integration tenant may start; unknown body fields are refused', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A26_ROLES' });
    const manager = `Bearer ${fx.t.token('MANAGER', [fx.sub])}`;
    const agent = `Bearer ${fx.t.token('AGENT', [fx.sub])}`;
    expect((await startAs(id, manager, { redirectUri: AUDIT17_CRM })).status).toBe(403);
    expect((await startAs(id, agent, { redirectUri: AUDIT17_CRM })).status).toBe(403);

    const other = await createSubAccount(fx.t, 'MAX', 'Audit 26 other tenant');
    const otherAdmin = `Bearer ${fx.t.token('ADMIN', [other])}`;
    expect((await startAs(id, otherAdmin, { redirectUri: AUDIT17_CRM })).status).toBe(404);

    const extra = await startAs(id, fx.admin, { redirectUri: AUDIT17_CRM, scope: 'everything' });
    expect(extra.status).toBe(400);
    expect(typeof extra.body.message === 'string' || Array.isArray(extra.body.message)).toBe(true);
    expect((await startAs(id, fx.admin, {})).status).toBe(400);

    const ok = await startAs(id, fx.admin, { redirectUri: AUDIT17_CRM });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(['authorizationUrl']);
    expect(new URL(ok.body.authorizationUrl).searchParams.get('state')).toBeTruthy();
  });

  it('a state issued for one provider is refused at another provider callback and connects nothing', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A26_CROSS' });
    const url = (await startAs(id, fx.admin, { redirectUri: AUDIT17_CRM })).body.authorizationUrl as string;
    const state = new URL(url).searchParams.get('state') ?? '';
    const cross = await fx.t.http.get(`/api/oauth/callback/meta?code=whatever&state=${encodeURIComponent(state)}`);
    expect(cross.status).toBeGreaterThanOrEqual(400);
    expect(cross.status).toBeLessThan(500);
    expect(JSON.stringify(cross.body ?? {})).not.toContain('whatever');
    const row = await fx.t.sql.query<{ status: string }>('SELECT status FROM integrations WHERE id = $1', [id]);
    expect(row.rows[0].status).not.toBe('active');
  });

  it('a spent state is refused on second use; a callback with no state is a clear 4xx', async () => {
    const { id } = await createIntegration(fx.t, fx.sub, 'gohighlevel', { locationId: 'loc_A26_REPLAY' });
    const url = (await startAs(id, fx.admin, { redirectUri: AUDIT17_CRM })).body.authorizationUrl as string;
    const consent = fx.ghlAuth.consent(url, { locationId: 'loc_A26_REPLAY' }).path;
    const first = await fx.t.http.get(consent);
    expect(first.status).toBe(302);
    expect(new URL(first.headers.location).searchParams.get('status')).toBe('active');
    const again = await fx.t.http.get(consent);
    expect(again.status === 302 ? new URL(again.headers.location).searchParams.get('status') : 'refused').not.toBe(
      'active',
    );
    expect(again.status).not.toBe(500);
    const none = await fx.t.http.get('/api/oauth/callback/gohighlevel?code=abc');
    expect(none.status).toBe(400);
    // tokens never appear in any integration response
    const shown = await fx.t.http.get(`/api/integrations/${id}`).set('authorization', fx.admin);
    for (const token of fx.issued) expect(JSON.stringify(shown.body)).not.toContain(token);
  });
});
