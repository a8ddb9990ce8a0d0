import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthUser, Role } from './auth-user';

export const IS_PUBLIC = 'auth:isPublic';
export const ROLES_KEY = 'auth:roles';
export const SIGNED_OR_BEARER = 'auth:signedOrBearer';

/** A route that needs no token (health, webhooks, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * A route that a signed link (query `signature`) opens without a token; the route's service verifies
 * the signature. Without one, the bearer token is required as everywhere else.
 */
export const SignedOrBearer = (): MethodDecorator => SetMetadata(SIGNED_OR_BEARER, true);

/** Restricts a route (or every route of a controller) to these roles. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
  if (!request.user) throw new Error('CurrentUser used on a route without authentication');
  return request.user;
});
