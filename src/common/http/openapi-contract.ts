// What the OpenAPI contract (openapi.json, the CRM's generated client) requires of every route.

import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Operations whose success answer declares no schema (`METHOD path (status)`): every route declares
 * its response DTO, except a 204 or a redirect-only route (3xx), which have no body.
 */
export function undeclaredResponses(document: unknown): string[] {
  const paths = isObject(document) && isObject(document.paths) ? document.paths : {};
  const missing: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(isObject(operations) ? operations : {})) {
      const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
      const success = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
      // a redirect (the OAuth callback's 302) has no body to declare
      const redirects = Object.keys(responses).some((status) => /^3\d\d$/.test(status));
      if (success.length === 0 && !redirects) missing.push(`${method.toUpperCase()} ${path} (no 2xx)`);
      for (const [status, response] of success) {
        if (status === '204') continue;
        const content = isObject(response) && isObject(response.content) ? Object.values(response.content) : [];
        if (content.length === 0 || !content.every((media) => isObject(media) && isObject(media.schema)))
          missing.push(`${method.toUpperCase()} ${path} (${status})`);
      }
    }
  }
  return missing;
}

/**
 * Operations that answer whatever happens: the liveness probe answers 200 whenever the process
 * answers at all, so it has no error answer to declare.
 */
export const OPERATIONS_WITHOUT_ERRORS: ReadonlySet<string> = new Set(['GET /api/health']);

/**
 * Operations a reader of /api/docs cannot use without reading the code (`METHOD path (what is missing)`):
 * every operation says what it does in a `summary` and declares the error answers it gives (4xx/5xx,
 * with the shared error schema), except those in OPERATIONS_WITHOUT_ERRORS.
 */
export function undocumentedOperations(document: unknown): string[] {
  const paths = isObject(document) && isObject(document.paths) ? document.paths : {};
  const missing: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(isObject(operations) ? operations : {})) {
      const name = `${method.toUpperCase()} ${path}`;
      const summary = isObject(operation) ? operation.summary : undefined;
      if (typeof summary !== 'string' || summary.trim() === '') missing.push(`${name} (no summary)`);
      const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
      const errors = Object.keys(responses).filter((status) => /^[45]\d\d$/.test(status));
      if (errors.length === 0 && !OPERATIONS_WITHOUT_ERRORS.has(name)) missing.push(`${name} (no error answer)`);
    }
  }
  return missing;
}

// @nestjs/swagger's metadata keys (its DECORATORS constants, not exported from the package root)
const MODEL_PROPERTIES = 'swagger/apiModelProperties';
const MODEL_PROPERTIES_ARRAY = 'swagger/apiModelPropertiesArray';
const RESPONSES = 'swagger/apiResponse';
const EXTRA_MODELS = 'swagger/apiExtraModels';

type Model = abstract new (...args: never[]) => unknown;
const BUILT_IN = new Set<unknown>([String, Number, Boolean, BigInt, Object, Array, Date, Buffer, Promise]);

/** The classes a swagger `type` names: a class, `[Class]`, or a lazy `() => Class | [Class]`. */
function modelsOf(type: unknown): Model[] {
  if (Array.isArray(type)) return type.flatMap(modelsOf);
  if (typeof type !== 'function' || BUILT_IN.has(type)) return [];
  // an arrow function (a lazy type) has no prototype; a class does
  if (!('prototype' in type) || type.prototype === undefined) return modelsOf((type as () => unknown)());
  return [type as Model];
}

/**
 * Schema names that two different DTO classes claim. @nestjs/swagger names a schema by its class
 * name only, so the second class silently takes the first one's place in the document (and in the
 * CRM's generated client): a route then documents another route's body or answer.
 */
export function clashingSchemaNames(roots: readonly unknown[]): string[] {
  const byName = new Map<string, Set<Model>>();
  const seen = new Set<Model>();
  const visit = (model: Model): void => {
    if (seen.has(model)) return;
    seen.add(model);
    byName.set(model.name, (byName.get(model.name) ?? new Set()).add(model));
    const properties = (Reflect.getMetadata(MODEL_PROPERTIES_ARRAY, model.prototype as object) ?? []) as string[];
    for (const key of properties) {
      const options = Reflect.getMetadata(MODEL_PROPERTIES, model.prototype as object, key.replace(/^:/, '')) as
        { type?: unknown } | undefined;
      for (const m of modelsOf(options?.type)) visit(m);
    }
    const parent = Object.getPrototypeOf(model) as unknown;
    for (const m of modelsOf(parent)) visit(m);
  };
  for (const root of roots) for (const m of modelsOf(root)) visit(m);
  return [...byName].filter(([, models]) => models.size > 1).map(([name]) => name);
}

/** The DTO classes the routes of these controllers take and answer (the roots of their schemas). */
export function routeModels(controllers: readonly Model[]): unknown[] {
  const roots: unknown[] = [];
  const fromTarget = (target: object): void => {
    const responses = (Reflect.getMetadata(RESPONSES, target) ?? {}) as Record<string, { type?: unknown }>;
    roots.push(...Object.values(responses).map((r) => r.type));
    roots.push(...((Reflect.getMetadata(EXTRA_MODELS, target) ?? []) as unknown[]));
  };
  for (const controller of controllers) {
    fromTarget(controller);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[key];
      if (key === 'constructor' || typeof method !== 'function') continue;
      fromTarget(method);
      // request bodies; a query DTO is spread into parameters and never becomes a schema
      const params = (Reflect.getMetadata('design:paramtypes', prototype, key) ?? []) as unknown[];
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, key) ?? {}) as Record<string, unknown>;
      for (const arg of Object.keys(args)) {
        const [type, index] = arg.split(':');
        if (type === String(RouteParamtypes.BODY)) roots.push(params[Number(index)]);
      }
    }
  }
  return roots;
}

/** Every controller class of an application. */
export function controllersOf(app: INestApplication): Model[] {
  return [...app.get(ModulesContainer).values()].flatMap((module) =>
    [...module.controllers.values()].map((wrapper) => wrapper.metatype as Model),
  );
}
