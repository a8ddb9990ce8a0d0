import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { DomainException } from '../../../common/errors/domain.exception';
import { JobHandler } from '../../../jobs/job-definition';
import { formatCivilDate } from '../../analytics/time/civil-date';
import { localDateOf } from '../../analytics/time/time-zone';
import type { ResolvedRange } from '../../analytics/time/date-range';
import {
  REPORT_DATA_SOURCE,
  ReportDataSource,
  ReportQuery,
  LeadCursor,
  LeadReportRow,
} from '../data/report-data-source';
import type { ExcelColumn, ExcelRow, ExcelTableSheet } from '../render/excel-report.renderer';
import type { ChartSpec } from '../render/chart-svg.renderer';
import { ReportRow, ReportsRepository } from '../reports.repository';
import { parseReportConfig, ReportConfig, ReportTypeName } from '../templates/report-config';
import { ReportTemplatesRepository } from '../templates/report-templates.repository';
import {
  breakdownTable,
  charts,
  dimensionsOf,
  emptyPeriodNotice,
  FigureTable,
  funnelStagesTable,
  funnelTable,
  summaryTable,
  zeroFilledByTime,
} from './report-content';
import { teamCharts, teamNotice, teamTable } from './report-team-content';
import { ReportStorage } from './report-storage';

/** Rows per keyset page read into the Excel writer. */
export const LEAD_PAGE_SIZE = 1000;

export const EXCEL_COLUMNS: ExcelColumn[] = [
  { key: 'id', header: 'Lead id', type: 'id' },
  { key: 'createdAt', header: 'Created', type: 'datetime' },
  { key: 'fullName', header: 'Name', width: 28 },
  { key: 'email', header: 'E-mail', width: 30 },
  { key: 'phone', header: 'Phone', width: 18 },
  { key: 'status', header: 'Status', width: 12 },
  { key: 'platform', header: 'Source', width: 16 },
  { key: 'integrationId', header: 'Integration', type: 'id' },
  { key: 'campaignId', header: 'Campaign id', width: 20 },
  { key: 'campaignName', header: 'Campaign', width: 28 },
  { key: 'cost', header: 'Cost', type: 'money' },
  { key: 'currency', header: 'Currency', width: 10 },
];

/** What the PDF draws and the Excel file's sheets after the lead list hold: the same figures. */
interface ReportContent {
  readonly periodLabel: string;
  readonly summary: FigureTable;
  readonly notice?: string;
  readonly charts: readonly ChartSpec[];
  readonly tables: readonly FigureTable[];
  /** Drawn before the charts in the PDF (a TEAM report's per-agent table); first of the Excel tables. */
  readonly leadTables: readonly FigureTable[];
  /** Breakdown rows (a PDF's `rows`). */
  readonly rows: number;
}

/**
 * Generates a report's file: queued → running (rows written so far on the row, so long generations
 * show progress) → ready with its rows and bytes, or failed with a reason. Excel streams keyset pages
 * of leads into exceljs's WorkbookWriter, then adds a Summary sheet and the PDF's tables after them;
 * PDF draws the summary, breakdown, funnel and charts.
 * Idempotent: a ready report is left alone, anything else is regenerated from the start.
 */
@Injectable()
export class ReportGenerator {
  private readonly logger = new Logger(ReportGenerator.name);

