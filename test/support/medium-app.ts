import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../../src/app.module';
import { ConfigModule } from '../../src/config/config.module';
import { createTestDatabase, TestDatabase } from './database';
import { testConfig } from './test-app';

/**
 * The medium tier's harness (for `*.medium.spec.ts`): the application's providers (no HTTP server,
 * no job workers: APP_ROLE=api) on a fresh migrated database, and a direct connection to look at
 * what is stored.
 */
export interface MediumApp {
  app: INestApplicationContext;
  db: TestDatabase;
  sql: Client;
  close(): Promise<void>;
}

export async function createMediumApp(env: Record<string, string> = {}): Promise<MediumApp> {
  const db = await createTestDatabase();
  const config = testConfig(db.url, { APP_ROLE: 'api', LOG_LEVEL: 'silent', DB_POOL_SIZE: '8', ...env });
  const app = await NestFactory.createApplicationContext(
    { module: AppModule, imports: [ConfigModule.forRoot(config)] },
    { logger: false },
  );
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    app,
    db,
    sql,
    close: async () => {
      await sql.end();
      await app.close();
      await db.drop();
    },
  };
}

/** A sub-account and one integration of the given handler, written directly (no secrets are read back). */
export async function seedIntegration(
  sql: Client,
  handler = 'generic-webhook',
): Promise<{ subAccountId: number; integrationId: number }> {
  const sub = await sql.query<{ id: number }>(
    "INSERT INTO sub_accounts (name, tier, updated_at) VALUES ('Medium', 'MAX', now()) RETURNING id",
  );
  const template = await sql.query<{ id: number }>(
    `INSERT INTO integration_templates (name, display_name, category, handler, config_schema, updated_at)
     VALUES ($1, $1, 'Test', $2, '{"type":"object"}', now())
     ON CONFLICT (name) DO UPDATE SET updated_at = now() RETURNING id`,
    [`medium-${handler}`, handler],
  );
  const integration = await sql.query<{ id: number }>(
    `INSERT INTO integrations (sub_account_id, template_id, handler, name, config, key_id, webhook_id, webhook_secret,
       created_by, is_active, status, updated_at)
     VALUES ($1, $2, $3, 'medium', '{}', 'k1', 'wh_' || md5(random()::text), 'sealed', 'medium', true, 'active', now())
     RETURNING id`,
    [sub.rows[0].id, template.rows[0].id, handler],
  );
  return { subAccountId: sub.rows[0].id, integrationId: integration.rows[0].id };
}
