import { Global, Module } from '@nestjs/common';
import { PgTokenBucket } from '../common/rate-limit/pg-token-bucket';
import { Db } from './db';
import { DbPool } from './db-pool';
import { PgNotifications } from './pg-notifications';
import { PrismaService } from './prisma.service';
import { TransactionRunner } from './transaction-runner';

/**
 * Db for repositories, TransactionRunner for services; PrismaService only for the database's health
 * indicator; PgNotifications for caches that other processes' changes invalidate.
 */
@Global()
@Module({
  providers: [
    DbPool,
    PrismaService,
    Db,
    TransactionRunner,
    PgNotifications,
    // the deployment-wide rate limits (WhatsApp numbers …), on the process's one pool
    { provide: PgTokenBucket, useFactory: (pool: DbPool) => new PgTokenBucket(pool.pool), inject: [DbPool] },
  ],
  exports: [Db, TransactionRunner, PrismaService, PgTokenBucket, PgNotifications],
})
export class DatabaseModule {}
