import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null }>;
}

/** Runs the real entry point (src/main.ts) as `npm start` does, with no DATABASE_URL. */
function start(env: Record<string, string>): Running {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null }>((done) => child.once('exit', (code) => done({ code })));
  return { child, output: () => out, exited };
}

/**
 * Health from this child: a free port picked here can be taken by another spec's server in the
 * meantime, whose answer made CI SIGINT a child still starting (killed, code null). The child's own
 * "listening" line on the port comes first.
 */
async function waitForHealth(run: Running, port: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const listening = new RegExp(`"msg":"listening","url":"http://[^"]+:${port}/api"`);
  while (Date.now() - started < timeoutMs) {
    if (!listening.test(run.output())) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no healthy answer on ${port} within ${timeoutMs} ms`);
}

function postgresRunning(dataDir: string): boolean {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('service lifecycle on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-lifecycle-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // a shutdown that outlives SHUTDOWN_TIMEOUT_MS (10 s) is forced with exit code 1: code 0 means it finished in time
  it('starts with no DATABASE_URL, serves health, stops on SIGINT within the shutdown timeout leaving no postgres, and restarts on the same data', async () => {
    const pgPort = String(await freePort());
    const port = await freePort();
    const first = start({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: pgPort });
    try {
      await waitForHealth(first, port, 90_000);
      const ready = await fetch(`http://127.0.0.1:${port}/api/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      first.child.kill('SIGINT');
    }
    const stopped = await first.exited;
    expect(stopped.code).toBe(0);
    expect(first.output()).not.toContain('shutdown timed out');
    expect(postgresRunning(join(dataDir, 'postgres'))).toBe(false);

    const port2 = await freePort();
    const second = start({ DATA_DIR: dataDir, PORT: String(port2), EMBEDDED_PG_PORT: pgPort });
    try {
      await waitForHealth(second, port2, 60_000);
      expect(second.output()).not.toContain('initdb');
    } finally {
      second.child.kill('SIGTERM');
    }
    const again = await second.exited;
    expect(again.code).toBe(0);
    expect(postgresRunning(join(dataDir, 'postgres'))).toBe(false);
  }, 180_000);

  it('refuses to start on an invalid variable, naming it', async () => {
    const run = start({ DATA_DIR: dataDir, PORT: 'eighty' });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain('Configuration error: PORT must be an integer');
  });
});
