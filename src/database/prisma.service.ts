import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PrismaClient } from '../generated/prisma/client';

/** The one Prisma client of a process, on the `pg` driver adapter. Only repositories use it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (the embedded database was not started)');
    super({ adapter: new PrismaPg({ connectionString: config.databaseUrl, max: config.dbPoolSize }) });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

/** An interactive transaction's client, as repositories receive it. */
export type PrismaTx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];
