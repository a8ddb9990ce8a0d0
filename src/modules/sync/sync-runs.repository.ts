import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type { Prisma, SyncRun } from '../../generated/prisma/client';
import type { AdCostInput } from '../../handlers/handler-types';

export type SyncRunRow = SyncRun;
export type SyncRunStatus = SyncRun['status'];

export interface PageCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

// A sync page's writes are SQL statements, so a page commits in TransactionRunner.runSql.
// Fenced by the runner token: a page of an attempt that lost the run (its lease expired and another
// attempt claimed it) changes nothing, and the caller rolls the page's writes back.
const CHECKPOINT = {
  name: 'sync_run_checkpoint_v2',
  text: `UPDATE sync_runs SET cursor_after = $2, pages = pages + 1, fetched = fetched + $3, created = created + $4,
           updated = updated + $5, unchanged = unchanged + $6
         WHERE id = $1::bigint AND status = 'RUNNING' AND runner = $7::uuid`,
};

/**
 * What a start found: the run it began (`started`) or the one already running; `disconnected` for an
 * integration disconnected before the start held it; null for one deleted.
 */
export type RunStart = { run: SyncRunRow; started: boolean } | { disconnected: true } | null;

// an insert meets a running run that ends before the next statement reads it only when a run finishes in
// that instant; twice in a row would take two runs starting and finishing between two statements
const START_ATTEMPTS = 3;

/** The job attempt that ran a page no longer owns its run: another attempt claimed it. */
export class RunLostError extends Error {
  constructor(id: bigint) {
    super(`sync run ${id} was claimed by another attempt`);
    this.name = 'RunLostError';
  }
}

// one statement per chunk of rows (a Google Ads page holds up to 10,000); a row's names of every level
// and the run that reported it are replaced with each report
const UPSERT_COSTS = {
  name: 'ad_cost_upsert_v3',
  text: `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_set_id, ad_id, name,
           campaign_name, ad_set_name, ad_name, spend, currency, impressions, clicks, leads, conversions, sync_run_id,
           updated_at)
         SELECT $1, $2, r.platform, r.day, r.level, r.campaign_id, r.ad_set_id, r.ad_id, r.name, r.campaign_name,
                r.ad_set_name, r.ad_name, r.spend, r.currency, r.impressions, r.clicks, r.leads, r.conversions, $3, now()
           FROM unnest($4::text[], $5::date[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                       $12::text[], $13::text[], $14::numeric[], $15::text[], $16::int[], $17::int[], $18::int[],
                       $19::numeric[])
             AS r(platform, day, level, campaign_id, ad_set_id, ad_id, name, campaign_name, ad_set_name, ad_name, spend,
                  currency, impressions, clicks, leads, conversions)
         ON CONFLICT (integration_id, day, level, campaign_id, ad_set_id, ad_id) DO UPDATE SET
           name = EXCLUDED.name, campaign_name = EXCLUDED.campaign_name, ad_set_name = EXCLUDED.ad_set_name,
           ad_name = EXCLUDED.ad_name, spend = EXCLUDED.spend, currency = EXCLUDED.currency,
           impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks, leads = EXCLUDED.leads,
           conversions = EXCLUDED.conversions, sync_run_id = EXCLUDED.sync_run_id, updated_at = now()`,
};
const COST_CHUNK = 1000;

// the days of a run's window that the run did not report (again) are no longer the platform's: zero
const ZERO_UNREPORTED = {
  name: 'ad_cost_zero_unreported_v1',
  text: `UPDATE ad_costs SET spend = 0, impressions = 0, clicks = 0, leads = 0, conversions = 0, updated_at = now()
         WHERE integration_id = $1 AND day >= $2::date AND day <= $3::date AND sync_run_id IS DISTINCT FROM $4
           AND (spend <> 0 OR impressions <> 0 OR clicks <> 0 OR leads <> 0 OR conversions <> 0)`,
};

// rows the run reported with amounts it could not read: kept as stored, counted as reported by the run
const KEEP_COSTS = {
  name: 'ad_cost_keep_v1',
  text: `UPDATE ad_costs c SET sync_run_id = $2
         FROM unnest($3::date[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS r(day, level, campaign_id, ad_set_id, ad_id)
         WHERE c.integration_id = $1 AND c.day = r.day AND c.level = r.level AND c.campaign_id = r.campaign_id
           AND c.ad_set_id = r.ad_set_id AND c.ad_id = r.ad_id`,
};

