// Turns `POST /api/whatsapp/messages` parameters into the Cloud API `template` object, checking
// them against the stored template first, so Meta never answers 132000 (parameter count mismatch),
// 132012 (format) or 132018 (newline/tab in a value) for something the hub could have refused.
//
//   const prepared = prepareTemplateSend(row, { '1': '{{lead.firstName|there}}', 'button.0': 'ABC' }, lead);
//   if (!prepared.ok) throw 400 TEMPLATE_PARAMETERS_INVALID with prepared.problems;
//   body = { messaging_product: 'whatsapp', to, type: 'template', template: prepared.template };
//
// Parameter keys (API.md: `{ "1": "Ana" }` or `{ "first_name": "Ana" }`):
//   body        "1" / "first_name", or explicitly "body.1" / "body.first_name"
//   text header "header.1" (positional), "header.first_name" or, for NAMED, the bare name
//   media header "header": an https link or a Meta media id; LOCATION: "header.latitude",
//               "header.longitude", optional "header.name", "header.address"
//   buttons     "button.<index>": the URL suffix of a URL button ({{1}}), the code of a COPY_CODE
//               button (coupon templates), or a quick-reply payload
// A value may hold lead placeholders: "{{lead.firstName}}", with a fallback "{{lead.firstName|there}}".
//
// Sources (Meta): send syntax — components header/body/button, `sub_type` url|quick_reply, `index`,
// parameter types text|image|video|document|location, `language.policy: deterministic`: Meta's OpenAPI spec
// (github.com/facebook/openapi business-messaging-api_v23.0.yaml, TemplateObject/TemplateComponent) and the
// official Node SDK (WhatsApp/WhatsApp-Nodejs-SDK TemplateObject.md). Named parameters carry `parameter_name`
// (templates/overview, "named parameters"). The newline/tab/5-spaces rule is Meta's error 132018 text
// ("Param text cannot have new-line/tab characters or more than 4 consecutive spaces"), seen in field reports;
// the official error page lists 132018 but we could not read its details there. Coupon codes: Meta's
// "Sending Coupon Code Templates" (sub_type COPY_CODE, `{ type: coupon_code, coupon_code }`, "Only accepting
// alphanumeric characters"); 15 characters at most as BSPs relaying Meta state it (360dialog, Gupshup).
import { AUTH_LIMITS } from './template-auth-rules';
import { describeTemplate, LIMITS, TemplateFacts, TemplateProblem, TemplateVariable } from './template-rules';

export type TemplateParameters = Readonly<Record<string, string>>;
/** The lead fields a placeholder may name, as the leads module stores them. */
export type LeadFields = Readonly<Record<string, string | null | undefined>>;

export const LEAD_PLACEHOLDER_FIELDS = [
  'firstName',
  'lastName',
  'fullName',
  'email',
  'phone',
  'company',
  'jobTitle',
  'city',
  'region',
  'postalCode',
  'country',
] as const;

const LEAD_PLACEHOLDER = /\{\{\s*lead\.([A-Za-z]+)\s*(?:\|([^{}]*))?\}\}/g;

export interface TemplateSendObject {
  name: string;
  language: { policy: 'deterministic'; code: string };
  components?: SendComponent[];
}

export interface SendComponent {
  type: 'header' | 'body' | 'button';
  sub_type?: 'url' | 'quick_reply' | 'COPY_CODE';
  index?: string;
  parameters: Array<Record<string, unknown>>;
}

export interface StoredTemplate {
  name: string;
  language: string;
  components: unknown;
  parameter_format?: unknown;
  /** AUTHENTICATION: the code given for the body also fills the OTP button's URL (Meta sends it twice). */
  category?: unknown;
}

const COUPON_CODE = /^[A-Za-z0-9]{1,15}$/;

const isCopyCode = (facts: TemplateFacts, index: string) =>
  facts.buttons.some((b) => String(b.index) === index && b.type === 'COPY_CODE');

export type PreparedTemplate = { ok: true; template: TemplateSendObject } | { ok: false; problems: TemplateProblem[] };

/**
 * A lead field's value for a placeholder. A lead known only by its full name (Meta and LinkedIn lead
 * forms often ask for FULL_NAME alone) still greets by first name: firstName falls back to the full
 * name's first word and lastName to the rest, as CRMs split a name they were given whole.
 */
