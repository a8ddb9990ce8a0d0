import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../clock';
import { DomainException } from '../errors/domain.exception';
import { IdempotencyKeysRepository, IdempotencyScope } from './idempotency-keys.repository';

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
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Claims the key, or finds its earlier request: a finished one with the same fingerprint is
   * replayed, one with another is 409; one still running is waited for (up to IN_PROGRESS_WAIT_MS,
   * then 409). A first request that failed left nothing behind, so its retry claims the key anew.
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
      if (found.lapsed && (await this.keys.takeOver(found.id, IDEMPOTENCY_LEASE_SECONDS)))
        return { kind: 'owner', id: found.id };
      if (this.clock.now() >= deadline) throw DomainException.conflict(IN_PROGRESS);
      await this.clock.sleep(POLL_MS);
    }
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

  /** The work failed (an error answer): the key is forgotten, so the corrected request may use it. */
  async fail(id: string): Promise<void> {
    try {
      await this.keys.release(id);
    } catch (err) {
      this.logger.error({ err, idempotencyKeyId: id }, 'the key of a failed idempotent request could not be released');
    }
  }
}
