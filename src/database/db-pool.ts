import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * The process's one pool of database connections (DB_POOL_SIZE): Prisma runs on it through its
 * `pg` driver adapter, and the few hot-path statements run on it as named prepared statements.
 * pg-boss keeps its own small pool (JOBS_POOL_SIZE); a process never opens more than the two sum to.
 */
@Injectable()
export class DbPool implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (the embedded database was not started)');
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: config.dbPoolSize,
      application_name: `integration-hub-${config.role}`,
    });
  }

  // after every module is destroyed: job workers stopping gracefully may still finish their work
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
