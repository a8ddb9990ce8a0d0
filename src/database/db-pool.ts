import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
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
    // an idle connection the server ends (a restart, pg_terminate_backend, DROP DATABASE … FORCE) is
    // removed by the pool, which then emits 'error': without a listener Node would end the process.
    // Prisma's adapter listens only while it is connected, and shutdown disconnects it before this pool ends.
    this.pool.on('error', (err) => DbPool.logger.warn(`idle database connection lost: ${err.message}`));
  }

  private static readonly logger = new Logger(DbPool.name);

  // after every module is destroyed: job workers stopping gracefully may still finish their work
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
