/**
 * Issue 9 points 1 and 7, played by the admin of sub-account B against sub-account A: a provider
 * routing key (GoHighLevel location, Meta page, WhatsApp number, LinkedIn organisation) belongs to
 * one sub-account, race-safe; an integration receives deliveries only after a connection test
 * proved its credentials reach that resource; and the provider-level URL never tells which keys are
 * connected.
 */
import { createSubAccount, templateId } from '../support/factories';
import { ProviderFakes } from '../support/provider-fakes';
import { auth, countRows, ghlContact, ghlSigner } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

const signer = ghlSigner();
const LOCATION_A = 'loc_TenantA_0001';
const CONFIGS = {
  gohighlevel: (token: string, locationId = LOCATION_A) => ({
    locationId,
    privateIntegrationToken: token,
    webhookPublicKey: signer.publicKeyPem,
  }),
  'meta-lead-ads': (token: string, pageId = '5550001') => ({
    pageId,
    appSecret: `app-secret-${token}`,
    pageAccessToken: token,
    verifyToken: `verify-${token}`,
  }),
  'whatsapp-cloud': (token: string, phoneNumberId = '7770001') => ({
    phoneNumberId,
    wabaId: '8880001',
    accessToken: token,
    appSecret: `wa-secret-${token}`,
    verifyToken: `wa-verify-${token}`,
  }),
  'linkedin-lead-gen': (token: string, organizationId = '9990001') => ({
    organizationId,
    clientId: 'hub-linkedin-app',
    clientSecret: 'hub-linkedin-client-secret',
    accessToken: token,
  }),
} as const;
type Handler = keyof typeof CONFIGS;
const HANDLERS = Object.keys(CONFIGS) as Handler[];

