import { Global, Module } from '@nestjs/common';
import { Db } from './db';
import { DbPool } from './db-pool';
import { PrismaService } from './prisma.service';
import { TransactionRunner } from './transaction-runner';

/** Db for repositories, TransactionRunner for services; PrismaService only for the database's health indicator. */
@Global()
@Module({
  providers: [DbPool, PrismaService, Db, TransactionRunner],
  exports: [Db, TransactionRunner, PrismaService],
})
export class DatabaseModule {}
