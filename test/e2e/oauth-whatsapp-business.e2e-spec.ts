// WhatsApp connected through Facebook Login for Business (META_WHATSAPP_CONFIG_ID): the dialog asks for
// the configuration instead of scopes, the code is exchanged once for the business's non-expiring
// system-user token (no fb_exchange_token), the app is subscribed to the WABA's webhooks (and
// unsubscribed on disconnect), and the number is tested with the token, all against fakes on 127.0.0.1.
import { createHmac } from 'node:crypto';
import { IntegrationsRepository } from '../../src/modules/integrations/integrations.repository';
import { OAuthTokensService } from '../../src/modules/integrations/oauth-tokens.service';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeRequest } from '../support/fake-server';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';

const CRM = 'https://crm.example.test/integrations/connected';
const CALLBACK = 'https://hub.example.test/api/oauth/callback/meta';
const META_APP_SECRET = 'meta-app-secret-business-1';
const CONFIG_ID = '918273645546372';
/** A WhatsApp Business Account the connecting business did not share with the app. */
const UNSHARED_WABA = '990000000000009';

describe('OAuth connections: WhatsApp through Facebook Login for Business', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let metaAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const issued: string[] = [];
  /** POST /<waba>/subscribed_apps calls that Meta accepted: the WABA and the token they were made with. */
  const subscribed: Array<{ wabaId: string; token: string }> = [];
  /** DELETE /<waba>/subscribed_apps calls that Meta accepted. */
  const unsubscribed: Array<{ wabaId: string; token: string }> = [];

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    metaAuth = await FakeOAuthServer.start({
      flavour: 'meta',
      clientId: 'meta-app',
      clientSecret: META_APP_SECRET,
      onToken: (token) => {
        issued.push(token);
        for (const phone of ['106540352240001', '106540352240002', '106540352240003', '106540352240004'])
          fakes.number(token, phone);
        // a person's user token answers GET /me (one person per token: no grant shared between these
        // integrations keeps a revocation back); the business's system-user token does not answer it here
        if (!token.startsWith('EAAsystem-')) fakes.pageAdmin(token, '777000901', META_APP_SECRET, `person-${token}`);
      },
    });
    // Graph's subscribed_apps edge: the token of the business that shared the WABA, with appsecret_proof
    fakes.graph.on('POST', /^\/\d+\/subscribed_apps$/, (req: FakeRequest) => {
      const wabaId = req.path.split('/')[1];
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issued.includes(token))
        return { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } };
      if (req.query.get('appsecret_proof') !== createHmac('sha256', META_APP_SECRET).update(token).digest('hex'))
        return { status: 400, body: { error: { message: 'Invalid appsecret_proof', code: 100 } } };
      if (wabaId === UNSHARED_WABA)
        return {
          status: 400,
          body: { error: { message: '(#200) Permissions error', type: 'OAuthException', code: 200 } },
        };
      subscribed.push({ wabaId, token });
      return { status: 200, body: { success: true } };
    });
    fakes.graph.on('DELETE', /^\/\d+\/subscribed_apps$/, (req: FakeRequest) => {
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issued.includes(token))
        return { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } };
      if (req.query.get('appsecret_proof') !== createHmac('sha256', META_APP_SECRET).update(token).digest('hex'))
        return { status: 400, body: { error: { message: 'Invalid appsecret_proof', code: 100 } } };
      unsubscribed.push({ wabaId: req.path.split('/')[1], token });
      return { status: 200, body: { success: true } };
    });
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        META_APP_ID: 'meta-app',
        META_APP_SECRET,
        META_OAUTH_TOKEN_URL: `${metaAuth.url}/oauth/access_token`,
        META_WHATSAPP_CONFIG_ID: CONFIG_ID,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Business login');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), metaAuth.close()]);
  });

  async function start(id: number): Promise<string> {
    const res = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    expect(res.status).toBe(200);
    return res.body.authorizationUrl as string;
  }

  /** A WhatsApp integration created to be connected: no token or app secret pasted. */
  const whatsapp = (phoneNumberId: string, wabaId: string) =>
    createIntegration(t, sub, 'whatsapp-cloud', { phoneNumberId, wabaId, verifyToken: `verify-${phoneNumberId}` });

  const outcome = (location: string | undefined) => new URL(String(location)).searchParams;
  const exchanges = () => metaAuth.server.requests.filter((r) => r.path === '/oauth/access_token');
  const stored = async (id: number) =>
    (
      await t.sql.query<{
        oauth_provider: string | null;
        oauth_tokens: string | null;
        oauth_expires_at: Date | null;
        oauth_grant_key: string | null;
        status: string;
        error_message: string | null;
      }>(
        'SELECT oauth_provider, oauth_tokens, oauth_expires_at, oauth_grant_key, status::text AS status, error_message FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('the dialog asks for the configuration (config_id, response_type=code), with no scope; Lead Ads still asks for scopes', async () => {
    const { id } = await whatsapp('106540352240001', '102290129340001');
    const url = new URL(await start(id));
    expect(url.searchParams.get('config_id')).toBe(CONFIG_ID);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('override_default_response_type')).toBe('true');
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('client_id')).toBe('meta-app');
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);

    // the configuration is WhatsApp's: other Meta handlers keep Facebook Login with their scopes
    const leadAds = await createIntegration(t, sub, 'meta-lead-ads', { pageId: '777000901', verifyToken: 'v-901' });
    const other = new URL(await start(leadAds.id));
    expect(other.searchParams.has('config_id')).toBe(false);
    expect(other.searchParams.get('scope')).toContain('leads_retrieval');
  });

  it('callback: one code exchange and no fb_exchange_token; the non-expiring business token is stored sealed, the app subscribed to the WABA and the number tested with it', async () => {
    const wabaId = '102290129340002';
    const { id } = await whatsapp('106540352240002', wabaId);
    const before = exchanges().length;
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(back.status).toBe(302);
    const params = outcome(back.headers.location);
    expect(params.get('status')).toBe('active');
    expect(params.get('integrationId')).toBe(String(id));

    const made = exchanges().slice(before);
    expect(made).toHaveLength(1);
    expect(made[0].query.get('code')).toMatch(/^code-meta-/);
    expect(made[0].query.get('redirect_uri')).toBe(CALLBACK);
    expect(made[0].query.get('client_secret')).toBe(META_APP_SECRET);
    expect(metaAuth.server.requests.some((r) => r.query.get('grant_type') === 'fb_exchange_token')).toBe(false);

    const row = await stored(id);
    expect(row.oauth_provider).toBe('meta');
    expect(row.oauth_expires_at).toBeNull();
    expect(row.oauth_tokens).toMatch(/^enc:v2:/);
    // the system user does not answer /me here: the grant is named by the token, hashed
    expect(row.oauth_grant_key).toMatch(/^[0-9a-f]{64}$/);
    const tokens = t.app.get(OAuthTokensService).open(id, row.oauth_tokens ?? '');
    expect(tokens).toEqual({ accessToken: expect.stringMatching(/^EAAsystem-/), systemUser: true });

    expect(subscribed).toContainEqual({ wabaId, token: tokens.accessToken });
    const numberRead = fakes.graph.requests.find(
      (r) =>
        r.method === 'GET' &&
        r.path === '/106540352240002' &&
        r.headers.authorization === `Bearer ${tokens.accessToken}`,
    );
    expect(numberRead?.query.get('appsecret_proof')).toBe(
      createHmac('sha256', META_APP_SECRET).update(tokens.accessToken).digest('hex'),
    );

    const body = (await t.http.get(`/api/integrations/${id}`).set('authorization', admin)).body as Record<
      string,
      unknown
    >;
    expect(body.status).toBe('active');
    expect(body.isActive).toBe(true);
    expect(JSON.stringify(body)).not.toContain(tokens.accessToken);
    expect(JSON.stringify(body)).not.toContain(META_APP_SECRET);
    expect(t.logs()).not.toContain(tokens.accessToken);

    // no expiry: nothing to refresh, the stored token is used as it is
    const current = await t.app.get(IntegrationsRepository).findForProcessing(id);
    if (!current) throw new Error('no integration');
    expect((await t.app.get(OAuthTokensService).fresh(current)).oauthTokens).toBe(row.oauth_tokens);
  });

  it('a WABA the business did not share: the subscription is refused and the CRM is told status=error, nothing stored', async () => {
    const { id } = await whatsapp('106540352240003', UNSHARED_WABA);
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(back.status).toBe(302);
    const params = outcome(back.headers.location);
    expect(params.get('status')).toBe('error');
    expect(params.get('code')).toBe('INVALID_CREDENTIALS');
    const row = await stored(id);
    expect(row.oauth_tokens).toBeNull();
    expect(row.status).toBe('error');
    expect(row.error_message).toContain(`WhatsApp Business Account ${UNSHARED_WABA}`);
    expect(subscribed.some((s) => s.wabaId === UNSHARED_WABA)).toBe(false);
  });

  it('disconnect erases the business token and calls no DELETE /me/permissions (no person granted it)', async () => {
    const { id } = await whatsapp('106540352240001', '102290129340001');
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    const revokes = () =>
      fakes.graph.requests.filter((r) => r.method === 'DELETE' && r.path === '/me/permissions').length;
    const before = revokes();
    await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin).expect(200);
    expect(revokes()).toBe(before);
    const row = await stored(id);
    expect(row.oauth_tokens).toBeNull();
    expect(row.status).toBe('disconnected');
    // the first test's integration, never connected but not disconnected either, still names this WABA
    expect(unsubscribed.some((u) => u.wabaId === '102290129340001')).toBe(false);
  });

  it("disconnect unsubscribes the app from a WABA no other live integration uses, with the business token and the hub app's appsecret_proof", async () => {
    const wabaId = '102290129340004';
    const { id } = await whatsapp('106540352240004', wabaId);
    const back = await t.http.get(metaAuth.consent(await start(id)).path);
    expect(outcome(back.headers.location).get('status')).toBe('active');
    const { accessToken } = t.app.get(OAuthTokensService).open(id, (await stored(id)).oauth_tokens ?? '');
    expect(subscribed).toContainEqual({ wabaId, token: accessToken });

    const res = await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ id, status: 'disconnected', isActive: false }));
    expect(unsubscribed.filter((u) => u.wabaId === wabaId)).toEqual([{ wabaId, token: accessToken }]);
    const row = await stored(id);
    expect(row.oauth_tokens).toBeNull();
    expect(row.status).toBe('disconnected');
    expect(t.logs()).not.toContain(accessToken);
  });
});
