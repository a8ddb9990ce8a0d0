import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient } from 'pg';
import { DbPool } from './db-pool';
import { PrismaExecutor, PrismaService } from './prisma.service';

/** The transaction a call runs in: Prisma's interactive one, or plain SQL on one pooled connection. */
export type Transaction =
  | { kind: 'prisma'; prisma: PrismaExecutor; afterCommit: Array<() => void> }
  | { kind: 'sql'; client: PoolClient; afterCommit: Array<() => void> };

/** Set by TransactionRunner, read by Db. */
export const currentTransaction = new AsyncLocalStorage<Transaction>();

/**
 * Prisma's own limits for an interactive transaction are 2 s to get a connection and 5 s in all. A
 * worker runs up to a hundred events at once on a main pool of a few connections (DB_POOL_SIZE less
 * the ingest lane and LISTEN), so under load a healthy transaction queued longer than 2 s: it failed
 * with "Unable to start a transaction in the given time" and its event waited minutes for its retry
 * (a WhatsApp delivery of 101 statuses on a busy CI machine; an API send answered 500). The pool's
 * queue is first come first served, so the wait is bounded by the work ahead of it; these limits only
 * catch a transaction that never gets a connection or never ends, well inside a job's lease (120 s).
 */
const TRANSACTION_LIMITS = { maxWait: 30_000, timeout: 60_000 };

/**
 * The one way to make several repository calls atomic. Services write
 * `await this.transactions.run(async () => { await this.a.write(); await this.b.write(); })`;
 * every repository call inside joins the transaction through Db, so no `tx` is threaded through
 * signatures. A run inside a run joins the outer one.
 */
@Injectable()
export class TransactionRunner {
  constructor(
    private readonly prisma: PrismaService,
    private readonly dbPool: DbPool,
  ) {}

  /** A transaction in which repositories may use Prisma and SQL statements alike. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const outer = currentTransaction.getStore();
    if (outer?.kind === 'sql')
      throw new Error('TransactionRunner.run inside runSql: Prisma cannot join that transaction');
    if (outer) return work();
    const afterCommit: Array<() => void> = [];
    const result = await this.prisma.$transaction(
      (prisma) => currentTransaction.run({ kind: 'prisma', prisma, afterCommit }, work),
      TRANSACTION_LIMITS,
    );
    for (const hook of afterCommit) hook();
    return result;
  }

  /**
   * The hot path's transaction: BEGIN … COMMIT on one pooled connection, the statements prepared
   * once per connection. Only repositories' SQL statements (Db.sql, Db.execute) may run inside;
   * Db.prisma throws there. It costs a fraction of an interactive Prisma transaction (measured:
   * about 2.5× the throughput for the webhook worker's lead write plus event mark).
   */
  async runSql<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransaction.getStore()) return work();
    const client = await this.dbPool.pool.connect();
    // the pool listens for errors only on idle connections: one lost between this transaction's
    // statements surfaces as the next statement's failure (and the ROLLBACK's), not as an unhandled event
    const lost = (): void => undefined;
    client.on('error', lost);
    const afterCommit: Array<() => void> = [];
    let result: T;
    try {
      await client.query('BEGIN');
      result = await currentTransaction.run({ kind: 'sql', client, afterCommit }, work);
      await client.query('COMMIT');
    } catch (err) {
      // a connection that cannot even roll back is dropped from the pool rather than reused
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollbackErr: unknown) => rollbackErr,
      );
      client.removeListener('error', lost);
      client.release(broken instanceof Error ? broken : undefined);
      throw err;
    }
    client.removeListener('error', lost);
    client.release();
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
