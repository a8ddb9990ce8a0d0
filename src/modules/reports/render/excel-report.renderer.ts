// Excel report files (issue 13 point 6) through exceljs's streaming WorkbookWriter: every row is
// committed as soon as it is written and strings are written inline (`useSharedStrings: false`, no
// table of every distinct string kept in memory), so a 100,000-row export keeps memory flat. Rows
// come as an async iterable of batches, so the caller can keyset-page its query (WHERE id > last
// ORDER BY id LIMIT n) and never hold the whole result.
//
// Usage: await writeExcelReport({ filePath, columns, rows: pagesOfRows(), onProgress })
// Money arrives as decimal strings and is written as a number cell with a 2-decimal format (Excel
// cells are binary floats; amounts below 10^13 keep every cent). Instants are shown on the
// sub-account's wall clock when `timezone` is given, as Excel has no time zones. The file is written
// beside its destination and renamed into place, so a reader never sees half a file.

import { createWriteStream } from 'node:fs';
import { EventEmitter, once } from 'node:events';
import { rename, rm, stat } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { toLocalDateTime } from '../../analytics/time/time-zone';

export type ExcelCellValue = string | number | boolean | Date | null | undefined;
export type ExcelRow = Readonly<Record<string, ExcelCellValue>>;
export type ExcelColumnType = 'text' | 'id' | 'integer' | 'number' | 'money' | 'percent' | 'datetime' | 'date';

export interface ExcelColumn {
  readonly key: string;
  readonly header: string;
  readonly type?: ExcelColumnType;
  /** In characters; defaults by type. */
  readonly width?: number;
}

/** A cell of a small table sheet, with its own type (a summary's column mixes counts, rates and money). */
export interface ExcelCell {
  readonly value: ExcelCellValue;
  readonly type?: ExcelColumnType;
  /** ISO code shown after a money amount. */
  readonly currency?: string | null;
}

/**
 * A small sheet after the streamed one (summary, breakdowns): label/value lines, then a table under a
 * bold frozen header. Held in memory whole, so it is for tens or hundreds of rows, not the lead list.
 */
export interface ExcelTableSheet {
  readonly name: string;
  readonly lines?: readonly (readonly [string, ExcelCell])[];
  readonly headers: readonly string[];
  readonly rows: readonly (readonly ExcelCell[])[];
}

export interface ExcelReportInput {
  readonly filePath: string;
  readonly sheetName?: string;
  readonly columns: readonly ExcelColumn[];
  readonly rows: AsyncIterable<readonly ExcelRow[]> | Iterable<readonly ExcelRow[]>;
  /** IANA zone in which `datetime` cells are shown. */
  readonly timezone?: string;
  /** Called after each batch with the rows written so far (e.g. to update the report row). */
  readonly onProgress?: (rowsWritten: number) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /** Sheets written after the streamed one, once it is committed (its rows are gone from memory by then). */
  readonly sheets?: readonly ExcelTableSheet[];
}

export interface ExcelReportResult {
  readonly rows: number;
  readonly bytes: number;
}

const FORMATS: Record<ExcelColumnType, string | undefined> = {
  text: undefined,
  // a record number, not a quantity: no thousands separator (lead 3,590 read as an amount)
  id: '0',
  integer: '#,##0',
  number: '#,##0.####',
  money: '#,##0.00',
  percent: '0.00%',
  datetime: 'yyyy-mm-dd hh:mm:ss',
  date: 'yyyy-mm-dd',
};
const WIDTHS: Record<ExcelColumnType, number> = {
  text: 24,
  id: 12,
  integer: 12,
  number: 14,
  money: 16,
  percent: 10,
  datetime: 20,
  date: 12,
};
// Characters XML 1.0 forbids; one in a lead's name would make the whole file unreadable.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_CELL_TEXT = 32_767; // Excel's limit per cell
const SHEET_NAME_INVALID = /[[\]:*?/\\]/;
const DECIMAL_RE = /^-?\d{1,30}(\.\d{1,20})?$/;

