import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaExecutor, PrismaService } from './prisma.service';

interface Transaction {
  prisma: PrismaExecutor;
  afterCommit: Array<() => void>;
}

/** The transaction a call runs in, if any: set by TransactionRunner.run, read by Db. */
export const currentTransaction = new AsyncLocalStorage<Transaction>();

/**
 * The one way to make several repository calls atomic. Services write
 * `await this.transactions.run(async () => { await this.a.write(); await this.b.write(); })`;
 * every repository call inside joins the transaction through Db, so no `tx` is threaded through
 * signatures. A run inside a run joins the outer one.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly prisma: PrismaService) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransaction.getStore()) return work();
    const afterCommit: Array<() => void> = [];
    const result = await this.prisma.$transaction((prisma) => currentTransaction.run({ prisma, afterCommit }, work));
    for (const hook of afterCommit) hook();
    return result;
  }

  /** Runs `hook` once the current transaction has committed (never if it rolls back); at once outside one. */
  afterCommit(hook: () => void): void {
    const transaction = currentTransaction.getStore();
    if (transaction) transaction.afterCommit.push(hook);
    else hook();
  }

  get active(): boolean {
    return currentTransaction.getStore() !== undefined;
  }
}
