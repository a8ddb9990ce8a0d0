// The throwaway database a benchmark runs on, on DATABASE_URL's server.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { onCleanup } from './lifecycle';

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

/** An existing database on DATABASE_URL's server (one a `--keep-db` run left), kept at cleanup. */
export async function openDatabase(name: string): Promise<BenchDatabase> {
  if (!/^bench_[0-9a-f]+$/.test(name)) throw new Error(`not a bench database name: ${name}`);
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: url.toString(), application_name: 'bench-runner' });
    await client.connect();
    onCleanup(() => client.end().catch(() => undefined));
    return client;
  };
  const sql = await connect();
  onCleanup(async () => void process.stdout.write(`database kept: ${url.toString()}\n`));
  return { name, url: url.toString(), sql, connect };
}

/** PostgreSQL backend pids connected to a database, by application_name. */
export async function backendsOf(sql: Client, database: string): Promise<Array<{ pid: number; app: string }>> {
  const res = await sql.query<{ pid: number; app: string }>(
    `SELECT pid, COALESCE(application_name, '') AS app FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
  return res.rows;
}
