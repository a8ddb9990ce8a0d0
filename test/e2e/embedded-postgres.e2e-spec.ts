/**
 * Issue 9 point 10: the embedded PostgreSQL (no DATABASE_URL) has its own random password, kept
 * under DATA_DIR where only this process's user can read it, and running as root opens nothing
 * beyond the traversal the server needs to reach its data.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';

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

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const modeOf = (path: string): number => statSync(path).mode & 0o7777;

/** Every directory from `path` up to the root, with its mode. */
function ancestors(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    out.set(dir, modeOf(dir));
    if (dirname(dir) === dir) return out;
  }
}

describe('embedded PostgreSQL', () => {
  const asRoot = userInfo().uid === 0;
  let outer: string;
  let dataDir: string;
  let pg: EmbeddedPostgres | undefined;

  beforeAll(() => {
    // a DATA_DIR behind a 0700 directory, like a checkout under a private mktemp dir
    outer = mkdtempSync(join(tmpdir(), 'hub-embedded-'));
    chmodSync(outer, 0o700);
    dataDir = join(outer, 'data');
  });
  afterAll(async () => {
    await pg?.stop();
    rmSync(outer, { recursive: true, force: true });
  });

  it('initialises with a random password kept under DATA_DIR (0600), and refuses the old well-known one', async () => {
    const before = ancestors(outer);
    const port = await freePort();
    pg = new EmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    await pg.start();

    const passwordFile = join(dataDir, 'postgres-password');
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(modeOf(passwordFile)).toBe(0o600);
    expect(statSync(passwordFile).uid).toBe(userInfo().uid);
    expect(pg.url).toBe(`postgresql://postgres:${password}@127.0.0.1:${port}/postgres`);
    expect(await canConnect(pg.url)).toBe(true);
    expect(await canConnect(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`)).toBe(false);
    expect(await canConnect(`postgresql://postgres@127.0.0.1:${port}/postgres`)).toBe(false);
    // no password file left for initdb
    expect(existsSync(join(dataDir, '.pg-password'))).toBe(false);

    const after = ancestors(outer);
    for (const [dir, mode] of before) {
      // as root: the private directory alone gains the search bit for others (0700 → 0701); nothing else changes
      const expected = asRoot && dir === outer ? mode | 0o001 : mode;
      expect([dir, after.get(dir)]).toEqual([dir, expected]);
    }
    if (asRoot) {
      // the data directory itself is the server's alone
      expect(modeOf(join(dataDir, 'postgres'))).toBe(0o700);
      expect(statSync(join(dataDir, 'postgres')).uid).not.toBe(0);
    }
  });

  it('folds accented letters in case-insensitive comparisons and still sorts by code point', async () => {
    const started = pg as EmbeddedPostgres;
    await started.ensureDatabase('hub_locale_check');
    const db = new Client({ connectionString: started.url.replace(/\/postgres$/, '/hub_locale_check') });
    await db.connect();
    try {
      const { rows } = await db.query<{ lowered: string; found: boolean; order: string[] }>(
        `SELECT lower('JOSÉ ÇAĞRI') AS lowered, 'José' ILIKE '%JOSÉ%' AS found,
                (SELECT array_agg(w ORDER BY w) FROM unnest(ARRAY['b', 'Z', 'a', 'É']) AS w) AS order`,
      );
      // a search for "JOSÉ" finds "José" (it did not: initdb --no-locale folded ASCII only)
      expect(rows[0]).toEqual({ lowered: 'josé çağri', found: true, order: ['Z', 'a', 'b', 'É'] });
    } finally {
      await db.end();
    }
  });

  it('gives a cluster still on the old well-known password a random one at its next start', async () => {
    const port = await freePort();
    const started = pg as EmbeddedPostgres;
    const admin = new Client({ connectionString: started.url });
    await admin.connect();
    await admin.query("ALTER ROLE postgres PASSWORD 'postgres'");
    await admin.end();
    await started.stop();
    unlinkSync(join(dataDir, 'postgres-password'));

    pg = new EmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    await pg.start();
    const password = readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim();
    expect(password).not.toBe('postgres');
    expect(await canConnect(pg.url)).toBe(true);
    expect(await canConnect(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`)).toBe(false);
  });
});
