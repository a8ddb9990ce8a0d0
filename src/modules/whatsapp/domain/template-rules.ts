// WhatsApp message templates as Meta defines them: the create-request rules API.md promises
// ("validated before Meta sees them") and the facts the hub keeps per template row (variables with
// examples, header type, buttons). Pure functions over Meta's template JSON; no I/O.
//
//   const checked = validateTemplateCreate(dto);           // problems[] → 400 VALIDATION_FAILED
//   if (checked.ok) graph.post(`/${wabaId}/message_templates`, checked.request);
//   const facts = describeTemplate(row);                   // { parameterFormat, headerType, variables, buttons }
//
// Sources (Meta):
// - Components and example syntax (text header: 60 chars, 1 parameter, `header_text` or
//   `header_text_named_params: [{param_name, example}]`; media headers IMAGE | VIDEO | GIF | DOCUMENT with
//   `example.header_handle`): developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
// - LOCATION header, PHONE_NUMBER / URL buttons, URL suffix `{{1}}` with `example`, `body_text: [[…]]`:
//   Meta's own OpenAPI spec, github.com/facebook/openapi business-messaging-api_v23.0.yaml,
//   POST /{WABA-ID}/message_templates examples.
// - `parameter_format` POSITIONAL | NAMED and the create request shape:
//   developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview ("Common syntax").
// - Button limits (10 in all, ≤ 2 URL, ≤ 1 PHONE_NUMBER, quick replies grouped apart from the others)
//   as Meta's components page states them (quoted by BSP docs, e.g. docs.gupshup.io template-button-list);
//   body 1,024 and footer 60 characters: the same page.
// - AUTHENTICATION templates (one-time passcodes): Meta presets the body ("<code> is your verification
//   code.") and takes only `add_security_recommendation` on it, `code_expiration_minutes` (1–90) on the
//   footer and one OTP button, `otp_type` COPY_CODE | ONE_TAP | ZERO_TAP, with `supported_apps`
//   ({ package_name, signature_hash }) for the Android ones and `zero_tap_terms_accepted` for zero-tap;
//   no header, URLs, media or emojis: developers.facebook.com/docs/whatsapp/business-management-api/
//   authentication-templates (copy-code, one-tap autofill and zero-tap pages). The 224-character package
//   name, the 11-character hash, button texts of 25 and at most 5 apps are as those pages give them
//   (read through mirrors of Meta's page, e.g. support.chatarchitect.com, and 360dialog's copy).
import { isRecord, JsonRecord } from '../../../handlers/shared/json';

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];
export type ParameterFormat = 'POSITIONAL' | 'NAMED';
export type HeaderType = 'TEXT' | 'IMAGE' | 'VIDEO' | 'GIF' | 'DOCUMENT' | 'LOCATION';
export type VariableComponent = 'HEADER' | 'BODY' | 'BUTTON';

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

export const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
// Meta's locale codes: `en`, `en_US`, `pt_BR`, `zh_CN`, `fil` …
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2,3})?$/;
const POSITIONAL_KEY = /^[1-9][0-9]*$/;
const NAMED_KEY = /^[a-z][a-z0-9_]*$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const MEDIA_HEADERS: ReadonlySet<string> = new Set(['IMAGE', 'VIDEO', 'GIF', 'DOCUMENT']);
const CREATABLE_BUTTONS: ReadonlySet<string> = new Set(['QUICK_REPLY', 'URL', 'PHONE_NUMBER']);

/**
 * The fields Meta defines for the components, examples and buttons a create request may hold
 * (the components page above); any other key is refused rather than stored and sent on.
 */
const COMPONENT_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  HEADER: new Set(['type', 'format', 'text', 'example']),
  BODY: new Set(['type', 'text', 'example']),
  FOOTER: new Set(['type', 'text']),
  BUTTONS: new Set(['type', 'buttons']),
};
const EXAMPLE_FIELDS: Readonly<Record<'header' | 'body', ReadonlySet<string>>> = {
  header: new Set(['header_text', 'header_text_named_params', 'header_handle']),
  body: new Set(['body_text', 'body_text_named_params']),
};
const BUTTON_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  QUICK_REPLY: new Set(['type', 'text']),
  URL: new Set(['type', 'text', 'url', 'example']),
  PHONE_NUMBER: new Set(['type', 'text', 'phone_number']),
};

