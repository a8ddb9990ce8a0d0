/**
 * Where a mapped lead field's value is: a JSON Pointer (RFC 6901), or an array selector that picks
 * the array item whose keys have given values. Form tools (Typeform's `form_response.answers`,
 * Jotform, Tally) send answers as an array in form order, so `/form_response/answers/2/email`
 * breaks as soon as a question is added or moved; the question's stable ref does not:
 *
 *   { "pointer": "/form_response/answers", "where": { "/field/ref": "email_q" }, "value": "/email" }
 *
 * A selector is an object, never a pointer with extra syntax: every string stays exactly the
 * RFC 6901 pointer it was (a key such as "answers[0]" is legal in JSON and in a pointer).
 */
import type { ConfigProblem } from '../handler-types';
import { isRecord, jsonPointer } from '../shared/json';

/** RFC 6901: "" or "/"-separated tokens in which "~" is only ever "~0" or "~1". Tokens exclude "/", so no backtracking blow-up. */
const JSON_POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;

export function isJsonPointer(value: unknown): value is string {
  return typeof value === 'string' && JSON_POINTER.test(value);
}

export type SelectorMatch = string | number | boolean;

export interface ArraySelector {
  /** The array in the payload. */
  pointer: string;
  /** Pointer inside an item → the value it must have (all must match; the first such item is taken). */
  where: Readonly<Record<string, SelectorMatch>>;
  /** Pointer inside the chosen item to the value; "" (default) is the item itself. */
  value: string;
}

export type MappingSource = string | ArraySelector;

export const MAX_SELECTOR_CONDITIONS = 5;
const SELECTOR_KEYS: ReadonlySet<string> = new Set(['pointer', 'where', 'value']);
export const SELECTOR_EXAMPLE =
  '{ "pointer": "/form_response/answers", "where": { "/field/ref": "email_q" }, "value": "/email" }';

function isMatchValue(value: unknown): value is SelectorMatch {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

/** A config key as a JSON Pointer token ("a/b" → "a~1b"). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function notPointer(value: string): string {
  return `"${value}" is not a JSON Pointer (RFC 6901): start with "/" and write "~" as "~0", "/" inside a name as "~1"`;
}

/** What is wrong with a mapping value at `at` (a pointer into the config), with the pointer of each bad part. */
export function mappingSourceProblems(value: unknown, at: string): ConfigProblem[] {
  if (typeof value === 'string') return isJsonPointer(value) ? [] : [{ pointer: at, message: notPointer(value) }];
  if (!isRecord(value))
    return [
      {
        pointer: at,
        message: `must be a JSON Pointer such as "/data/email", or an array selector such as ${SELECTOR_EXAMPLE}`,
      },
    ];
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(value))
    if (!SELECTOR_KEYS.has(key))
      problems.push({
        pointer: `${at}/${pointerToken(key)}`,
        message: `is not part of an array selector; use "pointer", "where" and optionally "value"`,
      });
  if (typeof value.pointer !== 'string')
    problems.push({
      pointer: `${at}/pointer`,
      message: 'must be the JSON Pointer of the array, e.g. "/form_response/answers"',
    });
  else if (!isJsonPointer(value.pointer))
    problems.push({ pointer: `${at}/pointer`, message: notPointer(value.pointer) });
  if (value.value !== undefined) {
    if (typeof value.value !== 'string')
      problems.push({
        pointer: `${at}/value`,
        message: 'must be a JSON Pointer inside the chosen item, e.g. "/email"',
      });
    else if (!isJsonPointer(value.value)) problems.push({ pointer: `${at}/value`, message: notPointer(value.value) });
  }
  const where = value.where;
  const conditions = isRecord(where) ? Object.entries(where) : [];
  if (!isRecord(where) || conditions.length === 0 || conditions.length > MAX_SELECTOR_CONDITIONS) {
    problems.push({
      pointer: `${at}/where`,
      message: `must be an object of 1 to ${MAX_SELECTOR_CONDITIONS} conditions: JSON Pointer inside an item → the value it must have, e.g. { "/field/ref": "email_q" }`,
    });
    return problems;
  }
  for (const [key, expected] of conditions) {
    const here = `${at}/where/${pointerToken(key)}`;
    // "" would compare the whole item, which is never what a form answer is picked by
    if (key === '' || !isJsonPointer(key))
      problems.push({
        pointer: here,
        message: `${notPointer(key)}; it names a key inside each item, e.g. "/field/ref"`,
      });
    else if (!isMatchValue(expected))
      problems.push({
        pointer: here,
        message: 'must be a text, a number or true/false to compare the item’s value with',
      });
  }
  return problems;
}

/** A mapping value as the resolver takes it; undefined when it is not valid (validation reported it). */
export function readMappingSource(value: unknown): MappingSource | undefined {
  if (mappingSourceProblems(value, '').length > 0) return undefined;
  if (typeof value === 'string') return value;
  const selector = value as Record<string, unknown>;
  return {
    pointer: selector.pointer as string,
    where: selector.where as Record<string, SelectorMatch>,
    value: typeof selector.value === 'string' ? selector.value : '',
  };
}

/**
 * The value a mapping source names in the payload, or undefined. A selector takes the first item of
 * the array whose every `where` pointer holds exactly the given value (no type coercion: "1" is not 1).
 * One pass over the array: the payload's size (WEBHOOK_MAX_BYTES) bounds the work.
 */
export function resolveMappingSource(payload: unknown, source: MappingSource): unknown {
  if (typeof source === 'string') return jsonPointer(payload, source);
  const found = jsonPointer(payload, source.pointer);
  if (!Array.isArray(found)) return undefined;
  const items: readonly unknown[] = found;
  const conditions = Object.entries(source.where);
  const chosen = items.find((item) => conditions.every(([at, expected]) => jsonPointer(item, at) === expected));
  return chosen === undefined ? undefined : jsonPointer(chosen, source.value);
}
