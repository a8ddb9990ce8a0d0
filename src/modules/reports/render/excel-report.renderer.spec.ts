// The streaming Excel writer: 20,000 rows re-read with exceljs, hostile text, abort, sheet names.
import ExcelJS from 'exceljs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { compressionInput, ExcelColumn, ExcelRow, writeExcelReport } from './excel-report.renderer';

const COLUMNS: ExcelColumn[] = [
  { key: 'id', header: 'Lead id', type: 'integer' },
  { key: 'name', header: 'Name' },
  { key: 'createdAt', header: 'Created', type: 'datetime' },
  { key: 'cost', header: 'Cost (BRL)', type: 'money' },
  { key: 'rate', header: 'Rate', type: 'percent' },
  { key: 'note', header: 'Note' },
];
const NAMES = ['Łukasz', 'Мария', 'Σοφία', 'José'];
const BASE = Date.parse('2024-03-10T06:30:00Z');

function row(i: number): ExcelRow {
  return {
    id: i,
    name: `${NAMES[i % 4]} ${i}`,
    createdAt: new Date(BASE + i * 60_000),
    cost: `${Math.floor(i / 100)}.${String(i % 100).padStart(2, '0')}`,
    rate: (i % 100) / 100,
    note: i % 1000 === 0 ? null : `n${i}`,
  };
}

/** Batches of `size` rows, produced lazily as a keyset-paged query would. */
async function* batches(total: number, size: number): AsyncGenerator<ExcelRow[]> {
  for (let start = 1; start <= total; start += size) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield Array.from({ length: Math.min(size, total - start + 1) }, (_, k) => row(start + k));
  }
}

async function readRows(filePath: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(filePath);
  const sheet = workbook.worksheets[0];
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: true }, (r) => rows.push((r.values as unknown[]).slice(1)));
  return rows;
}