export const LIMITS = {
  headerText: 60,
  bodyText: 1024,
  footerText: 60,
  buttons: 10,
  urlButtons: 2,
  phoneButtons: 1,
  buttonText: 25,
  url: 2000,
  phoneNumber: 20,
} as const;

/** One variable of a template, with the example Meta reviewed (API.md `variables`). For a URL button the key is its index. */
export interface TemplateVariable {
  component: VariableComponent;
  key: string;
  example: string;
}

export interface TemplateButton {
  index: number;
  type: string;
  text: string;
  url?: string;
  phoneNumber?: string;
  /** A URL button whose address ends with `{{1}}`: the send must give the suffix. */
  hasVariable: boolean;
}

/** What the hub keeps per template row, derived from Meta's JSON. */
export interface TemplateFacts {
  parameterFormat: ParameterFormat;
  headerType: HeaderType | null;
  variables: TemplateVariable[];
  buttons: TemplateButton[];
}

export interface TemplateProblem {
  path: string;
  message: string;
}

/** The body of POST /{waba-id}/message_templates, as Meta takes it. */
export interface TemplateCreateRequest {
  name: string;
  language: string;
  category: TemplateCategory;
  parameter_format: ParameterFormat;
  components: JsonRecord[];
}

export type TemplateCheck = { ok: true; request: TemplateCreateRequest } | { ok: false; problems: TemplateProblem[] };

/** The placeholders of a text in order of appearance, `{{1}}` → '1', `{{first_name}}` → 'first_name' (raw inner text). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

export function parameterFormatOf(value: unknown): ParameterFormat {
  return typeof value === 'string' && value.toUpperCase() === 'NAMED' ? 'NAMED' : 'POSITIONAL';
}

/** The stated format, or (a listing without `parameter_format`) the one its placeholders use. */
function inferFormat(stated: unknown, components: JsonRecord[]): ParameterFormat {
  if (stated !== undefined && stated !== null) return parameterFormatOf(stated);
  const texts = components.filter((c) => ['HEADER', 'BODY'].includes(upper(c.type))).map((c) => str(c.text) ?? '');
  return texts.some((t) => placeholdersOf(t).some((k) => NAMED_KEY.test(k))) ? 'NAMED' : 'POSITIONAL';
}

/**
 * A create request without parameterFormat (API.md's body has none): NAMED when a HEADER or BODY example is
 * named (`*_text_named_params`), as every variable needs an example; otherwise POSITIONAL.
 */
