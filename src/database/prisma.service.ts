import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { DbPool } from './db-pool';

/** The one Prisma client of a process, on the `pg` driver adapter over the shared pool. Only `Db` hands it out. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  constructor(pool: DbPool) {
    super({ adapter: new PrismaPg(pool.pool) });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

/** The client repositories query through: the shared one, or an interactive transaction's. */
export type PrismaExecutor = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];
