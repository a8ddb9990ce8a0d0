import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { currentTransaction, TransactionRunner } from '../../database/transaction-runner';
import { JobsService } from '../../jobs/jobs.service';

/** The singleton key of an integration's template re-sync jobs (pgboss.job.singleton_key). */
export function templatesResyncKey(integrationId: number): string {
  return `whatsapp-templates-sync:${integrationId}`;
}

const LOCK = {
  name: 'wa_templates_resync_lock_v1',
  text: 'SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS locked',
};
// pg-boss 10: `created` and `retry` are jobs not started yet (a started one may have read Meta's list
// before the change that asks for this re-sync, so it does not count)
const WAITING = {
  name: 'wa_templates_resync_waiting_v1',
  text: `SELECT id::text AS id FROM pgboss.job
         WHERE name = 'whatsapp-templates-sync' AND singleton_key = $1::text AND state IN ('created', 'retry')
         LIMIT 1`,
};

/**
 * Re-syncs of an integration's templates that news from Meta asks for (a send or a `failed` status
 * refused for a paused/disabled/missing template, a template webhook naming what the row cannot hold),
 * one waiting job per integration: a bulk of 10,000 recipients all refused 132015 queues one re-sync,
 * not 10,000 (each lists every page of the WABA's templates).
 *
 * The application's queues use pg-boss's `standard` policy, where a `singletonKey` alone deduplicates
 * nothing (pg-boss 10 plans.js: its unique indexes cover the `short`/`singleton`/`stately` policies or
 * `singletonSeconds`), so the jobs carry the key and the check is made here: under a transaction-scoped
 * advisory lock of the key, a job of the key not started yet means this request is already served.
 * The lock is only tried, never waited for: whoever holds it is enqueueing (or found) that job, and a
 * wait would order this lock against the caller's row locks.
 */
@Injectable()
export class WhatsAppTemplatesResync {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Inside the caller's transaction when there is one (the job commits or rolls back with it). */
  async request(integrationId: number): Promise<{ jobId: string; queued: boolean } | null> {
    const work = async (): Promise<{ jobId: string; queued: boolean } | null> => {
      const key = templatesResyncKey(integrationId);
      const [lock] = await this.db.sql<{ locked: boolean }>(LOCK, [key]);
      if (!lock?.locked) return null;
      const [waiting] = await this.db.sql<{ id: string }>(WAITING, [key]);
      if (waiting) return { jobId: waiting.id, queued: false };
      const jobId = await this.jobs.send(
        'whatsapp-templates-sync',
        { integrationId: BigInt(integrationId) },
        { singletonKey: key },
      );
      return { jobId, queued: true };
    };
    return currentTransaction.getStore() ? work() : this.transactions.run(work);
  }
}
