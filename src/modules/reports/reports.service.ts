import { Inject, Injectable, Optional } from '@nestjs/common';
import { createReadStream, ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AuthUser } from '../../common/auth/auth-user';
import { listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobsService } from '../../jobs/jobs.service';
import { formatCivilDate } from '../analytics/time/civil-date';
import { MAX_ANALYTICS_DAYS, resolveDateRange, ResolvedRange } from '../analytics/time/date-range';
import { isRelativeRange, resolveRelativeRange } from '../analytics/time/relative-range';
import { REPORT_DATA_SOURCE, ReportDataSource } from './data/report-data-source';
import { createSignedDownloadUrl, deriveReportLinkKey, verifySignedDownload } from './delivery/signed-link';
import {
  GenerateReportDto,
  GenerateReportResponseDto,
  ListReportsQueryDto,
  ReportDto,
  SignedDownloadQueryDto,
} from './dto/report.dto';
import { FILE_TYPES, ReportStorage } from './generation/report-storage';
import { ReportRow, ReportsRepository } from './reports.repository';
import { parseReportConfig, ReportConfig, ReportFormatName } from './templates/report-config';
import { ReportTemplateRow } from './templates/report-templates.repository';
import { ReportTemplatesService } from './templates/report-templates.service';

const READER_ROLES = new Set(['SUPER_ADMIN', 'ADMIN', 'MANAGER']);

/** Requested generations a sub-account may have queued or running at once; more answer 429. */
export const MAX_PENDING_GENERATIONS = 25;
/** A request older than this no longer counts (its job died): a lost job never blocks the sub-account. */
const PENDING_WINDOW_MS = 2 * 3_600_000;
const RETRY_AFTER_SECONDS = 60;

export interface ReportFile {
  readonly stream: ReadStream;
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: number;
}

/** Generated reports: requests to generate, the list with signed links, and downloads. */
@Injectable()
export class ReportsService {
  private readonly linkKeys: Buffer[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reports: ReportsRepository,
    private readonly templates: ReportTemplatesService,
    @Inject(REPORT_DATA_SOURCE) private readonly data: ReportDataSource,
    private readonly storage: ReportStorage,
    private readonly jobs: JobsService,
    private readonly transactions: TransactionRunner,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    // Link keys derive from the encryption keys (HKDF, domain-separated): the first signs, all verify,
    // so a key rotation does not break links already mailed.
    this.linkKeys = config.encryptionKeys.map((k) => deriveReportLinkKey(k.key));
  }

  async generate(user: AuthUser, templateId: number, dto: GenerateReportDto): Promise<GenerateReportResponseDto> {
    const template = await this.templates.require(user, templateId);
    const config = parseReportConfig(template.config);
    const timezone = await this.data.timezoneOf(template.subAccountId);
    const range = overriddenRange(templateRange(config, timezone, this.now()), dto.from, dto.to);
    const report = await this.transactions.run(async () => {
      // a template deleted meanwhile is 404, not a report row its foreign key refuses
      const locked = await this.templates.locked(template);
      const since = new Date(this.now().getTime() - PENDING_WINDOW_MS);
      if ((await this.reports.countPendingRequested(template.subAccountId, since)) >= MAX_PENDING_GENERATIONS) {
        throw new DomainException(
          ErrorCode.RATE_LIMIT_EXCEEDED,
          `${MAX_PENDING_GENERATIONS} reports of this sub-account are already queued or running; retry when they are done`,
          undefined,
          { 'retry-after': String(RETRY_AFTER_SECONDS) },
        );
      }
      const row = await this.queue(locked, dto.format ?? template.format, range, user.sub);
      await this.jobs.send('report-generate', { reportId: row.id });
      return row;
    });
    return { reportId: report.id.toString() };
  }

  /** A queued report row for a template and period (the scheduler's too); the caller enqueues its job. */
  queue(
    template: ReportTemplateRow,
    format: ReportFormatName,
    range: ResolvedRange,
    generatedBy: string,
  ): Promise<ReportRow> {
    return this.reports.create({
      subAccountId: template.subAccountId,
      templateId: template.id,
      fileType: format,
      fileName: fileName(template.name, range, format),
      periodStart: range.start,
      periodEnd: range.end,
      timezone: range.timezone,
      generatedBy,
    });
  }

  async list(user: AuthUser, query: ListReportsQueryDto): Promise<Page<ReportDto>> {
    const { rows, total } = await this.reports.list(
      listScope(user, query.subAccountId),
      { templateId: query.templateId },
      skipTake(query),
    );
    return toPage(
      rows.map((r) => this.toDto(r)),
      total,
      query,
    );
  }

