// Peak RSS increase of writing a 100,000-row Excel report with the streaming writer
// (src/modules/reports/render/excel-report.renderer.ts), against exceljs's in-memory Workbook writing
// the same rows in the same run (the baseline). `--pipeline` measures the report job's own path
// instead: 100,000 leads with their touches in PostgreSQL (a throwaway database on DATABASE_URL's
// server, migrated, filled with generate_series), read by ReportDataRepository in keyset pages and
// streamed into the writer with the report's columns, as ReportGenerator does. Not a test. Each measurement runs in a fresh child
// process, because peak RSS only ever grows within a process; the child reports its RSS before the
// export and its peak (getrusage maxRSS) after it. One more streaming run with twice the rows shows
// whether memory is flat (ratio near 1) or grows with the rows (near 2): most of the increase is
// V8 heap slack that a garbage collection would return, not retained rows. Target: median < 100 MB.
//
//   npm run bench:excel-report                    # 3 streaming rounds + 1 baseline round, ~1 min
//   npm run bench:excel-report -- --rows 200000 --rounds 5 --no-baseline
//   npm run bench:excel-report -- --pipeline        # the report job's path, from PostgreSQL
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { ExcelColumn, ExcelRow, writeExcelReport } from '../src/modules/reports/render/excel-report.renderer';
import { machineLine } from './support/cpu';
import { createDatabase } from './support/database';
import { parseAppConfig } from '../src/config/app-config';
import { Db } from '../src/database/db';
import { DbPool } from '../src/database/db-pool';
import { PrismaService } from '../src/database/prisma.service';
import { localDaysRange } from '../src/modules/analytics/time/date-range';
import { ReportDataRepository } from '../src/modules/reports/data/report-data.repository';
import { EXCEL_COLUMNS, leadPages } from '../src/modules/reports/generation/report-generator';
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
type Mode = 'streaming' | 'in-memory' | 'pipeline';

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

/** The report job's read side on the bench database: the repository over one pool (2 connections). */
async function pipelineSource(): Promise<{ data: ReportDataRepository; close: () => Promise<void> }> {
  const config = parseAppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: arg('database', ''),
    DB_POOL_SIZE: '2',
    JWT_SECRET: 'bench-only-secret-0123456789-abcdefghijklmnop',
    ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 1).toString('base64')}`,
  });
  const pool = new DbPool(config);
  const prisma = new PrismaService(pool);
  const data = new ReportDataRepository(new Db(prisma, pool));
  return { data, close: () => pool.pool.end() };
}

const PIPELINE_DAY = { year: 2024, month: 1, day: 1 };

async function child(mode: Mode, rows: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'excel-bench-'));
  const filePath = join(dir, 'report.xlsx');
  const source = mode === 'pipeline' ? await pipelineSource() : undefined;
  try {
    // warm the connection and the plan, so the increase is the export's own
    const query = {
      subAccountId: 1,
      range: localDaysRange(PIPELINE_DAY, { year: 2024, month: 12, day: 31 }, 'UTC'),
      filters: {},
    };
    if (source && (await source.data.countLeads(query)) !== rows)
      throw new Error('the bench database holds other rows');
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    if (mode === 'streaming') {
      await writeExcelReport({ filePath, columns: COLUMNS, rows: pages(rows), timezone: 'America/Sao_Paulo' });
    } else if (source) {
      const result = await writeExcelReport({
        filePath,
        columns: EXCEL_COLUMNS,
        rows: leadPages(source.data, query),
        timezone: 'UTC',
      });
      if (result.rows !== rows) throw new Error(`wrote ${result.rows} rows of ${rows}`);
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
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(mode: Mode, rows: number, database = ''): ChildResult {
  const run = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      '@swc-node/register',
      'bench/excel-report-rss.ts',
      '--child',
      mode,
      '--rows',
      String(rows),
      ...(database ? ['--database', database] : []),
    ],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`${mode} child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildResult;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** A migrated throwaway database with `rows` leads (one touch each) of sub-account 1 in 2024, UTC. */
