import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { fetchOrderIndexSql } from '../../src/jobs/job-queue-indexes';
import { JOB_DEFINITIONS } from '../../src/jobs/job-types';

/** One server per test run, shared by the medium and e2e projects (each declares this setup). */
interface SharedServer {
  users: number;
  embedded?: EmbeddedPostgres;
  /** The embedded server's temp dir (its cluster, ~65 MB), removed by the teardown once it stopped. */
  tempDir?: string;
}

declare global {
  var __HUB_TEST_SERVER__: SharedServer | undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Once per test run: a server (DATABASE_URL, or an embedded PostgreSQL in a temp dir), and a
 * migrated template database with the job-queue schema installed. Each test file then clones it.
 * The server's and template's names reach the test workers through their environment, which is
 * how Jest hands values from a global setup to the workers it starts afterwards.
 */
export default async function globalSetup(): Promise<void> {
  const shared = globalThis.__HUB_TEST_SERVER__;
  if (shared) {
    shared.users += 1;
    return;
  }
  let serverUrl = process.env.DATABASE_URL;
  let embeddedServer: EmbeddedPostgres | undefined;
  let tempDir: string | undefined;
  if (!serverUrl) {
    tempDir = mkdtempSync(join(tmpdir(), 'hub-test-pg-'));
    const embedded = new EmbeddedPostgres({
      dataDir: join(tempDir, 'data'),
      port: await freePort(),
    });
    // a run that dies before its teardown (Ctrl+C, a crash) must not leave the server behind
    process.once('exit', () => embedded.killNow());
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        embedded.killNow();
        process.exit(130);
      });
    }
    await embedded.start();
    embeddedServer = embedded;
    serverUrl = embedded.url;
  }
  try {
    await prepareTemplate(serverUrl);
  } catch (err) {
    await embeddedServer?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  globalThis.__HUB_TEST_SERVER__ = { users: 1, embedded: embeddedServer, tempDir };
}

async function prepareTemplate(serverUrl: string): Promise<void> {
  const template = `hub_test_tpl_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  await admin.end();
  const templateUrl = withDatabase(serverUrl, template);
  await runMigrations(templateUrl);
  const boss = new PgBoss({ connectionString: templateUrl, supervise: false, schedule: false });
  await boss.start();
  // the application's queues and their fetch-order indexes, as a worker's first start leaves them: every
  // test app would otherwise create them again (a partition each, ~0.5 s of DDL per app); an app
  // applies its own queue options over these at start
  for (const name of Object.keys(JOB_DEFINITIONS)) await boss.createQueue(name);
  await boss.stop({ graceful: false, wait: true });
  const client = new Client({ connectionString: templateUrl });
  await client.connect();
  try {
    const queues = await client.query<{ partition: string }>(
      'SELECT partition_name AS partition FROM pgboss.queue WHERE partition_name IS NOT NULL',
    );
    for (const { partition } of queues.rows) await client.query(fetchOrderIndexSql(partition));
  } finally {
    await client.end();
  }
  process.env.TEST_SERVER_URL = serverUrl;
  process.env.TEST_TEMPLATE_DB = template;
}
