import { Inject, Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { BoundStatement, Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import { currentTransaction } from '../../database/transaction-runner';
import type { Prisma, WebhookEvent, WebhookEventStatus } from '../../generated/prisma/client';
import { insertJobsSql } from '../../jobs/insert-jobs-sql';
import { JOB_DEFINITIONS } from '../../jobs/job-types';
import { DELIVERY_BATCH_EVENT, namedIdsByKey } from './webhook-batch';
import { EventClaimGroups } from './webhook-event-claims';
import { EventInsertGroups, StoredEvent } from './webhook-event-inserts';
import { EventMarkGroups, markProcessedSql } from './webhook-event-marks';

export interface NewEvent {
  /** An id taken from the sequence beforehand (a big delivery's events, named in its acknowledgement). */
  id?: string;
  integrationId: number;
  subAccountId: number;
  provider: string;
  dedupKey: string;
  externalId: string | null;
  eventType: string;
  payload: unknown;
}

export type EventRow = WebhookEvent;
export type EventStatus = WebhookEventStatus;

export interface EventStats {
  received: number;
  processed: number;
  failed: number;
  pending: number;
  rejected: number;
}

const REOPEN_FAILED = {
  name: 'webhook_reopen_failed_v1',
  text: `WITH ev AS (
         UPDATE webhook_events SET status = 'PENDING', attempts = 0, last_error = NULL, next_attempt_at = NULL
          WHERE status = 'FAILED' AND id IN (
            SELECT id FROM webhook_events
             WHERE integration_id = $1 AND processed_at IS NULL AND status = 'FAILED'
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id
       ), job AS (${insertJobsSql('webhook-process', { from: 'ev', payload: { eventId: 'ev.id::text' } })})
       SELECT (SELECT count(*) FROM ev)::int AS reopened, (SELECT count(*) FROM job)::int AS jobs`,
};

/**
 * A status filter that webhook_events_open_idx serves: apart from PROCESSED, every status has
 * processed_at NULL (a CHECK constraint holds it), and that partial index holds exactly those events.
 * There is no index on status itself: it would make the claim a non-HOT update (see the migration
 * 20261203100000_webhook_events_hot_claim).
 */
function statusWhere(status: EventStatus): Prisma.WebhookEventWhereInput {
  return status === 'PROCESSED' ? { status } : { status, processedAt: null };
}

/** On PostgreSQL's clock, as the claim compares the lease. */
const HELD = {
  name: 'webhook_held_v1',
  text: `SELECT EXISTS (SELECT 1 FROM webhook_events
           WHERE id = $1::bigint AND status = 'PROCESSING' AND next_attempt_at > now()) AS held`,
};

const MARK_PROCESSED = { name: 'webhook_processed_v1', text: markProcessedSql('id = $1::bigint') };

const MARK_PROCESSED_NOTING = {
  name: 'webhook_processed_noting_v1',
  text: `UPDATE webhook_events SET status = 'PROCESSED', processed_at = now(), last_error = $2, next_attempt_at = NULL
       WHERE id = $1::bigint`,
};

/**
 * Webhook events (and the rejection counts): the only writer of webhook_events and webhook_rejections.
 * Its hot writes share statements and commits (webhook-event-inserts, -claims and -marks).
 */
@Injectable()
export class WebhookEventsRepository {
  private readonly inserts: EventInsertGroups;
  private readonly claims: EventClaimGroups;
  private readonly marks: EventMarkGroups;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.inserts = new EventInsertGroups(db);
    // a claim's lease is its job's: pg-boss gives a dead worker's job to another after that long
    this.claims = new EventClaimGroups(
      db,
      config.jobs.leaseSeconds ?? JOB_DEFINITIONS['webhook-process'].expireInSeconds,
    );
    this.marks = new EventMarkGroups(db);
  }

  /**
   * Stores an event and its processing job in one statement (so in one transaction), or nothing
   * when (integration, dedup key) is already stored. Returns the event id and whether it is new.
   * Deliveries arriving together are written by one multi-row statement (one round trip and one
   * commit for the group); each caller still gets its answer only after that commit.
   */
  insertWithJob(event: NewEvent): Promise<StoredEvent> {
    return this.inserts.add(event);
  }

  /**
   * Adds a stored batch's events (each with its job) in bounded statements. Re-running it after a
   * crash adds nothing twice (dedup keys). Returns how many are new.
   */
  async expandBatch(batch: NewEvent[], chunk: number): Promise<number> {
    let created = 0;
    for (let i = 0; i < batch.length; i += chunk) {
      // a worker's expansion: never ahead of the acknowledgements on the ingest lane
      const results = await this.inserts.write(batch.slice(i, i + chunk), 'worker');
      created += results.filter((r) => r.created).length;
    }
    return created;
  }

  /** `n` new event ids, ascending: a big delivery's events, named in its acknowledgement before they are stored. */
  reserveIds(n: number): Promise<string[]> {
    return this.inserts.reserveIds(n);
  }

  /**
   * The ids that the integration's batch rows not yet expanded named for these provider ids, by dedup key
   * (a big delivery sharing events with one of them names those events by the same ids).
   */
  async unexpandedIds(integrationId: number, externalIds: readonly string[]): Promise<Map<string, string>> {
    return namedIdsByKey(await this.inserts.unexpandedIds(integrationId, externalIds));
  }

  /** The ids of an integration's stored events, by dedup key. */
  storedIds(integrationId: number, dedupKeys: readonly string[]): Promise<Map<string, string>> {
    return this.inserts.storedIds(integrationId, dedupKeys);
  }

  /** A stored event's payload (a batch row's, whose acknowledgement a redelivery repeats). */
  async payloadOf(id: string): Promise<unknown> {
    const row = await this.db.prisma.webhookEvent.findUnique({ where: { id: BigInt(id) }, select: { payload: true } });
    return row?.payload ?? null;
  }

  /** Whether a body-hash key of the previous day bucket exists within 24 h (hash dedup window). */
  async recentHash(integrationId: number, dedupKey: string, since: Date): Promise<string | null> {
    const row = await this.db.prisma.webhookEvent.findFirst({
      where: { integrationId, dedupKey, receivedAt: { gte: since } },
      select: { id: true },
    });
    return row ? row.id.toString() : null;
  }

  /**
   * Takes an event for processing: PENDING (or PROCESSING left by a worker that died) → PROCESSING,
   * counting the attempt. Null when it is already finished (a duplicate job) or gone. The claims
   * made in one turn of the event loop (a worker's batch of jobs) share one statement (EventClaimGroups).
   */
  claim(id: bigint): Promise<EventRow | null> {
    return this.claims.claim(id);
  }

  /** Whether another run holds the event (PROCESSING, its claim's lease not over): see CLAIM. */
  async heldByAnotherRun(id: bigint): Promise<boolean> {
    const rows = await this.db.sql<{ held: boolean }>(HELD, [id.toString()]);
    return rows[0]?.held === true;
  }

  /** In the caller's transaction: the event is PROCESSED exactly when its outcome is committed. */
  async markProcessed(id: bigint): Promise<void> {
    await this.db.execute(MARK_PROCESSED, [id.toString()]);
  }

  /** PROCESSED, keeping what the provider reported in lastError (an error report, not a failure of ours). */
  async markProcessedNoting(id: bigint, note: string): Promise<void> {
    await this.db.execute(MARK_PROCESSED_NOTING, [id.toString(), note]);
  }

  /**
   * Another feature's write (a statement it built) and this event's PROCESSED mark in one statement:
   * both commit, or neither. The hot path's single-lead event: one round trip instead of a
   * transaction's four. The outer SELECT reads every column of the work, so all of it is evaluated;
   * the mark, a data-modifying CTE, always runs to completion. Outside a caller's transaction, events
   * finishing together share one commit (EventMarkGroups).
   */
  markProcessedWith(id: bigint, work: BoundStatement): Promise<void> {
    // in a caller's transaction it commits with the caller's work, never in a group of its own
    return currentTransaction.getStore() ? this.marks.alone(id, work) : this.marks.add(id, work);
  }

  async markFailed(id: bigint, error: string): Promise<void> {
    await this.db.prisma.webhookEvent.update({
      where: { id },
      data: { status: 'FAILED', lastError: error, nextAttemptAt: null },
    });
  }

  /**
   * Back to PENDING until `at` (the caller enqueues its retry in the same transaction). With
   * `countAttempt: false` the claim's attempt is given back: the failure was the database's, not the event's.
   */
  async markPendingRetry(id: bigint, error: string, at: Date, { countAttempt = true } = {}): Promise<void> {
    await this.db.prisma.webhookEvent.update({
      where: { id },
      data: {
        status: 'PENDING',
        lastError: error,
        nextAttemptAt: at,
        ...(countAttempt ? {} : { attempts: { decrement: 1 } }),
      },
    });
  }

  /**
   * Replay: back to PENDING with attempts reset and due now (false when it is due already or a worker is
   * running it). A PENDING one waiting for its retry is reopened too, once: the replay clears its
   * nextAttemptAt, so concurrent replays queue it one job, not one each.
   */
  async reopenForReplay(id: bigint): Promise<boolean> {
    const updated = await this.db.prisma.webhookEvent.updateMany({
      where: {
        id,
        OR: [{ status: { in: ['PROCESSED', 'FAILED'] } }, { status: 'PENDING', nextAttemptAt: { not: null } }],
      },
      data: { status: 'PENDING', attempts: 0, lastError: null, nextAttemptAt: null, processedAt: null },
    });
    return updated.count > 0;
  }

  /**
   * Replay of an integration's FAILED events: up to `limit` of them back to PENDING with attempts
   * reset, each with a new job, in one statement. Events another replay holds are skipped (SKIP
   * LOCKED), so two concurrent replays never queue one event twice. Returns how many.
   */
  async reopenFailed(integrationId: number, limit: number): Promise<number> {
    const rows = await this.db.sql<{ reopened: number }>(REOPEN_FAILED, [integrationId, limit]);
    return rows[0]?.reopened ?? 0;
  }

  /** How many FAILED events the integration has (through the open index). */
  countFailed(integrationId: number): Promise<number> {
    return this.db.prisma.webhookEvent.count({ where: { integrationId, processedAt: null, status: 'FAILED' } });
  }

  find(scope: SubAccountScope, id: bigint): Promise<EventRow | null> {
    return this.db.prisma.webhookEvent.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  async list(
    scope: SubAccountScope,
    integrationId: number,
    status: EventStatus | undefined,
    page: PageRequest,
  ): Promise<{ rows: EventRow[]; total: number }> {
    const where: Prisma.WebhookEventWhereInput = {
      integrationId,
      ...scopeWhere(scope),
      ...(status ? statusWhere(status) : {}),
      // an expanded batch stands for nothing more: its events are listed (as health counts them); one not
      // yet expanded, or failed, stays listed and replayable
      NOT: { eventType: DELIVERY_BATCH_EVENT, status: 'PROCESSED' },
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.webhookEvent.findMany({ where, orderBy: { id: 'desc' }, ...page }),
      this.db.prisma.webhookEvent.count({ where }),
    ]);
    return { rows, total };
  }

  async stats(integrationId: number, since: Date): Promise<EventStats> {
    const [counts, pending, rejected] = await Promise.all([
      this.db.prisma.webhookEvent.groupBy({
        by: ['status'],
        // an expanded batch stands for nothing more: its events have rows of their own (counted once)
        where: {
          integrationId,
          receivedAt: { gte: since },
          NOT: { eventType: DELIVERY_BATCH_EVENT, status: 'PROCESSED' },
        },
        _count: { _all: true },
      }),
      this.db.prisma.webhookEvent.count({
        where: { integrationId, processedAt: null, status: { in: ['PENDING', 'PROCESSING'] } },
      }),
      this.db.prisma.webhookRejection.aggregate({
        where: { integrationId, hour: { gte: new Date(since.getTime() - 3600_000) } },
        _sum: { count: true },
      }),
    ]);
    const by = (s: EventStatus): number => counts.find((c) => c.status === s)?._count._all ?? 0;
    return {
      received: counts.reduce((n, c) => n + c._count._all, 0),
      processed: by('PROCESSED'),
      failed: by('FAILED'),
      pending,
      rejected: rejected._sum.count ?? 0,
    };
  }

  /** The integrations that have events received before `before` (the candidates of a prune). */
  async integrationsWithEventsBefore(before: Date): Promise<number[]> {
    const rows = await this.db.sql<{ id: number }>(
      {
        name: 'webhook_prune_integrations_v1',
        text: `SELECT i.id FROM integrations i
          WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.integration_id = i.id AND e.received_at < $1)
          ORDER BY i.id`,
      },
      [before],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes up to `limit` of the integration's PROCESSED events finished before `before`; returns how
   * many. Read through (integration_id, received_at): an event is received before it is processed.
   * FAILED and unfinished events stay, whatever their age (they are replayed or still to be done).
   */
  async pruneProcessed(integrationId: number, before: Date, limit: number): Promise<number> {
    const rows = await this.db.sql<{ n: number }>(
      {
        name: 'webhook_prune_v1',
        text: `WITH gone AS (
            DELETE FROM webhook_events WHERE id IN (
              SELECT id FROM webhook_events
               WHERE integration_id = $1 AND received_at < $2 AND status = 'PROCESSED' AND processed_at < $2
               ORDER BY received_at LIMIT $3)
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`,
      },
      [integrationId, before, limit],
    );
    return rows[0]?.n ?? 0;
  }

  /** Deletes the hourly rejection counts of hours that ended before `before`. */
  async pruneRejections(before: Date): Promise<number> {
    return this.db.prisma.webhookRejection
      .deleteMany({ where: { hour: { lt: new Date(before.getTime() - 3600_000) } } })
      .then((r) => r.count);
  }

  /** Messenger/Instagram actions held for a message that never arrived (messaging_held_actions), as old as pruned events. */
  async pruneHeldActions(before: Date): Promise<number> {
    return this.db.prisma.messagingHeldAction.deleteMany({ where: { createdAt: { lt: before } } }).then((r) => r.count);
  }

  async countRejection(integrationId: number, at: Date): Promise<void> {
    const hour = new Date(Math.floor(at.getTime() / 3600_000) * 3600_000);
    await this.db.prisma.$executeRaw`
      INSERT INTO webhook_rejections (integration_id, hour, count) VALUES (${integrationId}, ${hour}, 1)
      ON CONFLICT (integration_id, hour) DO UPDATE SET count = webhook_rejections.count + 1`;
  }
}
