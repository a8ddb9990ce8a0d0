import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DomainException } from '../errors/domain.exception';

export interface BodyProblem {
  field: string;
  messages: string[];
}

// a handler reading the request itself (the webhook routes verify the raw bytes) takes its body its own way
const READS_BODY: ReadonlySet<string> = new Set(
  [RouteParamtypes.BODY, RouteParamtypes.RAW_BODY, RouteParamtypes.REQUEST].map(String),
);

/** Whether a handler declares a body parameter, or reads the raw request. */
export function takesBody(controller: object, handlerName: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handlerName) ?? {}) as Record<string, unknown>;
  return Object.keys(args).some((key) => READS_BODY.has(key.split(':')[0]));
}

/**
 * What a route without a body refuses in one: nothing for no body, `null` or `{}`; every key of any
 * other object (as the global pipe names unknown fields), and anything that is not an object.
 */
export function undeclaredBodyProblems(body: unknown): BodyProblem[] {
  if (body === undefined || body === null) return [];
  if (typeof body === 'object' && !Array.isArray(body))
    return Object.keys(body).map((key) => ({ field: key, messages: [`property ${key} should not exist`] }));
  return [{ field: 'body', messages: ['this route takes no body'] }];
}

/**
 * API.md "Unknown JSON fields in request bodies are rejected (VALIDATION_FAILED)": the global pipe
 * checks only declared bodies, so `POST /api/integrations/:id/disconnect {"reason":"x"}` or a bulk
 * `cancel` with fields ran as if the fields were understood. A route declaring no body takes none.
 * A guard, registered after authentication and roles (a stranger is told 401/403 first), rather
 * than an interceptor: a global interceptor would wrap every request, the webhook hot path too, in
 * Nest's interceptor pipeline for nothing.
 */
@Injectable()
export class UndeclaredBodyGuard implements CanActivate {
  private readonly declared = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    let takes = this.declared.get(handler);
    if (takes === undefined) {
      takes = takesBody(context.getClass(), handler.name);
      this.declared.set(handler, takes);
    }
    if (takes) return true;
    const problems = undeclaredBodyProblems(context.switchToHttp().getRequest<{ body?: unknown }>().body);
    if (problems.length > 0)
      throw DomainException.validation(problems.map((p) => p.messages.join(', ')).join('; '), problems);
    return true;
  }
}
