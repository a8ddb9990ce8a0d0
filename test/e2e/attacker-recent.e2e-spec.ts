// The features of the last sessions, attacked: AUTHENTICATION templates (hostile component shapes, OTP
// codes that are not strings or fill other slots), GoHighLevel block slots (odd instants, control
// characters, other tenants' and other providers' integrations), webhook event replays (other tenants'
// ids, malformed ids, races, disconnected and deleted integrations), WhatsApp inbound kinds (replies
// naming another tenant's message, hostile orders, Flow answers and errors) and a token of sub-account
// A against every one of those routes naming B's records. Each attack asserts the safe answer API.md
// gives (status and code), that nothing was stored or sent on, and that nothing of B leaked.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { countRows } from '../support/security';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  AttackFixture,
  Json,
  WABA_A,
  WABA_B,
  attackHelpers,
  setupAttackerRecent,
} from '../support/attacker-recent-setup';

describe('attacks on the recent features', () => {
  let fx: AttackFixture;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let subA: number;
  let waA: number;
  let waB: number;
  let ghlA: number;
  let adminA: string;
  let agentA: string;
  const { post } = attackHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupAttackerRecent();
    ({ t, fake, subA, waA, waB, ghlA, adminA, agentA } = fx);
  });
  afterAll(() => fx.close());

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
});
