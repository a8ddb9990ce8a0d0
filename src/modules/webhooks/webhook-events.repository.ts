import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { BoundStatement, Db, SqlStatement } from '../../database/db';
import { INGEST_LANE_SIZE } from '../../database/db-pool';
import { scopeWhere } from '../../database/scope-where';
import { currentTransaction } from '../../database/transaction-runner';
import type { Prisma, WebhookEvent, WebhookEventStatus } from '../../generated/prisma/client';
import { insertJobsSql } from '../../jobs/insert-jobs-sql';

export interface NewEvent {
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

/** Most deliveries written by one ingest statement. */
const INGEST_BATCH = 64;
/**
 * Ingest statements in flight at once. Deliveries that arrive while both are running wait and go
 * into the next statement together: under load the groups grow (fewer statements and commits per
 * delivery) instead of the statements multiplying; when idle a delivery is written at once.
 */
const INGEST_WRITERS = INGEST_LANE_SIZE;

interface PendingInsert {
  event: NewEvent;
  resolve: (result: { id: string; created: boolean }) => void;
  reject: (err: unknown) => void;
}

const INGEST = {
  name: 'webhook_ingest_batch_v2',
  text: `WITH input AS (
         SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
           AS t(integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
       ), ev AS (
         INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
         SELECT * FROM input
         ON CONFLICT (integration_id, dedup_key) DO NOTHING
         RETURNING id, integration_id, dedup_key
       ), job AS (${insertJobsSql('webhook-process', { from: 'ev', payload: { eventId: 'ev.id::text' } })})
       SELECT ev.id::text AS id, ev.integration_id, ev.dedup_key, (SELECT count(*) FROM job) AS jobs FROM ev`,
};

/**
 * The claim commits without waiting for its WAL to reach the disk (synchronous_commit off for this
 * statement's own transaction only: set_config(…, true) ends with it). It changes nothing anyone
 * relies on surviving a database crash: a claim lost with the crash leaves the event PENDING (or
 * PROCESSING), which the retried job claims again, and WAL is flushed in order, so the durable
 * commit of the event's result also makes its claim durable. bench/lead-e2e on a 2-core machine:
 * the claim's commit was a third of the workers' WAL flush waits (pg_stat_activity samples); median
 * of 4 runs before 832 leads/s (809–841), of 5 runs after 923 (846–1,012).
 */
/** Exported for the medium spec that proves it a HOT update. */
export const CLAIM = {
  name: 'webhook_claim_v2',
  text: `UPDATE webhook_events SET status = 'PROCESSING', attempts = attempts + 1
       WHERE id = $1 AND status IN ('PENDING', 'PROCESSING')
         AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
       RETURNING integration_id, sub_account_id, provider, dedup_key, external_id, event_type, attempts, payload, received_at`,
};

/**
 * The claims a worker's poll makes together (its batch of jobs, started in one turn of the event
 * loop) as one statement: one round trip and one commit for the batch instead of one per event.
 * Same rows, same lazy commit and same HOT update as CLAIM; ids are locked in index order, so two
 * claims of overlapping groups (a job retried while its first runner still holds it) wait for each
 * other rather than deadlock.
 */
export const CLAIM_GROUP = {
  name: 'webhook_claim_group_v1',
  text: `UPDATE webhook_events SET status = 'PROCESSING', attempts = attempts + 1
       WHERE id = ANY($1::bigint[]) AND status IN ('PENDING', 'PROCESSING')
         AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
       RETURNING id::text AS id, integration_id, sub_account_id, provider, dedup_key, external_id, event_type, attempts,
         payload, received_at`,
};

interface ClaimedRow {
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

/** Most events' writes committed by one transaction of markProcessedWith, and such transactions at once. */
const MARK_GROUP = 32;
const MARK_WRITERS = 2;

interface PendingMark {
  id: bigint;
  work: BoundStatement;
  resolve: () => void;
  reject: (err: unknown) => void;
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

const markProcessedSql = (param: string): string =>
  `UPDATE webhook_events SET status = 'PROCESSED', processed_at = now(), last_error = NULL, next_attempt_at = NULL
       WHERE id = ${param}::bigint`;

/** The advisory locks of a group's statements (BoundStatement.locks), in (namespace, key) order. */
const LOCK_GROUP = {
  name: 'webhook_mark_group_locks_v1',
  text: `SELECT count(*) FROM (
         SELECT pg_advisory_xact_lock(namespace, hashtext(key))
           FROM (SELECT DISTINCT namespace, key FROM unnest($1::int[], $2::text[]) AS t(namespace, key) ORDER BY 1, 2) s
       ) locked`,
};

/** markProcessedWith's statement: the work, then the mark, one round trip. */
function markedWith(work: BoundStatement): SqlStatement {
  return {
    name: work.name === undefined ? undefined : `${work.name}+webhook_processed_v1`,
    text: `WITH work AS (${work.text}), done AS (${markProcessedSql(`$${work.values.length + 1}`)} RETURNING 1)
       SELECT work.* FROM work`,
  };
}

function markedValues(id: bigint, work: BoundStatement): unknown[] {
  return [...work.values, id.toString()];
}

const MARK_PROCESSED = { name: 'webhook_processed_v1', text: markProcessedSql('$1') };

const MARK_PROCESSED_NOTING = {
  name: 'webhook_processed_noting_v1',
  text: `UPDATE webhook_events SET status = 'PROCESSED', processed_at = now(), last_error = $2, next_attempt_at = NULL
       WHERE id = $1::bigint`,
};

/** Webhook events (and the rejection counts): the only writer of webhook_events and webhook_rejections. */
@Injectable()
export class WebhookEventsRepository {
  private readonly pending: PendingInsert[] = [];
  private flushScheduled = false;
  private writing = 0;
  private readonly claims: PendingClaim[] = [];
  private claimScheduled = false;
  private readonly marks: PendingMark[] = [];
  private markScheduled = false;
  private marking = 0;