function leadValue(lead: LeadFields | undefined, field: string): string | undefined {
  const own = lead?.[field]?.trim();
  if (own) return own;
  if (field !== 'firstName' && field !== 'lastName') return undefined;
  const words = lead?.fullName?.trim().split(/\s+/) ?? [];
  if (words.length === 0 || words[0] === '') return undefined;
  if (field === 'firstName') return words[0];
  return words.length > 1 ? words.slice(1).join(' ') : undefined;
}

/** Replaces `{{lead.x}}` (or `{{lead.x|fallback}}`) in a value; a placeholder with no value and no fallback is a problem. */
export function resolveLeadPlaceholders(
  value: string,
  lead: LeadFields | undefined,
  path: string,
  problems: TemplateProblem[],
): string {
  return value.replace(LEAD_PLACEHOLDER, (whole, field: string, fallback: string | undefined) => {
    if (!(LEAD_PLACEHOLDER_FIELDS as readonly string[]).includes(field)) {
      problems.push({ path, message: `unknown lead field in ${whole} (known: ${LEAD_PLACEHOLDER_FIELDS.join(', ')})` });
      return whole;
    }
    const resolved = leadValue(lead, field);
    if (resolved) return resolved;
    if (fallback !== undefined && fallback.trim() !== '') return fallback.trim();
    problems.push({ path, message: `the lead has no ${field} for ${whole}; add a fallback like {{lead.${field}|…}}` });
    return whole;
  });
}

/** Meta refuses a text value that is empty, holds a newline or tab, or runs of more than 4 spaces. */
function checkText(value: string, path: string, problems: TemplateProblem[], max?: number): void {
  if (value.trim() === '') problems.push({ path, message: 'a parameter value must not be empty' });
  else if (/[\n\r\t]/.test(value)) problems.push({ path, message: 'a parameter value cannot hold new lines or tabs' });
  else if (/ {5,}/.test(value))
    problems.push({ path, message: 'a parameter value cannot hold more than 4 spaces in a row' });
  if (max !== undefined && value.length > max) problems.push({ path, message: `at most ${max} characters` });
}

type Target = TemplateVariable | 'media' | 'location' | 'payload';

/** The template variables (or header media, location field, quick-reply payload) a parameter key names. */
function targetsOf(key: string, facts: TemplateFacts): Target[] {
  const dot = key.indexOf('.');
  const [scope, rest] = dot >= 0 ? [key.slice(0, dot), key.slice(dot + 1)] : ['', key];
  const find = (component: TemplateVariable['component'], k: string) =>
    facts.variables.filter((v) => v.component === component && v.key === k);
  if (scope === '') {
    if (key === 'header') return facts.headerType && facts.headerType !== 'TEXT' ? ['media'] : [];
    // a bare name fills the header and the body alike when the template uses named parameters
    return facts.parameterFormat === 'NAMED' ? [...find('HEADER', key), ...find('BODY', key)] : find('BODY', key);
  }
  if (scope === 'body') return find('BODY', rest);
  if (scope === 'header') {
    if (facts.headerType === 'LOCATION')
      return ['latitude', 'longitude', 'name', 'address'].includes(rest) ? ['location'] : [];
    return find('HEADER', rest);
  }
  if (scope === 'button') {
    const button = facts.buttons.find((b) => String(b.index) === rest);
    return button?.type === 'QUICK_REPLY' ? ['payload'] : find('BUTTON', rest);
  }
  return [];
}

function mediaParameter(type: string, value: string, problems: TemplateProblem[]): Record<string, unknown> {
  const kind = type === 'GIF' ? 'video' : type.toLowerCase(); // GIF headers are MP4 video files (UNCONFIRMED send type)
  if (/^[0-9]+$/.test(value)) return { type: kind, [kind]: { id: value } };
  if (!/^https:\/\/\S+$/i.test(value))
    problems.push({ path: 'parameters.header', message: `the ${kind} header needs an https link or a media id` });
  return { type: kind, [kind]: { link: value } };
}

