import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import { Prisma, SyncRun } from '../../generated/prisma/client';
import type { AdCostInput } from '../../handlers/handler-types';

export type SyncRunRow = SyncRun;
export type SyncRunStatus = SyncRun['status'];

export interface PageCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** Sync runs and the ad costs they pull: the only writer of sync_runs and ad_costs. */
@Injectable()
export class SyncRunsRepository {
  constructor(private readonly db: Db) {}

  /**
   * A new RUNNING run that continues from the last successful run's cursor, or — when one is
   * already running (the partial unique index allows one per integration) — that run. A concurrent
   * start waits for the other's transaction, then sees its run: never two, never an error.
   */
  async create(
    integrationId: number,
    subAccountId: number,
    trigger: string,
  ): Promise<{ run: SyncRunRow; started: boolean }> {
    const inserted = await this.db.prisma.$queryRaw<Array<{ id: bigint }>>`
      INSERT INTO sync_runs (integration_id, sub_account_id, trigger, cursor_before)
      SELECT ${integrationId}, ${subAccountId}, ${trigger},
             (SELECT cursor_after FROM sync_runs WHERE integration_id = ${integrationId} AND status = 'SUCCEEDED'
              ORDER BY id DESC LIMIT 1)
      ON CONFLICT (integration_id) WHERE status = 'RUNNING' DO NOTHING
      RETURNING id`;
    if (inserted.length > 0) {
      return { run: await this.db.prisma.syncRun.findUniqueOrThrow({ where: { id: inserted[0].id } }), started: true };
    }
    const running = await this.db.prisma.syncRun.findFirst({ where: { integrationId, status: 'RUNNING' } });
    if (running) return { run: running, started: false };
    // the running one finished between our insert and this read: the caller may simply try again
    throw new Error(`sync run of integration ${integrationId} neither started nor found running`);
  }

  setJobId(id: bigint, jobId: string): Promise<SyncRunRow> {
    return this.db.prisma.syncRun.update({ where: { id }, data: { jobId } });
  }

  find(id: bigint): Promise<SyncRunRow | null> {
    return this.db.prisma.syncRun.findUnique({ where: { id } });
  }

  /** In the page's transaction: a killed run resumes after the last committed page. */
  async checkpoint(id: bigint, cursor: string | null, counts: PageCounts): Promise<void> {
    await this.db.prisma.syncRun.update({
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

  async finish(id: bigint, status: 'SUCCEEDED' | 'FAILED', error: string | null, at: Date): Promise<void> {
    await this.db.prisma.syncRun.update({ where: { id }, data: { status, error, finishedAt: at } });
  }

  async list(
    scope: SubAccountScope,
    integrationId: number,
    page: PageRequest,
  ): Promise<{ rows: SyncRunRow[]; total: number }> {
    const where: Prisma.SyncRunWhereInput = { integrationId, ...scopeWhere(scope) };
    const [rows, total] = await Promise.all([
      this.db.prisma.syncRun.findMany({ where, orderBy: { id: 'desc' }, ...page }),
      this.db.prisma.syncRun.count({ where }),
    ]);
    return { rows, total };
  }

  async upsertCosts(subAccountId: number, integrationId: number, costs: readonly AdCostInput[]): Promise<void> {
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
      await this.db.prisma.adCost.upsert({
        where: { integrationId_day_level_campaignId_adSetId_adId: key },
        create: { ...key, ...data, subAccountId, platform: c.platform },
        update: data,
      });
    }
  }

  /** Active integrations of these handlers whose last run started longer ago than their interval, with none running. */
  async due(handlers: string[], defaultIntervalMinutes: number): Promise<Array<{ id: number; subAccountId: number }>> {
    return this.db.prisma.$queryRaw<Array<{ id: number; subAccountId: number }>>`
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
