// The features of the last sessions, attacked: AUTHENTICATION templates (hostile component shapes, OTP
// codes that are not strings or fill other slots), GoHighLevel block slots (odd instants, control
// characters, other tenants' and other providers' integrations), webhook event replays (other tenants'
// ids, malformed ids, races, disconnected and deleted integrations), WhatsApp inbound kinds (replies
// naming another tenant's message, hostile orders, Flow answers and errors) and a token of sub-account
// A against every one of those routes naming B's records. Each attack asserts the safe answer API.md
// gives (status and code), that nothing was stored or sent on, and that nothing of B leaked.
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, newWamid, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { countRows } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, waitFor } from '../support/webhooks';

const WABA_A = WHATSAPP_CONFIG.wabaId;
const PHONE_A = WHATSAPP_CONFIG.phoneNumberId;
const WABA_B = '102290129349999';
const PHONE_B = '106540352249999';
const CONTACT = '16505551234';

type Json = Record<string, unknown>;

describe('attacks on the recent features', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let ghl: FakeServer;
  let hooksA: WhatsAppWebhooks;
  let hooksB: WhatsAppWebhooks;
  let webhookUrl: string;
  let subA: number;
  let subB: number;
  let waA: number;
  let waB: number;
  let ghlA: number;
  let ghlB: number;
  let googleA: { id: number; webhookUrl: string };
  let adminA: string;
  let managerA: string;
  let agentA: string;
  let adminB: string;

  const post = (path: string, token: string, body?: object | string) => {
    const req = t.http.post(path).set('authorization', token);
    if (typeof body === 'string') return req.set('content-type', 'application/json').send(body);
    return body === undefined ? req : req.send(body);
  };
  const get = (path: string, token: string) => t.http.get(path).set('authorization', token);
  const idle = () =>
    waitFor(
      async () =>
        (await countRows(t, "webhook_events WHERE status IN ('PENDING','PROCESSING')")) === 0 &&
        (await countRows(t, "messages WHERE direction = 'outbound' AND wamid IS NULL AND status = 'queued'")) === 0,
      20_000,
      'events processed and sends answered',
    );
  const received = async (hooks: WhatsAppWebhooks, payload: unknown): Promise<string> => {
    const res = await deliver(webhookUrl, hooks.sign(payload));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { status: string; eventId: string };
    expect(body.status).toBe('received');
    return body.eventId;
  };
  /** A `messages` change on a number holding one message from the contact. */
  const inbound = (phoneNumberId: string, message: Json): Json => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: phoneNumberId === PHONE_A ? WABA_A : WABA_B,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: CONTACT }],
              messages: [
                { from: CONTACT, id: newWamid(), timestamp: String(Math.floor(Date.now() / 1000)), ...message },
              ],
            },
          },
        ],
      },
    ],
  });
  const storedMessage = async (wamid: string) =>
    (
      await t.sql.query<{ reply_to_message_id: string | null; content: Json | null; text: string | null }>(
        'SELECT reply_to_message_id, content, text FROM messages WHERE wamid = $1',
        [wamid],
      )
    ).rows[0];
  const wamidOf = (payload: Json): string =>
    ((payload.entry as Json[])[0].changes as Json[]).map(
      (c) => (c.value as { messages: Json[] }).messages[0].id,
    )[0] as string;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      numbers: { [PHONE_A]: WABA_A, [PHONE_B]: WABA_B },
      pairLimit: null,
    });
    ghl = await FakeServer.start();
    ghl.on('POST', '/calendars/events/block-slots', (req) => ({
      status: 201,
      body: { id: `block-${ghl.requests.length}`, ...(req.body as object) },
    }));
    t = await createTestApp({
      env: { META_GRAPH_URL: fake.url, GHL_API_URL: ghl.url, WEBHOOK_CACHE_TTL_MS: '0', WEBHOOK_RETRY_UNIT_MS: '50' },
    });
    subA = await createSubAccount(t, 'MAX', 'Tenant A');
    subB = await createSubAccount(t, 'MAX', 'Tenant B');
    waA = (await createIntegration(t, subA, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    waB = (
      await createIntegration(t, subB, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, phoneNumberId: PHONE_B, wabaId: WABA_B })
    ).id;
    ghlA = (await createIntegration(t, subA, 'gohighlevel', GHL_CONFIG)).id;
    ghlB = (await createIntegration(t, subB, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_TENANT_B' })).id;
    googleA = await createIntegration(t, subA, 'google-ads-lead-forms', { googleKey: 'attack-google-key-01' });
    for (const [sub, id] of [
      [subA, waA],
      [subB, waB],
      [subA, ghlA],
      [subB, ghlB],
      [subA, googleA.id],
    ])
      await activate(t, sub, id);
    adminA = `Bearer ${t.token('ADMIN', [subA])}`;
    managerA = `Bearer ${t.token('MANAGER', [subA])}`;
    agentA = `Bearer ${t.token('AGENT', [subA], 'agent-a')}`;
    adminB = `Bearer ${t.token('ADMIN', [subB])}`;
    hooksA = fake.webhooks(PHONE_A);
    hooksB = fake.webhooks(PHONE_B);
    await t.app.listen(0, '127.0.0.1');
    webhookUrl = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    await ghl.close();
  });

  describe('AUTHENTICATION templates', () => {
    const button = { type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' };
    const valid = (components: unknown): Json => ({
      integrationId: waA,
      name: 'otp_attack',
      language: 'en_US',
      category: 'AUTHENTICATION',
      components,
    });
    const withButton = (b: unknown): unknown[] => [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [b] }];

    it('refuses hostile component shapes with 400 VALIDATION_FAILED; nothing stored, Meta sees nothing', async () => {
      const hostile: Array<[string, unknown]> = [
        ['components a string', 'BODY'],
        ['components an object', { 0: { type: 'BODY' }, length: 1 }],
        ['components null', null],
        ['a component a number', [1, { type: 'BODY' }, { type: 'BUTTONS', buttons: [button] }]],
        ['a component an array', [[{ type: 'BODY' }], { type: 'BUTTONS', buttons: [button] }]],
        [
          '10,000 buttons',
          [{ type: 'BODY' }, { type: 'BUTTONS', buttons: Array.from({ length: 10_000 }, () => button) }],
        ],
        [
          '10,000 BODY components',
          [...Array.from({ length: 10_000 }, () => ({ type: 'BODY' })), { type: 'BUTTONS', buttons: [button] }],
        ],
        ['buttons an object', [{ type: 'BODY' }, { type: 'BUTTONS', buttons: { 0: button } }]],
        [
          'nested garbage in the body',
          [
            { type: 'BODY', add_security_recommendation: { a: [[[{}]]] } },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
        [
          'a constructor key',
          [
            { type: 'BODY', constructor: { name: 'x' } },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
        ['a toString key on the button', withButton({ ...button, toString: 'x' })],
        [
          'code_expiration_minutes as a string',
          [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: '10' }, { type: 'BUTTONS', buttons: [button] }],
        ],
        [
          'code_expiration_minutes 1e308',
          [
            { type: 'BODY' },
            { type: 'FOOTER', code_expiration_minutes: 1e308 },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
        [
          'code_expiration_minutes 10.5',
          [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 10.5 }, { type: 'BUTTONS', buttons: [button] }],
        ],
        [
          'add_security_recommendation as a string',
          [
            { type: 'BODY', add_security_recommendation: 'true' },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
        ['otp_type a number', withButton({ ...button, otp_type: 1 })],
        ['button text an array', withButton({ ...button, text: ['Copy'] })],
        ['button text 26 characters', withButton({ ...button, text: 'x'.repeat(26) })],
        ['button type a URL', withButton({ type: 'URL', text: 'Go', url: 'https://evil.example/{{1}}' })],
        ['two OTP buttons', [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [button, button] }]],
        [
          'supported_apps an object',
          withButton({
            type: 'OTP',
            otp_type: 'ONE_TAP',
            supported_apps: { package_name: 'com.a.b', signature_hash: 'K8a/AINcGX7' },
          }),
        ],
        [
          'supported_apps of 6 apps',
          withButton({
            type: 'OTP',
            otp_type: 'ONE_TAP',
            supported_apps: Array.from({ length: 6 }, () => ({
              package_name: 'com.a.b',
              signature_hash: 'K8a/AINcGX7',
            })),
          }),
        ],
        [
          'zero_tap_terms_accepted as a string',
          withButton({
            type: 'OTP',
            otp_type: 'ZERO_TAP',
            supported_apps: [{ package_name: 'com.a.b', signature_hash: 'K8a/AINcGX7' }],
            zero_tap_terms_accepted: 'true',
          }),
        ],
        [
          'a signature hash of 12 characters',
          withButton({
            type: 'OTP',
            otp_type: 'ONE_TAP',
            supported_apps: [{ package_name: 'com.a.b', signature_hash: 'K8a/AINcGX7x' }],
          }),
        ],
        [
          'a header',
          [{ type: 'HEADER', format: 'TEXT', text: 'Hi' }, { type: 'BODY' }, { type: 'BUTTONS', buttons: [button] }],
        ],
        [
          'a body with text filling the code slot',
          [
            { type: 'BODY', text: '{{1}} is your code {{2}}' },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
        ['a NUL in the button text', withButton({ ...button, text: 'Copy\u0000' })],
        ['a lone surrogate in the button text', withButton({ ...button, text: 'Copy \ud800' })],
        [
          'a NUL in a key',
          [
            { type: 'BODY', 'x\u0000': true },
            { type: 'BUTTONS', buttons: [button] },
          ],
        ],
      ];
      const before = await countRows(t, 'whatsapp_templates');
      const outcomes: string[] = [];
      for (const [what, components] of hostile) {
        const res = await post('/api/whatsapp/templates', adminA, valid(components));
        outcomes.push(`${what}: ${res.status} ${res.body.code}`);
      }
      expect(outcomes).toEqual(hostile.map(([what]) => `${what}: 400 VALIDATION_FAILED`));
      // prototype keys, as raw JSON (an object literal would set the prototype instead)
      for (const raw of [
        `{"integrationId":${waA},"name":"otp_attack","language":"en_US","category":"AUTHENTICATION","components":[{"type":"BODY","__proto__":{"text":"x"}},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]}`,
        `{"integrationId":${waA},"name":"otp_attack","language":"en_US","category":"AUTHENTICATION","components":[{"type":"BODY","constructor":{"prototype":{"text":"x"}}},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]}`,
      ]) {
        const res = await post('/api/whatsapp/templates', adminA, raw);
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      }
      expect(await countRows(t, 'whatsapp_templates')).toBe(before);
      expect(fake.templates.find(WABA_A, 'otp_attack', 'en_US')).toBeUndefined();
    });

    it("is created on A's integration only: B's integration id is 404, an AGENT 403", async () => {
      const onB = await post('/api/whatsapp/templates', adminA, { ...valid(withButton(button)), integrationId: waB });
      expect([onB.status, onB.body.code]).toEqual([404, 'NOT_FOUND']);
      const onGhl = await post('/api/whatsapp/templates', adminA, {
        ...valid(withButton(button)),
        integrationId: ghlA,
      });
      expect([onGhl.status, onGhl.body.code]).toEqual([404, 'NOT_FOUND']);
      const byAgent = await post('/api/whatsapp/templates', agentA, valid(withButton(button)));
      expect([byAgent.status, byAgent.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(fake.templates.find(WABA_B, 'otp_attack', 'en_US')).toBeUndefined();
      expect(fake.templates.find(WABA_A, 'otp_attack', 'en_US')).toBeUndefined();
    });

    it('sends the code only as a string, into the body and its OTP button, and nothing into other slots', async () => {
      const created = await post('/api/whatsapp/templates', adminA, { ...valid(withButton(button)), name: 'otp_send' });
      expect(created.status).toBe(201);
      fake.templates.setStatus(WABA_A, 'otp_send', 'en_US', 'APPROVED');
      expect((await post('/api/whatsapp/templates/sync', adminA, { integrationId: waA })).status).toBe(202);
      await waitFor(
        async () => (await countRows(t, "whatsapp_templates WHERE name = 'otp_send' AND status = 'APPROVED'")) === 1,
        20_000,
        'the OTP template approved',
      );
      const sendsBefore = fake.sends.length;
      const messagesBefore = await countRows(t, 'messages');
      const send = (parameters: unknown) =>
        post('/api/whatsapp/messages', agentA, {
          subAccountId: subA,
          to: '+14155550123',
          template: { name: 'otp_send', language: 'en_US' },
          parameters,
        });
      const refused: Array<[string, unknown, string, string[]]> = [
        ['a number', { '1': 482913 }, 'VALIDATION_FAILED', ['parameters.1']],
        ['null', { '1': null }, 'VALIDATION_FAILED', ['parameters.1']],
        ['an array', { '1': ['482913'] }, 'VALIDATION_FAILED', ['parameters.1']],
        ['an object', { '1': { code: '482913' } }, 'VALIDATION_FAILED', ['parameters.1']],
        ['a second body slot', { '1': '482913', '2': 'x' }, 'TEMPLATE_PARAMETERS_INVALID', ['parameters.2']],
        ['a header slot', { '1': '482913', 'header.1': 'x' }, 'TEMPLATE_PARAMETERS_INVALID', ['parameters.header.1']],
        [
          'a named slot',
          { '1': '482913', first_name: 'Ana' },
          'TEMPLATE_PARAMETERS_INVALID',
          ['parameters.first_name'],
        ],
        [
          'a button that does not exist',
          { '1': '482913', 'button.1': 'x' },
          'TEMPLATE_PARAMETERS_INVALID',
          ['parameters.button.1'],
        ],
        ['a constructor key', { '1': '482913', constructor: 'x' }, 'VALIDATION_FAILED', ['parameters.constructor']],
        ['the code twice', { '1': '482913', 'body.1': '482913' }, 'TEMPLATE_PARAMETERS_INVALID', ['parameters.body.1']],
        [
          'a lead placeholder without a lead',
          { '1': '{{lead.phone}}' },
          'TEMPLATE_PARAMETERS_INVALID',
          // told once, as given: the code's copy in the OTP button is not something the caller sent
          ['parameters.1'],
        ],
        ['no code', {}, 'TEMPLATE_PARAMETERS_INVALID', ['parameters.1']],
        ['parameters an array', ['482913'], 'VALIDATION_FAILED', ['parameters']],
        ['a NUL in the code', { '1': '48\u00002913' }, 'VALIDATION_FAILED', ['parameters.1']],
      ];
      const outcomes: string[] = [];
      for (const [what, parameters] of refused) {
        const res = await send(parameters);
        const got = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field).sort();
        outcomes.push(`${what}: ${res.status} ${res.body.code} ${JSON.stringify(got)}`);
      }
      expect(outcomes).toEqual(
        refused.map(([what, , code, fields]) => `${what}: 400 ${code} ${JSON.stringify([...fields].sort())}`),
      );
      expect(await countRows(t, 'messages')).toBe(messagesBefore);
      expect(fake.sends.length).toBe(sendsBefore);
    });
  });

  describe('GoHighLevel block slots', () => {
    const blocks = () => ghl.requests.filter((r) => r.path === '/calendars/events/block-slots');
    const block = (integrationId: number, body: unknown, token = managerA) =>
      post(`/api/integrations/${integrationId}/ghl/calendars/cal1/block-slots`, token, body as object);

    it('refuses impossible instants and control-character titles before GoHighLevel sees them', async () => {
      const ok = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' };
      const before = blocks().length;
      const bad: Array<[string, Json, string]> = [
        ['offset +25:00', { ...ok, startTime: '2026-12-01T12:00:00+25:00' }, 'startTime'],
        ['offset +99:99', { ...ok, endTime: '2026-12-01T13:00:00+99:99' }, 'endTime'],
        ['offset minutes 60', { ...ok, startTime: '2026-12-01T12:00:00+05:60' }, 'startTime'],
        ['leap second', { ...ok, endTime: '2026-12-31T23:59:60Z' }, 'endTime'],
        ['second 99', { ...ok, startTime: '2026-12-01T12:00:99Z' }, 'startTime'],
        ['hour 24', { ...ok, endTime: '2026-12-01T24:00:00Z' }, 'endTime'],
        ['Feb 29 of 2027', { ...ok, startTime: '2027-02-29T12:00:00Z' }, 'startTime'],
        ['a number', { ...ok, startTime: 1796169600000 }, 'startTime'],
        ['an array', { ...ok, endTime: ['2026-12-01T13:00:00Z'] }, 'endTime'],
        [
          'end before start across the DST fall-back',
          { ...ok, startTime: '2026-11-01T01:15:00-05:00', endTime: '2026-11-01T01:30:00-04:00' },
          'endTime',
        ],
        [
          'end equal to start in other offsets',
          { ...ok, startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T07:00:00-05:00' },
          'endTime',
        ],
        ['title of control characters', { ...ok, title: '\u0001\u0002\u0007' }, 'title'],
        ['title with a newline', { ...ok, title: 'Lunch\r\nX-Injected: 1' }, 'title'],
        ['title with an escape sequence', { ...ok, title: '\u001b[31mLunch' }, 'title'],
        ['title with a C1 control', { ...ok, title: 'Lunch\u0085' }, 'title'],
        ['title a number', { ...ok, title: 42 }, 'title'],
        ['title of 201 characters', { ...ok, title: 'x'.repeat(201) }, 'title'],
        ['a locationId of another location', { ...ok, locationId: 'loc_TENANT_B' }, 'locationId'],
      ];
      const outcomes: string[] = [];
      for (const [what, body, field] of bad) {
        const res = await block(ghlA, body);
        const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
        outcomes.push(`${what}: ${res.status} ${res.body.code} ${fields.includes(field)}`);
      }
      expect(outcomes).toEqual(bad.map(([what]) => `${what}: 400 VALIDATION_FAILED true`));
      // a NUL is refused by the global pipe
      const nul = await block(ghlA, { ...ok, title: 'Lunch\u0000' });
      expect([nul.status, nul.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(blocks().length).toBe(before);

      // instants at DST edges and far years are real instants with their offsets: passed on unchanged
      for (const body of [
        { ...ok, startTime: '2026-03-08T01:59:59-05:00', endTime: '2026-03-08T03:00:00-04:00' },
        { ...ok, startTime: '2026-11-01T01:30:00-04:00', endTime: '2026-11-01T01:15:00-05:00' },
        {
          ...ok,
          startTime: '9999-12-31T22:00:00Z',
          endTime: '9999-12-31T23:59:59.999Z',
          title: 'Emoji 🎉 and ünïcödé',
        },
      ]) {
        const res = await block(ghlA, body);
        expect(res.status).toBe(201);
        expect(blocks().at(-1)?.body).toMatchObject({ locationId: GHL_CONFIG.locationId, ...body });
      }
    });

    it("answers 404 for B's integration and for an integration of another provider; GoHighLevel sees nothing", async () => {
      const before = ghl.requests.length;
      const ok = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' };
      for (const id of [ghlB, waA, googleA.id, 2147483647]) {
        const res = await block(id, ok);
        expect([id, res.status, res.body.code]).toEqual([id, 404, 'NOT_FOUND']);
        expect(JSON.stringify(res.body)).not.toContain('TENANT_B');
      }
      for (const path of [
        `/api/integrations/${ghlB}/ghl/calendars`,
        `/api/integrations/${ghlB}/ghl/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`,
      ]) {
        const res = await get(path, managerA);
        expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      }
      const contact = await post(`/api/integrations/${ghlB}/ghl/contacts`, managerA, { leadId: '1' });
      expect([contact.status, contact.body.code]).toEqual([404, 'NOT_FOUND']);
      const byAgent = await block(ghlA, ok, agentA);
      expect([byAgent.status, byAgent.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(ghl.requests.length).toBe(before);
    });
  });

  describe('WhatsApp inbound kinds', () => {
    it('never links a reply to a message of another tenant, integration or conversation', async () => {
      // B's contact writes, B answers: B's outbound message has a wamid from Meta
      await received(hooksB, inbound(PHONE_B, { type: 'text', text: { body: 'hi B' } }));
      await received(hooksA, inbound(PHONE_A, { type: 'text', text: { body: 'hi A' } }));
      await idle();
      const sentB = await post('/api/whatsapp/messages', adminB, {
        subAccountId: subB,
        to: `+${CONTACT}`,
        text: 'B here',
      });
      expect(sentB.status).toBe(202);
      const wamidB = await waitFor(async () => {
        const row = await t.sql.query<{ wamid: string | null }>('SELECT wamid FROM messages WHERE id = $1', [
          sentB.body.id,
        ]);
        return row.rows[0]?.wamid ?? undefined;
      });
      // the same person answers on A's number, naming B's message (a forged or confused context)
      const onA = inbound(PHONE_A, {
        type: 'interactive',
        context: { from: '15550783881', id: wamidB },
        interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
      });
      await received(hooksA, onA);
      // another contact of B names B's message to CONTACT (another conversation on the same number)
      const otherContact = inbound(PHONE_B, {
        type: 'text',
        text: { body: 'me too' },
        context: { from: '15550783881', id: wamidB },
      });
      const value = ((otherContact.entry as Json[])[0].changes as Json[])[0].value as {
        contacts: Json[];
        messages: Json[];
      };
      value.contacts[0].wa_id = '16505559999';
      value.messages[0].from = '16505559999';
      await received(hooksB, otherContact);
      // and the right conversation does link (the control)
      const sameConversation = inbound(PHONE_B, {
        type: 'text',
        text: { body: 'ok' },
        context: { from: '15550783881', id: wamidB },
      });
      await received(hooksB, sameConversation);
      await idle();
      expect((await storedMessage(wamidOf(onA)))?.reply_to_message_id).toBeNull();
      expect((await storedMessage(wamidOf(otherContact)))?.reply_to_message_id).toBeNull();
      expect((await storedMessage(wamidOf(sameConversation)))?.reply_to_message_id).toBe(sentB.body.id);
      // A reads none of B's messages
      const list = await get(`/api/whatsapp/messages?subAccountId=${subA}&pageSize=200`, agentA);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(sentB.body.id);
      expect(JSON.stringify(list.body)).not.toContain('B here');
    });

    it('keeps an order only with quantities and prices that are numbers an order can have', async () => {
      const order = inbound(PHONE_A, {
        type: 'order',
        order: {
          catalog_id: '194836987003835',
          text: '',
          product_items: [
            { product_retailer_id: 'neg', quantity: -5, item_price: -1, currency: 'USD' },
            { product_retailer_id: 'huge', quantity: 1e308, item_price: 1e308, currency: 'USD' },
            { product_retailer_id: 'hex', quantity: '0x10', item_price: '0x10', currency: 'USD' },
            { product_retailer_id: 'nan', quantity: 'NaN', item_price: 'Infinity', currency: 'USD' },
            { product_retailer_id: 'frac', quantity: 2.5, item_price: '12.50', currency: 'USD' },
            { product_retailer_id: 'text', quantity: '3', item_price: 30, currency: 'USD' },
          ],
        },
      });
      await received(hooksA, order);
      await idle();
      const row = await storedMessage(wamidOf(order));
      expect(row?.content).toEqual({
        catalogId: '194836987003835',
        productItems: [
          { productRetailerId: 'neg', currency: 'USD' },
          { productRetailerId: 'huge', itemPrice: 1e308, currency: 'USD' },
          { productRetailerId: 'hex', currency: 'USD' },
          { productRetailerId: 'nan', currency: 'USD' },
          { productRetailerId: 'frac', itemPrice: 12.5, currency: 'USD' },
          { productRetailerId: 'text', quantity: 3, itemPrice: 30, currency: 'USD' },
        ],
      });
      expect(row?.text).toBe(
        'Order: ? × neg, ? × huge @ 1e+308 USD, ? × hex, ? × nan, ? × frac @ 12.5 USD, 3 × text @ 30 USD',
      );
    });

    it('keeps Flow answers that are not JSON, huge, or not a string without failing the delivery', async () => {
      const flow = (response: unknown) =>
        inbound(PHONE_A, {
          type: 'interactive',
          interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: response } },
        });
      const notJson = flow('{"flow_token": "t1", ');
      const huge = flow(JSON.stringify({ flow_token: 't2', answer: 'x'.repeat(900_000) }));
      const notString = flow({ flow_token: 't3' });
      const tokenNotPrintable = flow(JSON.stringify({ flow_token: 'a\u0007b' }));
      for (const p of [notJson, huge, notString, tokenNotPrintable]) await received(hooksA, p);
      await idle();
      expect((await storedMessage(wamidOf(notJson)))?.content).toEqual({
        kind: 'nfm_reply',
        name: 'flow',
        body: 'Sent',
        responseJson: '{"flow_token": "t1", ',
      });
      const big = await storedMessage(wamidOf(huge));
      expect(big?.content).toMatchObject({ flowToken: 't2' });
      expect(String(big?.content?.responseJson).length).toBeGreaterThan(900_000);
      expect((await storedMessage(wamidOf(notString)))?.content).toEqual({
        kind: 'nfm_reply',
        name: 'flow',
        body: 'Sent',
      });
      expect((await storedMessage(wamidOf(tokenNotPrintable)))?.content).not.toHaveProperty('flowToken');
    });

    it('reads 10,000 errors about the number as one bounded lastError', async () => {
      const errors = Array.from({ length: 10_000 }, (_, i) => ({ code: 130429 + (i % 3), title: `E${i}` }));
      const payload = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA_A,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_A },
                  errors,
                },
              },
            ],
          },
        ],
      };
      const eventId = await received(hooksA, payload);
      await idle();
      const event = await get(`/api/integrations/${waA}/events?pageSize=200`, adminA);
      const row = (event.body.items as Array<{ id: string; status: string; lastError: string }>).find(
        (e) => e.id === eventId,
      );
      expect(row?.status).toBe('PROCESSED');
      expect(row?.lastError.length).toBeLessThanOrEqual(2000);
      expect(row?.lastError.startsWith('130429 E0; 130430 E1')).toBe(true);
    });
  });

  describe('webhook event replays', () => {
    let eventB: string;

    beforeAll(async () => {
      eventB = await received(hooksB, inbound(PHONE_B, { type: 'text', text: { body: 'B secret words' } }));
      await idle();
    });

    it("answers 404 for B's event and integration, never revealing them, and replays nothing of B", async () => {
      await t.sql.query(
        "UPDATE webhook_events SET status = 'FAILED', processed_at = NULL, last_error = 'B failure detail' WHERE id = $1",
        [eventB],
      );
      const replay = await post(`/api/webhook-events/${eventB}/replay`, adminA);
      expect([replay.status, replay.body.code]).toEqual([404, 'NOT_FOUND']);
      const failed = await post(`/api/integrations/${waB}/events/replay-failed`, adminA);
      expect([failed.status, failed.body.code]).toEqual([404, 'NOT_FOUND']);
      const list = await get(`/api/integrations/${waB}/events`, adminA);
      expect([list.status, list.body.code]).toEqual([404, 'NOT_FOUND']);
      const health = await get(`/api/integrations/${waB}/health`, adminA);
      expect([health.status, health.body.code]).toEqual([404, 'NOT_FOUND']);
      const limits = await get(`/api/integrations/limits?subAccountId=${subB}`, adminA);
      expect([limits.status, limits.body.code]).toEqual([403, 'FORBIDDEN']);
      // the answer for B's event is the answer for an id nobody has
      const none = await post('/api/webhook-events/9223372036854775807/replay', adminA);
      expect({ ...replay.body, message: undefined }).toEqual({ ...none.body, message: undefined });
      expect(replay.body.message).toBe(none.body.message);
      for (const body of [replay.body, failed.body, list.body])
        expect(JSON.stringify(body)).not.toMatch(/B failure|B secret|Tenant B/);
      const row = await t.sql.query<{ status: string; last_error: string }>(
        'SELECT status, last_error FROM webhook_events WHERE id = $1',
        [eventB],
      );
      expect(row.rows[0]).toEqual({ status: 'FAILED', last_error: 'B failure detail' });
      // B's own admin may
      const own = await post(`/api/webhook-events/${eventB}/replay`, adminB);
      expect(own.status).toBe(202);
      await idle();
    });

    it('answers 400 for ids that are not digits and 404 for ids no row can have, never 5xx', async () => {
      const outcomes: string[] = [];
      for (const id of [
        'abc',
        '-1',
        '1e3',
        '0x10',
        '%20%31',
        '1.0',
        '١٢',
        '99999999999999999999',
        '9223372036854775808',
        '0',
        '00000000000000000001',
      ]) {
        const res = await post(`/api/webhook-events/${id}/replay`, adminA);
        outcomes.push(`${id}: ${res.status} ${res.body.code}`);
      }
      expect(outcomes).toEqual([
        'abc: 400 VALIDATION_FAILED',
        '-1: 400 VALIDATION_FAILED',
        '1e3: 400 VALIDATION_FAILED',
        '0x10: 400 VALIDATION_FAILED',
        '%20%31: 400 VALIDATION_FAILED',
        '1.0: 400 VALIDATION_FAILED',
        '١٢: 400 VALIDATION_FAILED',
        '99999999999999999999: 400 VALIDATION_FAILED',
        '9223372036854775808: 404 NOT_FOUND',
        '0: 404 NOT_FOUND',
        '00000000000000000001: 400 VALIDATION_FAILED',
      ]);
      for (const id of ['abc', '99999999999', '0x10']) {
        const res = await post(`/api/integrations/${id}/events/replay-failed`, adminA);
        expect(res.status === 400 || res.status === 404).toBe(true);
      }
    });

    it('a replay racing processing queues the event once: 202 once, then 409 while it is queued', async () => {
      const eventA = await received(hooksA, inbound(PHONE_A, { type: 'text', text: { body: 'race' } }));
      await idle();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(`/api/webhook-events/${eventA}/replay`, managerA)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
      await idle();
      // replayed, the message is not stored twice
      expect(await countRows(t, "messages WHERE text = 'race'")).toBe(1);
    });

    it('a replay of an event of a disconnected integration is refused 409 INTEGRATION_NOT_ACTIVE; of a deleted one 404', async () => {
      const lead = googleLead('attack-google-key-01', 'attack-lead-1', {
        name: 'Dana Replay',
        email: 'dana@example.com',
      });
      const ingest = await t.http
        .post(new URL(googleA.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .send(lead);
      expect(ingest.status).toBe(200);
      const eventId = ingest.body.eventId as string;
      await idle();
      const disconnected = await post(`/api/integrations/${googleA.id}/disconnect`, adminA);
      expect(disconnected.status).toBe(200);
      await t.sql.query("UPDATE webhook_events SET status = 'FAILED', processed_at = NULL WHERE id = $1", [eventId]);
      const replay = await post(`/api/webhook-events/${eventId}/replay`, managerA);
      expect([replay.status, replay.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      const all = await post(`/api/integrations/${googleA.id}/events/replay-failed`, managerA);
      expect([all.status, all.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      expect((await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [eventId])).rows[0].status).toBe(
        'FAILED',
      );

      const deleted = await t.http.delete(`/api/integrations/${googleA.id}`).set('authorization', adminA);
      expect(deleted.status).toBe(204);
      const gone = await post(`/api/webhook-events/${eventId}/replay`, managerA);
      expect([gone.status, gone.body.code]).toEqual([404, 'NOT_FOUND']);
      const goneAll = await post(`/api/integrations/${googleA.id}/events/replay-failed`, managerA);
      expect([goneAll.status, goneAll.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });
  describe("A's token against B's records", () => {
    it("answers 404 for B's records and 403 for B's sub-account id on the WhatsApp routes", async () => {
      // B's outbound message, sent in the inbound-kinds attack above, or a new one
      const bMessage = (
        await t.sql.query<{ id: string }>(
          "SELECT id FROM messages WHERE sub_account_id = $1 AND direction = 'outbound' LIMIT 1",
          [subB],
        )
      ).rows[0]?.id;
      expect(bMessage).toBeDefined();
      const before = { messages: await countRows(t, 'messages'), sends: fake.sends.length };
      const cases: Array<[string, Promise<{ status: number; body: { code?: string } }>, number]> = [
        [
          'send as B',
          post('/api/whatsapp/messages', agentA, { subAccountId: subB, to: `+${CONTACT}`, text: 'x' }),
          403,
        ],
        [
          "send on B's number",
          post('/api/whatsapp/messages', agentA, {
            subAccountId: subA,
            integrationId: waB,
            to: `+${CONTACT}`,
            text: 'x',
          }),
          404,
        ],
        [
          "reply to B's message",
          post('/api/whatsapp/messages', agentA, {
            subAccountId: subA,
            to: `+${CONTACT}`,
            text: 'x',
            replyToMessageId: bMessage,
          }),
          404,
        ],
        ["sync B's templates", post('/api/whatsapp/templates/sync', adminA, { integrationId: waB }), 404],
        ["list B's templates", get(`/api/whatsapp/templates?subAccountId=${subB}`, adminA), 403],
        ["list B's messages", get(`/api/whatsapp/messages?subAccountId=${subB}`, adminA), 403],
        ["B's sync runs", get(`/api/integrations/${waB}/sync-runs`, adminA), 404],
      ];
      const outcomes: string[] = [];
      for (const [what, res, status] of cases) {
        const answer = await res;
        outcomes.push(`${what}: ${answer.status} ${answer.body.code}`);
        void status;
      }
      expect(outcomes).toEqual(
        cases.map(([what, , status]) => `${what}: ${status} ${status === 403 ? 'FORBIDDEN' : 'NOT_FOUND'}`),
      );
      expect(await countRows(t, 'messages')).toBe(before.messages);
      expect(fake.sends.length).toBe(before.sends);
    });

    it('refuses a key naming an Object.prototype member anywhere in a body instead of dropping it', async () => {
      const leads = await countRows(t, 'leads');
      for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
        const lead = await post('/api/leads', agentA, { subAccountId: subA, fullName: 'Proto Type', [key]: 'x' });
        expect([lead.status, lead.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(lead.body.details).toEqual([{ field: key, messages: [expect.stringContaining(`a key named ${key}`)] }]);
      }
      const nested = await post('/api/leads', agentA, {
        subAccountId: subA,
        fullName: 'Proto Type',
        source: { platform: 'manual', toString: 'x' },
      });
      expect([nested.status, nested.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(await countRows(t, 'leads')).toBe(leads);
    });
  });
});
