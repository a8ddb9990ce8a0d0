import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { PgNotifications } from '../../database/pg-notifications';
import { TransactionRunner } from '../../database/transaction-runner';

/** The channel every process's PgNotifications listens on; the payload is the integration id. */
export const INTEGRATION_CHANGES_CHANNEL = 'integration_changes';

const PUBLISH = { name: 'integration-changes-publish', text: 'SELECT pg_notify($1, $2)' };

/** Told an integration id, or null: every integration may have changed (notifications were missed). */
export type IntegrationChangeListener = (integrationId: number | null) => void;

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
        const id = Number(payload);
        this.tell(Number.isSafeInteger(id) ? id : null);
      },
      reset: () => this.tell(null),
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
  async changed(integrationId: number): Promise<void> {
    this.transactions.afterCommit(() => this.tell(integrationId));
    await this.db.execute(PUBLISH, [INTEGRATION_CHANGES_CHANNEL, String(integrationId)]);
  }

  private tell(integrationId: number | null): void {
    for (const listener of this.listeners) listener(integrationId);
  }
}