function locationParameter(values: Map<string, string>, problems: TemplateProblem[]): Record<string, unknown> {
  const latitude = Number(values.get('header.latitude'));
  const longitude = Number(values.get('header.longitude'));
  if (!values.has('header.latitude') || !Number.isFinite(latitude) || Math.abs(latitude) > 90)
    problems.push({ path: 'parameters.header.latitude', message: 'a LOCATION header needs a latitude (-90..90)' });
  if (!values.has('header.longitude') || !Number.isFinite(longitude) || Math.abs(longitude) > 180)
    problems.push({ path: 'parameters.header.longitude', message: 'a LOCATION header needs a longitude (-180..180)' });
  const location: Record<string, unknown> = { latitude: String(latitude), longitude: String(longitude) };
  const name = values.get('header.name');
  const address = values.get('header.address');
  if (name) location.name = name;
  if (address) location.address = address;
  return { type: 'location', location };
}

/**
 * An AUTHENTICATION template carries the code twice: in its preset body ({{1}}) and at the end of its
 * OTP button's URL (Meta lists the button as URL …&code=otp{{1}}; the send gives the code as the
 * button's `url` parameter, Meta's authentication-templates "Sending" section). The code given for the
 * body fills the button when the caller did not give `button.<index>` itself.
 */
function withOtpButtonCode(
  template: StoredTemplate,
  facts: TemplateFacts,
  params: TemplateParameters,
): { params: TemplateParameters; givenAs: Map<string, string> } {
  const givenAs = new Map<string, string>(); // a button key filled from the code → the key the caller gave it as
  if (template.category !== 'AUTHENTICATION') return { params, givenAs };
  const codeKey = params['1'] !== undefined ? '1' : 'body.1';
  const code = params[codeKey];
  if (code === undefined) return { params, givenAs };
  const filled: Record<string, string> = { ...params };
  for (const button of facts.buttons)
    if (button.hasVariable && filled[`button.${button.index}`] === undefined) {
      filled[`button.${button.index}`] = code;
      givenAs.set(`button.${button.index}`, codeKey);
    }
  return { params: filled, givenAs };
}

/**
 * Checks parameters against the template (every variable given, no unknown key, header media when the
 * header is media, the URL suffix of every URL button with {{1}}) and builds the `template` object.
 */
