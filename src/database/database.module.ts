import { Global, Module } from '@nestjs/common';
import { PgTokenBucket } from '../common/rate-limit/pg-token-bucket';
import { Db } from './db';
import { DbPool } from './db-pool';
import { PrismaService } from './prisma.service';
import { TransactionRunner } from './transaction-runner';

/** Db for repositories, TransactionRunner for services; PrismaService only for the database's health indicator. */
@Global()
@Module({
  providers: [
    DbPool,
    PrismaService,
    Db,
    TransactionRunner,
    // the deployment-wide rate limits (WhatsApp numbers …), on the process's one pool
    { provide: PgTokenBucket, useFactory: (pool: DbPool) => new PgTokenBucket(pool.pool), inject: [DbPool] },
  ],
  exports: [Db, TransactionRunner, PrismaService, PgTokenBucket],
})
export class DatabaseModule {}
