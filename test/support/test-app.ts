import { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { Role } from '../../src/common/auth/auth-user';
import { signToken } from '../../src/common/auth/dev-token';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

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
  env?: Record<string, string>;
  module?: Type<unknown>;
}

/** Boots the real application (same factory as main.ts) on a fresh database. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const logFile = join(mkdtempSync(join(tmpdir(), 'hub-test-log-')), 'app.log');
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    APP_ROLE: 'all',
    LOG_LEVEL: 'info',
    LOG_FILE: logFile,
    DB_POOL_SIZE: '5',
    PUBLIC_BASE_URL: 'https://hub.example.test',
    ...options.env,
  });
  const app = await createApp(options.module ?? AppModule);
  await app.getHttpAdapter().getInstance().ready();
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
      await db.drop();
    },
  };
}
