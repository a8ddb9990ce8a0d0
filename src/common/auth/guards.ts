import { ExecutionContext, Injectable, CanActivate } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';
import { AuthUser, Role } from './auth-user';
import { IS_PUBLIC, ROLES_KEY, SIGNED_OR_BEARER } from './decorators';

/** Global: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext): ReturnType<CanActivate['canActivate']> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    if (this.reflector.get<boolean>(SIGNED_OR_BEARER, context.getHandler())) {
      const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
      if (query?.signature !== undefined || query?.expires !== undefined) return true;
    }
    return super.canActivate(context);
  }

  override handleRequest<TUser>(err: unknown, user: TUser | false, info?: unknown): TUser {
    if (err || !user) throw new DomainException(ErrorCode.UNAUTHENTICATED, unauthenticatedMessage(err, info));
    return user;
  }
}

/**
 * Why a request was not authenticated, in words that say what to do: every refusal read "A valid
 * bearer token is required", so a token signed with another development secret, an expired one and
 * one declaring a lifetime over JWT_MAX_AGE_SECONDS (`npm run token -- --hours 800`) looked alike.
 * `info` is passport-jwt's: its "No auth token" error, or jsonwebtoken's TokenExpiredError /
 * JsonWebTokenError; nothing when the claims were refused (JwtStrategy.validate). Only fixed texts,
 * never the library's message (it may quote the configured issuer or audience).
 */
export function unauthenticatedMessage(err: unknown, info: unknown): string {
  if (err) return 'A valid bearer token is required';
  const problem = info instanceof Error ? info : undefined;
  if (problem === undefined)
    return (
      "The bearer token's claims were refused: it needs sub, role, subAccountIds (integers) and exp, " +
      'and a lifetime (exp - iat, or exp - now without iat) of at most JWT_MAX_AGE_SECONDS (default 30 days)'
    );
  if (problem.name === 'TokenExpiredError') return 'The bearer token has expired: get a new one';
  if (problem.name === 'NotBeforeError') return 'The bearer token is not valid yet (nbf)';
  if (problem.name !== 'JsonWebTokenError')
    return 'A bearer token is required: send Authorization: Bearer <JWT> (in development: npm run token)';
  if (problem.message === 'invalid signature')
    return "The bearer token's signature does not verify: it was signed with another key than this server's";
  if (/audience|issuer/.test(problem.message)) return "The bearer token's iss or aud is not this server's";
  return 'The bearer token is not a JWT this server accepts (HS256 with JWT_SECRET, or RS256 with JWT_PUBLIC_KEY)';
}

/** Global: enforces @Roles() after authentication. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>().user;
    if (!user || !roles.includes(user.role)) {
      // the roles of each route family are public (API.md's table): name them
      throw DomainException.forbidden(
        `Your role${user ? ` (${user.role})` : ''} may not use this route; it needs ${roles.join(' or ')}`,
      );
    }
    return true;
  }
}