  /** The file, by bearer (roles and sub-accounts checked) or by a signed link (no bearer). */
  async download(user: AuthUser | undefined, id: bigint, query: SignedDownloadQueryDto): Promise<ReportFile> {
    let report: ReportRow | null;
    if (query.signature !== undefined || query.expires !== undefined) {
      const check = verifySignedDownload(
        { reportId: id.toString(), expires: query.expires, signature: query.signature },
        this.linkKeys,
        this.now(),
      );
      if (!check.ok) {
        throw new DomainException(
          ErrorCode.UNAUTHENTICATED,
          check.reason === 'expired' ? 'The download link has expired' : 'The download link is invalid',
        );
      }
      report = await this.reports.findById(id);
    } else {
      if (!user) throw new DomainException(ErrorCode.UNAUTHENTICATED, 'A valid bearer token is required');
      if (!READER_ROLES.has(user.role)) throw DomainException.forbidden('Your role may not use this route');
      report = await this.reports.find(scopeOf(user), id);
    }
    if (!report) throw DomainException.notFound('Report');
    if (report.status !== 'ready' || !report.storagePath) {
      throw DomainException.conflict(`The report is ${report.status}, not ready to download`);
    }
    const path = this.storage.absolute(report.storagePath);
    const bytes = (await stat(path).catch(() => null))?.size;
    if (bytes === undefined) throw DomainException.notFound('Report file');
    return {
      stream: createReadStream(path),
      fileName: report.fileName,
      contentType: FILE_TYPES[report.fileType].contentType,
      bytes,
    };
  }

  /** A signed link to a ready report, valid for REPORT_LINK_TTL_HOURS (≤ 7 days). */
  signedUrl(reportId: bigint): { url: string; expiresAt: Date } {
    return createSignedDownloadUrl({
      baseUrl: this.config.publicBaseUrl,
      reportId: reportId.toString(),
      key: this.linkKeys[0],
      now: this.now(),
      ttlMs: this.config.reports.linkTtlMs,
    });
  }

  toDto(row: ReportRow): ReportDto {
    return {
      id: row.id.toString(),
      templateId: row.templateId,
      subAccountId: row.subAccountId,
      status: row.status,
      fileType: row.fileType,
      fileName: row.fileName,
      rows: row.rows,
      bytes: row.bytes === null ? null : Number(row.bytes),
      progress:
        row.status === 'running' && row.totalRows
          ? Math.min(1, row.rows / row.totalRows)
          : row.status === 'ready'
            ? 1
            : null,
      periodStart: row.periodStart.toISOString(),
      periodEnd: row.periodEnd.toISOString(),
      generatedBy: row.generatedBy,
      createdAt: row.createdAt.toISOString(),
      downloadUrl: row.status === 'ready' ? this.signedUrl(row.id).url : null,
      error: row.error,
    };
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}

/** The template's own range at `now`: a relative preset or its fixed local dates. */
export function templateRange(config: ReportConfig, timezone: string, now: Date): ResolvedRange {
  const range = config.dateRange;
  if (isRelativeRange(range)) return resolveRelativeRange(range, timezone, now);
  return resolveDateRange(range.from, range.to, timezone);
}

/**
 * The template's period with the bounds a generate request gives in its place: `from` alone runs
 * from it to the template's end, `to` alone from the template's start to it (API.md: both optional).
 */
export function overriddenRange(base: ResolvedRange, from: string | undefined, to: string | undefined): ResolvedRange {
  if (from === undefined && to === undefined) return base;
  const dates = base.kind === 'dates';
  return resolveDateRange(
    from ?? (dates ? formatCivilDate(base.fromDate) : base.start.toISOString()),
    to ?? (dates ? formatCivilDate(base.toDate) : base.end.toISOString()),
    base.timezone,
    // the limit a template's own dateRange has: narrowing a long template's period is never refused
    { maxDays: MAX_ANALYTICS_DAYS },
  );
}

// Latin letters NFKD leaves whole (no base letter plus marks): dropped, "Łódź" read "odz" and "Straße" "strae"
const LATIN_FOLDS: Readonly<Record<string, string>> = {
  ł: 'l',
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  œ: 'oe',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
};

/** `weekly-sources_2024-03-04_2024-03-10.pdf`: ASCII, safe in any header or file system. */
export function fileName(templateName: string, range: ResolvedRange, format: ReportFormatName): string {
  const slug =
    templateName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[łßæøœđðþıħŧ]/g, (c) => LATIN_FOLDS[c] ?? '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'report';
  const from = formatCivilDate(range.fromDate);
  const to = formatCivilDate(range.toDate);
  return `${slug}_${from === to ? from : `${from}_${to}`}.${FILE_TYPES[format].extension}`;
}
