import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { withDatabase } from './global-setup';

/** After the last project that set the server up: drop the template (a shared server) or stop the embedded one and remove its dir. */
export default async function globalTeardown(): Promise<void> {
  const shared = globalThis.__HUB_TEST_SERVER__;
  if (!shared) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  globalThis.__HUB_TEST_SERVER__ = undefined;
  const serverUrl = process.env.TEST_SERVER_URL;
  const template = process.env.TEST_TEMPLATE_DB;
  if (serverUrl && template && !shared.embedded) {
    const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.end();
  }
  await shared.embedded?.stop();
  // every run without DATABASE_URL left its whole cluster in the temp dir
  if (shared.tempDir) rmSync(shared.tempDir, { recursive: true, force: true });
}
