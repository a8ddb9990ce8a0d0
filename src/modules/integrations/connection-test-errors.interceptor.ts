import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { catchError, Observable, throwError } from 'rxjs';
import { ERROR_BODY_EXTRA } from '../../common/errors/all-exceptions.filter';
import { DomainException } from '../../common/errors/domain.exception';

/**
 * API.md "Errors": every error body of a failed connection test carries `success: false` — not only
 * its 422 INVALID_CREDENTIALS / 502 CONNECTION_FAILED, but also a refused body (400), another
 * sub-account's routing key (409), an unknown integration (404) — so a client can branch on `success`
 * alone. Guards answer before this runs (401/403 are about the caller, not the test).
 */
@Injectable()
export class ConnectionTestErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((err: unknown) =>
          throwError(() =>
            err instanceof DomainException && err.extra?.success !== false
              ? new DomainException(err.code, err.message, err.details, err.headers, { ...err.extra, success: false })
              : err,
          ),
        ),
      );
  }
}

/**
 * A connection-test route: `success: false` on every error body of a failed test — those of the route
 * (the interceptor above) and those answered before it runs for the request's body (malformed JSON,
 * 413, 415: the exception filter, through the route's config).
 */
export const ConnectionTestRoute = (): MethodDecorator =>
  applyDecorators(
    UseInterceptors(ConnectionTestErrorsInterceptor),
    RouteConfig({ [ERROR_BODY_EXTRA]: { success: false } }),
  );
