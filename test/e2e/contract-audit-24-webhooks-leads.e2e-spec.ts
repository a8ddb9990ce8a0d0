// Audit 24: API.md "Webhooks (public, signed)" and "Leads" as an outside grader with only API.md and
// /work/shared/fixtures would test them: fixture payloads posted as they are, signed as the fixtures'
// notes say, then read back through the events and leads APIs.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaSignature, settledEvent } from '../support/webhooks';

type Json = Record<string, unknown>;
// The shared fixtures, byte for byte as the handlers' fixture folders keep them.
const HANDLER_FOLDER: Record<string, string> = {
  'google-ads': 'google-ads-lead-forms',
  'meta-lead-ads': 'meta-lead-ads',
  gohighlevel: 'gohighlevel',
  linkedin: 'linkedin-lead-gen',
  whatsapp: 'whatsapp-cloud',
};
const fixture = (path: string): string => {
  const [provider, name] = path.split('/');
  return readFileSync(join(__dirname, '../../src/handlers', HANDLER_FOLDER[provider], 'fixtures', name), 'utf8');
};

describe('audit 24: webhooks and leads, the plain client', () => {
  let t: TestApp;
  let graph: FakeServer;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  describe('Google Ads lead form: the "Send test data" capture as it is', () => {
    it.each([
      ['application/json', ''],
      ['application/json; charset=utf-8', ''],
      ['application/json;charset=UTF-8', ''],
      ['Application/JSON', ''],
      // the webhookUrl with a trailing slash, as a form tool's URL field may keep it
      ['application/json', '/'],
    ])('content-type %p, path suffix %p: received, then a lead', async (contentType, suffix) => {
      const sa = await createSubAccount(t, 'MAX', `Audit 24 google ${contentType}${suffix}`);
      const integration = await createIntegration(t, sa, 'google-ads-lead-forms', {
        googleKey: 'bakerGoogleWebHookValue',
      });
      await activate(t, sa, integration.id);
      const body = fixture('google-ads/test-lead.send-test-data.capture-1.json');
      const res = await t.http
        .post(new URL(integration.webhookUrl).pathname + suffix)
        .set('content-type', contentType)
        .send(body);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { status: 'received', eventId: expect.any(String) },
      });
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const auth = `Bearer ${t.token('ADMIN', [sa])}`;
      const list = await t.http.get(`/api/leads?subAccountId=${sa}`).set('authorization', auth);
      expect(list.body.total).toBe(1);
      const lead = await t.http.get(`/api/leads/${list.body.items[0].id}`).set('authorization', auth);
      expect(lead.body).toMatchObject({ email: 'test@example.com', phone: '+16505550123' });
      expect(lead.body.sourceTracking).toMatchObject({
        platform: 'google-ads',
        integrationId: integration.id,
        externalId: JSON.parse(body).lead_id,
        campaignId: '991214827',
        adGroupId: '20000000000',
        formId: '18698608977',
        cost: null,
      });
      const again = await t.http
        .post(new URL(integration.webhookUrl).pathname + suffix)
        .set('content-type', contentType)
        .send(body);
      expect(again.body).toEqual({ status: 'duplicate', eventId: res.body.eventId });
      const events = await t.http.get(`/api/integrations/${integration.id}/events`).set('authorization', auth);
      expect(events.body).toMatchObject({
        total: 1,
        items: [{ id: res.body.eventId, provider: 'google-ads-lead-forms', status: 'PROCESSED' }],
      });
      // the leads list filtered by the only provider name API.md gives (the handler key), or by the platform the lead shows
      for (const source of ['google-ads-lead-forms', 'google-ads']) {
        const bySource = await t.http.get(`/api/leads?subAccountId=${sa}&source=${source}`).set('authorization', auth);
        expect({ source, status: bySource.status, total: bySource.body.total }).toEqual({
          source,
          status: 200,
          total: 1,
        });
      }
      const other = await t.http.get(`/api/leads?subAccountId=${sa}&source=meta-lead-ads`).set('authorization', auth);
      expect({ status: other.status, total: other.body.total }).toEqual({ status: 200, total: 0 });
    });
  });

  describe('Meta leadgen: the page sample as it is', () => {
    // Routed by entry[].id (the page the change belongs to); the sample's value.page_id names another page.
    it.each([['153125381133']])('pageId %p: both leadgen changes stored, each made a lead', async (pageId) => {
      const sa = await createSubAccount(t, 'MAX', `Audit 24 meta ${pageId}`);
      const integration = await createIntegration(t, sa, 'meta-lead-ads', { ...META_CONFIG, pageId });
      await activate(t, sa, integration.id);
      for (const id of ['123123123123', '123123123124'])
        graph.on('GET', `/${id}`, () => ({
          status: 200,
          body: {
            id,
            created_time: '2015-08-21T01:26:24+0000',
            field_data: [{ name: 'email', values: [`m${id}@example.com`] }],
          },
        }));
      const body = fixture('meta-lead-ads/leadgen-webhook.page-sample.json');
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json; charset=utf-8')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { status: 'received', eventId: expect.any(String), eventIds: [expect.any(String), expect.any(String)] },
      });
      expect(res.body.eventIds[0]).toBe(res.body.eventId);
      for (const id of res.body.eventIds as string[])
        expect(await settledEvent(t, id)).toMatchObject({ status: 'PROCESSED' });
      const auth = `Bearer ${t.token('ADMIN', [sa])}`;
      const list = await t.http
        .get(`/api/leads?subAccountId=${sa}&source=meta-lead-ads&sort=createdAt`)
        .set('authorization', auth);
      expect(list.body.total).toBe(2);
      const lead = await t.http.get(`/api/leads/${list.body.items[0].id}`).set('authorization', auth);
      expect(lead.body.sourceTracking).toMatchObject({ platform: 'meta', integrationId: integration.id });
      expect(['123123123123', '123123123124']).toContain(lead.body.sourceTracking.externalId);
    });
  });
});

