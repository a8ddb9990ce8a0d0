// The workers' claims, apart from WebhookEventsRepository's queries: the claims of one turn of the
// event loop (a worker's batch of jobs) share one statement.
import { Db } from '../../database/db';
import type { EventRow } from './webhook-events.repository';

/**
 * PENDING (or PROCESSING left by a worker that died) → PROCESSING, counting the attempt, for one
 * event or many: one round trip and one commit for a worker's batch instead of one per event. Ids
 * are locked in index order, so two claims of overlapping groups (a job retried while its first
 * runner still holds it) wait for each other rather than deadlock.
 *
 * The claim commits without waiting for its WAL to reach the disk (synchronous_commit off for this
 * statement's own transaction only: set_config(…, true) ends with it). It changes nothing anyone
 * relies on surviving a database crash: a claim lost with the crash leaves the event PENDING (or
 * PROCESSING), which the retried job claims again, and WAL is flushed in order, so the durable
 * commit of the event's result also makes its claim durable. bench/lead-e2e on a 2-core machine:
 * the claim's commit was a third of the workers' WAL flush waits (pg_stat_activity samples); median
 * of 4 runs before 832 leads/s (809–841), of 5 runs after 923 (846–1,012).
 *
 * While an event is PROCESSING, next_attempt_at holds its claim's lease (the job's, JOB_LEASE_SECONDS
 * or webhook-process's expireInSeconds): only once it has passed may another job take the event, as
 * pg-boss hands a dead worker's job to another after that long. Before, any second job of the event
 * took it at once: the first delivery's delayed retry, still queued when a replay ran the event now,
 * processed it again beside the replay's run. Likewise a PENDING event is taken only once its backoff
 * (next_attempt_at, the same instant its retry job starts after) is over, so that old retry never
 * runs it ahead of the backoff of a later failure. Both are compared on PostgreSQL's clock.
 *
 * Exported for the medium spec that proves it a HOT update (next_attempt_at is in no index either).
 */
export const CLAIM = {
  name: 'webhook_claim_group_v1',
  text: `UPDATE webhook_events SET status = 'PROCESSING', attempts = attempts + 1,
         next_attempt_at = now() + $2::int * interval '1 second'
       WHERE id = ANY($1::bigint[]) AND status IN ('PENDING', 'PROCESSING')
         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
       RETURNING id::text AS id, integration_id, sub_account_id, provider, dedup_key, external_id, event_type, attempts,
         payload, received_at`,
};

interface ClaimedRow {
  id: string;
  integration_id: number;
  sub_account_id: number;
  provider: string;
  dedup_key: string;
  external_id: string | null;
  event_type: string;
  attempts: number;
  payload: unknown;
  received_at: Date;
}

interface PendingClaim {
  id: bigint;
  resolve: (row: EventRow | null) => void;
  reject: (err: unknown) => void;
}

function claimedEvent(id: bigint, r: ClaimedRow): EventRow {
  return {
    id,
    integrationId: r.integration_id,
    subAccountId: r.sub_account_id,
    provider: r.provider,
    dedupKey: r.dedup_key,
    externalId: r.external_id,
    eventType: r.event_type,
    status: 'PROCESSING',
    attempts: r.attempts,
    lastError: null,
    payload: r.payload as EventRow['payload'],
    receivedAt: r.received_at,
    processedAt: null,
    nextAttemptAt: null,
  };
}

export class EventClaimGroups {
  private readonly claims: PendingClaim[] = [];
  private claimScheduled = false;

  constructor(
    private readonly db: Db,
    private readonly leaseSeconds: number,
  ) {}

  claim(id: bigint): Promise<EventRow | null> {
    return new Promise((resolve, reject) => {
      this.claims.push({ id, resolve, reject });
      if (this.claimScheduled) return;
      this.claimScheduled = true;
      // the batch's jobs all reach their claim in the turn that started them
      queueMicrotask(() => {
        this.claimScheduled = false;
        void this.claimGroup(this.claims.splice(0));
      });
    });
  }

  private async claimGroup(group: PendingClaim[]): Promise<void> {
    let rows: ClaimedRow[];
    try {
      rows = await this.run(group.map((c) => c.id));
    } catch (err) {
      if (group.length === 1) return group[0].reject(err);
      // the group's statement failed as a whole (a lost connection, a lock timeout): each claim alone,
      // so one event's trouble is not every event's
      await Promise.all(group.map((c) => this.claimGroup([c])));
      return;
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const c of group) {
      const row = byId.get(c.id.toString());
      // the same event twice in one group (two jobs for it): the first runs it, the second finds it taken
      byId.delete(c.id.toString());
      c.resolve(row ? claimedEvent(c.id, row) : null);
    }
  }

  private run(ids: bigint[]): Promise<ClaimedRow[]> {
    // always its own transaction: inside a caller's, the setting would make that commit lazy too
    return this.db.sqlAlone<ClaimedRow>(CLAIM, [ids.map(String), this.leaseSeconds]);
  }
}
