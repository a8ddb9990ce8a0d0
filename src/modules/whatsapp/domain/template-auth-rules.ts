// AUTHENTICATION template checks: Meta presets these templates, so their rules share little with the others'.
//
// Sources (Meta):
// - AUTHENTICATION templates (one-time passcodes): Meta presets the body ("<code> is your verification
//   code.") and takes only `add_security_recommendation` on it, `code_expiration_minutes` (1–90) on the
//   footer and one OTP button, `otp_type` COPY_CODE | ONE_TAP | ZERO_TAP, with `supported_apps`
//   ({ package_name, signature_hash }) for the Android ones and `zero_tap_terms_accepted` for zero-tap;
//   no header, URLs, media or emojis: developers.facebook.com/docs/whatsapp/business-management-api/
//   authentication-templates (copy-code, one-tap autofill and zero-tap pages). The 224-character package
//   name, the 11-character hash, button texts of 25 and at most 5 apps are as those pages give them
//   (read through mirrors of Meta's page, e.g. support.chatarchitect.com, and 360dialog's copy).
import { isRecord, JsonRecord } from '../../../handlers/shared/json';
import { eachComponent, LIMITS, str, TemplateCheck, TemplateProblem, unknownFields, upper } from './template-rules';

/** An AUTHENTICATION template's parts, as Meta's authentication-templates pages define them. */
const AUTH_COMPONENT_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  BODY: new Set(['type', 'add_security_recommendation']),
  FOOTER: new Set(['type', 'code_expiration_minutes']),
  BUTTONS: new Set(['type', 'buttons']),
};
const OTP_BUTTON_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'otp_type',
  'text',
  'autofill_text',
  'supported_apps',
  'package_name',
  'signature_hash',
  'zero_tap_terms_accepted',
]);
const OTP_TYPES: ReadonlySet<string> = new Set(['COPY_CODE', 'ONE_TAP', 'ZERO_TAP']);
// an Android application id (com.example.app) and the app signing key's 11-character hash
const ANDROID_PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
const SIGNATURE_HASH = /^[A-Za-z0-9+/]{11}$/;
// The one-time code of a send: "Maximum 15 characters" (<ONE-TIME PASSWORD>, "Sending authentication
// templates", developers.facebook.com/docs/whatsapp/business-management-api/authentication-templates/
// copy-code-button-authentication-templates; read through a copy of Meta's page in
// github.com/LimaLb01/endpoint-flow docs_whatsappflow/docs_apiwhatsapp/copy_code.md, and ycloud's help
// centre: "The code length cannot exceed 15 characters").
export const AUTH_LIMITS = { codeExpirationMinutes: 90, packageName: 224, supportedApps: 5, code: 15 } as const;

/**
 * An AUTHENTICATION template: Meta's preset body with its options, an optional expiry footer and one
 * OTP button. Text, examples, headers and other buttons are Meta's to refuse, so they are refused here.
 */
export function authenticationTemplate(
  dto: JsonRecord,
  name: string,
  language: string,
  problems: TemplateProblem[],
): TemplateCheck {
  if (dto.parameterFormat !== undefined && upper(dto.parameterFormat) !== 'POSITIONAL')
    problems.push({
      path: 'parameterFormat',
      message: 'an AUTHENTICATION template has one positional parameter, the code: leave parameterFormat out',
    });
  const components = Array.isArray(dto.components) ? dto.components : [];
  const seen = eachComponent(dto.components, problems, (raw, type, path) => {
    const fields = AUTH_COMPONENT_FIELDS[type];
    if (!fields)
      return problems.push({
        path: `${path}.type`,
        message: 'an AUTHENTICATION template takes BODY, FOOTER and BUTTONS only (no header, media or URLs)',
      });
    for (const key of ['text', 'example'])
      if (key in raw && type !== 'BUTTONS')
        problems.push({
          path: `${path}.${key}`,
          message: `Meta presets the ${type === 'BODY' ? 'body ("<code> is your verification code.")' : 'footer ("This code expires in <n> minutes.")'} of an AUTHENTICATION template: leave ${key} out`,
        });
    unknownFields(
      type === 'BUTTONS'
        ? raw
        : Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'text' && k !== 'example')),
      fields,
      path,
      problems,
    );
    if (
      type === 'BODY' &&
      raw.add_security_recommendation !== undefined &&
      typeof raw.add_security_recommendation !== 'boolean'
    )
      problems.push({
        path: `${path}.add_security_recommendation`,
        message: 'add_security_recommendation must be true or false',
      });
    if (type === 'FOOTER') {
      const minutes = raw.code_expiration_minutes;
      if (
        minutes !== undefined &&
        !(Number.isInteger(minutes) && Number(minutes) >= 1 && Number(minutes) <= AUTH_LIMITS.codeExpirationMinutes)
      )
        problems.push({
          path: `${path}.code_expiration_minutes`,
          message: `code_expiration_minutes must be a whole number from 1 to ${AUTH_LIMITS.codeExpirationMinutes}`,
        });
    }
    if (type === 'BUTTONS') checkOtpButtons(raw, path, problems);
  });
  if ((seen.get('BODY') ?? 0) !== 1) problems.push({ path: 'components', message: 'exactly one BODY component' });
  if ((seen.get('BUTTONS') ?? 0) !== 1)
    problems.push({ path: 'components', message: 'exactly one BUTTONS component, with the OTP button' });
  if ((seen.get('FOOTER') ?? 0) > 1) problems.push({ path: 'components', message: 'at most one FOOTER component' });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    request: {
      name,
      language,
      category: 'AUTHENTICATION',
      parameter_format: 'POSITIONAL',
      components: components.filter(isRecord).map((c) => {
        const type = upper(c.type);
        if (type !== 'BUTTONS') return { ...c, type };
        const buttons = Array.isArray(c.buttons) ? c.buttons.filter(isRecord) : [];
        return { ...c, type, buttons: buttons.map((b) => ({ ...b, type: 'OTP', otp_type: upper(b.otp_type) })) };
      }),
    },
  };
}

