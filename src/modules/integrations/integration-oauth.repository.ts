import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { TransactionRunner } from '../../database/transaction-runner';
import { IntegrationChanges } from './integration-changes';

/** An integration's OAuth columns as the refresher reads them under its lock. */
export interface StoredOAuth {
  provider: string | null;
  /** Sealed JSON (SecretBox, AAD integration:<id>/oauthTokens). */
  tokens: string | null;
  expiresAt: Date | null;
  status: string;
  errorMessage: string | null;
}

/** pg_advisory_xact_lock(class, integration id): the class keeps these locks apart from the leads' ones. */
const REFRESH_LOCK_CLASS = 15_001;

const READ = {
  name: 'oauth_read_tokens',
  text: `SELECT oauth_provider AS provider, oauth_tokens AS tokens, oauth_expires_at AS "expiresAt",
                status::text AS status, error_message AS "errorMessage"
         FROM integrations WHERE id = $1`,
};
const LOCK = { name: 'oauth_refresh_lock', text: 'SELECT pg_advisory_xact_lock($1::int, $2::int)' };
// Both writes are compare-and-set on the sealed tokens the refresher read under its lock: a reconnect
// (the OAuth callback), a disconnect or a pasted token writes the row under its row lock, not under
// the refresh lock, so it may land while a token endpoint is being asked. Each sealing has its own
// random IV, so the sealed text names one generation of tokens. In READ COMMITTED an UPDATE
// re-checks its WHERE against the row as committed (waiting for a writer that holds it), so a
// replaced generation is never overwritten.
const STORE = {
  name: 'oauth_store_refreshed_cas',
  text: `UPDATE integrations SET oauth_tokens = $2, oauth_expires_at = $3, oauth_refreshed_at = $4, updated_at = $4
         WHERE id = $1 AND oauth_tokens = $5`,
};
const REAUTHORIZE = {
  name: 'oauth_reauthorization_required_cas',
  text: `UPDATE integrations SET status = 'error', error_message = $2, oauth_tokens = NULL, oauth_expires_at = NULL,
                updated_at = $3
         WHERE id = $1 AND oauth_tokens = $4`,
};

// live OAuth connections whose access token expires by $1 (an unrefreshable one stays due until it has run out)
const DUE = {
  name: 'oauth_due_for_refresh',
  text: `SELECT id FROM integrations
         WHERE oauth_tokens IS NOT NULL AND status <> 'disconnected' AND oauth_expires_at <= $1 AND id > $2
         ORDER BY id LIMIT $3`,
};

const GRANT_IN_USE = {
  name: 'oauth_grant_in_use',
  text: `SELECT EXISTS (
           SELECT 1 FROM integrations
           WHERE oauth_provider = $2 AND oauth_grant_key = $3 AND id <> $1
             AND oauth_tokens IS NOT NULL AND status <> 'disconnected'
         ) AS "inUse"`,
};

/**
 * The OAuth columns of integrations, for the refresher: every read-refresh-write happens under one
 * advisory lock per integration inside one transaction, so that across every process exactly one
 * refresh runs at a time and the rotated refresh token is stored in the transaction that held the lock.
 */
@Injectable()
export class IntegrationOAuthRepository {
  constructor(
    private readonly db: Db,
    private readonly transactions: TransactionRunner,
    private readonly changes: IntegrationChanges,
  ) {}

  async read(id: number): Promise<StoredOAuth | null> {
    const rows = await this.db.sql<StoredOAuth & Record<string, unknown>>(READ, [id]);
    return rows[0] ?? null;
  }

  /**
   * Runs `work` in a transaction that holds the integration's refresh lock (waiting for it). The
   * transaction is plain SQL on one pooled connection, so a slow token endpoint is bounded by the
   * outbound timeout, not by an interactive transaction's limit.
   */
  withRefreshLock<T>(id: number, work: () => Promise<T>): Promise<T> {
    return this.transactions.runSql(async () => {
      await this.db.execute(LOCK, [REFRESH_LOCK_CLASS, id]);
      return work();
    });
  }

  /** Stores refreshed tokens only over `seen` (the generation the refresh started from); false when it was replaced. */
  async storeRefreshed(id: number, seen: string, sealed: string, expiresAt: Date | null, at: Date): Promise<boolean> {
    const stored = (await this.db.execute(STORE, [id, sealed, expiresAt, at, seen])) > 0;
    // a new access token: the integration is routed as before
    if (stored) await this.changes.changed(id, 'own');
    return stored;
  }

  /** Ids (ascending, after `afterId`) of the live OAuth connections whose access token expires by `before`. */
  async dueForRefresh(before: Date, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db.sql<{ id: number }>(DUE, [before, afterId, limit]);
    return rows.map((r) => r.id);
  }

  /** Whether another live integration (tokens held, not disconnected) holds the same provider grant. */
  async grantInUse(id: number, provider: string, grantKey: string): Promise<boolean> {
    const rows = await this.db.sql<{ inUse: boolean }>(GRANT_IN_USE, [id, provider, grantKey]);
    return rows[0]?.inUse === true;
  }

  /**
   * The provider refused the grant `seen` came from: the integration stops (status error) and keeps no
   * token to call with. False when `seen` was replaced meanwhile (a reconnect's tokens are not dropped).
   */
  async markReauthorizationRequired(id: number, seen: string, message: string, at: Date): Promise<boolean> {
    const marked = (await this.db.execute(REAUTHORIZE, [id, message, at, seen])) > 0;
    if (marked) await this.changes.changed(id, 'own');
    return marked;
  }
}
