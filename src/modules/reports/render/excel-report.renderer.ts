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
  if (sheetName.length === 0 || sheetName.length > 31 || SHEET_NAME_INVALID.test(sheetName))
    throw new RangeError('A sheet name has 1 to 31 characters and none of [ ] : * ? / \\');
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
    await workbook.commit();
    await rename(partPath, input.filePath);
    return { rows, bytes: (await stat(input.filePath)).size };
  } catch (error) {
    out.destroy();
    await rm(partPath, { force: true });
    throw error;
  }
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
