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
 * A claim marked "work committed" with no answer: only a claim of the previous release, which marked
 * its work and stored its answer in two steps, and died between them (such rows live out their 24 hours
 * after a deploy, or come from a process still on that release during one). Its answer cannot be
 * rebuilt, so the caller looks the resource up; the work is never redone. Answers now commit with the work.
 */
export const ANSWER_LOST =
  'The request with this Idempotency-Key did its work, but its answer was lost: look the result up instead of retrying';
/** A request that outlived its lease finds that the retry which took its key over did the work. */
export const WORK_DONE_BY_RETRY = 'Another request with this Idempotency-Key did the work';

/** What an `@Idempotent()` route answers: `status` defaults to the route's own (its @HttpCode, else 201). */
export interface IdempotentAnswer {
  status?: number;
  body: unknown;
}

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
   * claim whose process died is taken over once its lease ran out: its work had not committed, or its
   * answer would be there (replayed). A claim of the previous release marked without an answer is 409
   * ANSWER_LOST, never the work again.
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
   * Stores the request's answer (and marks its work committed) as a statement of the work's own
   * transaction, so the answer commits or rolls back with the work: a retry after the process died past
   * that commit gets this answer replayed, never a 409 nor the work again. Called by the services of the
   * `@Idempotent()` routes at the end of the transaction that is their work, with `body` exactly what
   * the route returns; nothing to do outside such a request (a job, a call without a key).
   *
   * An explicit call rather than a hook storing on every transaction of the request in
   * TransactionRunner: these requests commit other transactions before their work (an OAuth token
   * refresh, under its lock, on the way to a send), and only the work knows its answer.
   */
  async recordAnswer(answer: IdempotentAnswer): Promise<void> {
    const work = idempotentWork.getStore();
    if (!work) return;
    if (!this.transactions.active)
      throw new Error('recordAnswer must run inside the transaction of the work it answers for');
    const status = answer.status ?? work.status;
    // what the interceptor stored before, and what Fastify sends: JSON.stringify of the route's result
    if (!(await this.keys.recordAnswer(work.claimId, status, JSON.stringify(answer.body ?? null))))
      throw DomainException.conflict(WORK_DONE_BY_RETRY);
    this.transactions.afterCommit(() => {
      work.committed = true;
    });
  }

  /**
   * Stores the answer of a request whose work recorded none (a route that fails to call recordAnswer;
   * the interceptor logs it as an error). Never throws: the work is done and its answer goes out; a
   * key left without its answer blocks retries (409) until its lease runs out, then is taken over.
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
   * corrected request may use it. After (a failure past the work's transaction), the key keeps the
   * answer the work recorded, and a retry gets that answer replayed.
   */
  async fail(work: IdempotentWork): Promise<void> {
    if (work.committed) return;
    try {
      // release deletes only a claim with no answer: an unseen commit (its COMMIT's reply lost) is kept too
      await this.keys.release(work.claimId);
    } catch (err) {
      this.logger.error(
        { err, idempotencyKeyId: work.claimId },
        'the key of a failed idempotent request could not be released',
      );
    }
  }
}
