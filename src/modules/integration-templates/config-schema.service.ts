import { Injectable } from '@nestjs/common';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from '../../common/json-schema/ajv';
import type { ConfigProblem } from '../../handlers/handler-types';

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
  return (errors ?? []).map((e) => {
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

/**
 * Compiles integration config schemas (Ajv, draft 2020-12, strict) and caches one validator per
 * template version, so requests never recompile.
 */
@Injectable()
export class ConfigSchemaService {
  private readonly validators = new Map<number, { version: number; validate: ValidateFunction }>();

  /** Problems that make a schema unusable as a template's configSchema (empty when it is fine). */
  check(schema: unknown): string[] {
    if (!isObject(schema) || schema.type !== 'object' || !isObject(schema.properties)) {
      return ['configSchema must be an object schema: { "type": "object", "properties": { … } }'];
    }
    try {
      // a throwaway instance: rejected schemas must not accumulate in a shared cache
      createAjv().compile(schema);
    } catch (err) {
      return [err instanceof Error ? err.message : String(err)];
    }
    return this.secretPaths(schema)
      .filter((path) => this.propertySchema(schema, path)?.type !== 'string')
      .map((path) => `secret property /${path.join('/')} must be of type "string"`);
  }

  validate(template: TemplateSchemaRef, config: unknown): ConfigProblem[] {
    const validate = this.validatorFor(template);
    return validate(config) ? [] : toProblems(validate.errors);
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

  private validatorFor(template: TemplateSchemaRef): ValidateFunction {
    const cached = this.validators.get(template.id);
    if (cached && cached.version === template.version) return cached.validate;
    // one Ajv per template version: schemas may carry their own $id, which one instance could not hold twice
    const validate = createAjv().compile(template.configSchema as Schema);
    this.validators.set(template.id, { version: template.version, validate });
    return validate;
  }
}
