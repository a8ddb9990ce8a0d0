import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isForeignKeyViolation, isRecordGone } from '../../database/db';
import { DomainException } from './domain.exception';
import { ERROR_STATUS, ErrorBody, ErrorCode } from './error-code';

const STATUS_CODES: ReadonlyMap<number, ErrorCode> = new Map([
  [400, ErrorCode.VALIDATION_FAILED],
  [401, ErrorCode.UNAUTHENTICATED],
  [403, ErrorCode.FORBIDDEN],
  [404, ErrorCode.NOT_FOUND],
  [405, ErrorCode.NOT_FOUND],
  [409, ErrorCode.CONFLICT],
  [413, ErrorCode.PAYLOAD_TOO_LARGE],
  [415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
  [429, ErrorCode.RATE_LIMIT_EXCEEDED],
  [503, ErrorCode.SERVICE_UNAVAILABLE],
]);

/** Fastify's own errors (body parsing, limits) carry a code and a statusCode. */
interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/** Errors raised by Fastify or Node for a bad request (body parsing, limits, an aborted upload). */
function fastifyError(exception: unknown): { status: number; code: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const e = exception as FastifyLikeError;
  if (typeof e.code !== 'string' || typeof e.statusCode !== 'number') return undefined;
  if (!e.code.startsWith('FST_') && !['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(e.code))
    return undefined;
  return { status: e.statusCode, code: e.code };
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type: send a JSON body with Content-Type: application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but declared as JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
};

/**
 * One shape for a problem with one field of the request, whichever layer found it: `{ field,
 * messages[] }`, as the DTO validation reports it. Services and domain rules also say `{ field,
 * message }` or `{ path, message }`; those are rewritten here, so the CRM reads every 400 alike.
 * Other details (JSON Schema problems by `pointer`, a conflict's ids) pass unchanged.
 */
function fieldProblem(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return detail;
  const { field, path, message, messages, ...rest } = detail as Record<string, unknown>;
  // exactly one name (field or path) and exactly one of message / messages, or it is another kind of detail
  const names = [field, path].filter((n): n is string => typeof n === 'string');
  if (names.length !== 1 || (field !== undefined && path !== undefined)) return detail;
  if (message !== undefined && messages !== undefined) return detail;
  if (Array.isArray(messages)) return { ...rest, field: names[0], messages };
  if (typeof message === 'string') return { ...rest, field: names[0], messages: [message] };
  return detail;
}

/** Maps every error to the API.md shape; unknown errors become 500 INTERNAL with a logged errorId. */
export function toErrorBody(exception: unknown, logger: Logger): { body: ErrorBody; headers?: Record<string, string> } {
  // Nest's Fastify adapter hands Fastify's own 4xx errors over as HttpExceptions caused by them, whose
  // message is Fastify's: curl -d (a form by default) read only "Unsupported Media Type"
  if (exception instanceof HttpException) {
    const fromFastify = fastifyError(exception.cause);
    if (fromFastify && fromFastify.status < 500 && FASTIFY_MESSAGES[fromFastify.code] !== undefined)
      return toErrorBody(exception.cause, logger);
  }
  if (exception instanceof DomainException) {
    const body: ErrorBody = {
      ...exception.extra,
      statusCode: exception.status,
      code: exception.code,
      message: exception.message,
    };
    if (exception.details) body.details = exception.details.map(fieldProblem);
    return { body, headers: exception.headers };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = STATUS_CODES.get(status);
    if (code) {
      const response = exception.getResponse();
      const message =
        status === 404 || status === 405
          ? 'Route not found'
          : typeof response === 'object' &&
              response !== null &&
              'message' in response &&
              typeof response.message === 'string'
            ? response.message
            : exception.message;
      return { body: { statusCode: ERROR_STATUS[code], code, message } };
    }
  }
  const fst = fastifyError(exception);
  if (fst && fst.status < 500) {
    const code = STATUS_CODES.get(fst.status) ?? ErrorCode.VALIDATION_FAILED;
    const message = FASTIFY_MESSAGES[fst.code] ?? 'Malformed request';
    return { body: { statusCode: ERROR_STATUS[code], code, message } };
  }
  if (exception instanceof SyntaxError && 'statusCode' in exception && exception.statusCode === 400) {
    return { body: { statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: 'Request body is not valid JSON' } };
  }
  // a write whose foreign key found its row gone: the record was deleted while the request ran (a DELETE
  // in another tab), and the same request a moment later would have been answered 404
  if (isForeignKeyViolation(exception)) {
    logger.warn({ err: exception }, 'a record the request refers to was deleted meanwhile');
    return {
      body: {
        statusCode: 404,
        code: ErrorCode.NOT_FOUND,
        message: 'A record this request refers to no longer exists',
      },
    };
  }
  // an update or delete by id whose row was deleted after the request read it (a PATCH racing a DELETE):
  // the same request a moment later would have been answered 404, and the write changed nothing
  if (isRecordGone(exception)) {
    logger.warn({ err: exception }, 'the record the request writes was deleted meanwhile');
    return {
      body: {
        statusCode: 404,
        code: ErrorCode.NOT_FOUND,
        message: 'The record was deleted while this request ran',
      },
    };
  }
  const errorId = randomUUID();
  logger.error({ errorId, err: exception }, 'unhandled error');
  return {
    body: {
      statusCode: 500,
      code: ErrorCode.INTERNAL,
      message: 'Internal error; quote the errorId when reporting it',
      errorId,
    },
  };
}

/**
 * Fastify route config key (`@RouteConfig({ [ERROR_BODY_EXTRA]: { … } })`): fields a route adds to
 * every error body it answers, whichever layer refused the request — a guard (401/403), a body Fastify
 * refused before the route ran (malformed JSON, 413, 415), the route itself or an unexpected error.
 * The error's own fields win over the route's.
 */
export const ERROR_BODY_EXTRA = 'errorBodyExtra';

function routeErrorExtra(request: FastifyRequest | undefined): Record<string, unknown> | undefined {
  const config: unknown = request?.routeOptions?.config;
  if (typeof config !== 'object' || config === null) return undefined;
  const extra: unknown = (config as Record<string, unknown>)[ERROR_BODY_EXTRA];
  return typeof extra === 'object' && extra !== null ? (extra as Record<string, unknown>) : undefined;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { body, headers } = toErrorBody(exception, this.logger);
    const extra = routeErrorExtra(http.getRequest<FastifyRequest>());
    if (headers) void reply.headers(headers);
    // API.md: errors always have one shape, `details` included (empty when there is nothing to add)
    const shaped = { ...extra, ...body, details: body.details ?? [] };
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(shaped);
  }
}