describe('security: one routing key, one owner', () => {
  let t: TestApp;
  let fakes: ProviderFakes;
  let a: number;
  let b: number;

  // t.sql is one connection: concurrent creates share one lookup per template rather than query it at once
  const templates = new Map<Handler, Promise<number>>();
  const templateOf = (handler: Handler): Promise<number> => {
    const known = templates.get(handler) ?? templateId(t, handler);
    templates.set(handler, known);
    return known;
  };
  const create = async (sub: number, handler: Handler, config: object) =>
    t.http
      .post('/api/integrations')
      .set('authorization', auth(t, 'ADMIN', [sub]))
      .send({
        subAccountId: sub,
        integrationTemplateId: await templateOf(handler),
        name: `${handler} of ${sub}`,
        config,
      });

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    t = await createTestApp({ env: { ...fakes.env, WEBHOOK_CACHE_TTL_MS: '0' } });
    a = await createSubAccount(t, 'MAX', 'Tenant A');
    b = await createSubAccount(t, 'MAX', 'Tenant B');
  });
  afterAll(async () => {
    await t.close();
    await fakes.close();
  });

  it.each(HANDLERS)("B cannot claim A's %s routing key: 409 ROUTING_KEY_TAKEN, created nothing", async (handler) => {
    expect((await create(a, handler, CONFIGS[handler]('tok-a'))).status).toBe(201);
    const before = await countRows(t, 'integrations WHERE sub_account_id = $1', [b]);
    const stolen = await create(b, handler, CONFIGS[handler]('tok-b'));
    expect(stolen.status).toBe(409);
    expect(stolen.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'ROUTING_KEY_TAKEN' }));
    expect(await countRows(t, 'integrations WHERE sub_account_id = $1', [b])).toBe(before);
    // A may connect the same resource twice within its own sub-account
    expect((await create(a, handler, CONFIGS[handler]('tok-a2'))).status).toBe(201);
  });

  it("B cannot move its own integration onto A's key, nor test one before saving", async () => {
    const own = await create(b, 'gohighlevel', CONFIGS.gohighlevel('tok-b', 'loc_TenantB_0001'));
    expect(own.status).toBe(201);
    const moved = await t.http
      .patch(`/api/integrations/${own.body.id}`)
      .set('authorization', auth(t, 'ADMIN', [b]))
      .send({ config: { locationId: LOCATION_A } });
    expect([moved.status, moved.body.code]).toEqual([409, 'ROUTING_KEY_TAKEN']);
    const stored = await t.sql.query('SELECT routing_key FROM integrations WHERE id = $1', [own.body.id]);
    expect(stored.rows[0].routing_key).toBe('loc_TenantB_0001');
    const probe = await t.http
      .post('/api/integrations/test-config')
      .set('authorization', auth(t, 'ADMIN', [b]))
      .send({
        subAccountId: b,
        integrationTemplateId: await templateId(t, 'gohighlevel'),
        config: CONFIGS.gohighlevel('tok-b'),
      });
    expect([probe.status, probe.body.code, probe.body.success]).toEqual([409, 'ROUTING_KEY_TAKEN', false]);
  });

  it('decides concurrent claims from two sub-accounts in the database: one sub-account wins them all', async () => {
    const key = 'loc_Race_0001';
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => create(i % 2 ? a : b, 'gohighlevel', CONFIGS.gohighlevel(`race-${i}`, key))),
    );
    const owners = await t.sql.query<{ sub_account_id: number }>(
      "SELECT DISTINCT sub_account_id FROM integrations WHERE handler = 'gohighlevel' AND routing_key = $1",
      [key],
    );
    expect(owners.rows).toHaveLength(1);
    const winner = owners.rows[0].sub_account_id;
    answers.forEach((res, i) => expect(res.status).toBe((i % 2 ? a : b) === winner ? 201 : 409));
    const claims = await t.sql.query('SELECT sub_account_id FROM webhook_routing_claims WHERE routing_key = $1', [key]);
    expect(claims.rows).toEqual([{ sub_account_id: winner }]);
  });

  it("frees a key when the owner's last integration holding it is deleted", async () => {
    const key = 'loc_Freed_0001';
    const first = await create(a, 'gohighlevel', CONFIGS.gohighlevel('free-a', key));
    const second = await create(a, 'gohighlevel', CONFIGS.gohighlevel('free-a2', key));
    const del = (id: number) => t.http.delete(`/api/integrations/${id}`).set('authorization', auth(t, 'ADMIN', [a]));
    expect((await del(first.body.id)).status).toBe(204);
    expect((await create(b, 'gohighlevel', CONFIGS.gohighlevel('free-b', key))).status).toBe(409);
    expect((await del(second.body.id)).status).toBe(204);
    expect((await create(b, 'gohighlevel', CONFIGS.gohighlevel('free-b', key))).status).toBe(201);
  });

  it("the issue's attack: switched on without a passed test, an integration gets nothing (409 CONFLICT, then 409 INTEGRATION_NOT_ACTIVE)", async () => {
    const location = 'loc_Untested_0001';
    const created = await create(b, 'gohighlevel', CONFIGS.gohighlevel('untested-b', location));
    const on = await t.http
      .patch(`/api/integrations/${created.body.id}`)
      .set('authorization', auth(t, 'ADMIN', [b]))
      .send({ isActive: true });
    expect([on.status, on.body.code]).toEqual([409, 'CONFLICT']);
    const body = ghlContact(location, 'contact-untested', 'untested@example.com');
    const delivery = await t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      .set('x-wh-signature', signer.sign(body))
      .send(body);
    expect([delivery.status, delivery.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
    expect(await countRows(t, 'webhook_events WHERE integration_id = $1', [created.body.id])).toBe(0);
  });

  it("after a passed test A receives its location's deliveries, and nothing of them reaches B", async () => {
    const location = 'loc_Live_0001';
    fakes.location('live-a', location);
    const created = await create(a, 'gohighlevel', CONFIGS.gohighlevel('live-a', location));
    const tested = await t.http
      .post(`/api/integrations/${created.body.id}/test`)
      .set('authorization', auth(t, 'ADMIN', [a]));
    expect(tested.status).toBe(200);
    const row = await t.http.get(`/api/integrations/${created.body.id}`).set('authorization', auth(t, 'ADMIN', [a]));
    expect([row.body.status, row.body.isActive]).toEqual(['active', true]);
    const body = ghlContact(location, 'contact-live', 'live-lead@example.com');
    const delivery = await t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      .set('x-wh-signature', signer.sign(body))
      .send(body);
    expect(delivery.status).toBe(200);
    const leadsOf = (sub: number) =>
      t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', auth(t, 'ADMIN', [sub]));
    await waitFor(async () =>
      (await leadsOf(a)).body.items?.some((l: { email: string }) => l.email === 'live-lead@example.com'),
    );
    expect((await leadsOf(b)).body.items.map((l: { email: string }) => l.email)).not.toContain('live-lead@example.com');
  });

  describe('nothing to enumerate (point 7)', () => {
    const page = '5559999';
    const deliver = (body: string, signature?: string) => {
      const req = t.http.post('/api/webhooks/meta-lead-ads').set('content-type', 'application/json');
      return (signature ? req.set('x-hub-signature-256', signature) : req).send(body);
    };

    beforeAll(async () => {
      fakes.page('enum-token', page);
      const created = await create(a, 'meta-lead-ads', CONFIGS['meta-lead-ads']('enum-token', page));
      await t.http.post(`/api/integrations/${created.body.id}/test`).set('authorization', auth(t, 'ADMIN', [a]));
    });

    it('answers an unknown page, a missing page and a known page with a bad signature alike: 401', async () => {
      const known = metaLeadgen(page, ['enum-1']);
      const unknown = metaLeadgen('1234567', ['enum-2']);
      const answers = [
        await deliver(known, metaSignature(known, 'wrong-secret')),
        await deliver(known),
        await deliver(unknown, metaSignature(unknown, 'wrong-secret')),
        await deliver(unknown),
        await deliver('{"object":"page","entry":[]}'),
        await deliver('{"object":"page","entry":[{"changes":[]}]}', metaSignature('{}', 'x')),
      ];
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          statusCode: 401,
          code: 'WEBHOOK_SIGNATURE_INVALID',
          message: 'Webhook signature is missing or invalid',
          details: [],
        });
      }
      const good = metaLeadgen(page, ['enum-3']);
      expect((await deliver(good, metaSignature(good, `app-secret-enum-token`))).status).toBe(200);
    });
  });
});
