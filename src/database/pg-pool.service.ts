import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool, QueryResultRow } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * A plain `pg` pool for the few hot-path statements (webhook ingest, event claims, lead writes):
 * named prepared statements skip re-planning and Prisma's query interpretation, which the
 * benchmarks showed to be most of the per-delivery CPU. Used only by repositories.
 */
@Injectable()
export class PgPool implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (the embedded database was not started)');
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: config.dbPoolSize,
      application_name: `integration-hub-${config.role}-hot`,
    });
  }

  /** A prepared statement by name (planned once per connection). */
  async prepared<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>({ name, text, values })).rows;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
