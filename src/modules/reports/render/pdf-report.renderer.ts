// PDF report files (issue 13 point 6): a title, the period and time zone, a summary table, the
// charts the template asks for and optional detail tables, on A4 with page numbers. Text is set in
// the embedded DejaVu Sans (report-font.ts) so names in Latin, Cyrillic and Greek scripts render;
// charts are ECharts SVG (chart-svg.renderer.ts) placed as vectors by svg-to-pdfkit. No browser, no
// canvas. Values arrive already formatted as strings (money with its currency, rates as percent),
// so the PDF shows exactly what the API returns.
//
// Usage: await writePdfReport({ filePath, title, periodLabel, timezone, generatedAt, summary, charts })
// The file is written beside its destination and renamed into place, so a reader never sees half a file.

import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { formatLocalMinute, formatOffset, toLocalDateTime } from '../../analytics/time/time-zone';
import { ChartSpec, renderChartSvg } from './chart-svg.renderer';
import { REPORT_FONT, REPORT_FONT_BOLD, REPORT_FONT_CJK, reportFontFiles, reportFontRuns } from './report-font';

export interface ReportTable {
  readonly title?: string;
  readonly columns: readonly { readonly header: string; readonly align?: 'left' | 'right'; readonly weight?: number }[];
  readonly rows: readonly (readonly string[])[];
}

export interface PdfReportInput {
  readonly filePath: string;
  readonly title: string;
  /** e.g. the sub-account's name. */
  readonly subtitle?: string;
  /** e.g. `2024-03-01 – 2024-03-31`. */
  readonly periodLabel: string;
  readonly timezone: string;
  readonly generatedAt: Date;
  readonly summary: ReportTable;
  /** A sentence shown under the summary, e.g. why a report has no charts or tables. */
  readonly notice?: string;
  readonly charts: readonly ChartSpec[];
  readonly tables?: readonly ReportTable[];
  /** Tables drawn under the summary, before the charts: the figures a report type is named for. */
  readonly leadTables?: readonly ReportTable[];
}

export interface PdfReportResult {
  readonly bytes: number;
  readonly pages: number;
}

type Doc = InstanceType<typeof PDFDocument>;

const MARGIN = 40;
const CHART_HEIGHT = 250;
const INK = '#1f2933';
const MUTED = '#616e7c';
const RULE = '#cbd2d9';
const STRIPE = '#f5f7fa';
const TABLE_FONT_SIZE = 9.5;
const CELL_PAD = 4;

export async function writePdfReport(input: PdfReportInput): Promise<PdfReportResult> {
  const partPath = `${input.filePath}.part`;
  const fonts = reportFontFiles();
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true, // page numbers are written once the page count is known
    info: { Title: input.title, Creator: 'Integration Hub', CreationDate: input.generatedAt },
  });
  doc.registerFont(REPORT_FONT, fonts.regular);
  doc.registerFont(REPORT_FONT_BOLD, fonts.bold);
  if (fonts.cjk) doc.registerFont(REPORT_FONT_CJK, fonts.cjk);
  const out = createWriteStream(partPath);
  const written = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
    doc.on('error', reject);
  });
  doc.pipe(out);
  try {
    drawHeader(doc, input);
    drawTable(doc, input.summary);
    if (input.notice) drawNotice(doc, input.notice);
    for (const table of input.leadTables ?? []) drawTable(doc, table);
    for (const chart of input.charts) drawChart(doc, chart);
    for (const table of input.tables ?? []) drawTable(doc, table);
    const pages = drawFooters(doc, input);
    doc.end();
    await written;
    await rename(partPath, input.filePath);
    return { bytes: (await stat(input.filePath)).size, pages };
  } catch (error) {
    doc.unpipe(out);
    // the stream opens its file asynchronously: remove the part only once it is closed, or an open still
    // under way creates it again after the removal
    await new Promise<void>((resolve) => {
      if (out.closed) return resolve();
      out.once('close', () => resolve());
      out.destroy();
    });
    await rm(partPath, { force: true });
    throw error;
  }
}

