import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { TransactionRunner } from '../../../database/transaction-runner';
import { JobContext, JobHandler } from '../../../jobs/job-definition';
import { JOB_DEFINITIONS } from '../../../jobs/job-types';
import { JobsService } from '../../../jobs/jobs.service';
import { REPORT_DATA_SOURCE, ReportDataSource } from '../data/report-data-source';
import { MailDeliveryError, ReportMailer } from '../delivery/report-mailer';
import { ReportGenerator } from '../generation/report-generator';
import { FILE_TYPES, ReportStorage } from '../generation/report-storage';
import { ReportsRepository } from '../reports.repository';
import { ReportsService } from '../reports.service';
import { ReportTemplateRow, ReportTemplatesRepository } from '../templates/report-templates.repository';
import { parseReportSchedule, ReportSchedule } from './report-schedule';
import { dueOccurrences, ScheduleOccurrence } from './schedule-occurrences';
import { formatCivilDate } from '../../analytics/time/civil-date';
import { localDateOf } from '../../analytics/time/time-zone';

/** How long a sender holds a delivery before another may assume it died mid-send. */
const SEND_LEASE_MS = 10 * 60_000;
const TEMPLATES_PER_PAGE = 200;
/** Older than this, a report or delivery that no job will take again is ended (see failAbandoned). */
const ABANDONED_AFTER_MS = 10 * 60_000;

/**
 * Scheduled reports, mailed once per period. Every minute (cluster-wide, pg-boss cron) `runDue`
 * computes each scheduled template's due periods in its sub-account's zone and, per period, writes
 * in one transaction: the delivery row (unique on template + period key), the report row and the
 * delivery job. A second fire of the same minute, another worker, a restart or a DST change finds
 * the row and does nothing; a catch-up after downtime lists every period after the last one
 * recorded, so none is skipped. The delivery job generates the report, claims the row, sends with
 * a Message-ID fixed per delivery, and marks it sent. The one window left: a sender that dies after
 * the SMTP server accepted the message and before the row says `sent` is retried once its claim
 * lapses, with the same Message-ID, which receiving systems use to drop the duplicate.
 */
