import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH } from './idempotency-key';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Makes a POST safe to retry with an optional Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header).
 * The route's body must carry `subAccountId`, and its module must import IdempotencyModule. Its service
 * must call IdempotencyService.recordAnswer with the route's answer inside the transaction that is its
 * work (the interceptor logs an error otherwise), and the route must be added to the lost-answer e2e
 * (test/e2e/idempotency-lost-answer.e2e-spec.ts, which fails on a route it does not list).
 */
export const Idempotent = (): MethodDecorator =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'Makes the request safe to retry: 1–255 printable ASCII characters (bare, or a structured-field string "…"), ' +
        'unique per intended request; scoped to the sub-account, the route and the caller, kept 24 hours. A retry ' +
        'with the same key and body gets the first answer again (same status and body, header Idempotent-Replayed: true) ' +
        'and nothing is done twice; while the first is still running it waits up to 5 s for it, then 409 CONFLICT. ' +
        'The same key with another body: 409 CONFLICT. A first request answered with an error before its work ' +
        'was done keeps nothing: the key may be used again. The answer is stored with the work, in one ' +
        'transaction: a retry after a first request whose reply was lost (its process died, the connection ' +
        'broke) gets that answer too, and the work is never done twice.',
      schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH },
    }),
  );
