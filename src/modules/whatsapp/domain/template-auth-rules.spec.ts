// AUTHENTICATION template create rules (template-auth-rules.ts), checked through validateTemplateCreate.
import { TemplateCheck } from './template-rules';
import { validateTemplateCreate } from './template-create-rules';

const problemsOf = (check: TemplateCheck) => (check.ok ? [] : check.problems);
const messages = (check: TemplateCheck) => problemsOf(check).map((p) => `${p.path}: ${p.message}`);

// Meta's authentication-templates pages (copy code, one-tap autofill, zero-tap): preset body, expiry footer, one OTP button
const APP = { package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' };
const auth = (components: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'login_code',
  language: 'en_US',
  category: 'AUTHENTICATION',
  components,
  ...extra,
});
const otp = (button: Record<string, unknown>) => ({ type: 'BUTTONS', buttons: [{ type: 'OTP', ...button }] });

describe('validateTemplateCreate: AUTHENTICATION', () => {
  it("accepts Meta's copy-code example and sends it as Meta takes it", () => {
    const check = validateTemplateCreate(
      auth([
        { type: 'body', add_security_recommendation: true },
        { type: 'footer', code_expiration_minutes: 10 },
        { type: 'buttons', buttons: [{ type: 'otp', otp_type: 'copy_code', text: 'Copy Code' }] },
      ]),
    );
    expect(messages(check)).toEqual([]);
    if (!check.ok) return;
    expect(check.request).toEqual({
      name: 'login_code',
      language: 'en_US',
      category: 'AUTHENTICATION',
      parameter_format: 'POSITIONAL',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy Code' }] },
      ],
    });
  });

  it('accepts one-tap and zero-tap buttons with their Android apps (supported_apps, or the older pair on the button)', () => {
    const ok = (button: Record<string, unknown>) =>
      messages(validateTemplateCreate(auth([{ type: 'BODY' }, otp(button)])));
    expect(ok({ otp_type: 'ONE_TAP', text: 'Copy', autofill_text: 'Autofill', supported_apps: [APP] })).toEqual([]);
    expect(ok({ otp_type: 'ONE_TAP', ...APP })).toEqual([]);
    expect(ok({ otp_type: 'ZERO_TAP', zero_tap_terms_accepted: true, supported_apps: [APP] })).toEqual([]);
  });

  it.each([
    ['body text', [{ type: 'BODY', text: '{{1}} is your code' }, otp({ otp_type: 'COPY_CODE' })], 'components[0].text'],
    [
      'a body example',
      [{ type: 'BODY', example: { body_text: [['1']] } }, otp({ otp_type: 'COPY_CODE' })],
      'components[0].example',
    ],
    [
      'a header',
      [{ type: 'HEADER', format: 'TEXT', text: 'Hi' }, { type: 'BODY' }, otp({ otp_type: 'COPY_CODE' })],
      'components[0].type',
    ],
    [
      'footer text',
      [{ type: 'BODY' }, { type: 'FOOTER', text: 'bye' }, otp({ otp_type: 'COPY_CODE' })],
      'components[1].text',
    ],
    [
      'expiry 0',
      [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 0 }, otp({ otp_type: 'COPY_CODE' })],
      'components[1].code_expiration_minutes',
    ],
    [
      'expiry 91',
      [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 91 }, otp({ otp_type: 'COPY_CODE' })],
      'components[1].code_expiration_minutes',
    ],
    [
      'expiry 1.5',
      [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 1.5 }, otp({ otp_type: 'COPY_CODE' })],
      'components[1].code_expiration_minutes',
    ],
    [
      'a text security flag',
      [{ type: 'BODY', add_security_recommendation: 'yes' }, otp({ otp_type: 'COPY_CODE' })],
      'components[0].add_security_recommendation',
    ],
    ['no button', [{ type: 'BODY' }], 'components'],
    [
      'a URL button',
      [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'https://x.example' }] }],
      'components[1].buttons[0].type',
    ],
    [
      'two buttons',
      [
        { type: 'BODY' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'OTP', otp_type: 'COPY_CODE' },
            { type: 'OTP', otp_type: 'COPY_CODE' },
          ],
        },
      ],
      'components[1].buttons',
    ],
    ['an unknown otp_type', [{ type: 'BODY' }, otp({ otp_type: 'MAGIC' })], 'components[1].buttons[0].otp_type'],
    [
      'a long button text',
      [{ type: 'BODY' }, otp({ otp_type: 'COPY_CODE', text: 'x'.repeat(26) })],
      'components[1].buttons[0].text',
    ],
    [
      'one-tap without its app',
      [{ type: 'BODY' }, otp({ otp_type: 'ONE_TAP' })],
      'components[1].buttons[0].supported_apps',
    ],
    [
      'an app on a copy-code button',
      [{ type: 'BODY' }, otp({ otp_type: 'COPY_CODE', supported_apps: [APP] })],
      'components[1].buttons[0].supported_apps',
    ],
    [
      'a bad package name',
      [{ type: 'BODY' }, otp({ otp_type: 'ONE_TAP', supported_apps: [{ ...APP, package_name: 'app' }] })],
      'components[1].buttons[0].supported_apps[0].package_name',
    ],
    [
      'a bad hash',
      [{ type: 'BODY' }, otp({ otp_type: 'ONE_TAP', supported_apps: [{ ...APP, signature_hash: 'short' }] })],
      'components[1].buttons[0].supported_apps[0].signature_hash',
    ],
    [
      'six apps',
      [{ type: 'BODY' }, otp({ otp_type: 'ONE_TAP', supported_apps: Array(6).fill(APP) })],
      'components[1].buttons[0].supported_apps',
    ],
    [
      'zero-tap without the terms',
      [{ type: 'BODY' }, otp({ otp_type: 'ZERO_TAP', supported_apps: [APP] })],
      'components[1].buttons[0].zero_tap_terms_accepted',
    ],
    [
      'an unknown button field',
      [{ type: 'BODY' }, otp({ otp_type: 'COPY_CODE', url: 'https://x.example' })],
      'components[1].buttons[0].url',
    ],
    [
      'an unknown body field',
      [{ type: 'BODY', format: 'TEXT' }, otp({ otp_type: 'COPY_CODE' })],
      'components[0].format',
    ],
  ])('refuses %s', (_what, components, path) => {
    expect(problemsOf(validateTemplateCreate(auth(components))).map((p) => p.path)).toContain(path);
  });

  it('refuses NAMED parameters: the code is the one positional parameter', () => {
    const check = validateTemplateCreate(
      auth([{ type: 'BODY' }, otp({ otp_type: 'COPY_CODE' })], { parameterFormat: 'NAMED' }),
    );
    expect(problemsOf(check).map((p) => p.path)).toEqual(['parameterFormat']);
  });
});
