// Peak RSS increase of writing a 100,000-row Excel report with the streaming writer
// (src/modules/reports/render/excel-report.renderer.ts), against exceljs's in-memory Workbook writing
// the same rows in the same run (the baseline). Not a test. Each measurement runs in a fresh child
// process, because peak RSS only ever grows within a process; the child reports its RSS before the
// export and its peak (getrusage maxRSS) after it. One more streaming run with twice the rows shows
// whether memory is flat (ratio near 1) or grows with the rows (near 2): most of the increase is
// V8 heap slack that a garbage collection would return, not retained rows. Target: median < 100 MB.
//
//   npm run bench:excel-report                    # 3 streaming rounds + 1 baseline round, ~1 min
//   npm run bench:excel-report -- --rows 200000 --rounds 5 --no-baseline
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { ExcelColumn, ExcelRow, writeExcelReport } from '../src/modules/reports/render/excel-report.renderer';
import { machineLine } from './support/cpu';
import { runBench } from './support/lifecycle';
import { ROOT } from './support/processes';
import { median, printChecks, table } from './support/report';

const MB = 1024 * 1024;
const TARGET_MB = 100;

interface ChildResult {
  mode: Mode;
  rows: number;
  rssBeforeMb: number;
  peakIncreaseMb: number;
  seconds: number;
  fileMb: number;
}
type Mode = 'streaming' | 'in-memory';

const COLUMNS: ExcelColumn[] = [
  { key: 'id', header: 'Lead id', type: 'integer' },
  { key: 'name', header: 'Name' },
  { key: 'email', header: 'E-mail' },
  { key: 'source', header: 'Source' },
  { key: 'status', header: 'Status' },
  { key: 'createdAt', header: 'Created', type: 'datetime' },
  { key: 'cost', header: 'Cost', type: 'money' },
  { key: 'score', header: 'Score', type: 'integer' },
];
const NAMES = ['Łukasz Kowalski', 'Мария Иванова', 'Σοφία Παπαδοπούλου', 'José Álvarez'];

function row(i: number): ExcelRow {
  return {
    id: i,
    name: `${NAMES[i % 4]} ${i}`,
    email: `lead${i}@example.com`,
    source: ['facebook', 'google', 'whatsapp', 'manual'][i % 4],
    status: ['NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST'][i % 5],
    createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
    cost: `${i % 97}.${String(i % 100).padStart(2, '0')}`,
    score: i % 101,
  };
}

/** Pages of 1,000 rows, yielding to the event loop between pages as a database read would. */
async function* pages(total: number): AsyncGenerator<ExcelRow[]> {
  for (let start = 1; start <= total; start += 1000) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield Array.from({ length: Math.min(1000, total - start + 1) }, (_, k) => row(start + k));
  }
}

async function child(mode: Mode, rows: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'excel-bench-'));
  const filePath = join(dir, 'report.xlsx');
  try {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    if (mode === 'streaming') {
      await writeExcelReport({ filePath, columns: COLUMNS, rows: pages(rows), timezone: 'America/Sao_Paulo' });
    } else {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Report');
      sheet.columns = COLUMNS.map((c) => ({ header: c.header, key: c.key }));
      for await (const page of pages(rows)) for (const r of page) sheet.addRow(r);
      await workbook.xlsx.writeFile(filePath);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peak = process.resourceUsage().maxRSS * 1024; // kilobytes on Linux
    const result: ChildResult = {
      mode,
      rows,
      rssBeforeMb: before / MB,
      peakIncreaseMb: (peak - before) / MB,
      seconds,
      fileMb: statSync(filePath).size / MB,
    };
    process.stdout.write(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(mode: Mode, rows: number): ChildResult {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '-r', '@swc-node/register', 'bench/excel-report-rss.ts', '--child', mode, '--rows', String(rows)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`${mode} child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildResult;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<boolean> {
  const rows = Number(arg('rows', '100000'));
  const rounds = Number(arg('rounds', '3'));
  process.stdout.write(`excel-report-rss: ${rows} rows, ${machineLine()}\n`);
  const results: ChildResult[] = [];
  for (let i = 0; i < rounds; i++) results.push(measure('streaming', rows));
  const doubled = measure('streaming', rows * 2);
  results.push(doubled);
  if (!process.argv.includes('--no-baseline')) results.push(measure('in-memory', rows));
  process.stdout.write(
    `\n${table(
      ['writer', 'rows', 'RSS before MB', 'peak increase MB', 'seconds', 'file MB'],
      results.map((r) => [
        r.mode,
        r.rows,
        r.rssBeforeMb.toFixed(1),
        r.peakIncreaseMb.toFixed(1),
        r.seconds.toFixed(2),
        r.fileMb.toFixed(2),
      ]),
    )}\n`,
  );
  const streaming = median(
    results.filter((r) => r.mode === 'streaming' && r.rows === rows).map((r) => r.peakIncreaseMb),
  );
  process.stdout.write(
    `\nflatness: ${rows * 2} rows need ${(doubled.peakIncreaseMb / streaming).toFixed(2)}× the increase of ${rows} (1 = flat, 2 = grows with rows)\n`,
  );
  const baseline = results.find((r) => r.mode === 'in-memory');
  if (baseline) {
    process.stdout.write(
      `\nmedian streaming increase ${streaming.toFixed(1)} MB vs in-memory ${baseline.peakIncreaseMb.toFixed(1)} MB: ratio ${(streaming / baseline.peakIncreaseMb).toFixed(3)}\n`,
    );
  }
  process.stdout.write(`load after: ${machineLine()}\n`);
  return printChecks([
    {
      name: `peak RSS increase < ${TARGET_MB} MB`,
      ok: streaming < TARGET_MB,
      detail: `${streaming.toFixed(1)} MB (median of ${rounds})`,
    },
  ]);
}

if (process.argv.includes('--child')) {
  const mode = arg('child', 'streaming') === 'in-memory' ? 'in-memory' : 'streaming';
  child(mode, Number(arg('rows', '100000'))).catch((err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err));
    process.exit(1);
  });
} else {
  runBench(main);
}