function drawHeader(doc: Doc, input: PdfReportInput): void {
  doc.fontSize(20).fillColor(INK);
  writeText(doc, input.title, true);
  if (input.subtitle) writeText(doc.fontSize(12).fillColor(MUTED), input.subtitle, false);
  doc
    .moveDown(0.3)
    .font(REPORT_FONT)
    .fontSize(11)
    .fillColor(INK)
    .text(`Period: ${input.periodLabel} (${input.timezone})`);
  doc.moveDown(0.2);
  rule(doc);
  doc.moveDown(0.8);
}

function drawTable(doc: Doc, table: ReportTable): void {
  const width = contentWidth(doc);
  const pad = CELL_PAD;
  const widths = columnWidths(table, width, (text, bold) =>
    reportFontRuns(text, bold).reduce(
      (sum, run) => sum + doc.font(run.font).fontSize(TABLE_FONT_SIZE).widthOfString(run.text),
      0,
    ),
  );
  const cellHeight = (cells: readonly string[], bold: boolean): number => {
    const heights = cells.map((c, i) =>
      doc
        .font(heightFont(c, bold))
        .fontSize(TABLE_FONT_SIZE)
        .heightOfString(c, { width: widths[i] - 2 * pad }),
    );
    return Math.max(...heights) + 2 * pad;
  };
  const drawRow = (cells: readonly string[], bold: boolean, fill?: string): void => {
    const height = cellHeight(cells, bold);
    if (doc.y + height > bottom(doc)) {
      doc.addPage();
      if (!bold) drawRow(headers, true, '#e4e7eb'); // repeat the header on every page
    }
    const top = doc.y;
    if (fill) doc.rect(MARGIN, top, width, height).fill(fill);
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.fontSize(TABLE_FONT_SIZE).fillColor(INK);
      writeText(doc, cell, bold, x + pad, top + pad, {
        width: widths[i] - 2 * pad,
        align: table.columns[i].align ?? 'left',
      });
      x += widths[i];
    });
    doc.y = top + height;
    doc.x = MARGIN;
  };
  const headers = table.columns.map((c) => c.header);

  if (table.title) {
    ensureSpace(doc, 60);
    writeText(doc.fontSize(13).fillColor(INK), table.title, true, MARGIN, doc.y);
    doc.moveDown(0.3);
  }
  ensureSpace(doc, 40);
  drawRow(headers, true, '#e4e7eb');
  table.rows.forEach((row, i) => {
    if (row.length !== headers.length)
      throw new RangeError(`Row ${i + 1} has ${row.length} cells for ${headers.length} columns`);
    drawRow(row, false, i % 2 === 1 ? STRIPE : undefined);
  });
  rule(doc);
  doc.moveDown(1);
}

/**
 * Column widths (points) that add up to `width`: each column gets its share by weight, but never less
 * than its widest word (header or cell) nor, for right-aligned figure columns, its widest whole cell,
 * so "1345.14 BRL" or "Conversion rate" is never broken mid-figure or mid-word; the columns that need
 * no minimum give up the difference in proportion to their weights.
 */
export function columnWidths(
  table: ReportTable,
  width: number,
  measure: (text: string, bold: boolean) => number,
): number[] {
  const weights = table.columns.map((c) => c.weight ?? 1);
  const minima = table.columns.map((column, i) => {
    const figures = column.align === 'right';
    const widest = (text: string, bold: boolean): number =>
      figures ? measure(text, bold) : Math.max(0, ...text.split(/\s+/).map((word) => measure(word, bold)));
    const header = Math.max(0, ...column.header.split(/\s+/).map((word) => measure(word, true)));
    const cells = Math.max(0, ...table.rows.map((row) => widest(row[i] ?? '', false)));
    return Math.ceil(Math.max(header, cells)) + 2 * CELL_PAD + 1;
  });
  const totalMinima = minima.reduce((a, b) => a + b, 0);
  // content that cannot fit at all: share out the width in proportion to what each column needs
  if (totalMinima >= width) return minima.map((m) => (m / totalMinima) * width);
  const fixed = new Set<number>();
  for (;;) {
    const free = width - [...fixed].reduce((sum, i) => sum + minima[i], 0);
    const freeWeight = weights.reduce((sum, w, i) => (fixed.has(i) ? sum : sum + w), 0);
    const widths = weights.map((w, i) => (fixed.has(i) ? minima[i] : (w / freeWeight) * free));
    const short = widths.findIndex((w, i) => !fixed.has(i) && w < minima[i]);
    if (short < 0) return widths;
    fixed.add(short);
  }
}

