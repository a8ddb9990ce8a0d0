// The Node versions package.json promises ("^20.19.0 || ^22.12.0 || >=24.0.0"), checked on this machine:
// for each of node@22 and node@24 (fetched by npx from the npm registry, nothing installed globally)
//   1. a fast subset of the test suite (unit + medium + a few e2e) run by that Node;
//   2. a smoke of what `npm start` runs: `node dist/main.js` on a fresh database (an embedded
//      PostgreSQL in a temp dir, or a new database on DATABASE_URL's server when it is set), until
//      /api/health/ready answers 200, a signed generic-webhook delivery becomes a lead, and SIGTERM
//      stops it with exit code 0 (and, embedded, the PostgreSQL with it).
// Prints PASS or FAIL per version; exits 1 when any failed. Logs are kept in a temp dir on failure.
//
//   npm run test:node-matrix                      # node@22 and node@24, tests and smoke
//   npm run test:node-matrix -- --versions 24     # one version
//   npm run test:node-matrix -- --no-tests        # the smoke only (or --no-smoke)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { webhookRoundTrip } from './smoke-round-trip';

const ROOT = resolve(__dirname, '..');

/**
 * The subset: every unit and medium test, and the e2e files that touch what differs between Node
 * versions (HTTP parsing and signed webhooks, async context through the job workers, child
 * processes and signals, PDF/Excel rendering, fetch/undici to fake providers). Medium and e2e run on
 * an embedded PostgreSQL started by that Node unless DATABASE_URL is set (test/support/global-setup.ts).
 */
const E2E = [
  'test/e2e/webhooks-ingestion.e2e-spec.ts',
  'test/e2e/webhooks-meta.e2e-spec.ts',
  'test/e2e/graceful-shutdown.e2e-spec.ts',
  'test/e2e/worker-crash.e2e-spec.ts',
  'test/e2e/reports.e2e-spec.ts',
  'test/e2e/reports-excel.e2e-spec.ts',
  'test/e2e/reports-access.e2e-spec.ts',
  'test/e2e/oauth-connect.e2e-spec.ts',
  'test/e2e/oauth-connect-google-linkedin.e2e-spec.ts',
  'test/e2e/oauth-connect-meta.e2e-spec.ts',
  'test/e2e/whatsapp-issue12-sends.e2e-spec.ts',
  'test/e2e/whatsapp-issue12-templates-statuses.e2e-spec.ts',
  'test/e2e/whatsapp-issue12-isolation.e2e-spec.ts',
];
const TESTS = ['\\.spec\\.ts$', ...E2E.map((f) => `${f.replace(/[.]/g, '\\.')}$`)];

const { values: opts } = parseArgs({
  options: {
    versions: { type: 'string', default: '22,24' },
    'no-tests': { type: 'boolean', default: false },
    'no-smoke': { type: 'boolean', default: false },
  },
});
const versions = opts.versions
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean);
const logDir = mkdtempSync(join(tmpdir(), 'node-matrix-'));

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The node binary of `node@<version>` from the npm registry (cached by npx after the first run). */
interface NodeBinary {
  bin: string;
  exact: string;
}