// a record's touch from this integration (its sync's own first, else the earliest: a webhook's), with
// the content hash that touch was last written with. Unnamed, so planned for each page with the
// table's size then: as a named (generic) plan or as a join it was planned while a sub-account's
// first big sync had written little, and scanned all of its touches for each of a page's records
// (0.4-1 s a 500-record page by the 10th page, growing with every page). As one probe per record
// into the (sub_account_id, platform, external_id) index it stays flat.
const TOUCH_ORIGINS = {
  text: `SELECT k.platform, k.external_id, t.origin, t.content_hash
           FROM unnest($3::text[], $4::text[]) AS k(platform, external_id)
           CROSS JOIN LATERAL (
             SELECT ls.origin, ls.content_hash FROM lead_sources ls
              WHERE ls.sub_account_id = $1 AND ls.platform = k.platform AND ls.external_id = k.external_id
                AND ls.integration_id = $2
              ORDER BY ls.origin = $5 DESC, ls.id
              LIMIT 1) t`,
};

/** A record's touch from the syncing integration: its origin and the content hash it was last written with. */
export interface RecordTouch {
  origin: string;
  hash: string | null;
}

/** The key of a platform record in touchOrigins' answer. */
export const recordKey = (platform: string, externalId: string): string => JSON.stringify([platform, externalId]);

/** Sync runs and the ad costs they pull: the only writer of sync_runs and ad_costs. */
@Injectable()
export class SyncRunsRepository {
  constructor(private readonly db: Db) {}