  constructor(private readonly db: Db) {}

  /**
   * Stores an event and its processing job in one statement (so in one transaction), or nothing
   * when (integration, dedup key) is already stored. Returns the event id and whether it is new.
   * Deliveries arriving together are written by one multi-row statement (one round trip and one
   * commit for the group); each caller still gets its answer only after that commit.
   */
  insertWithJob(event: NewEvent): Promise<{ id: string; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      // the deliveries parsed in this turn of the event loop join the same group
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Starts statements while fewer than INGEST_WRITERS run; each takes up to INGEST_BATCH waiting deliveries. */
  private pump(): void {
    while (this.writing < INGEST_WRITERS && this.pending.length > 0) {
      const batch = this.pending.splice(0, INGEST_BATCH);
      this.writing += 1;
      void this.insertBatch(
        batch.map((b) => b.event),
        'ingest',
      )
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i])),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.writing -= 1;
          this.pump();
        });
    }
  }

  /** `ingest`: on the ingest lane (acknowledgements wait for it); `worker`: on the main pool. */
  private async insertBatch(
    events: NewEvent[],
    by: 'ingest' | 'worker',
  ): Promise<Array<{ id: string; created: boolean }>> {
    const run = by === 'ingest' ? this.db.sqlIngest.bind(this.db) : this.db.sqlAlone.bind(this.db);
    const rows = await run<{ id: string; integration_id: number; dedup_key: string }>(INGEST, [
      events.map((e) => e.integrationId),
      events.map((e) => e.subAccountId),
      events.map((e) => e.provider),
      events.map((e) => e.dedupKey),
      events.map((e) => e.externalId),
      events.map((e) => e.eventType),
      events.map((e) => JSON.stringify(e.payload)),
    ]);
    const key = (integrationId: number, dedupKey: string): string => `${integrationId}|${dedupKey}`;
    const inserted = new Map(rows.map((r) => [key(r.integration_id, r.dedup_key), r.id]));
    const claimed = new Set<string>();
    const results: Array<{ id: string; created: boolean } | null> = events.map((e) => {
      const k = key(e.integrationId, e.dedupKey);
      const id = inserted.get(k);
      // the same delivery twice in one group: the first is the new one, the rest duplicates of it
      if (id === undefined || claimed.has(k)) return id === undefined ? null : { id, created: false };
      claimed.add(k);
      return { id, created: true };
    });
    const missing = events.filter((_, i) => results[i] === null);
    if (missing.length > 0) {
      // redeliveries: the stored ones (possibly committed by a concurrent delivery a moment ago)
      const existing = await this.db.prisma.webhookEvent.findMany({
        where: { OR: missing.map((e) => ({ integrationId: e.integrationId, dedupKey: e.dedupKey })) },
        select: { id: true, integrationId: true, dedupKey: true },
      });
      const found = new Map(existing.map((r) => [key(r.integrationId, r.dedupKey), r.id.toString()]));
      events.forEach((e, i) => {
        if (results[i] !== null) return;
        const id = found.get(key(e.integrationId, e.dedupKey));
        if (id === undefined) throw new Error('webhook event neither inserted nor found');
        results[i] = { id, created: false };
      });
    }
    return results as Array<{ id: string; created: boolean }>;
  }

  /**
   * Adds a stored batch's events (each with its job) in bounded statements. Re-running it after a
   * crash adds nothing twice (dedup keys). Returns how many are new.
   */
  async expandBatch(batch: NewEvent[], chunk: number): Promise<number> {
    let created = 0;
    for (let i = 0; i < batch.length; i += chunk) {
      // a worker's expansion: never ahead of the acknowledgements on the ingest lane
      const results = await this.insertBatch(batch.slice(i, i + chunk), 'worker');
      created += results.filter((r) => r.created).length;
    }
    return created;
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
   * made in one turn of the event loop (a worker's batch of jobs) share one statement (CLAIM_GROUP).
   */
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
    if (group.length === 1) {
      const [only] = group;
      return this.claimOne(only.id).then(only.resolve, only.reject);
    }
    let rows: Array<ClaimedRow & { id: string }>;
    try {
      // always its own transaction: inside a caller's, the setting would make that commit lazy too
      rows = await this.db.sqlAlone<ClaimedRow & { id: string }>(CLAIM_GROUP, [group.map((c) => c.id.toString())]);
    } catch {
      // the group's statement failed as a whole (a lost connection, a lock timeout): each claim alone,
      // so one event's trouble is not every event's
      await Promise.all(group.map((c) => this.claimOne(c.id).then(c.resolve, c.reject)));
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

  private async claimOne(id: bigint): Promise<EventRow | null> {
    // always its own transaction: inside a caller's, the setting would make that commit lazy too
    const rows = await this.db.sqlAlone<ClaimedRow>(CLAIM, [id.toString()]);
    return rows[0] ? claimedEvent(id, rows[0]) : null;
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
   * finishing together share one commit (pumpMarks).
   */
  markProcessedWith(id: bigint, work: BoundStatement): Promise<void> {
    // in a caller's transaction it commits with the caller's work, never in a group of its own
    if (currentTransaction.getStore()) return this.markProcessedAlone(id, work);
    return new Promise((resolve, reject) => {
      this.marks.push({ id, work, resolve, reject });
      if (this.markScheduled) return;
      this.markScheduled = true;
      setImmediate(() => {
        this.markScheduled = false;
        this.pumpMarks();
      });
    });
  }

  /**
   * Group commit for the workers: while MARK_WRITERS transactions run, the events finishing meanwhile
   * wait and go into the next one together (up to MARK_GROUP), so a backlog costs a commit per group
   * rather than per event; when idle an event's statement runs at once, alone.
   */
  private pumpMarks(): void {
    while (this.marking < MARK_WRITERS && this.marks.length > 0) {
      const group = this.marks.splice(0, MARK_GROUP);
      this.marking += 1;
      void this.markGroup(group).finally(() => {
        this.marking -= 1;
        this.pumpMarks();
      });
    }
  }

  private async markGroup(group: PendingMark[]): Promise<void> {
    if (group.length > 1) {
      try {
        await this.db.session(async (client) => {
          await client.query('BEGIN');
          const locks = group.flatMap(({ work }) =>
            (work.locks?.keys ?? []).map((key) => ({ namespace: work.locks?.namespace ?? 0, key })),
          );
          // every lock the group's statements take, first and in one order for every group
          if (locks.length > 0)
            await client.query({
              ...LOCK_GROUP,
              values: [locks.map((l) => l.namespace), locks.map((l) => l.key)],
            });
          for (const { id, work } of group) await client.query({ ...markedWith(work), values: markedValues(id, work) });
          await client.query('COMMIT');
        });
        group.forEach((m) => m.resolve());
        return;
      } catch {
        // the group failed as a whole (one event's write refused, a deadlock with another group over
        // the same person, a lost connection): nothing of it committed (a session whose statement
        // threw is closed, not returned to the pool) — each event alone, so one event's failure is
        // its own. Should the commit have happened unseen, writing again changes nothing: the lead
        // write of an event is idempotent (its touch is keyed by the event) and so is the mark.
      }
    }
    await Promise.all(group.map((m) => this.markProcessedAlone(m.id, m.work).then(m.resolve, m.reject)));
  }

  private async markProcessedAlone(id: bigint, work: BoundStatement): Promise<void> {
    await this.db.sql(markedWith(work), markedValues(id, work));
  }

  async markFailed(id: bigint, error: string): Promise<void> {
    await this.db.prisma.webhookEvent.update({
      where: { id },
      data: { status: 'FAILED', lastError: error, nextAttemptAt: null },
    });
  }

  /** Back to PENDING until `at` (the caller enqueues its retry in the same transaction). */
  async markPendingRetry(id: bigint, error: string, at: Date): Promise<void> {
    await this.db.prisma.webhookEvent.update({
      where: { id },
      data: { status: 'PENDING', lastError: error, nextAttemptAt: at },
    });
  }

  /** Replay: back to PENDING with attempts reset, unless it is already queued or running (false then). */
  async reopenForReplay(id: bigint): Promise<boolean> {
    const updated = await this.db.prisma.webhookEvent.updateMany({
      where: { id, status: { in: ['PROCESSED', 'FAILED'] } },
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
        where: { integrationId, receivedAt: { gte: since } },
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

  async countRejection(integrationId: number, at: Date): Promise<void> {
    const hour = new Date(Math.floor(at.getTime() / 3600_000) * 3600_000);
    await this.db.prisma.$executeRaw`
      INSERT INTO webhook_rejections (integration_id, hour, count) VALUES (${integrationId}, ${hour}, 1)
      ON CONFLICT (integration_id, hour) DO UPDATE SET count = webhook_rejections.count + 1`;
  }
}