export async function writeExcelReport(input: ExcelReportInput): Promise<ExcelReportResult> {
  const sheetName = input.sheetName ?? 'Report';
  const names = [sheetName, ...(input.sheets ?? []).map((s) => s.name)];
  for (const name of names)
    if (name.length === 0 || name.length > 31 || SHEET_NAME_INVALID.test(name))
      throw new RangeError('A sheet name has 1 to 31 characters and none of [ ] : * ? / \\');
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length)
    throw new RangeError('Sheet names must differ (Excel ignores case)');
  if (input.columns.length === 0) throw new RangeError('A report needs at least one column');
  const partPath = `${input.filePath}.part`;
  // Our own stream, so a failure can close the file before it is removed.
  const out = createWriteStream(partPath);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  let rows = 0;
  try {
    const sheet = workbook.addWorksheet(sheetName, {
      views: [{ state: 'frozen', ySplit: 1 }],
      // printed, every column on one landscape page width and the header on every page (the default
      // spread a 12-column sheet of 3,500 leads over 235 portrait pages of three columns each)
      pageSetup: {
        orientation: 'landscape',
        paperSize: 9, // A4
        fitToPage: true,
        fitToWidth: 1,
        fitToHeight: 0,
        printTitlesRow: '1:1',
      },
    });
    // filter buttons on the header, as a recipient would add before sorting by source or status
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: input.columns.length } };
    sheet.columns = input.columns.map((c) => {
      const type = c.type ?? 'text';
      const numFmt = FORMATS[type];
      return { key: c.key, width: c.width ?? WIDTHS[type], ...(numFmt ? { style: { numFmt } } : {}) };
    });
    const header = sheet.addRow(input.columns.map((c) => cleanText(c.header)));
    header.font = { bold: true };
    header.commit();
    const sink = compressionInput(sheet);
    for await (const batch of input.rows) {
      input.signal?.throwIfAborted();
      for (const row of batch) {
        sheet.addRow(input.columns.map((c) => cell(row[c.key], c.type ?? 'text', input.timezone))).commit();
      }
      rows += batch.length;
      // exceljs hands rows to the zip compressor without waiting for it; let it catch up so
      // uncompressed XML never piles up in memory when compression is slower than the query.
      if (sink?._writableState.needDrain) await once(sink, 'drain');
      await input.onProgress?.(rows);
    }
    sheet.commit();
    // a worksheet's zip entry opens on its first write, so these follow the committed lead rows
    // instead of being buffered beside them
    for (const table of input.sheets ?? []) writeTableSheet(workbook, table, input.timezone);
    await workbook.commit();
    await rename(partPath, input.filePath);
    return { rows, bytes: (await stat(input.filePath)).size };
  } catch (error) {
    out.destroy();
    await rm(partPath, { force: true });
    throw error;
  }
}

const MIN_WIDTH = 10;
const MAX_WIDTH = 60;