function checkOtpButtons(component: JsonRecord, path: string, problems: TemplateProblem[]): void {
  const buttons = Array.isArray(component.buttons) ? component.buttons : [];
  if (buttons.length !== 1 || !isRecord(buttons[0])) {
    problems.push({
      path: `${path}.buttons`,
      message: 'an AUTHENTICATION template has exactly one button, of type OTP',
    });
    return;
  }
  const button = buttons[0];
  const at = `${path}.buttons[0]`;
  unknownFields(button, OTP_BUTTON_FIELDS, at, problems);
  if (upper(button.type) !== 'OTP') problems.push({ path: `${at}.type`, message: 'the button type must be OTP' });
  const otpType = upper(button.otp_type);
  if (!OTP_TYPES.has(otpType))
    problems.push({ path: `${at}.otp_type`, message: 'otp_type must be COPY_CODE, ONE_TAP or ZERO_TAP' });
  for (const key of ['text', 'autofill_text']) {
    const value: unknown = button[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '' || value.length > LIMITS.buttonText))
      problems.push({ path: `${at}.${key}`, message: `${key} must be 1 to ${LIMITS.buttonText} characters` });
  }
  const android = otpType === 'ONE_TAP' || otpType === 'ZERO_TAP';
  if (!android) {
    for (const key of ['autofill_text', 'supported_apps', 'package_name', 'signature_hash', 'zero_tap_terms_accepted'])
      if (key in button)
        problems.push({ path: `${at}.${key}`, message: `${key} belongs to ONE_TAP and ZERO_TAP buttons only` });
  } else {
    const apps: Array<{ app: JsonRecord; at: string }> = [];
    if (button.supported_apps !== undefined) {
      const list = Array.isArray(button.supported_apps) ? button.supported_apps : [];
      if (
        list.length === 0 ||
        list.length > AUTH_LIMITS.supportedApps ||
        'package_name' in button ||
        'signature_hash' in button
      )
        problems.push({
          path: `${at}.supported_apps`,
          message: `supported_apps lists 1 to ${AUTH_LIMITS.supportedApps} apps ({ package_name, signature_hash }), instead of package_name and signature_hash on the button`,
        });
      list.forEach((app: unknown, i) => {
        if (isRecord(app)) apps.push({ app, at: `${at}.supported_apps[${i}]` });
        else
          problems.push({
            path: `${at}.supported_apps[${i}]`,
            message: 'an app must be { package_name, signature_hash }',
          });
      });
    } else if ('package_name' in button || 'signature_hash' in button) apps.push({ app: button, at });
    else
      problems.push({
        path: `${at}.supported_apps`,
        message: `a ${otpType} button needs the Android app it hands the code to: supported_apps [{ package_name, signature_hash }]`,
      });
    for (const { app, at: appAt } of apps) {
      if (appAt !== at) unknownFields(app, new Set(['package_name', 'signature_hash']), appAt, problems);
      const pkg = str(app.package_name) ?? '';
      if (!ANDROID_PACKAGE.test(pkg) || pkg.length > AUTH_LIMITS.packageName)
        problems.push({
          path: `${appAt}.package_name`,
          message: `package_name must be an Android application id (com.example.app) of at most ${AUTH_LIMITS.packageName} characters`,
        });
      if (!SIGNATURE_HASH.test(str(app.signature_hash) ?? ''))
        problems.push({
          path: `${appAt}.signature_hash`,
          message: "signature_hash must be the app signing key's 11-character hash",
        });
    }
    if (otpType === 'ZERO_TAP' && button.zero_tap_terms_accepted !== true)
      problems.push({
        path: `${at}.zero_tap_terms_accepted`,
        message: "a ZERO_TAP button needs zero_tap_terms_accepted: true (Meta's zero-tap terms)",
      });
    if (otpType === 'ONE_TAP' && 'zero_tap_terms_accepted' in button)
      problems.push({
        path: `${at}.zero_tap_terms_accepted`,
        message: 'zero_tap_terms_accepted belongs to ZERO_TAP buttons only',
      });
  }
}