@Injectable()
export class ReportScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReportScheduler.name);
  private readonly mailer?: ReportMailer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly templates: ReportTemplatesRepository,
    private readonly reports: ReportsRepository,
    private readonly service: ReportsService,
    private readonly generator: ReportGenerator,
    private readonly storage: ReportStorage,
    @Inject(REPORT_DATA_SOURCE) private readonly data: ReportDataSource,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    if (config.reports.smtpUrl) {
      this.mailer = new ReportMailer({ smtpUrl: config.reports.smtpUrl, from: config.reports.mailFrom });
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule('report-scheduler', '* * * * *');
  }

  onModuleDestroy(): void {
    this.mailer?.close();
  }

  @JobHandler('report-scheduler')
  async tick(): Promise<void> {
    const now = new Date(this.clock.now());
    await this.failAbandoned(now);
    await this.runDue(now);
  }

  /**
   * Ends the reports and e-mails whose worker died on their last attempt (no job will take them
   * again): `failed` with the reason, rather than `queued`/`running`/`pending` for good.
   */
  async failAbandoned(now: Date): Promise<{ reports: number; deliveries: number }> {
    const ended = await this.reports.failAbandoned(new Date(now.getTime() - ABANDONED_AFTER_MS), {
      report:
        'The report could not be generated: the worker running it stopped on every attempt (restarted or out of memory); generate it again',
      delivery: 'Not sent: the worker sending it stopped on its last attempt (restarted or out of memory)',
    });
    if (ended.reports > 0 || ended.deliveries > 0) this.logger.warn(ended, 'abandoned reports and e-mails failed');
    return ended;
  }

  /** Records every period due at `now` (at most once each) and enqueues its delivery; how many were new. */
  async runDue(now: Date): Promise<number> {
    if (!this.mailer) return 0; // without SMTP nothing is recorded, so the periods are caught up once it is set
    let created = 0;
    for (let after = 0; ;) {
      const page = await this.templates.scheduled(after, TEMPLATES_PER_PAGE);
      for (const template of page) {
        try {
          created += await this.runTemplate(template, now);
        } catch (error) {
          const reason = error instanceof Error ? error.message : 'unknown error';
          this.logger.warn({ templateId: template.id, reason }, 'report schedule skipped this tick');
        }
      }
      if (page.length < TEMPLATES_PER_PAGE) return created;
      after = page[page.length - 1].id;
    }
  }

  private async runTemplate(template: ReportTemplateRow, now: Date): Promise<number> {
    const timezone = await this.data.timezoneOf(template.subAccountId);
    const rule = parseReportSchedule(template.schedule, timezone);
    const recipients = recipientsOf(template.schedule);
    const last = await this.reports.lastPeriodKey(template.id, rule.frequency);
    const due = dueOccurrences(rule, {
      lastPeriodKey: last,
      now,
      notBefore: template.scheduleSince ?? undefined,
    });
    let created = 0;
    for (const occurrence of due) {
      if (await this.record(template, rule, occurrence, recipients)) created += 1;
    }
    return created;
  }

  private record(
    template: ReportTemplateRow,
    rule: ReportSchedule,
    occurrence: ScheduleOccurrence,
    recipients: string[],
  ): Promise<boolean> {
    return this.transactions.run(async () => {
      const deliveryId = await this.reports.insertDelivery({
        templateId: template.id,
        subAccountId: template.subAccountId,
        frequency: rule.frequency,
        periodKey: occurrence.periodKey,
        recipients,
        messageId: `<report-${template.id}-${occurrence.periodKey}@${new URL(this.config.publicBaseUrl).hostname}>`,
      });
      if (deliveryId === null) return false; // another fire recorded this period
      const report = await this.service.queue(template, template.format, occurrence.period, 'schedule');
      await this.reports.attachReport(deliveryId, report.id);
      await this.jobs.send('report-delivery', { deliveryId });
      return true;
    });
  }

  @JobHandler('report-delivery')
  async deliver({ deliveryId }: { deliveryId: bigint }, job?: JobContext): Promise<void> {
    try {
      await this.attempt(deliveryId);
    } catch (error) {
      if (!job || !(await this.isLastAttempt(job))) throw error; // the queue retries it
      // The queue gives up after this attempt: the delivery says so instead of staying `pending`.
      const reason = error instanceof Error ? error.message : 'send failed';
      await this.reports.giveUp(
        deliveryId,
        `Not sent after ${JOB_DEFINITIONS['report-delivery'].retryLimit + 1} attempts: ${reason}`,
      );
      this.logger.warn({ deliveryId: deliveryId.toString(), reason }, 'report e-mail given up');
    }
  }

  /** pg-boss counts earlier runs in retryCount: at the retry limit, a failure fails the job for good. */
  private async isLastAttempt(job: JobContext): Promise<boolean> {
    const state = await this.jobs.getJob('report-delivery', job.id).catch(() => null);
    return state !== null && state.retryCount >= JOB_DEFINITIONS['report-delivery'].retryLimit;
  }

  private async attempt(deliveryId: bigint): Promise<void> {
    const delivery = await this.reports.findDelivery(deliveryId);
    if (!delivery || delivery.reportId === null || delivery.status === 'sent' || delivery.status === 'failed') return;
    if (!this.mailer) throw new Error('SMTP_URL is not configured');
    const report = await this.generator.generate(delivery.reportId);
    if (!report || report.status !== 'ready' || !report.storagePath) {
      throw new Error(`report ${delivery.reportId} is ${report?.status ?? 'missing'}`); // retried by the queue
    }
    if (!(await this.reports.claimDelivery(delivery.id, this.now(), SEND_LEASE_MS))) return;
    const template = report.templateId !== null ? await this.templates.findById(report.templateId) : null;
    // A delivery sent late (a retry hours after an SMTP failure) goes only to recipients the template's
    // schedule still lists: an address removed meanwhile (or the whole schedule) never gets the
    // period's leads. A template switched off still mails the periods it had recorded.
    const listed = new Set(recipientsOf(template?.schedule ?? null).map((r) => r.toLowerCase()));
    const to = delivery.recipients.filter((r) => listed.has(r.toLowerCase()));
    if (to.length === 0) {
      await this.reports.markFailed(delivery.id, 'Not sent: the schedule no longer lists these recipients');
      return;
    }
    const link = this.service.signedUrl(report.id);
    try {
      await this.mailer.sendReport({
        to,
        reportName: template?.name ?? report.fileName,
        periodLabel: `${delivery.periodKey}: ${reportPeriodLabel(report.periodStart, report.periodEnd, report.timezone)}`,
        downloadUrl: link.url,
        linkExpiresAt: link.expiresAt,
        timezone: report.timezone,
        attachment: {
          filePath: this.storage.absolute(report.storagePath),
          fileName: report.fileName,
          contentType: FILE_TYPES[report.fileType].contentType,
        },
        messageId: delivery.messageId,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : 'send failed';
      if (error instanceof MailDeliveryError && error.permanent) {
        await this.reports.markFailed(delivery.id, message);
        this.logger.warn({ deliveryId: delivery.id.toString(), reason: message }, 'report e-mail refused');
        return;
      }
      await this.reports.release(delivery.id, message);
      throw error;
    }
    await this.reports.markSent(delivery.id, this.now());
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}

function recipientsOf(schedule: unknown): string[] {
  const list = (schedule as { recipients?: unknown } | null)?.recipients;
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === 'string') : [];
}

function reportPeriodLabel(start: Date, end: Date, timezone: string): string {
  const from = formatCivilDate(localDateOf(start, timezone));
  const to = formatCivilDate(localDateOf(end.getTime() - 1, timezone));
  return from === to ? from : `${from} – ${to}`;
}