function writeTableSheet(
  workbook: InstanceType<typeof ExcelJS.stream.xlsx.WorkbookWriter>,
  table: ExcelTableSheet,
  timezone: string | undefined,
): void {
  const lines = table.lines ?? [];
  // the header sits under the lines and a blank row; everything above it stays in view
  const headerRow = lines.length > 0 ? lines.length + 2 : 1;
  const sheet = workbook.addWorksheet(table.name, {
    views: [{ state: 'frozen', ySplit: headerRow }],
    pageSetup: { orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  const header = table.headers.map((h): ExcelCell => ({ value: h }));
  const all = [...lines.map(([label, value]) => [{ value: label }, value]), header, ...table.rows];
  // widths go out before the first row (a streamed sheet writes its columns then)
  const widths: number[] = [];
  for (const cells of all) cells.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(c))));
  sheet.columns = widths.map((w) => ({ width: Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w + 2)) }));
  // a figure column's header sits over its right-aligned numbers
  const figures = new Set(table.rows.flatMap((r) => r.flatMap((c, i) => (isFigure(c) ? [i] : []))));
  const put = (cells: readonly ExcelCell[], isHeader = false): void => {
    const row = sheet.addRow(cells.map((c) => cell(c.value, c.type ?? 'text', timezone)));
    cells.forEach((c, i) => {
      const numFmt = formatOf(c);
      if (numFmt) row.getCell(i + 1).numFmt = numFmt;
      if (isHeader && figures.has(i)) row.getCell(i + 1).alignment = { horizontal: 'right' };
    });
    if (isHeader) row.font = { bold: true };
    row.commit();
  };
  for (const [label, value] of lines) put([{ value: label }, value]);
  if (lines.length > 0) sheet.addRow([]).commit();
  put(header, true);
  for (const r of table.rows) put(r);
  sheet.commit();
}

function isFigure(c: ExcelCell): boolean {
  return c.type === 'integer' || c.type === 'number' || c.type === 'money' || c.type === 'percent';
}

function formatOf(c: ExcelCell): string | undefined {
  const type = c.type ?? 'text';
  if (type === 'money' && c.currency) return `${FORMATS.money} "${c.currency.replace(/"/g, '')}"`;
  return FORMATS[type];
}

function textWidth(text: string): number {
  return [...text].length;
}

/** Characters a cell needs, roughly as Excel shows it (grouped money, a rate's two decimals). */
function displayWidth(c: ExcelCell): number {
  const type = c.type ?? 'text';
  if (c.value === null || c.value === undefined) return 0;
  if (c.value instanceof Date) return 19;
  const text = String(c.value);
  if (type === 'money') return text.length + Math.floor(text.length / 3) + (c.currency ? c.currency.length + 1 : 0);
  if (type === 'percent') return 8;
  if (type === 'integer') return text.length + Math.floor(text.length / 3);
  return textWidth(text);
}

function cell(
  value: ExcelCellValue,
  type: ExcelColumnType,
  timezone: string | undefined,
): string | number | boolean | Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    if (!timezone) return value;
    // Excel shows a Date's UTC fields: shift by the zone's offset to show the local wall clock.
    return new Date(value.getTime() + toLocalDateTime(value, timezone).offsetMs);
  }
  if (typeof value === 'string') {
    // Decimal strings in numeric columns become numbers so totals and sorting work in Excel.
    if (type !== 'text' && DECIMAL_RE.test(value)) return Number(value);
    return cleanText(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** The part of a readable-stream 3 Writable this file relies on. */
interface DrainableStream extends EventEmitter {
  readonly _writableState: { readonly needDrain: boolean };
}

/**
 * The stream between a streaming worksheet and the zip compressor: exceljs 4.4's WorksheetWriter
 * writes to a StreamBuf (`stream`) piped into archiver's PassThrough (`stream.pipes[0]`, from
 * readable-stream 3) and ignores its backpressure. Undefined if a later exceljs is shaped
 * differently (the spec checks it is found).
 */
export function compressionInput(sheet: unknown): DrainableStream | undefined {
  const stream = (sheet as { stream?: { pipes?: unknown[] } } | null)?.stream;
  const pipe: unknown = Array.isArray(stream?.pipes) ? stream.pipes[0] : undefined;
  if (!(pipe instanceof EventEmitter) || !('_writableState' in pipe)) return undefined;
  const state = pipe._writableState as { needDrain?: unknown } | null;
  return typeof state?.needDrain === 'boolean' ? (pipe as DrainableStream) : undefined;
}

function cleanText(text: string): string {
  const clean = text.replace(XML_INVALID, '\uFFFD');
  return clean.length > MAX_CELL_TEXT ? clean.slice(0, MAX_CELL_TEXT) : clean;
}