  /**
   * A new RUNNING run that continues from the last successful run's cursor, or — when one is
   * already running (the partial unique index allows one per integration) — that run. A concurrent
   * start waits for the other's transaction, then sees its run: never two, never an error. Null when
   * the integration is gone (deleted meanwhile): it is held (KEY SHARE) first, so a DELETE either went
   * before and the run is not written, or waits for this transaction and removes the run with it. A
   * disconnect (FOR UPDATE in IntegrationsRepository.mutate) is ordered the same way: `disconnected`
   * when it went first.
   */
  async create(integrationId: number, subAccountId: number, trigger: string): Promise<RunStart> {
    const held = await this.db.prisma.$queryRaw<
      Array<{ status: string }>
    >`SELECT status FROM integrations WHERE id = ${integrationId} FOR KEY SHARE`;
    if (held.length === 0) return null;
    if (held[0].status === 'disconnected') return { disconnected: true };
    // the running run can end between the insert that met it and the read that looks for it (a quick
    // sync finishing): each statement sees the latest commits, so the insert is simply tried again
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const inserted = await this.db.prisma.$queryRaw<Array<{ id: bigint }>>`
        INSERT INTO sync_runs (integration_id, sub_account_id, trigger, cursor_before)
        SELECT ${integrationId}, ${subAccountId}, ${trigger},
               (SELECT cursor_after FROM sync_runs WHERE integration_id = ${integrationId} AND status = 'SUCCEEDED'
                ORDER BY id DESC LIMIT 1)
        ON CONFLICT (integration_id) WHERE status = 'RUNNING' DO NOTHING
        RETURNING id`;
      if (inserted.length > 0) {
        return {
          run: await this.db.prisma.syncRun.findUniqueOrThrow({ where: { id: inserted[0].id } }),
          started: true,
        };
      }
      const running = await this.db.prisma.syncRun.findFirst({ where: { integrationId, status: 'RUNNING' } });
      if (running) return { run: running, started: false };
    }
    throw new Error(
      `sync run of integration ${integrationId} neither started nor found running ${START_ATTEMPTS} times`,
    );
  }

  setJobId(id: bigint, jobId: string): Promise<SyncRunRow> {
    return this.db.prisma.syncRun.update({ where: { id }, data: { jobId } });
  }

  find(id: bigint): Promise<SyncRunRow | null> {
    return this.db.prisma.syncRun.findUnique({ where: { id } });
  }

  /**
   * A job attempt takes the run over (a new runner token): the one it replaces, if still alive,
   * can no longer commit a page. Null when the run is not RUNNING any more, or when `jobId` is not
   * the run's job (a stale retry of a job that already handed the run on). A note of a pause
   * (`defer`) is cleared: the run is going again.
   */
  async claim(id: bigint, jobId?: string): Promise<{ run: SyncRunRow; runner: string } | null> {
    const job = jobId ?? null;
    const rows = await this.db.prisma.$queryRaw<Array<{ runner: string }>>`
      UPDATE sync_runs SET runner = gen_random_uuid(), error = NULL
      WHERE id = ${id} AND status = 'RUNNING' AND (${job}::text IS NULL OR job_id IS NULL OR job_id = ${job}::text)
      RETURNING runner::text`;
    if (rows.length === 0) return null;
    const run = await this.db.prisma.syncRun.findUnique({ where: { id } });
    return run ? { run, runner: rows[0].runner } : null;
  }

  /** In the page's transaction: a killed run resumes after the last committed page. Throws RunLostError when fenced off. */
  async checkpoint(id: bigint, runner: string, cursor: string | null, counts: PageCounts): Promise<void> {
    const touched = await this.db.execute(CHECKPOINT, [
      id.toString(),
      cursor,
      counts.fetched,
      counts.created,
      counts.updated,
      counts.unchanged,
      runner,
    ]);
    if (touched === 0) throw new RunLostError(id);
  }

  /** The next job of the run (same transaction as its send): the run stays with whichever job is current. */
  async handOn(id: bigint, runner: string, jobId: string): Promise<boolean> {
    const { count } = await this.db.prisma.syncRun.updateMany({
      where: { id, status: 'RUNNING', runner },
      data: { jobId, runner: null },
    });
    return count > 0;
  }

  /**
   * The run waits for the provider's rate limit: it stays RUNNING, goes to `jobId` (a job that starts
   * when the provider allows calls again) and says so in `error` until that job claims it.
   */
  async defer(id: bigint, runner: string, jobId: string, note: string): Promise<boolean> {
    const { count } = await this.db.prisma.syncRun.updateMany({
      where: { id, status: 'RUNNING', runner },
      data: { jobId, runner: null, error: note },
    });
    return count > 0;
  }

  /** Says on a RUNNING run, while `runner` owns it, why its job is about to be retried. */
  async note(id: bigint, runner: string, note: string): Promise<void> {
    await this.db.prisma.syncRun.updateMany({ where: { id, status: 'RUNNING', runner }, data: { error: note } });
  }

  /**
   * Ends a RUNNING run; with `runner`, only while that attempt still owns it, with `jobId`, only
   * while that job is still the run's. False when the run had already moved on.
   */
  async finish(
    id: bigint,
    status: 'SUCCEEDED' | 'FAILED',
    error: string | null,
    at: Date,
    owner: { runner?: string; jobId?: string } = {},
  ): Promise<boolean> {
    const { count } = await this.db.prisma.syncRun.updateMany({
      where: {
        id,
        status: 'RUNNING',
        ...(owner.runner ? { runner: owner.runner } : {}),
        ...(owner.jobId ? { jobId: owner.jobId } : {}),
      },
      data: { status, error, finishedAt: at },
    });
    return count > 0;
  }

  /**
   * Runs still RUNNING that started before `before`, with their current job (for the orphan check),
   * by id after `afterId`: a page of them, so the check reaches every run however many are waiting.
   */
  running(
    before: Date,
    afterId: bigint = 0n,
  ): Promise<Array<Pick<SyncRunRow, 'id' | 'integrationId' | 'jobId' | 'error'>>> {
    return this.db.prisma.syncRun.findMany({
      where: { status: 'RUNNING', startedAt: { lt: before }, id: { gt: afterId } },
      select: { id: true, integrationId: true, jobId: true, error: true },
      orderBy: { id: 'asc' },
      take: 500,
    });
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

  /**
   * The touch this integration already recorded for each record (recordKey), its sync's (`syncOrigin`)
   * first, else the earliest: a record a webhook delivered is that touch when the sync lists it, not a
   * second one (which halved its cost and listed the submission twice). With the touch's content hash,
   * so an unchanged record costs the page no read of its own. Reads lead_sources.
   */
  async touchOrigins(
    subAccountId: number,
    integrationId: number,
    syncOrigin: string,
    records: ReadonlyArray<{ platform: string; externalId: string }>,
  ): Promise<Map<string, RecordTouch>> {
    if (records.length === 0) return new Map();
    const rows = await this.db.sql<{
      platform: string;
      external_id: string;
      origin: string;
      content_hash: string | null;
    }>(TOUCH_ORIGINS, [
      subAccountId,
      integrationId,
      records.map((r) => r.platform),
      records.map((r) => r.externalId),
      syncOrigin,
    ]);
    return new Map(rows.map((r) => [recordKey(r.platform, r.external_id), { origin: r.origin, hash: r.content_hash }]));
  }

  /**
   * Stores a page of costs reported by run `runId` (exact NUMERIC amounts, upserted by integration, day,
   * level and ids, so a re-pull overwrites). A key reported twice in one page keeps its last report.
   */
  async upsertCosts(
    subAccountId: number,
    integrationId: number,
    costs: readonly AdCostInput[],
    runId: bigint | null = null,
  ): Promise<void> {
    const byKey = new Map<string, AdCostInput>();
    for (const c of costs) byKey.set(JSON.stringify([c.day, c.level, c.campaignId, c.adSetId ?? '', c.adId ?? '']), c);
    const rows = [...byKey.values()];
    for (let i = 0; i < rows.length; i += COST_CHUNK) {
      const chunk = rows.slice(i, i + COST_CHUNK);
      const col = <T>(pick: (c: AdCostInput) => T): T[] => chunk.map(pick);
      await this.db.execute(UPSERT_COSTS, [
        subAccountId,
        integrationId,
        runId,
        col((c) => c.platform),
        col((c) => c.day),
        col((c) => c.level),
        col((c) => c.campaignId),
        col((c) => c.adSetId ?? ''),
        col((c) => c.adId ?? ''),
        col((c) => c.name ?? null),
        col((c) => c.campaignName ?? null),
        col((c) => c.adSetName ?? null),
        col((c) => c.adName ?? null),
        col((c) => String(c.spend)),
        col((c) => c.currency ?? null),
        col((c) => c.impressions),
        col((c) => c.clicks),
        col((c) => c.leads),
        col((c) => c.conversions ?? '0'),
      ]);
    }
  }

  /**
   * Rows run `runId` reported with amounts that cannot be read (an unreadable spend): their stored
   * figures stay as they are and count as reported, so the window's zeroing does not turn the
   * platform's last readable spend into a made-up 0.
   */
  async keepCosts(integrationId: number, runId: bigint, costs: readonly AdCostInput[]): Promise<number> {
    let kept = 0;
    for (let i = 0; i < costs.length; i += COST_CHUNK) {
      const chunk = costs.slice(i, i + COST_CHUNK);
      kept += await this.db.execute(KEEP_COSTS, [
        integrationId,
        runId,
        chunk.map((c) => c.day),
        chunk.map((c) => c.level),
        chunk.map((c) => c.campaignId),
        chunk.map((c) => c.adSetId ?? ''),
        chunk.map((c) => c.adId ?? ''),
      ]);
    }
    return kept;
  }

  /**
   * Zeroes the stored costs of the integration on days [from, to] that run `runId` did not report:
   * the platform no longer has spend there (a corrected day), so the totals follow it. Returns the rows.
   */
  async zeroUnreportedCosts(integrationId: number, runId: bigint, from: string, to: string): Promise<number> {
    return this.db.execute(ZERO_UNREPORTED, [integrationId, from, to, runId]);
  }

  /** Active integrations of these handlers whose last run started longer ago than their interval, with none running. */
  async due(
    handlers: string[],
    defaultIntervalMinutes: number,
    requires: string[] = [],
  ): Promise<Array<{ id: number; subAccountId: number }>> {
    // requires: "handler:field" pairs, a handler's integrations syncing only with that config field set
    return this.db.prisma.$queryRaw<Array<{ id: number; subAccountId: number }>>`
      SELECT i.id, i.sub_account_id AS "subAccountId" FROM integrations i
      WHERE i.is_active AND i.status <> 'disconnected' AND i.handler = ANY(${handlers}::text[])
        AND NOT EXISTS (SELECT 1 FROM unnest(${requires}::text[]) r
                        WHERE split_part(r, ':', 1) = i.handler
                          AND coalesce(i.config->>split_part(r, ':', 2), '') = '')
        AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.integration_id = i.id AND r.status = 'RUNNING')
        AND COALESCE((SELECT max(r.started_at) FROM sync_runs r WHERE r.integration_id = i.id), 'epoch'::timestamptz)
            < now() - make_interval(mins => GREATEST(1, COALESCE(
                -- clamped as numeric: a value past int4 (the schema sets no maximum) failed this query for every integration
                CASE WHEN jsonb_typeof(i.config->'syncIntervalMinutes') = 'number'
                     THEN LEAST(GREATEST((i.config->>'syncIntervalMinutes')::numeric, 1), 2147483647)::int END,
                ${defaultIntervalMinutes}::int)))
      ORDER BY i.id LIMIT 500`;
  }
}
