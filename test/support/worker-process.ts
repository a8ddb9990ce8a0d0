import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TEST_JWT_SECRET, TEST_KEY_1 } from './test-app';

const ROOT = resolve(__dirname, '..', '..');

/** A worker process (APP_ROLE=worker, the real entry point) on a test database, with short leases. */
export function startWorker(databaseUrl: string, env: Record<string, string> = {}): ChildProcess {
  const { LOG_FILE: _log, ...inherited } = process.env;
  return spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      APP_ROLE: 'worker',
      DATABASE_URL: databaseUrl,
      MIGRATE_ON_START: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEYS: TEST_KEY_1,
      JOB_LEASE_SECONDS: '3',
      JOBS_MAINTENANCE_SECONDS: '1',
      JOBS_POLL_SECONDS: '1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
