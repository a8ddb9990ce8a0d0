import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../database/transaction-runner';

/**
 * Integration rows cached in this process (webhook routing in WebhookTargets, the worker's rows in
 * WebhookProcessor) are forgotten as soon as a write of an integration commits here: a disconnect, a
 * switch-off, a config or secret change applies to the very next delivery, as API.md promises
 * ("webhook deliveries for it answer 409 INTEGRATION_NOT_ACTIVE"). Other processes of the deployment
 * keep theirs until WEBHOOK_CACHE_TTL_MS (README "Scale-out").
 */
@Injectable()
export class IntegrationChanges {
  private readonly listeners = new Set<(integrationId: number) => void>();

  constructor(private readonly transactions: TransactionRunner) {}

  subscribe(listener: (integrationId: number) => void): void {
    this.listeners.add(listener);
  }

  /** Called with the write (inside its transaction or after it): the listeners run once it has committed. */
  changed(integrationId: number): void {
    this.transactions.afterCommit(() => {
      for (const listener of this.listeners) listener(integrationId);
    });
  }
}
