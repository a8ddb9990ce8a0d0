import { Injectable } from '@nestjs/common';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from '../../common/json-schema/ajv';
import type { ConfigProblem } from '../../handlers/handler-types';
import { withLinearUniqueItems } from './unique-items';

export interface TemplateSchemaRef {
  id: number;
  version: number;
  configSchema: unknown;
}

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Ajv errors as `{ pointer, message }`, the pointer naming the bad field itself (also for `required`). */
export function toProblems(errors: readonly ErrorObject[] | null | undefined): ConfigProblem[] {
  // an "if" failure ('must match "then" schema') always comes with the failure inside then/else, which says what is wrong
  return (errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const params = e.params as Record<string, unknown>;
      const extra =
        e.keyword === 'required' && typeof params.missingProperty === 'string'
          ? `/${params.missingProperty}`
          : e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string'
            ? `/${params.additionalProperty}`
            : '';
      return { pointer: `${e.instancePath}${extra}` || '/', message: e.message ?? e.keyword };
    });
}

/** Top-level properties an OAuth connection fills (`"x-oauth": true`). */
export function oauthFields(schema: unknown): string[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  return Object.entries(schema.properties)
    .filter(([, prop]) => isObject(prop) && prop['x-oauth'] === true)
    .map(([name]) => name);
}

/**
 * The required top-level "x-oauth" credentials a stored config goes without (left for a connect flow
 * that has not happened): nothing to call the provider with yet.
 */
export function missingOAuthCredentials(schema: unknown, config: Record<string, unknown>): string[] {
  const required = isObject(schema) && Array.isArray(schema.required) ? schema.required : [];
  return oauthFields(schema).filter((name) => required.includes(name) && config[name] === undefined);
}

/** Keywords whose values are data, not schemas: a key named "x-secret" inside them is no mark. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);

/** Keywords whose values a config must take: on a secret, the secret itself written in the template. */
const SECRET_VALUE_KEYWORDS = ['default', 'const', 'enum'] as const;

function isSecretMark(node: Schema): boolean {
  return node['x-secret'] === true || node.writeOnly === true;
}

