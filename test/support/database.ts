import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const serverUrl = process.env.TEST_SERVER_URL;
  if (!serverUrl) throw new Error('TEST_SERVER_URL is not set: run the tests through jest (global setup)');
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one test file, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.TEST_TEMPLATE_DB;
  if (!template) throw new Error('TEST_TEMPLATE_DB is not set: run the tests through jest (global setup)');
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: withDatabase(process.env.TEST_SERVER_URL ?? '', name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A pool for a test that plays a separate process. Like the app's DbPool it listens for 'error':
 * the server may end an idle connection (a DROP DATABASE … FORCE at teardown, a terminated backend),
 * the pool then drops it and emits 'error', and with no listener Jest fails whichever test runs then.
 */
export function testPool(url: string, max: number): Pool {
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', (err) => console.warn(`test pool: idle connection lost: ${err.message}`));
  return pool;
}
