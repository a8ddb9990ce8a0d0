import { Injectable } from '@nestjs/common';
import { PrismaService, PrismaTx } from '../../database/prisma.service';
import { Prisma, SyncRun } from '../../generated/prisma/client';
import type { AdCostInput } from '../../handlers/handler-types';
import { JobsService } from '../../jobs/jobs.service';

export type SyncRunRow = SyncRun;

export interface PageCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

@Injectable()
export class SyncRunsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobsService,
  ) {}

  /**
   * Starts a run and enqueues its job atomically. The partial unique index allows one RUNNING run per
   * integration: a second start returns the running one instead.
   */
  async start(
    integrationId: number,
    subAccountId: number,
    trigger: string,
    queue: string,
  ): Promise<{ run: SyncRunRow; started: boolean }> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const last = await tx.syncRun.findFirst({
          where: { integrationId, status: 'SUCCEEDED' },
          orderBy: { id: 'desc' },
          select: { cursorAfter: true },
        });
        const run = await tx.syncRun.create({
          data: { integrationId, subAccountId, trigger, cursorBefore: last?.cursorAfter ?? null },
        });
        const jobId = await this.jobs.send(queue, { runId: run.id.toString() }, { tx });
        return { run: await tx.syncRun.update({ where: { id: run.id }, data: { jobId } }), started: true };
      });
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      const running = await this.prisma.syncRun.findFirst({ where: { integrationId, status: 'RUNNING' } });
      if (!running) throw err;
      return { run: running, started: false };
    }
  }

  find(id: bigint): Promise<SyncRunRow | null> {
    return this.prisma.syncRun.findUnique({ where: { id } });
  }

  /** A page's effects and its checkpoint in one transaction: a killed run resumes after the last committed page. */
  async checkpoint(tx: PrismaTx, id: bigint, cursor: string | null, counts: PageCounts): Promise<void> {
    await tx.syncRun.update({
      where: { id },
      data: {
        cursorAfter: cursor,
        pages: { increment: 1 },
        fetched: { increment: counts.fetched },
        created: { increment: counts.created },
        updated: { increment: counts.updated },
        unchanged: { increment: counts.unchanged },
      },
    });
  }

  async finish(id: bigint, integrationId: number, status: 'SUCCEEDED' | 'FAILED', error: string | null): Promise<void> {
    const now = new Date();
    await this.prisma.$transaction([
      this.prisma.syncRun.update({ where: { id }, data: { status, error, finishedAt: now } }),
      this.prisma.integration.update({
        where: { id: integrationId },
        data: { lastSyncStatus: status, ...(status === 'SUCCEEDED' ? { lastSyncAt: now } : {}) },
      }),
    ]);
  }

  async markCredentialsInvalid(integrationId: number, message: string): Promise<void> {
    await this.prisma.integration.update({
      where: { id: integrationId },
      data: { status: 'error', errorMessage: `INVALID_CREDENTIALS: ${message}` },
    });
  }

  async list(integrationId: number, skip: number, take: number): Promise<{ rows: SyncRunRow[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.prisma.syncRun.findMany({ where: { integrationId }, orderBy: { id: 'desc' }, skip, take }),
      this.prisma.syncRun.count({ where: { integrationId } }),
    ]);
    return { rows, total };
  }

  async upsertCosts(
    tx: PrismaTx,
    subAccountId: number,
    integrationId: number,
    costs: readonly AdCostInput[],
  ): Promise<void> {
    for (const c of costs) {
      const data = {
        name: c.name ?? null,
        spend: new Prisma.Decimal(c.spend),
        currency: c.currency ?? null,
        impressions: c.impressions,
        clicks: c.clicks,
        leads: c.leads,
      };
      const key = {
        integrationId,
        day: new Date(`${c.day}T00:00:00Z`),
        level: c.level,
        campaignId: c.campaignId,
        adSetId: c.adSetId ?? '',
        adId: c.adId ?? '',
      };
      await tx.adCost.upsert({
        where: { integrationId_day_level_campaignId_adSetId_adId: key },
        create: { ...key, ...data, subAccountId, platform: c.platform },
        update: data,
      });
    }
  }

  /** Active integrations of these handlers whose last run started longer ago than their interval, with none running. */
  async due(handlers: string[], defaultIntervalMinutes: number): Promise<Array<{ id: number; subAccountId: number }>> {
    return this.prisma.$queryRaw<Array<{ id: number; subAccountId: number }>>`
      SELECT i.id, i.sub_account_id AS "subAccountId" FROM integrations i
      WHERE i.is_active AND i.status <> 'disconnected' AND i.handler = ANY(${handlers}::text[])
        AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.integration_id = i.id AND r.status = 'RUNNING')
        AND COALESCE((SELECT max(r.started_at) FROM sync_runs r WHERE r.integration_id = i.id), 'epoch'::timestamptz)
            < now() - make_interval(mins => GREATEST(1, COALESCE(
                CASE WHEN jsonb_typeof(i.config->'syncIntervalMinutes') = 'number' THEN (i.config->>'syncIntervalMinutes')::int END,
                ${defaultIntervalMinutes}::int)))
      ORDER BY i.id LIMIT 500`;
  }
}
