import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Socket } from 'node:net';
import { Client, Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** Connections of the ingest lane: the webhook ingest runs at most this many statements at once. */
export const INGEST_LANE_SIZE = 2;

/** The smallest DB_POOL_SIZE that keeps a connection for LISTEN (the pool then keeps at least 2). */
export const LISTEN_MIN_POOL_SIZE = 3;

/**
 * The process's database connections (DB_POOL_SIZE in all): Prisma runs on the main pool through
 * its `pg` driver adapter, and the few hot-path statements run on it as named prepared statements.
 * A process that serves the API (and has DB_POOL_SIZE ≥ 4) keeps INGEST_LANE_SIZE of them apart for
 * the webhook ingest statement: a pool answers waiting queries first come first served, so behind a
 * worker's dozens of event transactions a delivery's acknowledgement would wait its turn
 * (bench/lead-e2e: ack p99 47–57 ms with one pool, 33–35 ms with the lane). With DB_POOL_SIZE ≥ 3
 * one connection is the process's LISTEN session (PgNotifications), carved out first: a change told
 * across processes matters more than the lane, which is then kept only when the main pool keeps as
 * many connections as it has. pg-boss keeps its own small pool (JOBS_POOL_SIZE); a process never
 * opens more than DB_POOL_SIZE + JOBS_POOL_SIZE.
 */
@Injectable()
export class DbPool implements OnApplicationShutdown {
  readonly pool: Pool;
  /** The ingest lane: its own pool, or the main pool when the process has none. */
  readonly ingest: Pool;

  /** Whether the process has a connection for LISTEN (listenConnection). */
  readonly listens: boolean;
  private readonly databaseUrl: string;
  private readonly role: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (the embedded database was not started)');
    this.databaseUrl = config.databaseUrl;
    this.role = config.role;
    this.listens = config.dbPoolSize >= LISTEN_MIN_POOL_SIZE;
    const rest = config.dbPoolSize - (this.listens ? 1 : 0);
    const lane = config.role !== 'worker' && rest >= 2 * INGEST_LANE_SIZE ? INGEST_LANE_SIZE : 0;
    this.pool = DbPool.open(config, rest - lane, config.role);
    this.ingest = lane > 0 ? DbPool.open(config, lane, `${config.role}-ingest`) : this.pool;
  }

  /**
   * A new, unconnected client for the process's one LISTEN session (`integration-hub-<role>-listen`
   * in pg_stat_activity), or null when DB_POOL_SIZE leaves none. Its owner keeps at most one open.
   */
  listenConnection(): Client | null {
    if (!this.listens) return null;
    return new Client({
      connectionString: this.databaseUrl,
      application_name: `integration-hub-${this.role}-listen`,
      // an idle session sends nothing: keepalives find a peer that vanished without closing the socket
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // a session that only waits never keeps a process alive on its own (its server, pools and job
      // polling do), as its retry timer does not: a process with nothing else left exits
      stream: () => new Socket().unref(),
    });
  }

  private static readonly logger = new Logger(DbPool.name);

  private static open(config: AppConfig, max: number, name: string): Pool {
    const pool = new Pool({ connectionString: config.databaseUrl, max, application_name: `integration-hub-${name}` });
    // an idle connection the server ends (a restart, pg_terminate_backend, DROP DATABASE … FORCE) is
    // removed by the pool, which then emits 'error': without a listener Node would end the process.
    // Prisma's adapter listens only while it is connected, and shutdown disconnects it before this pool ends.
    pool.on('error', (err) => DbPool.logger.warn(`idle database connection lost: ${err.message}`));
    return pool;
  }

  // after every module is destroyed: job workers stopping gracefully may still finish their work
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.pool.end(), this.ingest === this.pool ? undefined : this.ingest.end()]);
  }
}
