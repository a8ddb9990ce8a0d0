import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

/** Who asked, where and with which key: the row's unique scope. */
export interface IdempotencyScope {
  subAccountId: number;
  route: string;
  userSub: string;
  key: string;
}

/** A key as stored: `response` is null while the first request is still working on it (or died). */
export interface StoredIdempotencyKey {
  id: string;
  fingerprint: string;
  response: { status: number; body: string } | null;
  /** The claim ran out (its process died mid-request): another request may take it over. */
  lapsed: boolean;
  /**
   * Marked by the previous release's work without an answer (it stored it in a second step): the work
   * must never be done again for this key. Answers now commit with their work (RECORD_ANSWER).
   */
  workCommitted: boolean;
}

interface Row {
  id: string;
  fingerprint: string;
  response_status: number | null;
  response_body: string | null;
  lapsed: boolean;
  work_committed: boolean;
}

const PRUNE = {
  name: 'idempotency_keys_prune',
  text: `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`,
};

const CLAIM = {
  name: 'idempotency_keys_claim',
  text: `INSERT INTO idempotency_keys (sub_account_id, route, user_sub, key, fingerprint, locked_until)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
         ON CONFLICT (sub_account_id, route, user_sub, key) DO NOTHING
         RETURNING id::text`,
};

const FIND = {
  name: 'idempotency_keys_find',
  text: `SELECT id::text, fingerprint, response_status, response_body, (locked_until < now()) AS lapsed,
           (work_committed_at IS NOT NULL) AS work_committed
         FROM idempotency_keys
         WHERE sub_account_id = $1 AND route = $2 AND user_sub = $3 AND key = $4`,
};

// only one of several requests finding a lapsed claim gets it (the row lock orders them), and never
// one whose work committed (it has its answer, or was marked by the previous release)
const TAKE_OVER = {
  name: 'idempotency_keys_take_over',
  text: `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $2)
         WHERE id = $1 AND response_status IS NULL AND work_committed_at IS NULL AND locked_until < now()
         RETURNING id::text`,
};

// in the work's transaction: the answer commits with the work. `response_status IS NULL` lets one work
// commit per claim: a request that outlived its lease and lost the key to a retry finds the retry's
// answer (waiting for its row lock) and rolls back
const RECORD_ANSWER = {
  name: 'idempotency_keys_record_answer',
  text: `UPDATE idempotency_keys
         SET response_status = $2, response_body = $3, completed_at = now(), work_committed_at = now()
         WHERE id = $1 AND response_status IS NULL AND work_committed_at IS NULL`,
};

const COMPLETE = {
  name: 'idempotency_keys_complete',
  text: `UPDATE idempotency_keys SET response_status = $2, response_body = $3, completed_at = now()
         WHERE id = $1 AND response_status IS NULL`,
};

const RELEASE = {
  name: 'idempotency_keys_release',
  text: `DELETE FROM idempotency_keys WHERE id = $1 AND response_status IS NULL AND work_committed_at IS NULL`,
};

/**
 * The idempotency_keys table. Every statement but recordAnswer runs on its own (never in the
 * caller's transaction): a claim must be visible to every other process before the work starts, and
 * must outlive a rolled-back attempt.
 */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly db: Db) {}

  /** Deletes the keys older than `ttlSeconds` (each claim does, so the table holds about a day of keys). */
  async prune(ttlSeconds: number): Promise<void> {
    await this.db.sqlAlone(PRUNE, [ttlSeconds]);
  }

  /** The new row's id, or null when the scope already has this key. */
  async claim(scope: IdempotencyScope, fingerprint: string, leaseSeconds: number): Promise<string | null> {
    const rows = await this.db.sqlAlone<{ id: string }>(CLAIM, [
      scope.subAccountId,
      scope.route,
      scope.userSub,
      scope.key,
      fingerprint,
      leaseSeconds,
    ]);
    return rows[0]?.id ?? null;
  }

  async find(scope: IdempotencyScope): Promise<StoredIdempotencyKey | null> {
    const [row] = await this.db.sqlAlone<Row>(FIND, [scope.subAccountId, scope.route, scope.userSub, scope.key]);
    if (!row) return null;
    return {
      id: row.id,
      fingerprint: row.fingerprint,
      response:
        row.response_status === null || row.response_body === null
          ? null
          : { status: row.response_status, body: row.response_body },
      lapsed: row.lapsed,
      workCommitted: row.work_committed,
    };
  }

  /** True when this request now holds the lapsed claim. */
  async takeOver(id: string, leaseSeconds: number): Promise<boolean> {
    return (await this.db.sqlAlone(TAKE_OVER, [id, leaseSeconds])).length === 1;
  }

  /**
   * Stores the answer inside the caller's (the work's) transaction, so it commits or rolls back with
   * the work. False when the claim is gone or another request's work answered it.
   */
  async recordAnswer(id: string, status: number, body: string): Promise<boolean> {
    return (await this.db.execute(RECORD_ANSWER, [id, status, body])) === 1;
  }

  /** The answer of a request whose work recorded none, after the fact (on its own). */
  async complete(id: string, status: number, body: string): Promise<void> {
    await this.db.sqlAlone(COMPLETE, [id, status, body]);
  }

  /** Forgets a claim whose request failed, so the key may be used again: never one whose work committed. */
  async release(id: string): Promise<void> {
    await this.db.sqlAlone(RELEASE, [id]);
  }
}
