import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
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
 * 422 …) releases its key instead of storing the error. The answer of a success is stored by the
 * route's work, in its own transaction (IdempotencyService.recordAnswer), so it is there for a retry
 * even if this process dies right after that commit.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(
    private readonly service: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

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
    // the handler runs (and its work's transaction records the answer) with the claim in its async context
    const work: IdempotentWork = { claimId: claim.id, status: this.successStatus(context, request), committed: false };
    const handled = new Observable<unknown>((subscriber) =>
      idempotentWork.run(work, () => next.handle().subscribe(subscriber)),
    );
    return handled.pipe(
      concatMap(async (result: unknown) => {
        if (reply.statusCode >= 400) await this.service.fail(work);
        else if (!work.committed) {
          // an @Idempotent() route whose work did not record its answer: stored now, but a crash before
          // this statement would leave its retry to redo the work
          this.logger.error(
            { idempotencyKeyId: claim.id, route: scope.route },
            'an @Idempotent() route answered without recording its answer in its work transaction',
          );
          await this.service.succeed(claim.id, reply.statusCode, JSON.stringify(result ?? null));
        }
        return result;
      }),
      catchError((err: unknown) => from(this.service.fail(work)).pipe(concatMap(() => throwError(() => err)))),
    );
  }

  /** What Nest answers for this handler when it succeeds: its @HttpCode, else 201 for a POST and 200 otherwise. */
  private successStatus(context: ExecutionContext, request: FastifyRequest): number {
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
    return declared ?? (request.method === RequestMethod[RequestMethod.POST] ? 201 : 200);
  }
}
