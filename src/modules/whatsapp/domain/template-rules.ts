// WhatsApp message templates as Meta defines them: the create-request rules API.md promises
// ("validated before Meta sees them") and the facts the hub keeps per template row (variables with
// examples, header type, buttons). Pure functions over Meta's template JSON; no I/O.
//
//   const checked = validateTemplateCreate(dto);           // problems[] → 400 VALIDATION_FAILED
//   if (checked.ok) graph.post(`/${wabaId}/message_templates`, checked.request);
//   const facts = describeTemplate(row);                   // { parameterFormat, headerType, variables, buttons }
//
// This file holds the shared vocabulary and describeTemplate; the create checks are in template-create-rules.ts
// (AUTHENTICATION ones in template-auth-rules.ts).
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
import { isRecord, JsonRecord } from '../../../handlers/shared/json';

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];
export type ParameterFormat = 'POSITIONAL' | 'NAMED';
export type HeaderType = 'TEXT' | 'IMAGE' | 'VIDEO' | 'GIF' | 'DOCUMENT' | 'LOCATION';
export type VariableComponent = 'HEADER' | 'BODY' | 'BUTTON';

export const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const POSITIONAL_KEY = /^[1-9][0-9]*$/;
const NAMED_KEY = /^[a-z][a-z0-9_]*$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

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
  /** A URL button whose address ends with `{{1}}`, or a COPY_CODE button: the send must give the suffix or the code. */
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

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const upper = (value: unknown): string => (typeof value === 'string' ? value.toUpperCase() : '');

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
export function variableKeys(
  text: string,
  format: ParameterFormat,
  path: string,
  problems: TemplateProblem[],
): string[] {
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

export function unknownFields(
  record: JsonRecord,
  known: ReadonlySet<string>,
  path: string,
  problems: TemplateProblem[],
): void {
  for (const key of Object.keys(record))
    if (!known.has(key)) problems.push({ path: `${path}.${key}`, message: `unknown field ${key}` });
}

/** Examples as Meta's JSON carries them, by key (every key the example names). */
export function examplesOf(component: JsonRecord, kind: 'header' | 'body'): Map<string, string> {
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

/**
 * Visits each component of a create request with its upper-cased type and path; says when the list is
 * missing or empty and when an entry is not an object. Returns how many of each type it holds.
 */
export function eachComponent(
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
    // a coupon template's COPY_CODE button takes its code at every send (Meta, "Sending Coupon Code
    // Templates"); its example is a string at creation, listed as one or as a one-item array
    const copyCode = upper(b.type) === 'COPY_CODE';
    const hasVariable = copyCode || (upper(b.type) === 'URL' && !!url && placeholdersOf(url).length > 0);
    if (hasVariable) {
      const example: unknown = b.example;
      variables.push({
        component: 'BUTTON',
        key: String(index),
        example: Array.isArray(example) && typeof example[0] === 'string' ? example[0] : (str(example) ?? ''),
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
