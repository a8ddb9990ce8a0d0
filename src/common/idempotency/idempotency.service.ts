import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../clock';
import { TransactionRunner } from '../../database/transaction-runner';
import { DomainException } from '../errors/domain.exception';
import { IdempotencyKeysRepository, IdempotencyScope } from './idempotency-keys.repository';
import { IdempotentWork, idempotentWork } from './idempotent-work';

/** How long a key is remembered (and its answer replayed). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a first request holds its key before another may take it over: far longer than any of
 * these requests takes, so only a process that died mid-request loses it.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 5 * 60;
/** How long a retry waits for the first request to finish before answering 409 in progress. */
export const IN_PROGRESS_WAIT_MS = 5_000;
const POLL_MS = 100;

export const DIFFERENT_BODY = 'This Idempotency-Key was used with a different request body';
export const IN_PROGRESS = 'A request with this Idempotency-Key is in progress';
/**
 * The first request's work committed, but its process died before its answer was stored. Its answer is
 * not rebuilt: the bulk's, message's or lead's state has moved on since, and a 201 rebuilt from today's
 * lead would not be the answer the first request gave. The caller looks the resource up instead.
 */
export const ANSWER_LOST =
  'The request with this Idempotency-Key did its work, but its answer was lost: look the result up instead of retrying';
/** A request that outlived its lease finds that the retry which took its key over did the work. */
export const WORK_DONE_BY_RETRY = 'Another request with this Idempotency-Key did the work';

/** This request does the work (and reports how it went), or answers with the first request's answer. */
export type IdempotencyClaim = { kind: 'owner'; id: string } | { kind: 'replay'; status: number; body: string };

/**
 * Idempotency-Key bookkeeping in PostgreSQL, so that it holds across API processes: a key is claimed
 * by a unique insert before the work starts; only the claimant works, the others wait for its answer.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly keys: IdempotencyKeysRepository,
    private readonly transactions: TransactionRunner,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Claims the key, or finds its earlier request: a finished one with the same fingerprint is
   * replayed, one with another is 409; one still running is waited for (up to IN_PROGRESS_WAIT_MS,
   * then 409). A first request that failed left nothing behind, so its retry claims the key anew. A
   * claim whose process died is taken over once its lease ran out, unless its work had committed: then
   * 409 ANSWER_LOST, never the work again.
   */
  async begin(scope: IdempotencyScope, fingerprint: string): Promise<IdempotencyClaim> {
    // keys past their day go on the way: no schedule to keep, and the statement uses created_at's index
    await this.keys.prune(IDEMPOTENCY_TTL_SECONDS);
    const deadline = this.clock.now() + IN_PROGRESS_WAIT_MS;
    for (;;) {
      const id = await this.keys.claim(scope, fingerprint, IDEMPOTENCY_LEASE_SECONDS);
      if (id !== null) return { kind: 'owner', id };
      const found = await this.keys.find(scope);
      if (found === null) continue; // released by a failed first request between the two statements
      if (found.fingerprint !== fingerprint) throw DomainException.conflict(DIFFERENT_BODY);
      if (found.response) return { kind: 'replay', ...found.response };
      if (found.lapsed && found.workCommitted) throw DomainException.conflict(ANSWER_LOST);
      if (found.lapsed && (await this.keys.takeOver(found.id, IDEMPOTENCY_LEASE_SECONDS)))
        return { kind: 'owner', id: found.id };
      if (this.clock.now() >= deadline) throw DomainException.conflict(IN_PROGRESS);
      await this.clock.sleep(POLL_MS);
    }
  }

  /**
   * Marks the request's claim as "work committed", as a statement of the work's own transaction, so
   * the mark commits or rolls back with the work: a claim whose process dies after the commit is never
   * taken over to do the work again. Called by the services of the `@Idempotent()` routes at the end of
   * the transaction that is their work; nothing to do outside such a request (a job, a call without a key).
   *
   * An explicit call rather than a hook marking every transaction of the request in TransactionRunner:
   * these requests commit other transactions before their work (an OAuth token refresh, under its lock,
   * on the way to a send), and a request refused after one must still free its key.
   */
  async markWorkCommitted(): Promise<void> {
    const work = idempotentWork.getStore();
    if (!work) return;
    if (!this.transactions.active)
      throw new Error('markWorkCommitted must run inside the transaction of the work it marks');
    if (!(await this.keys.markWorkCommitted(work.claimId))) throw DomainException.conflict(WORK_DONE_BY_RETRY);
    this.transactions.afterCommit(() => {
      work.committed = true;
    });
  }

  /**
   * Stores the answer of the work this request did. Never throws: the work is done and its answer
   * goes out; a key left without its answer blocks retries (409) until its lease runs out.
   */
  async succeed(id: string, status: number, body: string): Promise<void> {
    try {
      await this.keys.complete(id, status, body);
    } catch (err) {
      this.logger.error({ err, idempotencyKeyId: id }, 'the answer of an idempotent request could not be stored');
    }
  }

  /**
   * The request failed (an error answer). Before its work committed, the key is forgotten, so the
   * corrected request may use it; after (a failure building the answer), the key is kept without an
   * answer and its lease ends, so a retry is told at once that the work was done (ANSWER_LOST).
   */
  async fail(work: IdempotentWork): Promise<void> {
    try {
      // release deletes only a claim with no work committed: an unseen commit (its COMMIT's reply lost) is kept too
      if (work.committed) await this.keys.abandon(work.claimId);
      else await this.keys.release(work.claimId);
    } catch (err) {
      this.logger.error(
        { err, idempotencyKeyId: work.claimId },
        'the key of a failed idempotent request could not be released',
      );
    }
  }
}