describe('writeExcelReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'excel-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams 20,000 rows from paged batches into a file exceljs reads back value for value', async () => {
    const filePath = join(dir, 'big.xlsx');
    const progress: number[] = [];
    const result = await writeExcelReport({
      filePath,
      sheetName: 'Leads',
      columns: COLUMNS,
      rows: batches(20_000, 1000),
      timezone: 'America/Sao_Paulo',
      onProgress: (n) => {
        progress.push(n);
      },
    });
    expect(result.rows).toBe(20_000);
    expect(progress).toHaveLength(20);
    expect(progress[19]).toBe(20_000);

    const bytes = await readFile(filePath);
    expect(result.bytes).toBe(bytes.length);
    // No shared-strings part: every string is written inline as its row is committed.
    expect(bytes.includes('xl/sharedStrings.xml')).toBe(false);

    const rows = await readRows(filePath);
    expect(rows).toHaveLength(20_001);
    expect(rows[0]).toEqual(COLUMNS.map((c) => c.header));
    for (const i of [1, 2, 3, 4, 999, 1000, 1001, 14_321, 19_999, 20_000]) {
      const [id, name, createdAt, cost, rate, note] = rows[i];
      const expected = row(i);
      expect(id).toBe(i);
      expect(name).toBe(expected.name);
      // Shown on the Sao Paulo wall clock (-03:00): 06:30Z + i minutes, three hours earlier.
      expect((createdAt as Date).toISOString()).toBe(new Date(BASE + i * 60_000 - 3 * 3_600_000).toISOString());
      expect(cost).toBe(Number(expected.cost));
      expect(rate).toBe(expected.rate);
      expect(note ?? null).toBe(expected.note);
    }
    expect(await readdir(dir)).toEqual(['big.xlsx']);
  }, 120_000); // re-reading with exceljs is the slow part; memory at 100,000 rows and more is bench/excel-report-rss's

  it('keeps formula-like text as text and replaces characters XML cannot hold', async () => {
    const filePath = join(dir, 'hostile.xlsx');
    await writeExcelReport({
      filePath,
      columns: [
        { key: 'name', header: 'Name' },
        { key: 'cost', header: 'Cost', type: 'money' },
      ],
      rows: [
        [
          { name: '=HYPERLINK("http://evil.example","click")', cost: 'not money' },
          { name: 'bell\u0007 and nul\u0000', cost: '12.50' },
          { name: 'x'.repeat(40_000), cost: undefined },
        ],
      ],
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(filePath);
    const sheet = workbook.worksheets[0];
    expect(sheet.getCell('A2').type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getCell('A2').value).toBe('=HYPERLINK("http://evil.example","click")');
    expect(sheet.getCell('B2').value).toBe('not money');
    expect(sheet.getCell('A3').value).toBe('bell\uFFFD and nul\uFFFD');
    expect(sheet.getCell('B3').value).toBe(12.5);
    expect(sheet.getCell('B3').numFmt).toBe('#,##0.00');
    expect(sheet.getCell('A4').value).toBe('x'.repeat(32_767));
  });

  it('stops on abort and leaves no file, finished or partial', async () => {
    const filePath = join(dir, 'aborted.xlsx');
    const controller = new AbortController();
    const run = writeExcelReport({
      filePath,
      columns: COLUMNS,
      rows: batches(50_000, 500),
      signal: controller.signal,
      onProgress: (n) => {
        if (n >= 2000) controller.abort();
      },
    });
    await expect(run).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });

  it('finds the compressor input it waits on, so slow disks cannot pile rows up in memory', () => {
    // Guards the exceljs internals the writer relies on for backpressure (see compressionInput).
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: new PassThrough().resume(),
      useSharedStrings: false,
    });
    expect(compressionInput(workbook.addWorksheet('probe'))).toBeDefined();
    expect(compressionInput({})).toBeUndefined();
  });

  it('shows record ids without a thousands separator and puts filter buttons on the header', async () => {
    // what a recipient saw: lead 3590 as "3,590", like an amount, and no filter on the header
    const filePath = join(dir, 'ids.xlsx');
    const columns: ExcelColumn[] = [
      { key: 'id', header: 'Lead id', type: 'id' },
      { key: 'leads', header: 'Leads', type: 'integer' },
    ];
    await writeExcelReport({ filePath, columns, rows: [[{ id: '3590', leads: 3590 }]] });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(filePath);
    const sheet = workbook.worksheets[0];
    expect(sheet.getCell('A2').value).toBe(3590);
    expect(sheet.getCell('A2').numFmt).toBe('0');
    expect(sheet.getCell('B2').numFmt).toBe('#,##0');
    expect(sheet.autoFilter).toBe('A1:B1');
  });

  it('prints every column on one landscape page width with the header repeated', async () => {
    // what a recipient saw printing 3,500 leads: 235 portrait pages of three columns each
    const filePath = join(dir, 'print.xlsx');
    await writeExcelReport({ filePath, columns: COLUMNS, rows: batches(10, 10) });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(filePath);
    expect(workbook.worksheets[0].pageSetup).toMatchObject({
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:1',
    });
  });

  it('adds small sheets after the lead list, which stays first and unchanged', async () => {
    // what a recipient saw: every report type's file was the bare lead list, no title, period or figures
    const filePath = join(dir, 'sheets.xlsx');
    const result = await writeExcelReport({
      filePath,
      sheetName: 'Leads',
      columns: COLUMNS,
      rows: batches(3000, 1000),
      timezone: 'America/Sao_Paulo',
      sheets: [
        {
          name: 'Summary',
          lines: [
            ['Report', { value: 'March leads' }],
            ['Time zone', { value: 'America/Sao_Paulo' }],
            ['Generated at', { value: new Date('2024-04-01T11:00:00Z'), type: 'datetime' }],
          ],
          headers: ['Metric', 'Value'],
          rows: [
            [{ value: 'New leads' }, { value: 3590, type: 'integer' }],
            [{ value: 'Conversion rate' }, { value: 0.2512, type: 'percent' }],
            [{ value: 'Spend' }, { value: '24212.55', type: 'money', currency: 'BRL' }],
          ],
        },
        {
          name: 'By source',
          headers: ['Source', 'New leads', 'Conversion rate'],
          rows: [
            [
              { value: 'a campaign with a rather long name, over forty characters' },
              { value: 7, type: 'integer' },
              { value: 0.5, type: 'percent' },
            ],
          ],
        },
      ],
    });
    expect(result.rows).toBe(3000);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(filePath);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Leads', 'Summary', 'By source']);
    const rows = await readRows(filePath);
    expect(rows).toHaveLength(3001);
    expect(rows[0]).toEqual(COLUMNS.map((c) => c.header));

    const summary = workbook.getWorksheet('Summary') as ExcelJS.Worksheet;
    expect(summary.getCell('A1').value).toBe('Report');
    expect(summary.getCell('B1').value).toBe('March leads');
    // generated at 11:00Z, shown on the Sao Paulo wall clock
    expect((summary.getCell('B3').value as Date).toISOString()).toBe('2024-04-01T08:00:00.000Z');
    expect(summary.getCell('B3').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    // a blank row, then the table under a bold header that stays in view
    expect(summary.getCell('A4').value).toBeNull();
    expect([summary.getCell('A5').value, summary.getCell('B5').value]).toEqual(['Metric', 'Value']);
    expect(summary.getCell('A5').font?.bold).toBe(true);
    expect(summary.views[0]).toMatchObject({ state: 'frozen', ySplit: 5 });
    expect([summary.getCell('B6').value, summary.getCell('B6').numFmt]).toEqual([3590, '#,##0']);
    expect([summary.getCell('B7').value, summary.getCell('B7').numFmt]).toEqual([0.2512, '0.00%']);
    expect([summary.getCell('B8').value, summary.getCell('B8').numFmt]).toEqual([24212.55, '#,##0.00 "BRL"']);

    const bySource = workbook.getWorksheet('By source') as ExcelJS.Worksheet;
    expect(bySource.getCell('A1').font?.bold).toBe(true);
    // figure headers over their right-aligned numbers, text headers over text
    expect(bySource.getCell('A1').alignment?.horizontal).toBeUndefined();
    expect(bySource.getCell('B1').alignment?.horizontal).toBe('right');
    expect(bySource.getCell('C1').alignment?.horizontal).toBe('right');
    expect(bySource.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    // wide enough for the longest cell, at least the header's width
    expect(bySource.getColumn(1).width).toBeGreaterThanOrEqual(57);
    expect(bySource.getColumn(2).width).toBeGreaterThanOrEqual('New leads'.length);
    expect(bySource.getColumn(3).width).toBeGreaterThanOrEqual('Conversion rate'.length);
  }, 60_000);

  it('refuses sheet names Excel would reject', async () => {
    for (const sheetName of ['', 'a'.repeat(32), 'Q1/Q2', 'What?']) {
      await expect(
        writeExcelReport({ filePath: join(dir, 'x.xlsx'), sheetName, columns: COLUMNS, rows: [] }),
      ).rejects.toThrow(RangeError);
    }
    const table = { name: 'leads', headers: ['x'], rows: [] };
    await expect(
      writeExcelReport({
        filePath: join(dir, 'x.xlsx'),
        sheetName: 'Leads',
        columns: COLUMNS,
        rows: [],
        sheets: [table],
      }),
    ).rejects.toThrow(RangeError);
  });
});
