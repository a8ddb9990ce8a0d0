import { Client } from 'pg';
import { withDatabase } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_SERVER_URL;
  const template = process.env.TEST_TEMPLATE_DB;
  if (serverUrl && template && !globalThis.__EMBEDDED_PG__) {
    const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.__EMBEDDED_PG__?.stop();
}