  constructor(
    private readonly reports: ReportsRepository,
    private readonly templates: ReportTemplatesRepository,
    @Inject(REPORT_DATA_SOURCE) private readonly data: ReportDataSource,
    private readonly storage: ReportStorage,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  @JobHandler('report-generate')
  async run({ reportId }: { reportId: bigint }): Promise<void> {
    await this.generate(reportId);
  }

  /** The report, generated if it was not ready; failures are recorded on the row (status failed). */
  async generate(reportId: bigint): Promise<ReportRow | null> {
    const report = await this.reports.findById(reportId);
    if (!report || report.status === 'ready') return report;
    const template = report.templateId !== null ? await this.templates.findById(report.templateId) : null;
    if (!template) {
      await this.reports.fail(report.id, 'The report template was deleted', this.now());
      return this.reports.findById(reportId);
    }
    const range: ResolvedRange = {
      timezone: report.timezone,
      start: report.periodStart,
      end: report.periodEnd,
      fromDate: localDateOf(report.periodStart, report.timezone),
      toDate: localDateOf(report.periodEnd.getTime() - 1, report.timezone),
      kind: 'instants',
    };
    let storagePath: string | undefined;
    try {
      const config = parseReportConfig(template.config);
      const query: ReportQuery = { subAccountId: report.subAccountId, range, filters: config.filters };
      const total = report.fileType === 'EXCEL' ? await this.data.countLeads(query) : null;
      await this.reports.start(report.id, total, this.now());
      const file = await this.storage.allocate(report.subAccountId, report.id, report.fileType);
      storagePath = file.absolutePath;
      const content = await this.content(template.type, config, query);
      const result =
        report.fileType === 'EXCEL'
          ? await this.excel(report, template.name, template.type, content, query, file.absolutePath)
          : await this.pdf(report, template.name, template.type, content, file.absolutePath);
      await this.reports.finish(report.id, { storagePath: file.relativePath, ...result, now: this.now() });
    } catch (error) {
      if (storagePath) await rm(storagePath, { force: true });
      // GET /api/reports shows `error`: a domain error says what to change (the range, the config);
      // anything else (the database's or the file system's words: tables, paths) stays in the log
      const errorId = randomUUID();
      const reason = error instanceof Error ? error.message : 'generation failed';
      this.logger.warn({ reportId: report.id.toString(), errorId, reason }, 'report generation failed');
      const shown =
        error instanceof DomainException
          ? error.message
          : `The report could not be generated; quote the errorId ${errorId} when reporting it`;
      await this.reports.fail(report.id, shown, this.now());
    }
    return this.reports.findById(reportId);
  }

  private async excel(
    report: ReportRow,
    name: string,
    type: ReportTypeName,
    content: ReportContent,
    query: ReportQuery,
    filePath: string,
  ): Promise<{ rows: number; bytes: number }> {
    // the lead list stays the first sheet, as clients read it; the PDF's figures follow it
    const summary: ExcelTableSheet = {
      name: 'Summary',
      lines: [
        ['Report', { value: name }],
        ['Type', { value: type }],
        ['Period', { value: content.periodLabel }],
        ['Time zone', { value: report.timezone }],
        ['Generated at', { value: this.now(), type: 'datetime' }],
        ...(content.notice ? [['Note', { value: content.notice }] as const] : []),
      ],
      headers: content.summary.columns.map((c) => c.header),
      rows: content.summary.cells,
    };
    const names = new Set(['leads', 'summary']);
    const tables = [...content.leadTables, ...content.tables].map((t): ExcelTableSheet => ({
      name: sheetNameOf(t.title ?? 'Table', names),
      headers: t.columns.map((c) => c.header),
      rows: t.cells,
    }));
    // loaded on the first report: ExcelJS, PDFKit and ECharts are a quarter of a process's module load
    // at start (half of a Jest test file's), and only the processes that render reports need them
    const { writeExcelReport } = await import('../render/excel-report.renderer');
    return writeExcelReport({
      filePath,
      sheetName: 'Leads',
      columns: EXCEL_COLUMNS,
      rows: leadPages(this.data, query),
      timezone: report.timezone,
      onProgress: (rows) => this.reports.progress(report.id, rows),
      sheets: [summary, ...tables],
    });
  }

  private async pdf(
    report: ReportRow,
    name: string,
    type: ReportTypeName,
    content: ReportContent,
    filePath: string,
  ): Promise<{ rows: number; bytes: number }> {
    const { writePdfReport } = await import('../render/pdf-report.renderer');
    const result = await writePdfReport({
      filePath,
      title: name,
      subtitle: `${type} report`,
      periodLabel: content.periodLabel,
      timezone: report.timezone,
      generatedAt: this.now(),
      summary: content.summary,
      notice: content.notice,
      charts: content.charts,
      leadTables: content.leadTables,
      tables: content.tables,
    });
    return { rows: content.rows, bytes: result.bytes };
  }

  /** The summary, notices, charts and tables of a report, for either file type. */
  private async content(type: ReportTypeName, config: ReportConfig, query: ReportQuery): Promise<ReportContent> {
    const totals = await this.data.totals(query);
    const dims = dimensionsOf(type, config);
    const rows = zeroFilledByTime(dims, dims.length > 0 ? await this.data.breakdown(query, dims) : [], query.range);
    const tables: FigureTable[] = [];
    const leadTables: FigureTable[] = [];
    let agentCharts: ChartSpec[] | null = null;
    // an empty period's sentence first, then any a report type adds
    const notices: (string | undefined)[] = [emptyPeriodNotice(totals, rows)];
    if (type === 'FUNNEL') {
      // the funnel endpoint's figures (furthest stage from each lead's history) where the source has them
      const stages = this.data.funnel ? await this.data.funnel(query) : null;
      if (stages) tables.push(funnelStagesTable(stages));
      else {
        const byStatus =
          dims.length === 1 && dims[0] === 'status' ? rows : await this.data.breakdown(query, ['status']);
        tables.push(funnelTable(byStatus));
      }
    }
    if (type === 'TEAM') {
      // the team endpoint's per-agent figures, so the report and the dashboard agree
      const members = this.data.team ? await this.data.team(query) : null;
      if (members?.length) {
        leadTables.push(teamTable(members));
        // the template's charts drawn per agent; the status changes stay as a table
        agentCharts = teamCharts(config, members);
      }
      notices.push(teamNotice(members));
    }
    if (rows.length > 0) tables.push(breakdownTable(dims, rows, totals.currency));
    const from = formatCivilDate(query.range.fromDate);
    const to = formatCivilDate(query.range.toDate);
    const notice = notices.filter((n): n is string => n !== undefined).join('\n');
    return {
      periodLabel: from === to ? from : `${from} – ${to}`,
      summary: summaryTable(config, totals),
      notice: notice || undefined,
      charts: agentCharts ?? charts(config, dims, rows),
      leadTables,
      tables,
      rows: rows.length,
    };
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}

const SHEET_NAME_INVALID = /[[\]:*?/\\]/g;

/** A table's title as a sheet name Excel takes (≤ 31 characters), unlike any in `taken` (lower-cased). */
function sheetNameOf(title: string, taken: Set<string>): string {
  const base = title.replace(SHEET_NAME_INVALID, ' ').trim().slice(0, 31) || 'Table';
  let name = base;
  for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base.slice(0, 31 - String(i).length - 1)} ${i}`;
  taken.add(name.toLowerCase());
  return name;
}

/** The period's leads as Excel rows, read in keyset pages of LEAD_PAGE_SIZE (never the whole result at once). */
export async function* leadPages(data: ReportDataSource, query: ReportQuery): AsyncGenerator<ExcelRow[]> {
  let after: LeadCursor | null = null;
  for (;;) {
    const page: LeadReportRow[] = await data.leadPage(query, after, LEAD_PAGE_SIZE);
    if (page.length === 0) return;
    yield page.map((r) => ({ ...r }));
    if (page.length < LEAD_PAGE_SIZE) return;
    const last = page[page.length - 1];
    after = { createdAt: last.createdAt, id: last.id };
  }
}
