// Create-request checks for MARKETING and UTILITY templates; kept apart from template-rules.ts, which sends read too.
import { isRecord, JsonRecord } from '../../../handlers/shared/json';
import { authenticationTemplate } from './template-auth-rules';
import {
  componentsOf,
  eachComponent,
  examplesOf,
  LIMITS,
  ParameterFormat,
  parameterFormatOf,
  placeholdersOf,
  str,
  TEMPLATE_CATEGORIES,
  TEMPLATE_NAME,
  TemplateCategory,
  TemplateCheck,
  TemplateProblem,
  unknownFields,
  upper,
  variableKeys,
} from './template-rules';

// Meta's locale codes: `en`, `en_US`, `pt_BR`, `zh_CN`, `fil` …
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2,3})?$/;
const MEDIA_HEADERS: ReadonlySet<string> = new Set(['IMAGE', 'VIDEO', 'GIF', 'DOCUMENT']);
const CREATABLE_BUTTONS: ReadonlySet<string> = new Set(['QUICK_REPLY', 'URL', 'PHONE_NUMBER']);

/**
 * The fields Meta defines for the components, examples and buttons a create request may hold
 * (the components page cited in template-rules.ts); any other key is refused rather than stored and sent on.
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
