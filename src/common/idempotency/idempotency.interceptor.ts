import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, concatMap, from, Observable, of, throwError } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { canActOn } from '../auth/sub-account-scope';
import { MAX_INT_ID } from '../http/int-id.decorator';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key';
import { IdempotencyService } from './idempotency.service';
import { IdempotentWork, idempotentWork } from './idempotent-work';

export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** The body's `subAccountId` when it is one the table can hold (the routes validate it themselves). */
function subAccountOf(body: unknown): number | null {
  if (typeof body !== 'object' || body === null || !('subAccountId' in body)) return null;
  const id = body.subAccountId;
  return typeof id === 'number' && Number.isInteger(id) && id > 0 && id <= MAX_INT_ID ? id : null;
}

/**
 * An optional Idempotency-Key on a POST whose body names its `subAccountId` (see `@Idempotent()`).
 * The key is scoped to (sub-account, route, the caller's `sub`), so it never replays to another
 * tenant or user. Runs after the guards and before validation: a request that then fails (400, 404,
 * 422 …) releases its key instead of storing the error, unless its work had committed (see
 * IdempotencyService.markWorkCommitted): that key is never worked on again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly service: IdempotencyService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    const reply = http.getResponse<FastifyReply>();
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) return next.handle();
    const user = request.user;
    const subAccountId = subAccountOf(request.body);
    // a body naming no sub-account the caller may act on is refused by the route itself (400/403): nothing to keep
    if (!user || subAccountId === null || !canActOn(user, subAccountId)) return next.handle();

    const scope = { subAccountId, route: `${request.method} ${request.routeOptions.url}`, userSub: user.sub, key };
    const claim = await this.service.begin(scope, requestFingerprint(request.body));
    if (claim.kind === 'replay') {
      void reply.status(claim.status).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return of(JSON.parse(claim.body) as unknown);
    }
    // the handler runs (and its work's transaction marks the claim) with the claim in its async context
    const work: IdempotentWork = { claimId: claim.id, committed: false };
    const handled = new Observable<unknown>((subscriber) =>
      idempotentWork.run(work, () => next.handle().subscribe(subscriber)),
    );
    return handled.pipe(
      concatMap(async (result: unknown) => {
        if (reply.statusCode < 400)
          await this.service.succeed(claim.id, reply.statusCode, JSON.stringify(result ?? null));
        else await this.service.fail(work);
        return result;
      }),
      catchError((err: unknown) => from(this.service.fail(work)).pipe(concatMap(() => throwError(() => err)))),
    );
  }
}