function formatOfExamples(components: unknown): ParameterFormat {
  const named = componentsOf(components).some((c) => {
    const example = c.example;
    return isRecord(example) && ('header_text_named_params' in example || 'body_text_named_params' in example);
  });
  return named ? 'NAMED' : 'POSITIONAL';
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const upper = (value: unknown): string => (typeof value === 'string' ? value.toUpperCase() : '');

/** Meta's components are typed HEADER/BODY/FOOTER/BUTTONS (some examples use lower case). */
export function componentsOf(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function findComponent(components: JsonRecord[], type: string): JsonRecord | undefined {
  return components.find((c) => upper(c.type) === type);
}

/**
 * The distinct keys of a text checked against the format: positional keys must be 1..n with no
 * gap (Meta numbers them), named keys lower-case letters, digits and underscores.
 */
function variableKeys(text: string, format: ParameterFormat, path: string, problems: TemplateProblem[]): string[] {
  const keys: string[] = [];
  for (const raw of placeholdersOf(text)) {
    const ok = format === 'NAMED' ? NAMED_KEY.test(raw) : POSITIONAL_KEY.test(raw);
    if (!ok) {
      problems.push({
        path,
        message:
          format === 'NAMED'
            ? `placeholder {{${raw}}} is not a named parameter (lower-case letters, digits and _, e.g. {{first_name}})`
            : `placeholder {{${raw}}} is not positional ({{1}}, {{2}} …); set parameterFormat NAMED for named ones`,
      });
      continue;
    }
    if (!keys.includes(raw)) keys.push(raw);
  }
  if (format === 'NAMED') return keys;
  // positional values are sent in number order, whatever order the text uses them in
  const numbers = keys.map(Number).sort((a, b) => a - b);
  if (numbers.some((n, i) => n !== i + 1))
    problems.push({ path, message: `positional placeholders must be {{1}} to {{${numbers.length}}} without gaps` });
  return numbers.map(String);
}

function unknownFields(
  record: JsonRecord,
  known: ReadonlySet<string>,
  path: string,
  problems: TemplateProblem[],
): void {
  for (const key of Object.keys(record))
    if (!known.has(key)) problems.push({ path: `${path}.${key}`, message: `unknown field ${key}` });
}

/** Examples as Meta's JSON carries them, by key (every key the example names). */
function examplesOf(component: JsonRecord, kind: 'header' | 'body'): Map<string, string> {
  const found = new Map<string, string>();
  const example = isRecord(component.example) ? component.example : {};
  const named = example[`${kind}_text_named_params`];
  if (Array.isArray(named)) {
    for (const entry of named.filter(isRecord)) {
      const name = str(entry.param_name);
      const value = str(entry.example);
      if (name && value !== undefined) found.set(name, value);
    }
  }
  const positional = example[`${kind}_text`];
  // body_text is an array of rows ([[…]]), header_text a flat array
  const row: unknown = kind === 'body' && Array.isArray(positional) ? positional[0] : positional;
  if (Array.isArray(row)) row.forEach((value, i) => typeof value === 'string' && found.set(String(i + 1), value));
  return found;
}

function checkTextComponent(
  component: JsonRecord,
  kind: 'header' | 'body',
  format: ParameterFormat,
  path: string,
  problems: TemplateProblem[],
): void {
  if (isRecord(component.example)) unknownFields(component.example, EXAMPLE_FIELDS[kind], `${path}.example`, problems);
  const text = str(component.text) ?? '';
  const max = kind === 'header' ? LIMITS.headerText : LIMITS.bodyText;
  if (text.trim() === '' || text.length > max)
    problems.push({ path: `${path}.text`, message: `${kind} text must be 1 to ${max} characters` });
  const keys = variableKeys(text, format, `${path}.text`, problems);
  if (kind === 'header' && keys.length > 1)
    problems.push({ path: `${path}.text`, message: 'a text header takes at most one parameter' });
  const examples = examplesOf(component, kind);
  const field = format === 'NAMED' ? `${kind}_text_named_params` : `${kind}_text`;
  const missing = keys.filter((k) => !examples.has(k) || examples.get(k)?.trim() === '');
  if (missing.length > 0)
    problems.push({
      path: `${path}.example.${field}`,
      message: `an example is required for every parameter: missing ${missing.map((k) => `{{${k}}}`).join(', ')}`,
    });
  // Meta matches examples to parameters one to one: an example for a parameter the text lacks is refused
  const extra = [...examples.keys()].filter((k) => !keys.includes(k));
  if (extra.length > 0)
    problems.push({
      path: `${path}.example.${field}`,
      message: `examples for parameters the text does not have: ${extra.map((k) => `{{${k}}}`).join(', ')}`,
    });
}

function checkHeader(header: JsonRecord, format: ParameterFormat, path: string, problems: TemplateProblem[]): void {
  const kind = upper(header.format);
  if (kind === 'TEXT') return checkTextComponent(header, 'header', format, path, problems);
  if (MEDIA_HEADERS.has(kind)) {
    const handles = isRecord(header.example) ? header.example.header_handle : undefined;
    if (!Array.isArray(handles) || typeof handles[0] !== 'string' || handles[0] === '')
      problems.push({
        path: `${path}.example.header_handle`,
        message: `a ${kind} header needs a sample media handle (upload it with the Resumable Upload API)`,
      });
    return;
  }
  if (kind === 'LOCATION') return;
  problems.push({
    path: `${path}.format`,
    message: 'header format must be TEXT, IMAGE, VIDEO, GIF, DOCUMENT or LOCATION',
  });
}

function checkButton(button: JsonRecord, path: string, problems: TemplateProblem[]): void {
  const type = upper(button.type);
  const text = str(button.text) ?? '';
  if (text.trim() === '' || text.length > LIMITS.buttonText)
    problems.push({ path: `${path}.text`, message: `button text must be 1 to ${LIMITS.buttonText} characters` });
  if (type === 'URL') {
    const url = str(button.url) ?? '';
    if (!/^https?:\/\/[^\s]+$/i.test(url) || url.length > LIMITS.url)
      problems.push({
        path: `${path}.url`,
        message: `url must be an http(s) address of at most ${LIMITS.url} characters`,
      });
    const keys = placeholdersOf(url);
    // Meta appends the send's suffix to the address: one {{1}}, at the very end
    if (keys.length > 1 || (keys.length === 1 && (keys[0] !== '1' || !url.endsWith('{{1}}'))))
      problems.push({
        path: `${path}.url`,
        message: 'a URL button takes one variable, {{1}}, at the end of the address',
      });
    const example: unknown = button.example;
    if (keys.length === 1 && !(Array.isArray(example) && typeof example[0] === 'string' && example[0] !== ''))
      problems.push({ path: `${path}.example`, message: 'a URL with {{1}} needs an example (the full sample URL)' });
  } else if (type === 'PHONE_NUMBER') {
    const phone = str(button.phone_number) ?? '';
    if (!/^\+?[0-9]{5,}$/.test(phone) || phone.length > LIMITS.phoneNumber)
      problems.push({ path: `${path}.phone_number`, message: 'phone_number must be digits with the country code' });
  }
}

function checkButtons(component: JsonRecord, path: string, problems: TemplateProblem[]): void {
  const buttons = Array.isArray(component.buttons) ? component.buttons.filter(isRecord) : [];
  if (buttons.length === 0 || buttons.length > LIMITS.buttons) {
    problems.push({ path: `${path}.buttons`, message: `BUTTONS holds 1 to ${LIMITS.buttons} buttons` });
    return;
  }
  const types = buttons.map((b) => upper(b.type));
  types.forEach((type, i) => {
    if (!CREATABLE_BUTTONS.has(type))
      problems.push({
        path: `${path}.buttons[${i}].type`,
        message: 'button type must be QUICK_REPLY, URL or PHONE_NUMBER',
      });
    else {
      unknownFields(buttons[i], BUTTON_FIELDS[type], `${path}.buttons[${i}]`, problems);
      checkButton(buttons[i], `${path}.buttons[${i}]`, problems);
    }
  });
  if (types.filter((t) => t === 'URL').length > LIMITS.urlButtons)
    problems.push({ path: `${path}.buttons`, message: `at most ${LIMITS.urlButtons} URL buttons` });
  if (types.filter((t) => t === 'PHONE_NUMBER').length > LIMITS.phoneButtons)
    problems.push({ path: `${path}.buttons`, message: `at most ${LIMITS.phoneButtons} PHONE_NUMBER button` });
  // quick replies and the other buttons form two groups; interleaving them is "an invalid combination"
  const groups = types.map((t) => t === 'QUICK_REPLY').filter((q, i, all) => i === 0 || q !== all[i - 1]).length;
  if (groups > 2)
    problems.push({
      path: `${path}.buttons`,
      message: 'group QUICK_REPLY buttons together, apart from URL/PHONE_NUMBER ones',
    });
}

/**
 * Visits each component of a create request with its upper-cased type and path; says when the list is
 * missing or empty and when an entry is not an object. Returns how many of each type it holds.
 */
function eachComponent(
  value: unknown,
  problems: TemplateProblem[],
  visit: (component: JsonRecord, type: string, path: string) => unknown,
): Map<string, number> {
  const seen = new Map<string, number>();
  const components: unknown[] = Array.isArray(value) ? value : [];
  if (components.length === 0) problems.push({ path: 'components', message: 'components must be a non-empty array' });
  components.forEach((raw, i) => {
    const path = `components[${i}]`;
    if (!isRecord(raw)) return problems.push({ path, message: 'a component must be an object' });
    const type = upper(raw.type);
    seen.set(type, (seen.get(type) ?? 0) + 1);
    visit(raw, type, path);
  });
  return seen;
}

/** Checks a create request (API.md field names) and builds what Meta takes, or says every problem at once. */
export function validateTemplateCreate(input: unknown): TemplateCheck {
  const problems: TemplateProblem[] = [];
  const dto = isRecord(input) ? input : {};
  const name = str(dto.name) ?? '';
  if (!TEMPLATE_NAME.test(name))
    problems.push({ path: 'name', message: 'name must match ^[a-z0-9_]{1,512}$ (lower case, digits, underscores)' });
  const language = str(dto.language) ?? '';
  if (!LANGUAGE.test(language))
    problems.push({ path: 'language', message: 'language must be a locale code like en_US' });
  const category = upper(dto.category);
  if (!(TEMPLATE_CATEGORIES as readonly string[]).includes(category))
    problems.push({ path: 'category', message: 'category must be MARKETING, UTILITY or AUTHENTICATION' });
  if (category === 'AUTHENTICATION') return authenticationTemplate(dto, name, language, problems);
  const stated = dto.parameterFormat ?? dto.parameter_format;
  const format = stated === undefined ? formatOfExamples(dto.components) : parameterFormatOf(stated);
  if (dto.parameterFormat !== undefined && !['POSITIONAL', 'NAMED'].includes(upper(dto.parameterFormat)))
    problems.push({ path: 'parameterFormat', message: 'parameterFormat must be POSITIONAL or NAMED' });

  const components = Array.isArray(dto.components) ? dto.components : [];
  const seen = eachComponent(dto.components, problems, (raw, type, path) => {
    const fields = COMPONENT_FIELDS[type];
    if (fields) unknownFields(raw, fields, path, problems);
    if (type === 'BODY') checkTextComponent(raw, 'body', format, path, problems);
    else if (type === 'HEADER') checkHeader(raw, format, path, problems);
    else if (type === 'FOOTER') {
      const text = str(raw.text) ?? '';
      if (text.trim() === '' || text.length > LIMITS.footerText)
        problems.push({ path: `${path}.text`, message: `footer text must be 1 to ${LIMITS.footerText} characters` });
      if (placeholdersOf(text).length > 0)
        problems.push({ path: `${path}.text`, message: 'a footer takes no parameters' });
    } else if (type === 'BUTTONS') checkButtons(raw, path, problems);
    else problems.push({ path: `${path}.type`, message: 'component type must be HEADER, BODY, FOOTER or BUTTONS' });
  });
  if ((seen.get('BODY') ?? 0) !== 1) problems.push({ path: 'components', message: 'exactly one BODY component' });
  for (const type of ['HEADER', 'FOOTER', 'BUTTONS'])
    if ((seen.get(type) ?? 0) > 1) problems.push({ path: 'components', message: `at most one ${type} component` });

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    request: {
      name,
      language,
      category: category as TemplateCategory,
      parameter_format: format,
      // Meta's own casing for the types; everything else is passed as given
      components: components.filter(isRecord).map((c) => ({ ...c, type: upper(c.type) })),
    },
  };
}

/**
 * An AUTHENTICATION template: Meta's preset body with its options, an optional expiry footer and one
 * OTP button. Text, examples, headers and other buttons are Meta's to refuse, so they are refused here.
 */
function authenticationTemplate(
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

/** Header type, buttons and variables (with their examples) of a template as Meta lists it. */
export function describeTemplate(template: { components: unknown; parameter_format?: unknown }): TemplateFacts {
  const components = componentsOf(template.components);
  const format = inferFormat(template.parameter_format, components);
  const variables: TemplateVariable[] = [];
  const ignored: TemplateProblem[] = [];
  const header = findComponent(components, 'HEADER');
  const headerType = header ? (upper(header.format) as HeaderType) : null;
  for (const [kind, component] of [
    ['header', headerType === 'TEXT' ? header : undefined],
    ['body', findComponent(components, 'BODY')],
  ] as const) {
    if (!component) continue;
    const keys = variableKeys(str(component.text) ?? '', format, '', ignored);
    const examples = examplesOf(component, kind);
    for (const key of keys)
      variables.push({ component: kind === 'header' ? 'HEADER' : 'BODY', key, example: examples.get(key) ?? '' });
  }
  const buttonsComponent = findComponent(components, 'BUTTONS');
  const rawButtons = buttonsComponent && Array.isArray(buttonsComponent.buttons) ? buttonsComponent.buttons : [];
  const buttons = rawButtons.filter(isRecord).map((b, index): TemplateButton => {
    const url = str(b.url);
    const hasVariable = upper(b.type) === 'URL' && !!url && placeholdersOf(url).length > 0;
    if (hasVariable) {
      const example: unknown = b.example;
      variables.push({
        component: 'BUTTON',
        key: String(index),
        example: Array.isArray(example) && typeof example[0] === 'string' ? example[0] : '',
      });
    }
    return {
      index,
      type: upper(b.type),
      text: str(b.text) ?? '',
      ...(url ? { url } : {}),
      ...(str(b.phone_number) ? { phoneNumber: str(b.phone_number) } : {}),
      hasVariable,
    };
  });
  return { parameterFormat: format, headerType, variables, buttons };
}