async function pipelineDatabase(rows: number): Promise<string> {
  const db = await createDatabase();
  const migrate = spawnSync(process.execPath, ['scripts/db/prisma-wasm-migrate.mjs', 'deploy'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: db.url },
  });
  if (migrate.status !== 0) throw new Error(`migration failed: ${migrate.stderr}`);
  await db.sql.query(`INSERT INTO sub_accounts (id, name, updated_at) VALUES (1, 'Bench', now())`);
  await db.sql.query(
    `WITH l AS (
       INSERT INTO leads (sub_account_id, full_name, email, phone, status, created_at, updated_at)
       SELECT 1, (ARRAY['Łukasz Kowalski','Мария Иванова','Σοφία Παπαδοπούλου','José Álvarez'])[i % 4 + 1] || ' ' || i,
              'lead' || i || '@example.com', '+1555' || lpad(i::text, 7, '0'),
              (ARRAY['NEW','CONTACTED','QUALIFIED','CONVERTED','LOST'])[i % 5 + 1]::"LeadStatus",
              '2024-01-01T00:00:00Z'::timestamptz + i * interval '5 minutes', now()
         FROM generate_series(1, $1) AS i
       RETURNING id, created_at)
     INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, campaign_name, cost, currency, created_at)
     SELECT id, 1, (ARRAY['meta','google-ads','linkedin','whatsapp'])[id % 4 + 1], 'ext-' || id, 'bench:' || id,
            'c' || (id % 20), 'Campaign ' || (id % 20), (id % 97) + 0.25, 'USD', created_at
       FROM l`,
    [rows],
  );
  await db.sql.query('ANALYZE');
  return db.url;
}

async function main(): Promise<boolean> {
  const rows = Number(arg('rows', '100000'));
  const rounds = Number(arg('rounds', '3'));
  const pipeline = process.argv.includes('--pipeline');
  process.stdout.write(`excel-report-rss${pipeline ? ' --pipeline' : ''}: ${rows} rows, ${machineLine()}\n`);
  const results: ChildResult[] = [];
  let doubled: ChildResult;
  if (pipeline) {
    const database = await pipelineDatabase(rows);
    for (let i = 0; i < rounds; i++) results.push(measure('pipeline', rows, database));
    // flatness against the synthetic writer at twice the rows (the database holds `rows`)
    doubled = measure('streaming', rows * 2);
    results.push(doubled, measure('streaming', rows));
  } else {
    for (let i = 0; i < rounds; i++) results.push(measure('streaming', rows));
    doubled = measure('streaming', rows * 2);
    results.push(doubled);
    if (!process.argv.includes('--no-baseline')) results.push(measure('in-memory', rows));
  }
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
  const measured: Mode = pipeline ? 'pipeline' : 'streaming';
  const streaming = median(results.filter((r) => r.mode === measured && r.rows === rows).map((r) => r.peakIncreaseMb));
  if (pipeline) {
    const synthetic = results.filter((r) => r.mode === 'streaming' && r.rows === rows).map((r) => r.peakIncreaseMb);
    process.stdout.write(
      `\npipeline (PostgreSQL keyset pages) median increase ${streaming.toFixed(1)} MB vs the writer alone ${median(synthetic).toFixed(1)} MB\n`,
    );
  }
  process.stdout.write(
    `\nflatness (writer): ${rows * 2} rows need ${(doubled.peakIncreaseMb / median(results.filter((r) => r.mode === 'streaming' && r.rows === rows).map((r) => r.peakIncreaseMb))).toFixed(2)}× the increase of ${rows} (1 = flat, 2 = grows with rows)\n`,
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
      name: `peak RSS increase${pipeline ? ' (report pipeline)' : ''} < ${TARGET_MB} MB`,
      ok: streaming < TARGET_MB,
      detail: `${streaming.toFixed(1)} MB (median of ${rounds})`,
    },
  ]);
}

if (process.argv.includes('--child')) {
  const requested = arg('child', 'streaming');
  const mode: Mode = requested === 'in-memory' || requested === 'pipeline' ? requested : 'streaming';
  child(mode, Number(arg('rows', '100000'))).catch((err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err));
    process.exit(1);
  });
} else {
  runBench(main);
}
