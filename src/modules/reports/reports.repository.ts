import { Injectable } from '@nestjs/common';
import type { SubAccountScope } from '../../common/auth/sub-account-scope';
import type { PageRequest } from '../../common/http/pagination';
import { Db } from '../../database/db';
import { scopeWhere } from '../../database/scope-where';
import type { Prisma, Report, ReportDelivery } from '../../generated/prisma/client';
import type { ReportFormatName } from './templates/report-config';

export type ReportRow = Report;
export type DeliveryRow = ReportDelivery;

export interface NewReport {
  subAccountId: number;
  templateId: number;
  fileType: ReportFormatName;
  fileName: string;
  periodStart: Date;
  periodEnd: Date;
  timezone: string;
  generatedBy: string;
}

export interface NewDelivery {
  templateId: number;
  subAccountId: number;
  frequency: string;
  periodKey: string;
  recipients: readonly string[];
  messageId: string;
}

/** Generated reports and scheduled deliveries. Reads about a sub-account are scoped to it. */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: Db) {}

  async list(
    scope: SubAccountScope,
    filter: { templateId?: number },
    page: PageRequest,
  ): Promise<{ rows: ReportRow[]; total: number }> {
    const where: Prisma.ReportWhereInput = {
      ...scopeWhere(scope),
      ...(filter.templateId !== undefined ? { templateId: filter.templateId } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.prisma.report.findMany({ where, orderBy: { id: 'desc' }, ...page }),
      this.db.prisma.report.count({ where }),
    ]);
    return { rows, total };
  }

  find(scope: SubAccountScope, id: bigint): Promise<ReportRow | null> {
    return this.db.prisma.report.findFirst({ where: { id, ...scopeWhere(scope) } });
  }

  /** For the worker and the signed link (the id was proven by the job or the HMAC). */
  findById(id: bigint): Promise<ReportRow | null> {
    return this.db.prisma.report.findUnique({ where: { id } });
  }

  /**
   * Reports of a sub-account requested by people (not the schedule) that are still queued or running
   * and were created since `since`, counted under a per-sub-account lock held to the end of the
   * caller's transaction, so concurrent requests count one another.
   */
  async countPendingRequested(subAccountId: number, since: Date): Promise<number> {
    // its own statement: a statement's snapshot is taken before it waits, so the count comes after
    await this.db.execute(
      { name: 'reports_pending_lock_v1', text: 'SELECT pg_advisory_xact_lock((7306::bigint << 32) | $1::bigint)' },
      [subAccountId],
    );
    const rows = await this.db.sql<{ n: string }>(
      {
        name: 'reports_pending_requested_v1',
        text: `SELECT count(*)::text AS n FROM reports
               WHERE sub_account_id = $1 AND status IN ('queued', 'running') AND generated_by <> 'schedule'
                 AND created_at >= $2::timestamptz`,
      },
      [subAccountId, since.toISOString()],
    );
    return Number(rows[0]?.n ?? 0);
  }

  create(report: NewReport): Promise<ReportRow> {
    return this.db.prisma.report.create({ data: { ...report, status: 'queued' } });
  }

  /** queued/failed → running; false when it is already running elsewhere or ready. */
  async start(id: bigint, totalRows: number | null, now: Date): Promise<boolean> {
    const { count } = await this.db.prisma.report.updateMany({
      where: { id, status: { in: ['queued', 'failed', 'running'] } },
      data: { status: 'running', rows: 0, totalRows, startedAt: now, error: null },
    });
    return count > 0;
  }

  async progress(id: bigint, rows: number): Promise<void> {
    await this.db.prisma.report.updateMany({ where: { id, status: 'running' }, data: { rows } });
  }

  async finish(id: bigint, result: { storagePath: string; rows: number; bytes: number; now: Date }): Promise<void> {
    await this.db.prisma.report.update({
      where: { id },
      data: {
        status: 'ready',
        storagePath: result.storagePath,
        rows: result.rows,
        bytes: BigInt(result.bytes),
        finishedAt: result.now,
      },
    });
  }

  async fail(id: bigint, error: string, now: Date): Promise<void> {
    await this.db.prisma.report.update({
      where: { id },
      data: { status: 'failed', error: error.slice(0, 500), finishedAt: now },
    });
  }

  // Deliveries

  /** The latest period delivered (or claimed) for a template at a frequency; null when none. */
  async lastPeriodKey(templateId: number, frequency: string): Promise<string | null> {
    const row = await this.db.prisma.reportDelivery.findFirst({
      where: { templateId, frequency },
      orderBy: { periodKey: 'desc' },
      select: { periodKey: true },
    });
    return row?.periodKey ?? null;
  }

  /**
   * The delivery row of (template, period key), inserted unless one exists: the id when this call
   * inserted it, null when another fire (or an earlier run) already had. Runs in the caller's transaction.
   */
  async insertDelivery(delivery: NewDelivery): Promise<bigint | null> {
    const rows = await this.db.sql<{ id: string }>(
      {
        text: `INSERT INTO report_deliveries (template_id, sub_account_id, frequency, period_key, recipients, message_id)
               VALUES ($1, $2, $3, $4, $5::text[], $6)
               ON CONFLICT (template_id, period_key) DO NOTHING
               RETURNING id::text AS id`,
      },
      [
        delivery.templateId,
        delivery.subAccountId,
        delivery.frequency,
        delivery.periodKey,
        [...delivery.recipients],
        delivery.messageId,
      ],
    );
    return rows[0] ? BigInt(rows[0].id) : null;
  }

  async attachReport(deliveryId: bigint, reportId: bigint): Promise<void> {
    await this.db.prisma.reportDelivery.update({ where: { id: deliveryId }, data: { reportId } });
  }

  findDelivery(id: bigint): Promise<DeliveryRow | null> {
    return this.db.prisma.reportDelivery.findUnique({ where: { id } });
  }

  /**
   * Claims a delivery for sending: pending, or sending whose previous sender's claim has lapsed
   * (it died mid-send). False when it is sent, failed, or another sender holds it.
   */
  async claimDelivery(id: bigint, now: Date, leaseMs: number): Promise<boolean> {
    const { count } = await this.db.prisma.reportDelivery.updateMany({
      where: {
        id,
        OR: [{ status: 'pending' }, { status: 'sending', OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] }],
      },
      data: { status: 'sending', claimedUntil: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
    });
    return count > 0;
  }

  async markSent(id: bigint, now: Date): Promise<void> {
    await this.db.prisma.reportDelivery.update({
      where: { id },
      data: { status: 'sent', sentAt: now, claimedUntil: null, error: null },
    });
  }

  /** A transient failure: the claim is released for the job's retry. */
  async release(id: bigint, error: string): Promise<void> {
    await this.db.prisma.reportDelivery.updateMany({
      where: { id, status: 'sending' },
      data: { status: 'pending', claimedUntil: null, error: error.slice(0, 500) },
    });
  }

  /** The last attempt failed: a delivery not sent meanwhile ends `failed` with the reason. */
  async giveUp(id: bigint, error: string): Promise<void> {
    await this.db.prisma.reportDelivery.updateMany({
      where: { id, status: { in: ['pending', 'sending'] } },
      data: { status: 'failed', claimedUntil: null, error: error.slice(0, 500) },
    });
  }

  async markFailed(id: bigint, error: string): Promise<void> {
    await this.db.prisma.reportDelivery.update({
      where: { id },
      data: { status: 'failed', claimedUntil: null, error: error.slice(0, 500) },
    });
  }

  // Work whose worker died on its last attempt

  /**
   * Reports still `queued` or `running`, and deliveries still `pending` or `sending` (their claim
   * lapsed), that no job will ever take again: their worker died on the last attempt that pg-boss
   * allowed (killed, out of memory on every try), so no code path of theirs recorded the end. They
   * end `failed` with `reason`, instead of showing progress forever and counting against the
   * sub-account's queued reports (`reasons` says so to the reader). A live job is one `created`, `retry` or `active`: a report is taken
   * by its own `report-generate` job, or by the `report-delivery` job of a delivery it is attached
   * to; rows created after `createdBefore` are left alone (their transaction's job may not be visible
   * yet). Returns how many of each ended.
   */
  async failAbandoned(
    createdBefore: Date,
    reasons: { report: string; delivery: string },
  ): Promise<{ reports: number; deliveries: number }> {
    const live = (queue: string, field: string, id: string): string =>
      `EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = '${queue}' AND j.state IN ('created', 'retry', 'active')
                 AND j.data->>'${field}' = ${id}::text)`;
    const deliveries = await this.db.execute(
      {
        name: 'report_deliveries_fail_abandoned_v1',
        text: `UPDATE report_deliveries d
                  SET status = 'failed', claimed_until = NULL, error = $2
                WHERE d.status IN ('pending', 'sending') AND d.created_at < $1::timestamptz
                  AND (d.claimed_until IS NULL OR d.claimed_until < now())
                  AND NOT ${live('report-delivery', 'deliveryId', 'd.id')}`,
      },
      [createdBefore.toISOString(), reasons.delivery.slice(0, 500)],
    );
    const reports = await this.db.execute(
      {
        name: 'reports_fail_abandoned_v1',
        text: `UPDATE reports r
                  SET status = 'failed', error = $2, finished_at = now()
                WHERE r.status IN ('queued', 'running') AND r.created_at < $1::timestamptz
                  AND NOT ${live('report-generate', 'reportId', 'r.id')}
                  AND NOT EXISTS (SELECT 1 FROM report_deliveries d
                                   WHERE d.report_id = r.id AND ${live('report-delivery', 'deliveryId', 'd.id')})`,
      },
      [createdBefore.toISOString(), reasons.report.slice(0, 500)],
    );
    return { reports, deliveries };
  }
}