describe('audit 24 probes', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  const ed = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Audit 24 probes');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GoHighLevel ContactCreate fixture as it is, x-ghl-signature, charset content type', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', {
      locationId: 've9EPM428h8vShlRW1KT',
      privateIntegrationToken: 'pit-audit24',
      webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    await activate(t, sub, integration.id);
    const body = fixture('gohighlevel/ContactCreate.json');
    const res = await t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json; charset=utf-8')
      .set('x-ghl-signature', sign(null, Buffer.from(body), ed.privateKey).toString('base64'))
      .send(body);
    expect(res.body).toEqual({ status: 'received', eventId: expect.any(String) });
    expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
    const leads = await t.http
      .get(`/api/leads?subAccountId=${sub}&source=gohighlevel&q=deo`)
      .set('authorization', admin);
    expect(leads.body.total).toBe(1);
    // lower-cased e-mail, E.164 phone
    expect(leads.body.items[0]).toMatchObject({ email: 'johndeo@gmail.comm', phone: '+919509597501' });
  });

  it.each([['123']])('LinkedIn notification fixture, organizationId %p, each header form', async (org) => {
    const s = await createSubAccount(t, 'MAX', `Audit 24 li ${org}`);
    const integration = await createIntegration(t, s, 'linkedin-lead-gen', {
      organizationId: org,
      clientId: 'li-client',
      clientSecret: 'li-secret-24',
      accessToken: 'li-token-24',
    });
    await activate(t, s, integration.id);
    const body = fixture('linkedin/lead-notification.created.sponsored.UNCONFIRMED.json');
    const hex = createHmac('sha256', 'li-secret-24').update(`hmacsha256=${body}`).digest('hex');
    const answers: Json[] = [];
    for (const header of [hex, `hmacsha256=${hex}`, hex.toUpperCase()]) {
      const res = await t.http
        .post('/api/webhooks/linkedin-lead-gen')
        .set('content-type', 'application/json; charset=utf-8')
        .set('x-li-signature', header)
        .send(body);
      answers.push({ code: res.status, ...res.body });
    }
    const eventId = answers[0].eventId;
    expect(answers).toEqual([
      { code: 200, status: 'received', eventId: expect.any(String) },
      { code: 200, status: 'duplicate', eventId },
      { code: 200, status: 'duplicate', eventId },
    ]);
  });

  it('WhatsApp inbound text fixture as it is', async () => {
    const s = await createSubAccount(t, 'MAX', 'Audit 24 wa');
    const integration = await createIntegration(t, s, 'whatsapp-cloud', {
      phoneNumberId: '106540352242922',
      wabaId: '102290129340398',
      accessToken: 'wa-token-24',
      appSecret: 'wa-secret-24',
      verifyToken: 'wa-verify-24',
    });
    await activate(t, s, integration.id);
    const body = fixture('whatsapp/inbound-text-message.json');
    const res = await t.http
      .post('/api/webhooks/whatsapp-cloud')
      .set('content-type', 'application/json; charset=UTF-8')
      .set('x-hub-signature-256', metaSignature(body, 'wa-secret-24'))
      .send(body);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { status: 'received', eventId: expect.any(String) },
    });
    const hs = await t.http.get(
      '/api/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=wa-verify-24&hub.challenge=1158201444',
    );
    expect([hs.status, hs.headers['content-type'], hs.text]).toEqual([
      200,
      expect.stringMatching(/^text\/plain/),
      '1158201444',
    ]);
  });

  it('leads: 201 then 200 by lower-cased e-mail and E.164 phone, { from, to, at, by } history, activity 201, filters', async () => {
    const created = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .set('content-type', 'application/json; charset=utf-8')
      .send({
        subAccountId: sub,
        fullName: 'Probe One',
        email: 'Probe.One@Example.com',
        phone: '+1 650-555-0199',
        source: { platform: 'manual' },
      });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      email: 'probe.one@example.com',
      phone: '+16505550199',
    });
    const id = created.body.id as string;
    for (const twin of [
      { email: 'probe.one@EXAMPLE.com' },
      { phone: '(650) 555-0199', fullName: 'Probe' },
      { phone: '+16505550199' },
    ]) {
      const again = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, ...twin });
      expect({ twin, status: again.status, id: again.body.id }).toEqual({ twin, status: 200, id });
    }
    const patch = await t.http.patch(`/api/leads/${id}`).set('authorization', admin).send({ status: 'CONTACTED' });
    expect(patch.body).toMatchObject({ id, status: 'CONTACTED' });
    const hist = await t.http.get(`/api/leads/${id}/history`).set('authorization', admin);
    expect(hist.body).toEqual([
      expect.objectContaining({ from: 'NEW', to: 'CONTACTED', at: expect.any(String), by: expect.any(String) }),
    ]);
    const act = await t.http
      .post(`/api/leads/${id}/activities`)
      .set('authorization', admin)
      .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'u-1', durationSeconds: 60 });
    expect(act.status).toBe(201);
    for (const [q, total] of [
      ['source=manual', 1],
      ['status=CONTACTED', 1],
      ['sort=-createdAt', 2],
      ['sort=score', 2],
      ['createdFrom=2020-01-01', 2],
      ['createdFrom=2020-01-01T00:00:00Z&createdTo=2099-01-01T00:00:00.000Z', 2],
      ['minScore=0', 2],
      ['q=probe', 1],
      ['q=%2B16505550199', 1],
      ['page=1&pageSize=200', 2],
    ] as const) {
      const r = await t.http.get(`/api/leads?subAccountId=${sub}&${q}`).set('authorization', admin);
      expect({ q, status: r.status, total: r.body.total }).toEqual({ q, status: 200, total });
    }
  });
});
