import { Db } from './db';
import { DbPool } from './db-pool';
import { TransactionRunner } from './transaction-runner';
import { createMediumApp, MediumApp } from '../../test/support/medium-app';

const INSERT_AUDIT = {
  name: 'spec_audit_insert',
  text: `INSERT INTO audit_logs (actor_sub, actor_role, action, entity, entity_id) VALUES ('spec', 'SUPER_ADMIN', $1, 'spec', '1')`,
};

describe('TransactionRunner and Db (one transaction across repositories, no tx threaded)', () => {
  let m: MediumApp;
  let db: Db;
  let transactions: TransactionRunner;
  const audits = async (action: string): Promise<number> =>
    (await m.sql.query('SELECT count(*)::int AS n FROM audit_logs WHERE action = $1', [action])).rows[0].n;
  const subAccounts = async (name: string): Promise<number> =>
    (await m.sql.query('SELECT count(*)::int AS n FROM sub_accounts WHERE name = $1', [name])).rows[0].n;

  beforeAll(async () => {
    m = await createMediumApp();
    db = m.app.get(Db);
    transactions = m.app.get(TransactionRunner);
  });
  afterAll(async () => {
    await m.close();
  });

  it('run: Prisma and SQL writes commit together, or roll back together', async () => {
    await transactions.run(async () => {
      await db.prisma.subAccount.create({ data: { name: 'run-commit' } });
      await db.execute(INSERT_AUDIT, ['run-commit']);
    });
    expect([await subAccounts('run-commit'), await audits('run-commit')]).toEqual([1, 1]);

    await expect(
      transactions.run(async () => {
        await db.prisma.subAccount.create({ data: { name: 'run-rollback' } });
        await db.execute(INSERT_AUDIT, ['run-rollback']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect([await subAccounts('run-rollback'), await audits('run-rollback')]).toEqual([0, 0]);
  });

  it('a run inside a run joins it: the outer rollback undoes the inner work', async () => {
    await expect(
      transactions.run(async () => {
        await transactions.run(() => db.execute(INSERT_AUDIT, ['nested']));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await audits('nested')).toBe(0);
  });

  it('runSql: statements share one connection, invisible to others until COMMIT', async () => {
    let seenInside = -1;
    await transactions.runSql(async () => {
      await db.execute(INSERT_AUDIT, ['sql-commit']);
      seenInside = await audits('sql-commit'); // another connection
      const own = await db.sql<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM audit_logs WHERE action = $1' }, [
        'sql-commit',
      ]);
      expect(own[0].n).toBe(1);
    });
    expect(seenInside).toBe(0);
    expect(await audits('sql-commit')).toBe(1);

    await expect(
      transactions.runSql(async () => {
        await db.execute(INSERT_AUDIT, ['sql-rollback']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await audits('sql-rollback')).toBe(0);
  });

  it('refuses Prisma inside runSql (it could not join), and lets SQL join a run', async () => {
    await expect(transactions.runSql(async () => db.prisma.subAccount.count())).rejects.toThrow(
      'Prisma cannot join a TransactionRunner.runSql transaction',
    );
    await expect(transactions.runSql(() => transactions.run(async () => 1))).rejects.toThrow(
      'TransactionRunner.run inside runSql',
    );
    await expect(
      transactions.run(async () => {
        await transactions.runSql(() => db.execute(INSERT_AUDIT, ['sql-in-run']));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await audits('sql-in-run')).toBe(0);
  });

  it('runs afterCommit hooks only once the transaction has committed, never after a rollback', async () => {
    const calls: string[] = [];
    await transactions.runSql(async () => {
      transactions.afterCommit(() => calls.push('sql'));
      expect(calls).toEqual([]);
    });
    await transactions.run(async () => {
      transactions.afterCommit(() => calls.push('prisma'));
    });
    await transactions
      .run(async () => {
        transactions.afterCommit(() => calls.push('rolled back'));
        throw new Error('abort');
      })
      .catch(() => undefined);
    transactions.afterCommit(() => calls.push('no transaction'));
    expect(calls).toEqual(['sql', 'prisma', 'no transaction']);
  });

  it('a transaction that waits for a connection behind busy work runs once one is free, not failed after 2 s', async () => {
    // every connection of the main pool busy (a worker's batch of 100 events on a pool of a few): Prisma's
    // default maxWait (2 s) failed the waiting transaction, and its event waited minutes for a retry
    const pool = m.app.get(DbPool).pool;
    const held = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
    const waiting = transactions.run(() => db.execute(INSERT_AUDIT, ['waited']));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    held.forEach((client) => client.release());
    await expect(waiting).resolves.toBeDefined();
    expect(await audits('waited')).toBe(1);
  }, 20_000);
});