function nodeBinary(version: string): NodeBinary {
  const res = spawnSync(
    'npx',
    ['-y', '-p', `node@${version}`, 'node', '-p', 'process.execPath + " " + process.version'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (res.status !== 0) throw new Error(`npx could not provide node@${version}: ${res.stderr.trim()}`);
  const [bin, exact] = res.stdout.trim().split(' ');
  return { bin, exact };
}

/** Runs a command to a log file; resolves with its exit code and the log. */
function run(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<{ code: number | string; log: string }> {
  return new Promise((done) => {
    const child = spawn(bin, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('close', (code, signal) => {
      const log = Buffer.concat(chunks).toString('utf8');
      writeFileSync(logFile, log);
      done({ code: code ?? signal ?? 'unknown', log });
    });
  });
}

/** Lines worth seeing whatever the outcome: the warnings Node itself prints, "(node:1234) …Warning: …". */
function nodeWarnings(log: string): string[] {
  return [...new Set(log.split('\n').filter((l) => /^\(node:\d+\) /.test(l)))];
}

interface Outcome {
  ok: boolean;
  detail: string;
  logFile: string;
}

async function tests(node: NodeBinary, version: string): Promise<Outcome & { failed: string[]; log: string }> {
  const started = Date.now();
  const logFile = join(logDir, `jest-node${version}.log`);
  const { code, log } = await run(node.bin, ['node_modules/jest/bin/jest.js', '--ci', ...TESTS], process.env, logFile);
  const summary = log.split('\n').filter((l) => /^(Test Suites|Tests):/.test(l));
  const failed = log.split('\n').filter((l) => /^FAIL /.test(l));
  return {
    ok: code === 0,
    detail: `${summary.join('; ') || 'no summary'} (${seconds(started)})`,
    failed,
    log,
    logFile,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

/** The embedded server of a process that could not stop it (killed): its postmaster, by its pid file. */
function stopOrphanedPostgres(pgDataDir: string): void {
  const pidFile = join(pgDataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // already gone
  }
}

/** `node dist/main.js` with that Node: ready, a webhook round trip, SIGTERM → exit 0. */
async function smoke(node: NodeBinary, version: string): Promise<Outcome & { warnings: string[] }> {
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), `node-matrix-data-${version}-`));
  const port = await freePort();
  const pgPort = await freePort();
  const secret = randomBytes(32).toString('hex');
  const server = process.env.DATABASE_URL;
  let database = '';
  let admin: Client | undefined;
  if (server) {
    database = `node_matrix_${version.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`;
    admin = new Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  };
  if (server) {
    const u = new URL(server);
    u.pathname = `/${database}`;
    env.DATABASE_URL = u.toString();
  } else delete env.DATABASE_URL;
  const logFile = join(logDir, `main-node${version}.log`);
  const chunks: Buffer[] = [];
  const child = spawn(node.bin, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const log = (): string => Buffer.concat(chunks).toString('utf8');
  const base = `http://127.0.0.1:${port}`;
  const steps: string[] = [];
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const early = await Promise.race([exited, sleep(500).then(() => undefined)]);
      if (early !== undefined) throw new Error(`dist/main.js exited (${early}) before it was ready`);
      try {
        const res = await fetch(`${base}/api/health/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('/api/health/ready did not answer 200 within 120 s');
    }
    steps.push(`ready in ${seconds(started)}`);
    await webhookRoundTrip(base, secret);
    steps.push('webhook → lead');
    const stopping = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'still running after 30 s')]);
    if (code !== 0) throw new Error(`SIGTERM: exit ${code}`);
    if (!server && (await canConnect(pgPort))) throw new Error('the embedded PostgreSQL outlived the process');
    steps.push(`SIGTERM → exit 0 in ${seconds(stopping)}`);
    const warnings = nodeWarnings(log());
    return { ok: true, detail: `${server ? 'DATABASE_URL' : 'embedded'}: ${steps.join(', ')}`, warnings, logFile };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, detail: `${steps.join(', ')}${steps.length ? '; ' : ''}${message}`, warnings: [], logFile };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      // a failed step: let it stop as it would (its embedded PostgreSQL with it), then make sure
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(15_000).then(() => undefined)])) === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (!server) stopOrphanedPostgres(join(dataDir, 'postgres'));
    writeFileSync(logFile, log());
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface VersionResult {
  version: string;
  exact?: string;
  ok: boolean;
}

async function main(): Promise<void> {
  say(`node-matrix: Node ${versions.join(', ')}; logs in ${logDir}`);
  if (!opts['no-smoke']) {
    const started = Date.now();
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0 || !existsSync(join(ROOT, 'dist/main.js'))) {
      say(`build FAILED:\n${build.stdout}${build.stderr}`);
      process.exit(1);
    }
    say(`built dist/ with ${process.version} (${seconds(started)})`);
  }
  const results: VersionResult[] = [];
  for (const version of versions) {
    let node: NodeBinary;
    try {
      node = nodeBinary(version);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      say(`\n== node@${version}: ${message}`);
      results.push({ version, ok: false });
      continue;
    }
    say(`\n== node@${version}: ${node.exact}`);
    const lines: string[] = [];
    let ok = true;
    if (!opts['no-tests']) {
      const t = await tests(node, version);
      ok &&= t.ok;
      lines.push(`tests ${t.ok ? 'pass' : 'FAIL'}: ${t.detail}`, ...t.failed.map((f) => `  ${f}`));
      lines.push(...nodeWarnings(t.log).map((w) => `  node warning: ${w}`));
      if (!t.ok) lines.push(`  log: ${t.logFile}`);
      say(lines.join('\n'));
    }
    if (!opts['no-smoke']) {
      const s = await smoke(node, version);
      ok &&= s.ok;
      const smokeLines = [
        `smoke ${s.ok ? 'pass' : 'FAIL'}: ${s.detail}`,
        ...s.warnings.map((w) => `  node warning: ${w}`),
      ];
      if (!s.ok) smokeLines.push(`  log: ${s.logFile}`);
      lines.push(...smokeLines);
      say(smokeLines.join('\n'));
    }
    results.push({ version, exact: node.exact, ok });
  }
  say('\n== node-matrix');
  for (const r of results) say(`${r.ok ? 'PASS' : 'FAIL'} node@${r.version}${r.exact ? ` (${r.exact})` : ''}`);
  const allOk = results.every((r) => r.ok);
  if (allOk) rmSync(logDir, { recursive: true, force: true });
  process.exit(allOk ? 0 : 1);
}

main().catch((err: unknown) => {
  say(`node-matrix crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
