import { Client } from 'pg';
import { createMediumApp, MediumApp } from '../../test/support/medium-app';
import { isDatabaseBusy } from './database-busy';
import { Db } from './db';
import { PrismaService } from './prisma.service';

/** The error a statement raising `sqlstate` gets, as the caller sees it (real PostgreSQL, no stand-ins). */
const raising = (sqlstate: string): string =>
  `DO $$ BEGIN RAISE EXCEPTION 'raised %', '${sqlstate}' USING ERRCODE = '${sqlstate}'; END $$`;

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the work to fail');
}

describe('isDatabaseBusy', () => {
  let m: MediumApp;

  beforeAll(async () => {
    m = await createMediumApp();
    await m.sql.query('CREATE TABLE busy_probe (id int PRIMARY KEY, n int CHECK (n > 0))');
  });
  afterAll(async () => {
    await m.close();
  });

  const busy = ['40001', '40P01', '55P03', '53300', '57P01', '57P03', '08006'];
  const notBusy = ['23505', '23514', '22P02', 'P0001', '53100', '42P01'];

  it.each(busy)('knows SQLSTATE %s as busy, through pg and through Prisma', async (sqlstate) => {
    const viaPg = await caught(() => m.app.get(Db).sqlAlone({ text: raising(sqlstate) }, []));
    expect(viaPg).toMatchObject({ code: sqlstate });
    expect(isDatabaseBusy(viaPg)).toBe(true);
    const viaPrisma = await caught(() => m.app.get(PrismaService).$executeRawUnsafe(raising(sqlstate)));
    expect(isDatabaseBusy(viaPrisma)).toBe(true);
  });

  it.each(notBusy)('does not take SQLSTATE %s (a fault of the work, or a full disk) for busy', async (sqlstate) => {
    const viaPg = await caught(() => m.app.get(Db).sqlAlone({ text: raising(sqlstate) }, []));
    expect(viaPg).toMatchObject({ code: sqlstate });
    expect(isDatabaseBusy(viaPg)).toBe(false);
    const viaPrisma = await caught(() => m.app.get(PrismaService).$executeRawUnsafe(raising(sqlstate)));
    expect(isDatabaseBusy(viaPrisma)).toBe(false);
  });

  it('knows a real deadlock and a real lock timeout, and a real constraint failure is not one', async () => {
    await m.sql.query('INSERT INTO busy_probe VALUES (1, 1), (2, 1)');
    const other = new Client({ connectionString: m.db.url });
    await other.connect();
    try {
      await m.sql.query('BEGIN');
      await other.query('BEGIN');
      await m.sql.query('UPDATE busy_probe SET n = 2 WHERE id = 1');
      await other.query('UPDATE busy_probe SET n = 2 WHERE id = 2');
      const results = await Promise.allSettled([
        m.sql.query('UPDATE busy_probe SET n = 3 WHERE id = 2'),
        other.query('UPDATE busy_probe SET n = 3 WHERE id = 1'),
      ]);
      const victim = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(victim?.reason).toMatchObject({ code: '40P01' });
      expect(isDatabaseBusy(victim?.reason)).toBe(true);
      await m.sql.query('ROLLBACK');
      await other.query('ROLLBACK');

      await other.query('BEGIN');
      await other.query('SELECT * FROM busy_probe WHERE id = 1 FOR UPDATE');
      await m.sql.query("SET lock_timeout = '50ms'");
      const timedOut = await caught(() => m.sql.query('UPDATE busy_probe SET n = 4 WHERE id = 1'));
      expect(timedOut).toMatchObject({ code: '55P03' });
      expect(isDatabaseBusy(timedOut)).toBe(true);
      await m.sql.query('RESET lock_timeout');
      await other.query('ROLLBACK');
    } finally {
      await other.end();
    }
    const check = await caught(() =>
      m.app.get(PrismaService).$executeRawUnsafe('INSERT INTO busy_probe VALUES (3, -1)'),
    );
    expect(isDatabaseBusy(check)).toBe(false);
  });

  it('knows a connection the server ended (pg_terminate_backend) and one that cannot be made', async () => {
    const victim = new Client({ connectionString: m.db.url });
    await victim.connect();
    victim.on('error', () => undefined);
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const pending = caught(() => victim.query('SELECT pg_sleep(5)'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await m.sql.query('SELECT pg_terminate_backend($1)', [pid]);
    const ended = await pending;
    expect(isDatabaseBusy(ended)).toBe(true);
    await victim.end().catch(() => undefined);

    const unreachable = new Client({
      connectionString: 'postgresql://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 2000,
    });
    const refused = await caught(() => unreachable.connect());
    expect(isDatabaseBusy(refused)).toBe(true);
  });

  it('never takes a provider call that failed, or an ordinary error, for the database', () => {
    const fetchFailed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(isDatabaseBusy(fetchFailed)).toBe(false);
    expect(isDatabaseBusy(new Error('Meta answered 500'))).toBe(false);
    expect(isDatabaseBusy(null)).toBe(false);
    expect(isDatabaseBusy('40P01')).toBe(false);
  });
});
