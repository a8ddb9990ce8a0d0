import { AsyncLocalStorage } from 'node:async_hooks';

/** The claimed key of the request in progress, as its work sees it (IdempotencyService.recordAnswer). */
export interface IdempotentWork {
  readonly claimId: string;
  /** The route's success status (its @HttpCode, else 201 for a POST): the answer's, unless the work says otherwise. */
  readonly status: number;
  /** Set once the transaction that recorded the answer has committed: the work is done, whatever follows. */
  committed: boolean;
}

/** Set by IdempotencyInterceptor around the route's handler, read by IdempotencyService.recordAnswer. */
export const idempotentWork = new AsyncLocalStorage<IdempotentWork>();
