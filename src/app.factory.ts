import { ArgumentMetadata, Logger as NestLogger, Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions, onResponseHookHandler } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { Socket } from 'node:net';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { DomainException } from './common/errors/domain.exception';
import { OPENAPI_DESCRIPTION } from './common/http/openapi-description';
import { unstorableInput } from './common/http/unstorable-input';
import { validationProblems } from './common/http/validation-problems';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { requestId } from './logging/logging.module';
import { BULK_BODY_LIMIT_BYTES } from './modules/whatsapp/bulk/bulk-states';

/**
 * The Node request with the exact bytes of its body (set by our JSON parser), and, at an integration's
 * own webhook URL only, why those bytes did not parse: there the signature is checked first (API.md
 * "Webhooks"), so the route answers the parse error only once the signature has passed.
 */
export type RawBodyRequest = import('node:http').IncomingMessage & { rawBody?: Buffer; bodyError?: Error };

/** POST /api/webhooks/:provider/:webhookId — the one route with a webhookId path parameter. */
function isIntegrationDelivery(request: FastifyRequest): boolean {
  return (request.params as { webhookId?: unknown } | undefined)?.webhookId !== undefined;
}

/**
 * A query without its empty parameters. API.md writes its lists as templates
 * (`?subAccountId=&status=&templateId=`) and forms send a cleared filter as `status=`: an empty value
 * means "no filter", as leaving the parameter out does. It answered 400 (an empty `status` is no
 * status) on every list but the two that already read it so (`category`, `q`).
 */
function withoutEmptyValues(query: unknown): unknown {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return query;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const empty = value === '' || (Array.isArray(value) && value.every((v) => v === ''));
    if (!empty) Object.defineProperty(kept, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return kept;
}

/**
 * The global pipe, except that path parameters keep their text: every numeric path id goes through
 * ParseIdPipe / ParseBigIdPipe, which accept digits only. Converted first (Number('0x10') = 16,
 * Number('1e3') = 1000, Number(' 7') = 7), /api/integrations/0x10 named integration 16 and garbage
 * reached the id pipe as NaN.
 */
class AppValidationPipe extends ValidationPipe {
  // a NUL or a lone surrogate reached PostgreSQL, which refuses it, and thousands of nesting levels
  // overflowed class-transformer's stack: 500s for what the client sent
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' && this.toValidate(metadata)) value = withoutEmptyValues(value);
    // Nest reads a `null` body as `{}`: a PATCH of `null` answered 200 as an update of nothing. A route
    // with a body takes a JSON object (no body at all stays "nothing", as the JSON parser reads it)
    if (metadata.type === 'body' && value === null && this.toValidate(metadata))
      throw DomainException.validation('The body must be a JSON object', [
        { field: 'body', messages: ['the body must be a JSON object, not null'] },
      ]);
    if ((metadata.type === 'body' || metadata.type === 'query') && this.toValidate(metadata)) {
      const problem = unstorableInput(value, metadata.type);
      if (problem !== null)
        throw DomainException.validation(problem.message, [{ field: problem.field, messages: [problem.message] }]);
    }
    return super.transform(value, metadata);
  }

  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' ? value : super.transformPrimitive(value, metadata);
  }
}

export const validationPipe = new AppValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    const details = validationProblems(errors);
    const summary = details.map((d) => d.messages.join(', ')).join('; ');
    return DomainException.validation(summary || 'Request is invalid', details);
  },
});

/** A route option's hooks as a list (Fastify takes one function or an array). */
function hooks<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Logs a webhook delivery answered with an error (the accepted ones are stored as events). */
export function webhookDeliveryLog(logger: NestLogger): onResponseHookHandler {
  return (request, reply, done) => {
    const statusCode = reply.statusCode;
    if (statusCode >= 400) {
      const line = {
        reqId: request.id,
        method: request.method,
        url: request.url.split('?')[0],
        statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
      };
      if (statusCode >= 500) logger.error(line, 'webhook delivery failed');
      else logger.warn(line, 'webhook delivery refused');
    }
    done();
  };
}

/** Trust the nearest `count` proxies (a hop count). */
const hops =
  (count: number) =>
  (_address: string, hop: number): boolean =>
    hop < count;

/**
 * Builds the HTTP application exactly as production runs it (used by main.ts and the e2e tests),
 * on the configuration the caller parsed once, and initialises it (connections, job workers).
 */
