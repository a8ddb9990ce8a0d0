import { RouteConfig } from '@nestjs/platform-fastify';
import { ERROR_BODY_EXTRA } from '../../common/errors/all-exceptions.filter';

/**
 * A connection-test route. API.md "Errors": every error body of a failed connection test carries
 * `success: false` — not only its 422 INVALID_CREDENTIALS / 502 CONNECTION_FAILED but whatever
 * refused the request: a guard (401/403), a body refused before the route ran (malformed JSON, 413,
 * 415), a refused field (400), another sub-account's routing key (409), an unknown integration (404)
 * — so a client can branch on `success` alone. The exception filter adds it from the route's config.
 */
export const ConnectionTestRoute = (): MethodDecorator => RouteConfig({ [ERROR_BODY_EXTRA]: { success: false } });
