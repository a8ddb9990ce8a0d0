import { Injectable } from '@nestjs/common';
import type { PoolClient, QueryResultRow } from 'pg';
import { DbPool } from './db-pool';
import { PrismaExecutor, PrismaService } from './prisma.service';
import { currentTransaction } from './transaction-runner';

/** A SQL statement with $1…$n parameters; a named one is prepared once per connection. */
export interface SqlStatement {
  name?: string;
  text: string;
}

/**
 * A statement with its parameters, built by one repository and run by another inside its own
 * statement (a CTE), so two features' writes commit together in one round trip without either
 * knowing the other's tables. Only the hot path needs this; everything else uses TransactionRunner.
 */
export interface BoundStatement extends SqlStatement {
  values: unknown[];
  /**
   * The advisory locks the statement takes, `pg_advisory_xact_lock(namespace, hashtext(key))` in key
   * order (apply_lead's identity locks). A caller running several such statements in one transaction
   * takes them all first, in (namespace, key) order, so two such transactions never hold each
   * other's locks crosswise (a deadlock, which PostgreSQL breaks only after deadlock_timeout).
   */
  locks?: { namespace: number; keys: readonly string[] };
  /**
   * The same write as one row of a set-based statement, so a caller with many writes of one kind
   * (the workers' group commit) sends them in one statement: `call` is a function call over the
   * columns t.c1 … t.cN of a table the caller unnests from one array per column (`types`), and `row`
   * is this statement's values for them. `kind` names the call; only writes of one kind are combined.
   */
  rowForm?: { kind: string; types: readonly string[]; call: string; row: readonly unknown[] };
}

/**
 * What repositories query through (and only repositories): Prisma, or plain SQL statements for the
 * hot path, both inside the caller's transaction when TransactionRunner opened one. Statements pass
 * 64-bit ids and decimals as text and return them as text (`id::text`), so they read the same
 * whichever transaction they run in.
 */
@Injectable()
export class Db {
  constructor(
    private readonly client: PrismaService,
    private readonly dbPool: DbPool,
  ) {}

  /** The current transaction's client, or the shared one. */
  get prisma(): PrismaExecutor {
    const transaction = currentTransaction.getStore();
    if (transaction?.kind === 'sql') {
      throw new Error('Prisma cannot join a TransactionRunner.runSql transaction: use a SQL statement (Db.sql)');
    }
    return transaction?.prisma ?? this.client;
  }

  /**
   * Rows of a statement: on the current transaction's connection, or outside one as a named prepared
   * statement on the pool (no re-planning, none of Prisma's query interpretation; the benchmarks
   * showed that to be most of the per-delivery CPU).
   */
  async sql<T extends QueryResultRow>(statement: SqlStatement, values: readonly unknown[]): Promise<T[]> {
    const transaction = currentTransaction.getStore();
    if (transaction?.kind === 'prisma') return transaction.prisma.$queryRawUnsafe<T[]>(statement.text, ...values);
    const on = transaction?.client ?? this.dbPool.pool;
    return (await on.query<T>({ name: statement.name, text: statement.text, values: [...values] })).rows;
  }

  /** A statement whose rows do not matter (or that has none): the number of rows it touched. */
  async execute(statement: SqlStatement, values: readonly unknown[]): Promise<number> {
    const transaction = currentTransaction.getStore();
    if (transaction?.kind === 'prisma') return transaction.prisma.$executeRawUnsafe(statement.text, ...values);
    const on = transaction?.client ?? this.dbPool.pool;
    return (await on.query({ name: statement.name, text: statement.text, values: [...values] })).rowCount ?? 0;
  }

  /**
   * Always its own statement on the pool, never part of the caller's transaction: for writers that
   * combine several callers' rows in one statement (rate-limit ledgers …).
   */
  async sqlAlone<T extends QueryResultRow>(statement: SqlStatement, values: readonly unknown[]): Promise<T[]> {
    return (await this.dbPool.pool.query<T>({ name: statement.name, text: statement.text, values: [...values] })).rows;
  }

  /**
   * One connection of the pool for a session's worth of statements (a session advisory lock, a
   * statement that cannot run in a transaction block such as CREATE INDEX CONCURRENTLY), returned
   * to the pool afterwards — or closed, when the session may be left in a state the next user must
   * not inherit (fn threw).
   */
  async session<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.dbPool.pool.connect();
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Like sqlAlone, on the ingest lane (DbPool): the webhook ingest batcher's statement only. */
  async sqlIngest<T extends QueryResultRow>(statement: SqlStatement, values: readonly unknown[]): Promise<T[]> {
    return (await this.dbPool.ingest.query<T>({ name: statement.name, text: statement.text, values: [...values] }))
      .rows;
  }
}

/** A unique constraint refused the write (Prisma's P2002, or SQLSTATE 23505 from a raw statement). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, meta } = err as { code?: unknown; meta?: unknown };
  if (code === 'P2002' || code === '23505') return true;
  return code === 'P2010' && /23505|UniqueConstraintViolation/.test(JSON.stringify(meta ?? {}));
}

/**
 * The row a Prisma update or delete by id addressed is gone: deleted since the caller read it. Prisma
 * says P2025 with "No record was found for an update" (`meta.operation`, Prisma 7) or "Record to update
 * not found" (`meta.cause`, earlier). Not the other P2025s (a findUniqueOrThrow, a nested connect): those
 * say a query expected a row it never had, which is a bug rather than a race.
 */
export function isRecordGone(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, meta, message } = err as { code?: unknown; meta?: unknown; message?: unknown };
  if (code !== 'P2025') return false;
  const said = `${typeof message === 'string' ? message : ''} ${JSON.stringify(meta ?? {})}`;
  return /found for (an update|a delete|an upsert)|record to (update|delete)/i.test(said);
}

/** A foreign key refused the write (Prisma's P2003, or SQLSTATE 23503): the row it points at is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, meta } = err as { code?: unknown; meta?: unknown };
  if (code === 'P2003' || code === '23503') return true;
  return code === 'P2010' && /23503|ForeignKeyConstraintViolation/.test(JSON.stringify(meta ?? {}));
}
