import { AsyncLocalStorage } from 'node:async_hooks';

/** The claimed key of the request in progress, as its work sees it (IdempotencyService.markWorkCommitted). */
export interface IdempotentWork {
  readonly claimId: string;
  /** Set once the transaction that marked the claim has committed: the work is done, whatever follows. */
  committed: boolean;
}

/** Set by IdempotencyInterceptor around the route's handler, read by IdempotencyService.markWorkCommitted. */
export const idempotentWork = new AsyncLocalStorage<IdempotentWork>();
