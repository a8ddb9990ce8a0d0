// Shared plumbing of the benchmarks: a throwaway database, the built app and helper servers as child
// processes, an admin API client, /proc sampling (RSS, CPU) and printing. Not a test helper.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { signToken } from '../src/common/auth/dev-token';

export const ROOT = resolve(__dirname, '..');
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

// ---------------------------------------------------------------------------------------------
// cleanup: children stopped and the database dropped on every exit path (success, failure, Ctrl+C)

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      if (!fn) continue;
      await fn().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up…\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs a benchmark's main, always cleans up, and exits 0 only when it returned true. */
export function runBench(main: () => Promise<boolean>): void {
  main()
    .then(
      async (ok) => {
        await cleanup();
        process.exit(ok ? 0 : 1);
      },
      async (err: unknown) => {
        process.stderr.write(
          `\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
        await cleanup();
        process.exit(2);
      },
    )
    .catch(() => process.exit(2));
}

// ---------------------------------------------------------------------------------------------
// database

export function serverUrl(): string {
  return process.env.DATABASE_URL?.trim() || 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A connection for the benchmark's own queries (application_name bench-runner). */
  sql: Client;
  /** Another such connection (for samplers running beside the main loop), closed at cleanup. */
  connect(): Promise<Client>;
}

/** CREATE DATABASE bench_<random> on DATABASE_URL's server; dropped at cleanup unless keep. */
export async function createDatabase(keep = false): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl(), application_name: 'bench-runner' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const sql = new Client({ connectionString: url.toString(), application_name: 'bench-runner' });
  await sql.connect();
  onCleanup(async () => {
    await sql.end().catch(() => undefined);
    if (keep) {
      process.stdout.write(`database kept: ${url.toString()}\n`);
      return;
    }
    const dropper = new Client({ connectionString: serverUrl(), application_name: 'bench-runner' });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: url.toString(), application_name: 'bench-runner' });
    await client.connect();
    onCleanup(() => client.end().catch(() => undefined));
    return client;
  };
  return { name, url: url.toString(), sql, connect };
}

// ---------------------------------------------------------------------------------------------
// processes

export function build(skip: boolean): void {
  if (skip) {
    if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('--no-build given but dist/main.js does not exist');
    return;
  }
  process.stdout.write('npm run build …\n');
  const result = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${String(result.status)})`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last lines it printed (for error messages). */
  tail(): string;
  exited(): boolean;
  /** SIGTERM, wait (graceful shutdown), SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, quiet = true): Child {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name} did not start`);
  const lines: string[] = [];
  let exitCode: number | null | undefined;
  const keep = (chunk: Buffer, stream: NodeJS.WriteStream): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
      if (!quiet) stream.write(`[${name}] ${line}\n`);
    }
  };
  proc.stdout?.on('data', (c: Buffer) => keep(c, process.stdout));
  proc.stderr?.on('data', (c: Buffer) => keep(c, process.stderr));
  const exited = new Promise<void>((done) =>
    proc.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      done();
    }),
  );
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    tail: () => lines.join('\n'),
    exited: () => exitCode !== undefined,
    stop: async (timeoutMs = 20_000) => {
      if (exitCode !== undefined) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  onCleanup(() => child.stop());
  return child;
}

export async function waitHttp(url: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited()) throw new Error(`${child.name} exited before it was ready:\n${child.tail()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.tail()}`);
    await sleep(200);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface AppOptions {
  role: 'api' | 'all';
  databaseUrl: string;
  /** Extra node flags for the app (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface RunningApp {
  child: Child;
  base: string;
  jwtSecret: string;
}

/** The built app (dist/main.js) as production runs it, on its own port; resolves when /api/health/ready answers. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const port = await freePort();
  const jwtSecret = randomBytes(32).toString('base64');
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-data-'));
  onCleanup(async () => rmSync(dataDir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    APP_ROLE: options.role,
    DATABASE_URL: options.databaseUrl,
    MIGRATE_ON_START: 'true',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    JWT_SECRET: jwtSecret,
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    LOG_LEVEL: 'warn',
    // the largest values the config accepts (10,000,000/min): the benchmark measures the pipeline, not the limiter
    WEBHOOK_RATE_PER_IP_PER_MINUTE: '10000000',
    WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '10000000',
    ...options.env,
  };
  const child = startChild('app', process.execPath, [...(options.nodeArgs ?? []), 'dist/main.js'], env);
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/api/health/ready`, child);
  return { child, base, jwtSecret };
}

// ---------------------------------------------------------------------------------------------
// the admin API

export class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  static forApp(app: RunningApp): Api {
    return new Api(app.base, signToken({ role: 'SUPER_ADMIN', subAccountIds: [] }, { secret: app.jwtSecret }));
  }

  async call<T>(method: string, path: string, body?: unknown, expected = [200, 201]): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export interface BenchIntegration {
  subAccountId: number;
  integrationId: number;
  /** Path of the integration's own webhook URL. */
  webhookPath: string;
}

/** A MAX sub-account with one active integration of the handler. */
export async function createActiveIntegration(
  api: Api,
  handler: string,
  config: Record<string, unknown>,
): Promise<BenchIntegration> {
  const sub = await api.call<{ id: number }>('POST', '/api/sub-accounts', { name: `Bench ${handler}`, tier: 'MAX' });
  const templates = await api.call<{ items: Array<{ id: number; handler: string }> }>(
    'GET',
    '/api/integration-templates?pageSize=200',
  );
  const template = templates.items.find((t) => t.handler === handler);
  if (!template) throw new Error(`no integration template with handler ${handler}`);
  const created = await api.call<{ id: number; webhookUrl: string }>('POST', '/api/integrations', {
    subAccountId: sub.id,
    integrationTemplateId: template.id,
    name: `bench ${handler}`,
    config,
  });
  // a passed connection test is what switches a new integration on (the benches use Google Ads
  // lead forms, whose test needs no provider call)
  await api.call('POST', `/api/integrations/${created.id}/test`);
  return { subAccountId: sub.id, integrationId: created.id, webhookPath: new URL(created.webhookUrl).pathname };
}

// ---------------------------------------------------------------------------------------------
// /proc sampling

/** Resident set size now and its peak (VmHWM), in MiB; null once the process is gone. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** PostgreSQL backend pids connected to a database, by application_name. */
export async function backendsOf(sql: Client, database: string): Promise<Array<{ pid: number; app: string }>> {
  const res = await sql.query<{ pid: number; app: string }>(
    `SELECT pid, COALESCE(application_name, '') AS app FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
  return res.rows;
}

/**
 * CPU seconds used between start() and stop() by named groups of processes (the app, the baseline,
 * PostgreSQL backends serving each), polled so that short-lived backends are counted too.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly groupOf = new Map<number, string>();
  private timer?: NodeJS.Timeout;
  private started = 0;
  private ownStart = process.cpuUsage();
  private ownSeconds = 0;
  wallSeconds = 0;

  constructor(private readonly groups: () => Promise<Array<{ pid: number; group: string }>>) {}

  async start(intervalMs = 500): Promise<void> {
    this.first.clear();
    this.last.clear();
    this.started = Date.now();
    this.ownStart = process.cpuUsage();
    await this.poll(true);
    this.timer = setInterval(() => void this.poll(false), intervalMs);
  }

  async stop(): Promise<Map<string, number>> {
    if (this.timer) clearInterval(this.timer);
    await this.poll(false);
    await this.polling;
    const own = process.cpuUsage(this.ownStart);
    this.ownSeconds = (own.user + own.system) / 1e6;
    this.wallSeconds = (Date.now() - this.started) / 1000;
    const totals = new Map<string, number>();
    for (const [pid, end] of this.last) {
      const group = this.groupOf.get(pid) ?? '?';
      totals.set(group, (totals.get(group) ?? 0) + end - (this.first.get(pid) ?? 0));
    }
    totals.set('bench runner (load generator)', this.ownSeconds);
    return totals;
  }

  private polling: Promise<void> = Promise.resolve();

  /** One poll at a time (the groups callback may share a database connection). */
  private poll(initial: boolean): Promise<void> {
    this.polling = this.polling.then(() => this.pollOnce(initial));
    return this.polling;
  }

  private async pollOnce(initial: boolean): Promise<void> {
    let members: Array<{ pid: number; group: string }>;
    try {
      members = await this.groups();
    } catch {
      return;
    }
    for (const { pid, group } of members) {
      const cpu = cpuSecondsOf(pid);
      if (cpu === null) continue;
      this.groupOf.set(pid, group);
      // a backend first seen after start() began after it (or was idle): count from its birth
      if (!this.first.has(pid)) this.first.set(pid, initial ? cpu : (this.startCpuGuess(pid) ?? cpu));
      this.last.set(pid, cpu);
    }
  }

  /** CPU since start() of a process first seen mid-run: all of it if it was born after start(). */
  private startCpuGuess(pid: number): number | null {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const startTicks = Number(fields[19]); // field 22: starttime, in ticks after boot
      const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const bornSecondsAgo = uptime - startTicks / CLK_TCK;
      return bornSecondsAgo * 1000 <= Date.now() - this.started ? 0 : null;
    } catch {
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (--cpu-prof on a child): the hottest functions by self time

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function area(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `app ${url
      .slice(dist + 6)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  return url;
}

export function newProfileDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-prof-'));
  return dir;
}

/** Prints self time by package/area and the top functions of the .cpuprofile files in dir. */
export function summariseProfiles(dir: string, top = 25): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    process.stdout.write(`no .cpuprofile written in ${dir} (the app must exit cleanly on SIGTERM)\n`);
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i] ?? 0));
    let total = 0;
    const byArea = new Map<string, number>();
    const byFn = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node) continue;
      const name = node.callFrame.functionName || '(anonymous)';
      total += us;
      if (name === '(idle)') continue;
      const where = area(node.callFrame.url);
      byArea.set(where, (byArea.get(where) ?? 0) + us);
      const key = `${name}  ${where}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
    const idle = [...selfUs]
      .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
      .reduce((s, [, us]) => s + us, 0);
    const busy = total - idle;
    process.stdout.write(
      `\nCPU profile ${join(dir, file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (wall-clock samples: time the thread was descheduled counts too)\n`,
    );
    const pct = (us: number): string => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
    process.stdout.write('  self time by area (share of busy main-thread time):\n');
    for (const [name, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 20))
      process.stdout.write(`    ${pct(us)}  ${name}\n`);
    process.stdout.write(`  top ${top} functions by self time:\n`);
    for (const [name, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
      process.stdout.write(`    ${pct(us)}  ${name}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// numbers and printing

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(sortedValues: number[], p: number): number {
  if (sortedValues.length === 0) return NaN;
  const index = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1));
  return sortedValues[index];
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function printChecks(checks: Check[]): boolean {
  process.stdout.write('\n');
  for (const c of checks) process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(42)} ${c.detail}\n`);
  const ok = checks.every((c) => c.ok);
  process.stdout.write(
    `\n${ok ? 'PASS' : 'FAIL'}: ${checks.filter((c) => c.ok).length}/${checks.length} targets met\n`,
  );
  return ok;
}

export function machineLine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `node ${process.version}, load average ${load}`;
}