export async function createApp(
  config: AppConfig,
  rootModule: Type<unknown> = AppModule,
): Promise<NestFastifyApplication> {
  const app = await buildApp(config, rootModule);
  try {
    await app.init();
  } catch (err) {
    // a refused boot (unknown key id, bad job registry …) must not leave connections open
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

/** The OpenAPI document of an application: every route with its DTOs (served at /api/docs-json, checked in as openapi.json). */
export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Integration Hub')
      .setDescription(OPENAPI_DESCRIPTION)
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
}

/**
 * The application as createApp builds it, not initialised: nothing has connected to the database
 * or started a worker yet (scripts/openapi.ts reads its document this way, without a database).
 */
export async function buildApp(
  config: AppConfig,
  rootModule: Type<unknown> = AppModule,
): Promise<NestFastifyApplication> {
  const options: FastifyServerOptions = {
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For is believed only from the configured proxies (else a forged header dodges per-IP limits)
    trustProxy: typeof config.trustProxy === 'number' ? hops(config.trustProxy) : config.trustProxy,
    // ignoreTrailingSlash: a client appending "/" to a URL (a webhookUrl, a route) reaches the route, not a 404
    routerOptions: { maxParamLength: 256, ignoreTrailingSlash: true },
    // connections idle on keep-alive are closed at shutdown so it never waits on them
    forceCloseConnections: 'idle',
    // a request that arrives on a kept-alive connection while the server drains is served (with
    // Connection: close), not refused with a 503: the pools stay open until HTTP has finished
    return503OnClosing: false,
    genReqId: requestId,
    // router errors (bad percent-encoding, over-long path segments) answer in the API.md shape too
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const notFound = error.code === 'FST_ERR_MAX_PARAM_LENGTH' || error.statusCode === 404;
      void reply
        .status(notFound ? 404 : 400)
        .send(
          notFound
            ? { statusCode: 404, code: 'NOT_FOUND', message: 'Route not found', details: [] }
            : { statusCode: 400, code: 'VALIDATION_FAILED', message: 'Malformed request URL', details: [] },
        );
    },
    // HTTP framing errors (bad Content-Length, CL with TE …) never reach a route
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable) return;
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({
        statusCode: status,
        code: 'VALIDATION_FAILED',
        message: status === 431 ? 'Request headers are too large' : 'Malformed HTTP request',
        details: [],
      });
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  };
  const adapter = new FastifyAdapter(options as ConstructorParameters<typeof FastifyAdapter>[0]);
  // bodyParser: false keeps Fastify's own JSON parser only (Nest would add urlencoded); see below for text/plain
  const entry = { module: rootModule, imports: [ConfigModule.forRoot(config)] };
  const app = await NestFactory.create<NestFastifyApplication>(entry, adapter, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only; every other body type is answered 415 instead of reaching a handler as a string.
  // The raw bytes are kept (webhook signatures are computed over them); prototype keys are refused.
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    // no body with a JSON content type (a client's default header on an action such as POST …/sync) is
    // no body, as without the header; a webhook delivery is never empty and stays a 400
    if (raw.length === 0 && !request.url.startsWith('/api/webhooks/')) {
      done(null, undefined);
      return;
    }
    (request.raw as RawBodyRequest).rawBody = raw;
    if (isIntegrationDelivery(request)) {
      // API.md "Webhooks": "Signatures are checked over the exact raw request bytes, in constant time,
      // before any parsing work beyond what routing needs". Routing an integration's own URL needs only
      // the URL: a body that does not parse reaches the route with its bytes, which verifies the
      // signature and then answers the parse error (WebhookIngestService.ingestForIntegration).
      // Provider-level URLs route by a key inside the payload and keep refusing it here (400).
      void parseJson(request, raw.toString('utf8'), (err: Error | null, value?: unknown) => {
        if (err) (request.raw as RawBodyRequest).bodyError = err;
        done(null, err ? undefined : value);
      });
      return;
    }
    void parseJson(request, raw.toString('utf8'), done);
  });
  // webhook bodies have their own limit, enforced while the body streams in
  const deliveryLog = webhookDeliveryLog(new NestLogger('WebhookDelivery'));
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/webhooks/')) return;
    route.bodyLimit = config.webhooks.maxBytes;
    // deliveries skip the per-request log (UNLOGGED_ROUTES); the refused ones are logged here
    if (route.method === 'POST') route.onResponse = [...hooks(route.onResponse), deliveryLog];
  });
  // a bulk send names up to 100,000 leads (API.md): its body may be larger than other requests'
  fastify.addHook('onRoute', (route) => {
    if (route.url === '/api/whatsapp/bulk' && route.method === 'POST')
      route.bodyLimit = Math.max(config.bodyLimitBytes, BULK_BODY_LIMIT_BYTES);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // the CRM's frontend calls the API from its own origin: its preflights are answered for the allow-listed
  // origins only (bearer tokens, no cookies: credentials are not allowed); webhooks are server-to-server
  if (config.corsOrigins.length > 0)
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'content-disposition', 'location'],
      credentials: false,
      maxAge: 600,
    });
  app.setGlobalPrefix('api');
  app.useGlobalPipes(validationPipe);
  app.useGlobalFilters(new AllExceptionsFilter());
  // built at the first request for it, not at boot: scanning every route and DTO is about a fifth of
  // building the app, which every process (and every test file) pays and few ever ask for
  SwaggerModule.setup('api/docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