/** Text in its font runs (CJK in the fallback font), at the given position or where the cursor is. */
function writeText(
  doc: Doc,
  text: string,
  bold: boolean,
  x?: number,
  y?: number,
  options: PDFKit.Mixins.TextOptions = {},
): void {
  const runs = reportFontRuns(text, bold);
  runs.forEach((run, i) => {
    const continued = i < runs.length - 1;
    doc.font(run.font);
    if (i === 0 && x !== undefined) doc.text(run.text, x, y, { ...options, continued });
    else doc.text(run.text, { ...options, continued });
  });
}

/** The font whose line height a cell's text takes (the CJK fallback's lines are taller). */
function heightFont(text: string, bold: boolean): string {
  const runs = reportFontRuns(text, bold);
  return runs.find((r) => r.font === REPORT_FONT_CJK)?.font ?? runs[0].font;
}

function drawNotice(doc: Doc, notice: string): void {
  ensureSpace(doc, 40);
  doc
    .font(REPORT_FONT)
    .fontSize(11)
    .fillColor(MUTED)
    .text(notice, MARGIN, doc.y, { width: contentWidth(doc) });
  doc.moveDown(1);
}

function drawChart(doc: Doc, chart: ChartSpec): void {
  const width = contentWidth(doc);
  ensureSpace(doc, CHART_HEIGHT + 10);
  const svg = renderChartSvg(chart, { width, height: CHART_HEIGHT }, REPORT_FONT);
  const top = doc.y;
  SVGtoPDF(doc, svg, MARGIN, top, {
    width,
    height: CHART_HEIGHT,
    assumePt: true,
    // chart-svg.renderer names the CJK fallback on the labels that need it
    fontCallback: (family: string, bold: boolean) =>
      family === REPORT_FONT_CJK ? REPORT_FONT_CJK : bold ? REPORT_FONT_BOLD : REPORT_FONT,
  });
  doc.y = top + CHART_HEIGHT + 14;
  doc.x = MARGIN;
}

function drawFooters(doc: Doc, input: PdfReportInput): number {
  const range = doc.bufferedPageRange();
  const local = toLocalDateTime(input.generatedAt, input.timezone);
  const generated = `Generated ${formatLocalMinute(local)} ${formatOffset(local.offsetMs)}`;
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    // Writing inside the bottom margin would otherwise make pdfkit start a new page.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN + 12;
    doc.font(REPORT_FONT).fontSize(8).fillColor(MUTED);
    doc.text(generated, MARGIN, y, { width: contentWidth(doc), align: 'left', lineBreak: false });
    doc.text(`Page ${i + 1} of ${range.count}`, MARGIN, y, {
      width: contentWidth(doc),
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins.bottom = margin;
  }
  return range.count;
}

function rule(doc: Doc): void {
  doc
    .moveTo(MARGIN, doc.y)
    .lineTo(MARGIN + contentWidth(doc), doc.y)
    .lineWidth(0.5)
    .strokeColor(RULE)
    .stroke();
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage();
}

function contentWidth(doc: Doc): number {
  return doc.page.width - 2 * MARGIN;
}

function bottom(doc: Doc): number {
  return doc.page.height - doc.page.margins.bottom;
}
