// AUTHENTICATION (one-time passcode) templates over HTTP against the fake Graph API: created as Meta's
// authentication-templates pages define them (preset body, expiry footer, one OTP button), refused
// with every problem before Meta sees them otherwise, and sent with the code given once.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const WABA = WHATSAPP_CONFIG.wabaId;
const PHONE_ID = WHATSAPP_CONFIG.phoneNumberId;

describe('WhatsApp AUTHENTICATION templates', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let integrationId: number;
  let admin: string;
  let agent: string;

  const post = (path: string, token: string, body: object) => t.http.post(path).set('authorization', token).send(body);
  const get = (path: string, token: string) => t.http.get(path).set('authorization', token);

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [PHONE_ID]: WABA },
      pairLimit: null,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'OTP Co');
    integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    await activate(t, sub, integrationId);
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    agent = `Bearer ${t.token('AGENT', [sub], 'agent-1')}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('refuses a custom body or a missing OTP button with every problem, and Meta sees nothing', async () => {
    const refused = await post('/api/whatsapp/templates', admin, {
      integrationId,
      name: 'login_custom',
      language: 'en_US',
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY', text: 'Your code is {{1}}', example: { body_text: [['1234']] } }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
    expect(refused.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'components',
      'components[0].example',
      'components[0].text',
    ]);
    expect(fake.templates.find(WABA, 'login_custom', 'en_US')).toBeUndefined();
  });

  it('creates a copy-code template PENDING, lists it as Meta does once approved, and sends the code in body and button', async () => {
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId,
      name: 'login_code',
      language: 'en_US',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'login_code', category: 'AUTHENTICATION', status: 'PENDING' });

    // approved at Meta, then read back by a sync: the row holds Meta's listing (preset text, URL button)
    fake.templates.setStatus(WABA, 'login_code', 'en_US', 'APPROVED');
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId })).status).toBe(202);
    const approved = await waitFor(
      async () => {
        const list = await get(`/api/whatsapp/templates?subAccountId=${sub}&category=AUTHENTICATION`, agent);
        const row = list.body.items[0] as { status: string; variables: unknown[] } | undefined;
        return row?.status === 'APPROVED' ? row : null;
      },
      20_000,
      'the template approved by the sync',
    );
    expect(approved.variables).toEqual([
      { component: 'BODY', key: '1', example: '123456' },
      { component: 'BUTTON', key: '0', example: expect.stringContaining('code=otp123456') },
    ]);

    // an OTP goes outside the 24-hour window too (a template), with the code given once
    const sent = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550123',
      template: { name: 'login_code', language: 'en_US' },
      parameters: { '1': '482913' },
    });
    expect(sent.status).toBe(202);
    const request = await waitFor(
      async () => fake.sends.find((s) => s.to === '+14155550123') ?? null,
      20_000,
      'the send to reach Meta',
    );
    expect(request.body).toMatchObject({
      type: 'template',
      template: {
        name: 'login_code',
        components: [
          { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
        ],
      },
    });

    // Meta takes a one-time code of at most 15 characters: a longer one is refused before Meta is called
    const sendsBefore = fake.sends.length;
    const tooLong = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550124',
      template: { name: 'login_code', language: 'en_US' },
      parameters: { '1': '1234567890123456' },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toEqual({
      statusCode: 400,
      code: 'TEMPLATE_PARAMETERS_INVALID',
      message: 'The parameters do not fit template login_code',
      details: [{ field: 'parameters.1', messages: ['a one-time code has at most 15 characters'] }],
    });
    const fifteen = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550124',
      template: { name: 'login_code', language: 'en_US' },
      parameters: { '1': 'J$FpnYnP1234567' },
    });
    expect(fifteen.status).toBe(202);
    await waitFor(async () => fake.sends.find((s) => s.to === '+14155550124') ?? null, 20_000, 'the 15-character code');
    expect(fake.sends.slice(sendsBefore).map((s) => s.to)).toEqual(['+14155550124']);
  });
});
