// The built app and helper servers as child processes.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onCleanup } from './lifecycle';

export const ROOT = resolve(__dirname, '..', '..');

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
  /** How long the app may take to be ready (its migrations run first): 2 minutes unless said. */
  readyTimeoutMs?: number;
}

export interface RunningApp {
  child: Child;
  base: string;
  jwtSecret: string;
  /** Its environment, for more processes of the same deployment (startWorker). */
  env: NodeJS.ProcessEnv;
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
  await waitHttp(`${base}/api/health/ready`, child, options.readyTimeoutMs);
  return { child, base, jwtSecret, env };
}

/**
 * A worker process (APP_ROLE=worker) of the same deployment as `app` (its database, keys and
 * settings). A worker serves no HTTP: it is running once the process is up; callers watch the
 * database for its progress.
 */
export function startWorker(app: RunningApp, nodeArgs: string[] = []): Child {
  const env = { ...app.env, APP_ROLE: 'worker', MIGRATE_ON_START: 'false' };
  return startChild('worker', process.execPath, [...nodeArgs, 'dist/main.js'], env);
}
