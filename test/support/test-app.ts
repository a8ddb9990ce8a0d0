import { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { buildApp } from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { Role } from '../../src/common/auth/auth-user';
import { signToken } from '../../src/common/auth/dev-token';
import { AppConfig, parseAppConfig } from '../../src/config/app-config';
import { JobsService } from '../../src/jobs/jobs.service';
import type { JobPayloads } from '../../src/jobs/job-types';
import { SeedService } from '../../src/seed/seed.service';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** Two fixed AES keys: `k1` encrypts; `k0` can be added to prove rotation. */
export const TEST_KEY_1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
export const TEST_KEY_0 = `k0:${Buffer.alloc(32, 7).toString('base64')}`;

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  db: TestDatabase;
  /** A direct connection to the file's database, for assertions on what is stored. */
  sql: Client;
  logFile: string;
  token(role: Role, subAccountIds?: number[], sub?: string): string;
  logs(): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Variables over the test defaults (only these: the developer's own environment is not read). */
  env?: Record<string, string>;
  module?: Type<unknown>;
  /** Reuse this database instead of cloning a fresh one (restart scenarios). */
  db?: TestDatabase;
  /**
   * The wall-clock crons this app keeps (none by default). A tick at a minute, five-minute or hourly
   * boundary lands inside whichever test runs then: a scheduled sync made a manual one answer 409, and
   * the others mail reports, decay scores, compact or prune rows and call the fakes by chance. Specs
   * call the processors themselves; the rest are unscheduled (also a row a reused database kept).
   */
  crons?: ReadonlyArray<keyof JobPayloads>;
}

/** The configuration of a test process on a test database, parsed as main.ts parses its own. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return parseAppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    APP_ROLE: 'all',
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: '5',
    PUBLIC_BASE_URL: 'https://hub.example.test',
    ENCRYPTION_KEYS: TEST_KEY_1,
    // a sweep firing at a five-minute boundary would refresh the tokens a test just expired on purpose;
    // the sweep's own tests call it directly
    OAUTH_REFRESH_SWEEP_MINUTES: '0',
    ...env,
  });
}

/** The app's job service; none in a spec's own module without jobs. */
function jobsOf(app: NestFastifyApplication): JobsService<JobPayloads> | undefined {
  try {
    return app.get<JobsService<JobPayloads>>(JobsService, { strict: false });
  } catch {
    return undefined;
  }
}

/** createApp (src/app.factory.ts) with the crons the spec did not ask for unscheduled before they can tick. */
async function bootApp(config: AppConfig, options: TestAppOptions): Promise<NestFastifyApplication> {
  const app = await buildApp(config, options.module ?? AppModule);
  try {
    // before init: the processors schedule in onApplicationBootstrap, and a cron stored even for a
    // moment can be fired by pg-boss's first check (every-minute ones always are)
    const jobs = jobsOf(app);
    if (jobs) {
      const keep = new Set<string>(options.crons ?? []);
      const schedule = jobs.schedule.bind(jobs);
      jobs.schedule = (name, cron) => (keep.has(name) ? schedule(name, cron) : jobs.unschedule(name));
    }
    await app.init();
  } catch (err) {
    // as createApp: a refused boot must not leave connections open
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

/** Boots the real application (same factory as main.ts) on a fresh database. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const logFile = join(mkdtempSync(join(tmpdir(), 'hub-test-log-')), 'app.log');
  const removeLogs = (): void => rmSync(dirname(logFile), { recursive: true, force: true });
  let app: NestFastifyApplication;
  try {
    app = await bootApp(testConfig(db.url, { LOG_FILE: logFile, ...options.env }), options);
  } catch (err) {
    // a refused boot (the tests of invalid configuration) leaves nothing behind either
    removeLogs();
    if (!options.db) await db.drop().catch(() => undefined);
    throw err;
  }
  await app.getHttpAdapter().getInstance().ready();
  // as main.ts does after migrating: the standard templates
  if (!options.module) await app.get(SeedService).run('test');
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    app,
    http: request(app.getHttpServer()),
    db,
    sql,
    logFile,
    token: (role, subAccountIds = [], sub) => signToken({ role, subAccountIds, sub }, { secret: TEST_JWT_SECRET }),
    logs: () => readFileSync(logFile, 'utf8'),
    close: async () => {
      await sql.end();
      await app.close();
      if (!options.db) await db.drop();
      removeLogs();
    },
  };
}
