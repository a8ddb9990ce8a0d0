import { Injectable } from '@nestjs/common';
import { PgPool } from '../../database/pg-pool.service';
import { PrismaService, PrismaTx } from '../../database/prisma.service';
import type { Prisma, WebhookEvent, WebhookEventStatus } from '../../generated/prisma/client';
import { JobsService } from '../../jobs/jobs.service';

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

/** Most deliveries written by one ingest statement. */
const INGEST_BATCH = 64;

interface PendingInsert {
  event: NewEvent;
  queue: string;
  resolve: (result: { id: string; created: boolean }) => void;
  reject: (err: unknown) => void;
}

@Injectable()
export class WebhookEventsRepository {
  private readonly pending: PendingInsert[] = [];
  private flushScheduled = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly pg: PgPool,
    private readonly jobs: JobsService,
  ) {}

  /**
   * Stores an event and its processing job in one statement (so in one transaction), or nothing
   * when (integration, dedup key) is already stored. Returns the event id and whether it is new.
   * Deliveries arriving together are written by one multi-row statement (one round trip and one
   * commit for the group); each caller still gets its answer only after that commit.
   */
  insertWithJob(event: NewEvent, queue: string): Promise<{ id: string; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, queue, resolve, reject });
      if (this.pending.length >= INGEST_BATCH) void this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending.splice(0, INGEST_BATCH);
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
    for (const queue of new Set(batch.map((b) => b.queue))) {
      const group = batch.filter((b) => b.queue === queue);
      try {
        const results = await this.insertBatch(
          group.map((b) => b.event),
          queue,
        );
        group.forEach((b, i) => b.resolve(results[i]));
      } catch (err) {
        group.forEach((b) => b.reject(err));
      }
    }
  }

  private async insertBatch(events: NewEvent[], queue: string): Promise<Array<{ id: string; created: boolean }>> {
    const rows = await this.pg.prepared<{ id: string; integration_id: number; dedup_key: string }>(
      'webhook_ingest_batch_v1',
      `WITH input AS (
         SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
           AS t(integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
       ), ev AS (
         INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
         SELECT * FROM input
         ON CONFLICT (integration_id, dedup_key) DO NOTHING
         RETURNING id, integration_id, dedup_key
       ), job AS (${this.jobs.insertJobSql('ev', 'ev.id::text', '$8')})
       SELECT ev.id::text AS id, ev.integration_id, ev.dedup_key, (SELECT count(*) FROM job) AS jobs FROM ev`,
      [
        events.map((e) => e.integrationId),
        events.map((e) => e.subAccountId),
        events.map((e) => e.provider),
        events.map((e) => e.dedupKey),
        events.map((e) => e.externalId),
        events.map((e) => e.eventType),
        events.map((e) => JSON.stringify(e.payload)),
        queue,
      ],
    );
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
      const existing = await this.prisma.webhookEvent.findMany({
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
   * Adds a stored batch's events (each with its job) in bounded statements, then marks the batch
   * PROCESSED. Re-running it after a crash adds nothing twice (dedup keys). Returns how many are new.
   */
  async expandBatch(batch: NewEvent[], batchId: bigint, queue: string, chunk: number): Promise<number> {
    let created = 0;
    for (let i = 0; i < batch.length; i += chunk) {
      const results = await this.insertBatch(batch.slice(i, i + chunk), queue);
      created += results.filter((r) => r.created).length;
    }
    await this.prisma.webhookEvent.update({
      where: { id: batchId },
      data: { status: 'PROCESSED', processedAt: new Date(), lastError: null, nextAttemptAt: null },
    });
    return created;
  }

  /** Whether a body-hash key of the previous day bucket exists within 24 h (hash dedup window). */
  async recentHash(integrationId: number, dedupKey: string, since: Date): Promise<string | null> {
    const row = await this.prisma.webhookEvent.findFirst({
      where: { integrationId, dedupKey, receivedAt: { gte: since } },
      select: { id: true },
    });
    return row ? row.id.toString() : null;
  }

  /**
   * Takes an event for processing: PENDING (or PROCESSING left by a worker that died) → PROCESSING,
   * counting the attempt. Null when it is already finished (a duplicate job) or gone.
   */
  async claim(id: bigint): Promise<EventRow | null> {
    const rows = await this.pg.prepared<{
      integration_id: number;
      sub_account_id: number;
      provider: string;
      dedup_key: string;
      external_id: string | null;
      event_type: string;
      attempts: number;
      payload: unknown;
      received_at: Date;
    }>(
      'webhook_claim_v1',
      `UPDATE webhook_events SET status = 'PROCESSING', attempts = attempts + 1
       WHERE id = $1 AND status IN ('PENDING', 'PROCESSING')
       RETURNING integration_id, sub_account_id, provider, dedup_key, external_id, event_type, attempts, payload, received_at`,
      [id.toString()],
    );
    const r = rows[0];
    if (!r) return null;
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

  async markProcessed(tx: PrismaTx, id: bigint): Promise<void> {
    await tx.webhookEvent.update({
      where: { id },
      data: { status: 'PROCESSED', processedAt: new Date(), lastError: null, nextAttemptAt: null },
    });
  }

  async markFailed(id: bigint, error: string): Promise<void> {
    await this.prisma.webhookEvent.update({
      where: { id },
      data: { status: 'FAILED', lastError: error, nextAttemptAt: null },
    });
  }

  /** Back to PENDING with its retry enqueued for later, atomically. */
  async scheduleRetry(id: bigint, error: string, at: Date, queue: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.webhookEvent.update({ where: { id }, data: { status: 'PENDING', lastError: error, nextAttemptAt: at } });
      await this.jobs.send(queue, { eventId: id.toString() }, { tx, startAfter: at });
    });
  }

  /** Replay: back to PENDING with attempts reset and a job enqueued, unless it is already queued or running. */
  async replay(id: bigint, queue: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.webhookEvent.updateMany({
        where: { id, status: { in: ['PROCESSED', 'FAILED'] } },
        data: { status: 'PENDING', attempts: 0, lastError: null, nextAttemptAt: null, processedAt: null },
      });
      if (updated.count === 0) return false;
      await this.jobs.send(queue, { eventId: id.toString() }, { tx });
      return true;
    });
  }

  findForSubAccounts(id: bigint, subAccountIds: 'all' | readonly number[]): Promise<EventRow | null> {
    return this.prisma.webhookEvent.findFirst({
      where: { id, ...(subAccountIds === 'all' ? {} : { subAccountId: { in: [...subAccountIds] } }) },
    });
  }

  async list(
    integrationId: number,
    status: WebhookEventStatus | undefined,
    skip: number,
    take: number,
  ): Promise<{ rows: EventRow[]; total: number }> {
    const where: Prisma.WebhookEventWhereInput = { integrationId, ...(status ? { status } : {}) };
    const [rows, total] = await Promise.all([
      this.prisma.webhookEvent.findMany({ where, orderBy: { id: 'desc' }, skip, take }),
      this.prisma.webhookEvent.count({ where }),
    ]);
    return { rows, total };
  }

  async stats(
    integrationId: number,
    since: Date,
  ): Promise<{ received: number; processed: number; failed: number; pending: number; rejected: number }> {
    const [counts, pending, rejected] = await Promise.all([
      this.prisma.webhookEvent.groupBy({
        by: ['status'],
        where: { integrationId, receivedAt: { gte: since } },
        _count: { _all: true },
      }),
      this.prisma.webhookEvent.count({ where: { integrationId, status: { in: ['PENDING', 'PROCESSING'] } } }),
      this.prisma.webhookRejection.aggregate({
        where: { integrationId, hour: { gte: new Date(since.getTime() - 3600_000) } },
        _sum: { count: true },
      }),
    ]);
    const by = (s: WebhookEventStatus): number => counts.find((c) => c.status === s)?._count._all ?? 0;
    return {
      received: counts.reduce((n, c) => n + c._count._all, 0),
      processed: by('PROCESSED'),
      failed: by('FAILED'),
      pending,
      rejected: rejected._sum.count ?? 0,
    };
  }

  async countRejection(integrationId: number, at: Date): Promise<void> {
    const hour = new Date(Math.floor(at.getTime() / 3600_000) * 3600_000);
    await this.prisma.$executeRaw`
      INSERT INTO webhook_rejections (integration_id, hour, count) VALUES (${integrationId}, ${hour}, 1)
      ON CONFLICT (integration_id, hour) DO UPDATE SET count = webhook_rejections.count + 1`;
  }
}