function escapePointer(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Schema pointers of secret marks the codec would not see: only properties reached from the root
 * through `properties` (and nested objects' `properties`) are encrypted, so a mark anywhere else
 * ($defs/$ref, items, anyOf/oneOf/allOf, additionalProperties, patternProperties, if/then/else …)
 * would store that secret in plaintext. Iterative, so a hostile schema cannot exhaust the stack.
 */
export function misplacedSecretMarks(schema: unknown): string[] {
  const found: string[] = [];
  const stack: Array<{ node: unknown; pointer: string; onPropertyChain: boolean; isProperty: boolean }> = [
    { node: schema, pointer: '', onPropertyChain: true, isProperty: false },
  ];
  while (stack.length > 0) {
    const { node, pointer, onPropertyChain, isProperty } = stack.pop() as (typeof stack)[number];
    if (Array.isArray(node)) {
      node.forEach((item, i) =>
        stack.push({ node: item, pointer: `${pointer}/${i}`, onPropertyChain: false, isProperty: false }),
      );
      continue;
    }
    if (!isObject(node)) continue;
    const secret = isSecretMark(node);
    if (secret && !(onPropertyChain && isProperty)) found.push(pointer || '/');
    for (const [keyword, value] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(keyword)) continue;
      const here = `${pointer}/${escapePointer(keyword)}`;
      if (keyword === 'properties' && isObject(value)) {
        for (const [name, sub] of Object.entries(value))
          stack.push({
            node: sub,
            pointer: `${here}/${escapePointer(name)}`,
            // a secret ends the chain: what is below it is never walked by the codec
            onPropertyChain: onPropertyChain && !secret,
            isProperty: true,
          });
        continue;
      }
      stack.push({ node: value, pointer: here, onPropertyChain: false, isProperty: false });
    }
  }
  return found.sort();
}

/**
 * Compiles integration config schemas (Ajv, draft 2020-12, strict) and caches one validator per
 * template version, so requests never recompile.
 */
@Injectable()
export class ConfigSchemaService {
  private readonly validators = new Map<number, { version: number; validate: ValidateFunction }>();
  private readonly fillers = new Map<number, { version: number; validate: ValidateFunction }>();

  /** Problems that make a schema unusable as a template's configSchema (empty when it is fine). */
  check(schema: unknown): string[] {
    // `properties` may be left out (a free-form config); when present it must be an object (Ajv says so too)
    if (
      !isObject(schema) ||
      schema.type !== 'object' ||
      !(schema.properties === undefined || isObject(schema.properties))
    ) {
      return ['configSchema must be an object schema: { "type": "object", "properties": { … } }'];
    }
    try {
      // a throwaway instance: rejected schemas must not accumulate in a shared cache
      const validate = withLinearUniqueItems(createAjv()).compile(schema);
      // an async validator returns a promise, which validate() would read as "valid" for every config
      if ('$async' in validate && validate.$async === true)
        return ['configSchema must not be asynchronous ("$async": true): configs are validated as they are saved'];
    } catch (err) {
      return [err instanceof Error ? err.message : String(err)];
    }
    return [
      ...misplacedSecretMarks(schema).map(
        (pointer) =>
          `a secret is marked at ${pointer}, where it would not be encrypted: mark secrets ("x-secret" or "writeOnly") only on properties reached through "properties" from the root (not under $defs/$ref, items, anyOf/oneOf/allOf, additionalProperties and the like)`,
      ),
      ...this.secretPaths(schema)
        .filter((path) => this.propertySchema(schema, path)?.type !== 'string')
        .map((path) => `secret property /${path.join('/')} must be of type "string"`),
      ...this.secretDefaults(schema),
    ];
  }

  /**
   * A `default` would be filled into every integration's config, and a template is readable by every
   * admin: on a secret, or on an object holding one, it would be a shared secret anyone can read. A
   * `const` or `enum` there is the same secret spelled out: the only values an integration may hold.
   */
  private secretDefaults(schema: Schema): string[] {
    const found = new Map<string, string>();
    for (const path of this.secretPaths(schema)) {
      for (let depth = 1; depth <= path.length; depth++) {
        const holder = path.slice(0, depth);
        const declared = this.propertySchema(schema, holder);
        const keyword = SECRET_VALUE_KEYWORDS.find((k) => declared?.[k] !== undefined);
        if (keyword) found.set(`/${holder.join('/')}`, keyword);
      }
    }
    return [...found].map(
      ([pointer, keyword]) =>
        `property ${pointer} is or holds a secret and must not have a "${keyword}": a template is readable by every admin, and the value would be every integration's secret`,
    );
  }

  /**
   * A copy of `config` with every missing property that declares a `default` in the template's schema
   * filled in (JSON Schema defaults, as Ajv's useDefaults applies them: through `properties`, nested
   * objects and `$ref`, not under anyOf/oneOf). The argument is never changed; invalid parts are left
   * as they are, for validate() to report.
   */
  withDefaults(template: TemplateSchemaRef, config: Record<string, unknown>): Record<string, unknown> {
    const copy = structuredClone(config);
    this.compiled(this.fillers, template, true)(copy);
    return copy;
  }

  /**
   * A required top-level property marked `"x-oauth": true` may be missing: an OAuth connection fills
   * it (or replaces it) after the integration is created. Its connection test fails until then.
   */
  validate(template: TemplateSchemaRef, config: unknown, oauthMayFill = false): ConfigProblem[] {
    // validates as given (no defaults filled): the caller's object is never changed
    const validate = this.compiled(this.validators, template, false);
    if (validate(config)) return [];
    const oauthFilled = new Set(oauthMayFill ? oauthFields(template.configSchema) : []);
    return toProblems(
      (validate.errors ?? []).filter(
        (e) =>
          !(
            e.keyword === 'required' &&
            e.instancePath === '' &&
            oauthFilled.has(String((e.params as Record<string, unknown>).missingProperty))
          ),
      ),
    );
  }

  /**
   * JSON pointers of properties `schema` declares at one of `secretPaths` without the secret mark:
   * their values would be stored and shown in plaintext.
   */
  unmarkedSecrets(schema: unknown, secretPaths: readonly string[][]): string[] {
    if (!isObject(schema)) return [];
    return secretPaths
      .filter((path) => {
        const declared = this.propertySchema(schema, path);
        return declared !== undefined && !isSecretMark(declared);
      })
      .map((path) => `/${path.map(escapePointer).join('/')}`);
  }

  /** Paths of properties marked "x-secret": true or "writeOnly": true, nested objects included. */
  secretPaths(schema: unknown, prefix: string[] = []): string[][] {
    if (!isObject(schema) || !isObject(schema.properties)) return [];
    return Object.entries(schema.properties).flatMap(([name, prop]) => {
      if (!isObject(prop)) return [];
      const path = [...prefix, name];
      if (prop['x-secret'] === true || prop.writeOnly === true) return [path];
      return this.secretPaths(prop, path);
    });
  }

  private propertySchema(schema: Schema, path: string[]): Schema | undefined {
    let current: unknown = schema;
    for (const name of path) {
      if (!isObject(current) || !isObject(current.properties)) return undefined;
      current = current.properties[name];
    }
    return isObject(current) ? current : undefined;
  }

  private compiled(
    cache: Map<number, { version: number; validate: ValidateFunction }>,
    template: TemplateSchemaRef,
    useDefaults: boolean,
  ): ValidateFunction {
    const cached = cache.get(template.id);
    if (cached && cached.version === template.version) return cached.validate;
    // one Ajv per template version: schemas may carry their own $id, which one instance could not hold twice
    const validate = withLinearUniqueItems(createAjv({ useDefaults })).compile(template.configSchema as Schema);
    cache.set(template.id, { version: template.version, validate });
    return validate;
  }
}
