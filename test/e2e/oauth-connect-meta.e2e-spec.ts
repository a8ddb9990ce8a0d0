// Part of the "Connect with …" flows (header in oauth-connect.e2e-spec.ts): Meta (page token, the hub app's secret,
// a person without the page, permissions revoked with the last integration) and WhatsApp through Facebook Login.
import { createHmac } from 'node:crypto';
import { createIntegration } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { TestApp } from '../support/test-app';
import { metaLeadgen, metaSignature } from '../support/webhooks';
import {
  META_APP_SECRET,
  OAuthConnectFixture,
  oauthHelpers,
  outcome,
  setupOAuthConnect,
  WHATSAPP_PHONE,
} from '../support/oauth-connect-setup';

describe('OAuth connections: connect flows', () => {
  let fx: OAuthConnectFixture;
  let t: TestApp;
  let fakes: ProviderFakes;
  let metaAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  let issued: string[];
  /** The Facebook person whose consent comes next (their app-scoped id answers GET /me). */
  let metaPerson = 'fb-person-1';
  const { start, integration } = oauthHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupOAuthConnect(() => metaPerson);
    ({ t, fakes, metaAuth, sub, admin, issued } = fx);
  });
  afterAll(() => fx?.close());

  it('Meta: code → user token → long-lived token → page token (appsecret_proof), tested against the page', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '777000111',
      appSecret: META_APP_SECRET,
      verifyToken: 'verify-oauth-1',
    });
    const authorizationUrl = await start(id);
    expect(new URL(authorizationUrl).searchParams.get('scope')).toContain('leads_retrieval');
    const { path } = metaAuth.consent(authorizationUrl);
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    expect(metaAuth.tokenCalls()).toBe(2); // the code, then fb_exchange_token
    const pageRead = fakes.graph.requests.find((r) => r.query.get('fields') === 'access_token');
    expect(pageRead?.query.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
    const body = await integration(id);
    expect(body.status).toBe('active');
    expect((body.config as Record<string, unknown>).pageAccessToken).toBeUndefined();
  });

  it("WhatsApp without META_WHATSAPP_CONFIG_ID: Facebook Login with the WhatsApp scopes, the person's long-lived token with its expiry, the WABA subscribed with it, unsubscribed and revoked on disconnect", async () => {
    metaPerson = 'fb-person-whatsapp';
    const { id } = await createIntegration(t, sub, 'whatsapp-cloud', {
      phoneNumberId: WHATSAPP_PHONE,
      wabaId: '102290129349001',
      verifyToken: 'verify-oauth-wa',
    });
    const authorizationUrl = new URL(await start(id));
    expect(authorizationUrl.searchParams.get('scope')).toBe(
      'whatsapp_business_management,whatsapp_business_messaging,business_management',
    );
    expect(authorizationUrl.searchParams.has('config_id')).toBe(false);
    const before = metaAuth.tokenCalls();
    const back = await t.http.get(metaAuth.consent(authorizationUrl.toString()).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    expect(metaAuth.tokenCalls() - before).toBe(2); // the code, then fb_exchange_token
    const stored = await t.sql.query<{ oauth_expires_at: Date | null }>(
      'SELECT oauth_expires_at FROM integrations WHERE id = $1',
      [id],
    );
    // the long-lived user token's ~60 days (the fake answers 5183944 s)
    expect(stored.rows[0].oauth_expires_at?.getTime()).toBeGreaterThan(Date.now() + 59 * 86_400_000);
    // Meta delivers a WABA's webhooks only to apps subscribed to it: subscribed with the person's token
    const subscriptions = fakes.graph.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/subscribed_apps'),
    );
    expect(subscriptions.map((r) => r.path)).toEqual(['/102290129349001/subscribed_apps']);
    const token = String(subscriptions[0].headers.authorization).replace(/^Bearer /, '');
    expect(issued).toContain(token);
    expect(subscriptions[0].query.get('appsecret_proof')).toBe(
      createHmac('sha256', META_APP_SECRET).update(token).digest('hex'),
    );
    const revokes = () =>
      fakes.graph.requests.filter((r) => r.method === 'DELETE' && r.path === '/me/permissions').length;
    const revoked = revokes();
    const from = fakes.graph.requests.length;
    await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(revoked + 1);
    // the app unsubscribed from the WABA with the same token, before the revocation ends that token
    const made = fakes.graph.requests.slice(from).filter((r) => r.method === 'DELETE');
    expect(made.map((r) => r.path)).toEqual(['/102290129349001/subscribed_apps', '/me/permissions']);
    expect(made[0].headers.authorization).toBe(`Bearer ${token}`);
    expect(made[0].query.get('appsecret_proof')).toBe(
      createHmac('sha256', META_APP_SECRET).update(token).digest('hex'),
    );
  });

  it('Meta: a person without access to the configured page ends in status=error', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '888000222',
      appSecret: META_APP_SECRET,
      verifyToken: 'verify-oauth-2',
    });
    const { path } = metaAuth.consent(await start(id));
    const back = await t.http.get(path);
    expect(outcome(back.headers.location).get('status')).toBe('error');
  });

  it('Meta Lead Ads connected through the hub app needs no pasted app secret: META_APP_SECRET verifies its deliveries, never stored or returned', async () => {
    const { id } = await createIntegration(t, sub, 'meta-lead-ads', {
      pageId: '777000333',
      verifyToken: 'verify-oauth-3',
    });
    // not connected yet and nothing pasted: the test names what OAuth (or a person) must fill
    const early = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
    expect(early.status).toBe(422);
    expect(JSON.stringify(early.body)).toContain('/appSecret');
    metaPerson = 'fb-person-3';
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    // the page read was proven with the hub's secret, which stays in the environment
    const stored = await t.sql.query<{ config: Record<string, unknown> }>(
      'SELECT config FROM integrations WHERE id = $1',
      [id],
    );
    expect(stored.rows[0].config.appSecret).toBeUndefined();
    expect(JSON.stringify(await integration(id))).not.toContain(META_APP_SECRET);
    const delivery = metaLeadgen('777000333', ['7303001']);
    const accepted = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(delivery, META_APP_SECRET))
      .send(delivery);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('received');
    const forged = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(delivery, 'some-other-app-secret'))
      .send(delivery);
    expect(forged.status).toBe(401);
    expect(t.logs()).not.toContain(META_APP_SECRET);
  });

  it('Meta: DELETE /me/permissions only when no other live integration was connected by the same person', async () => {
    const revokes = () =>
      fakes.graph.requests.filter((r) => r.method === 'DELETE' && r.path === '/me/permissions').length;
    metaPerson = 'fb-person-5';
    const ids: number[] = [];
    for (const [pageId, verifyToken] of [
      ['777000444', 'verify-oauth-4'],
      ['777000555', 'verify-oauth-5'],
    ]) {
      const { id } = await createIntegration(t, sub, 'meta-lead-ads', { pageId, verifyToken });
      const back = await t.http.get(metaAuth.consent(await start(id)).path);
      expect(outcome(back.headers.location).get('status')).toBe('active');
      ids.push(id);
    }
    const before = revokes();
    await t.http.post(`/api/integrations/${ids[0]}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(before);
    await t.http.post(`/api/integrations/${ids[1]}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(before + 1);
  });
});