export function prepareTemplateSend(
  template: StoredTemplate,
  params: TemplateParameters,
  lead?: LeadFields,
): PreparedTemplate {
  const facts = describeTemplate(template);
  const otp = withOtpButtonCode(template, facts, params);
  params = otp.params;
  const problems: TemplateProblem[] = [];
  const authentication = template.category === 'AUTHENTICATION';
  const values = new Map<string, string>(); // variable id or key → resolved value
  const payloads = new Map<number, string>();
  let media: string | undefined;
  for (const [key, raw] of Object.entries(params)) {
    // a problem of the code copied into the OTP button is the code's, named as the caller gave it
    const path = `parameters.${otp.givenAs.get(key) ?? key}`;
    if (typeof raw !== 'string') {
      problems.push({ path, message: 'a parameter value must be a string' });
      continue;
    }
    const targets = targetsOf(key, facts);
    const unresolved = problems.length;
    const value = resolveLeadPlaceholders(raw, lead, path, problems);
    // a placeholder that could not be filled is that value's problem; its length says nothing
    const resolved = problems.length === unresolved;
    if (targets.length === 0) problems.push({ path, message: `the template ${template.name} has no parameter ${key}` });
    for (const target of targets) {
      if (target === 'media') media = value.trim();
      else if (target === 'location') values.set(key, value.trim());
      else if (target === 'payload') payloads.set(Number(key.slice('button.'.length)), value);
      else {
        const id = `${target.component}:${target.key}`;
        if (values.has(id))
          problems.push({ path, message: `${target.component.toLowerCase()} {{${target.key}}} given twice` });
        values.set(id, value);
        // the code of an AUTHENTICATION template, in its body and again in its OTP button: Meta takes 15 characters
        if (
          resolved &&
          authentication &&
          (id === 'BODY:1' || target.component === 'BUTTON') &&
          [...value].length > AUTH_LIMITS.code
        )
          problems.push({ path, message: `a one-time code has at most ${AUTH_LIMITS.code} characters` });
        if (target.component !== 'BUTTON')
          checkText(value, path, problems, target.component === 'HEADER' ? LIMITS.headerText : undefined);
        else if (isCopyCode(facts, target.key)) {
          if (!COUPON_CODE.test(value)) problems.push({ path, message: 'a coupon code is 1 to 15 letters and digits' });
        } else if (/\s/.test(value) || value === '')
          problems.push({ path, message: 'a URL suffix must be non-empty, without spaces' });
      }
    }
  }
  // an AUTHENTICATION template's OTP button takes the body's code: without the code, the code is what is missing
  const codeMissing = template.category === 'AUTHENTICATION' && !values.has('BODY:1');
  for (const variable of facts.variables)
    if (!values.has(`${variable.component}:${variable.key}`) && !(codeMissing && variable.component === 'BUTTON')) {
      const key =
        variable.component === 'BUTTON'
          ? `button.${variable.key}`
          : variable.component === 'HEADER'
            ? `header.${variable.key}`
            : variable.key;
      problems.push({
        path: `parameters.${key}`,
        message: `missing: the template needs a value for ${describe(variable, facts)}`,
      });
    }
  const header = facts.headerType;
  if (header && header !== 'TEXT' && header !== 'LOCATION' && media === undefined)
    problems.push({
      path: 'parameters.header',
      message: `the template has a ${header} header: give its link or media id`,
    });

  const components: SendComponent[] = [];
  const named = facts.parameterFormat === 'NAMED';
  const text = (variable: TemplateVariable) => ({
    type: 'text',
    ...(named ? { parameter_name: variable.key } : {}),
    text: values.get(`${variable.component}:${variable.key}`) ?? '',
  });
  const headerVars = facts.variables.filter((v) => v.component === 'HEADER');
  if (header === 'TEXT' && headerVars.length > 0) components.push({ type: 'header', parameters: headerVars.map(text) });
  else if (header === 'LOCATION')
    components.push({ type: 'header', parameters: [locationParameter(values, problems)] });
  else if (header && header !== 'TEXT' && media !== undefined)
    components.push({ type: 'header', parameters: [mediaParameter(header, media, problems)] });
  const bodyVars = facts.variables.filter((v) => v.component === 'BODY');
  if (bodyVars.length > 0) components.push({ type: 'body', parameters: bodyVars.map(text) });
  for (const button of facts.buttons) {
    const suffix = values.get(`BUTTON:${button.index}`);
    if (button.type === 'COPY_CODE' && suffix !== undefined)
      components.push({
        type: 'button',
        sub_type: 'COPY_CODE',
        index: String(button.index),
        parameters: [{ type: 'coupon_code', coupon_code: suffix }],
      });
    else if (button.hasVariable && suffix !== undefined) {
      if ((button.url ?? '').replace('{{1}}', suffix).length > LIMITS.url)
        problems.push({
          path: `parameters.button.${button.index}`,
          message: `the URL would exceed ${LIMITS.url} characters`,
        });
      components.push({
        type: 'button',
        sub_type: 'url',
        index: String(button.index),
        parameters: [{ type: 'text', text: suffix }],
      });
    }
    const payload = payloads.get(button.index);
    if (payload !== undefined)
      components.push({
        type: 'button',
        sub_type: 'quick_reply',
        index: String(button.index),
        parameters: [{ type: 'payload', payload }],
      });
  }
  if (problems.length > 0) return { ok: false, problems: distinct(problems) };
  return {
    ok: true,
    template: {
      name: template.name,
      language: { policy: 'deterministic', code: template.language },
      ...(components.length > 0 ? { components } : {}),
    },
  };
}

/** Each problem once (the OTP code's, found in the body and again in the button it fills). */
function distinct(problems: TemplateProblem[]): TemplateProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(variable: TemplateVariable, facts: TemplateFacts): string {
  if (variable.component === 'BUTTON')
    return isCopyCode(facts, variable.key)
      ? `the coupon code of COPY_CODE button ${variable.key}`
      : `the suffix of URL button ${variable.key}`;
  return `${variable.component.toLowerCase()} {{${variable.key}}} (example: "${variable.example}")`;
}
