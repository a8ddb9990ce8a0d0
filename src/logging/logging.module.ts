import { Module, RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { redactDeep } from './redact';

/**
 * Webhook deliveries are not logged request by request: at thousands a second pino-http's per-request
 * child logger and request context cost about 15 % of the ingest path's instructions (measured with
 * callgrind on bench/webhook-ingest's load), and every delivery taken is a webhook_events row already.
 * A delivery answered with an error is still logged (webhookDeliveryLog in app.factory.ts).
 */
export const UNLOGGED_ROUTES = [{ method: RequestMethod.POST, path: 'webhooks/*splat' }];

/** Structured JSON logs with a request id per request; secrets redacted at any depth. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        exclude: UNLOGGED_ROUTES,
        pinoHttp: [
          {
            level: config.logLevel,
            // the id Fastify gave the request (see requestId below), so every line of a request shares it
            genReqId: (req: IncomingMessage & { id?: unknown }) => (typeof req.id === 'string' ? req.id : randomUUID()),
            // request and response objects are reduced to what helps, never headers or bodies
            wrapSerializers: false,
            serializers: {
              req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
                id: req.id,
                method: req.method,
                url: (req.originalUrl ?? req.url ?? '').split('?')[0],
              }),
              res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
            },
            formatters: {
              log: (object: Record<string, unknown>) => redactDeep(object) as Record<string, unknown>,
            },
            customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          },
          config.logFile ? pino.destination({ dest: config.logFile, sync: true }) : pino.destination(1),
        ],
      }),
    }),
  ],
})
export class LoggingModule {}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Fastify's request id: the caller's X-Request-Id when it is sane, otherwise a new UUID. */
export function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}
