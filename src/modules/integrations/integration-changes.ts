import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { PgNotifications } from '../../database/pg-notifications';
import { TransactionRunner } from '../../database/transaction-runner';

/**
 * The channel every process's PgNotifications listens on; the payload is the integration id, with
 * `:own` when the change kept the integration where it was routed (see IntegrationChange).
 */
export const INTEGRATION_CHANGES_CHANNEL = 'integration_changes';

/**
 * What a write of an integration may have changed:
 * - `any`: anything (an admin's config, a routing key, switching on, a new integration): every cached
 *   lookup may be wrong, including "nothing is routed by this key" and lists the integration joins;
 * - `own`: only the integration's own row behind the same routing (a refreshed token, secrets sealed
 *   again, a status set to error by a worker): only lookups that hold this integration are wrong.
 *   Background writes are these, and they are the frequent ones (a token sweep refreshes hundreds):
 *   dropping every process's whole cache for each made every delivery after it look its target up again.
 */
export type IntegrationChangeScope = 'any' | 'own';

const PUBLISH = { name: 'integration-changes-publish', text: 'SELECT pg_notify($1, $2)' };

/** Told an integration id and what may have changed, or null: every integration may have changed (notifications were missed). */
export type IntegrationChangeListener = (integrationId: number | null, scope: IntegrationChangeScope) => void;

/** `12` or `12:own`; anything else (a NOTIFY anyone with database access could send) is read as "everything". */
export function parseChange(payload: string): { integrationId: number | null; scope: IntegrationChangeScope } {
  const match = /^(\d{1,15})(:own)?$/.exec(payload);
  const id = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(id)) return { integrationId: null, scope: 'any' };
  return { integrationId: id, scope: match[2] ? 'own' : 'any' };
}

/**
 * Integration rows cached per process (webhook routing in WebhookTargets, the worker's rows in
 * WebhookProcessor) are forgotten as soon as a write of an integration commits: a disconnect, a
 * switch-off, a config, secret or token change applies to the very next delivery, as API.md promises
 * ("webhook deliveries for it answer 409 INTEGRATION_NOT_ACTIVE"). In this process at once, after the
 * commit; in the deployment's other processes through pg_notify on INTEGRATION_CHANGES_CHANNEL, issued
 * in the write's own transaction, so PostgreSQL delivers it at commit and never after a rollback
 * (https://www.postgresql.org/docs/current/sql-notify.html). A process whose LISTEN session is down
 * forgets everything and relies on WEBHOOK_CACHE_TTL_MS until it is back (README "Scale-out").
 */
@Injectable()
export class IntegrationChanges {
  private readonly listeners = new Set<IntegrationChangeListener>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly db: Db,
    notifications: PgNotifications,
  ) {
    notifications.on(INTEGRATION_CHANGES_CHANNEL, {
      // our own notifications come back too: dropping an entry twice is harmless
      notify: (payload) => {
        const { integrationId, scope } = parseChange(payload);
        this.tell(integrationId, scope);
      },
      reset: () => this.tell(null, 'any'),
    });
  }

  subscribe(listener: IntegrationChangeListener): void {
    this.listeners.add(listener);
  }

  /**
   * Called with the write (inside its transaction, or right after it committed): this process's
   * listeners run once it has committed, and the other processes are told at the same commit.
   * Integration writes are rare; the webhook ingest never writes one.
   */
  async changed(integrationId: number, scope: IntegrationChangeScope = 'any'): Promise<void> {
    this.transactions.afterCommit(() => this.tell(integrationId, scope));
    const payload = scope === 'own' ? `${integrationId}:own` : String(integrationId);
    await this.db.execute(PUBLISH, [INTEGRATION_CHANGES_CHANNEL, payload]);
  }

  private tell(integrationId: number | null, scope: IntegrationChangeScope): void {
    for (const listener of this.listeners) listener(integrationId, scope);
  }
}
