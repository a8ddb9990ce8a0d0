import Ajv2020 from 'ajv/dist/2020';
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';

/**
 * The engine of JSON Schema `pattern` and `patternProperties`: RE2 (re2js, pure JavaScript), whose
 * time is linear in the text, so a template's `"pattern": "(a+)+$"` cannot hold the event loop while
 * a config is validated (on JavaScript's backtracking engine 28 characters of such a value took 24 s,
 * every tenant's requests waiting meanwhile). Ajv's advice for schemas from people:
 * ajv.js.org/security.html ("ReDoS attack"). RE2 has no lookaround and no back-references; a pattern
 * that needs them runs on JavaScript's engine as before, so no schema that compiled is refused now.
 * Known differences on patterns both read: RE2's `\s` and `\b` are ASCII, and its `.` also matches
 * U+2028/U+2029.
 */
export const patternEngine: RegExpEngine = Object.assign(
  (pattern: string, flags: string): RegExpLike => {
    let re2: RE2JS;
    try {
      re2 = RE2JS.compile(pattern);
    } catch {
      return new RegExp(pattern, flags);
    }
    // Ajv caches compiled patterns by toString()
    const linear: RegExpLike & { toString(): string } = {
      test: (text: string) => re2.test(text),
      toString: () => `re2:/${pattern}/`,
    };
    return linear;
  },
  { code: 'patternEngine' },
);

/**
 * The one Ajv setup for integration config schemas: draft 2020-12, strict mode (union types allowed), ajv-formats, and
 * our `x-secret` annotation (a secret property: encrypted at rest, never returned) and `x-oauth` (a
 * credential an OAuth connection fills or replaces: it may be left out of the config, API.md "OAuth
 * connections").
 */
export function createAjv(options: { useDefaults?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    ...(options.useDefaults
      ? {
          // fills each missing property that declares a `default` (a validator built so changes its
          // input: give it a copy). Strict mode refuses a schema with a default Ajv cannot apply (under
          // anyOf/oneOf/not/if, or at the root), where JSON Schema only ignores it; such schemas were
          // checked strictly without defaults when saved, so here the warning is dropped, not thrown
          useDefaults: true,
          strictSchema: 'log' as const,
          logger: false as const,
        }
      : {}),
    // a list of types ("type": ["string", "null"]) is JSON Schema; strict mode refuses it unless told,
    // with an "allowUnionTypes" hint a super-admin writing a template cannot act on
    allowUnionTypes: true,
    allErrors: true,
    validateFormats: true,
    code: { regExp: patternEngine },
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-oauth', schemaType: 'boolean' });
  return ajv;
}
