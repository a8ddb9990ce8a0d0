// PostgreSQL's own statistics of a bench database, read before and after a run: what the app's
// backends were doing (sampled pg_stat_activity), commits, rows and WAL (pg_stat_database), reads and
// writes by table (pg_stat_user_tables) and by lead_identities index (pg_stat_user_indexes).
import { BenchDatabase } from './database';
import { table } from './report';

/** pg_stat_activity of the app's backends, sampled: what they are doing and waiting on. */
export class ActivitySampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  /** its own connection: the benchmark's is busy polling progress */
  private sql?: Awaited<ReturnType<BenchDatabase['connect']>>;

  constructor(private readonly db: BenchDatabase) {}

  async start(intervalMs = 100): Promise<void> {
    this.sql = await this.db.connect();
    this.timer = setInterval(() => void this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  print(top = 20): void {
    process.stdout.write(
      `\npg_stat_activity, ${this.samples} samples (backend-samples per state/wait/query; an average of n/samples backends):\n`,
    );
    const rows = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, top);
    process.stdout.write(
      `${table(
        ['state | wait | query', 'avg backends'],
        rows.map(([k, n]) => [k, (n / Math.max(1, this.samples)).toFixed(2)]),
      )}\n`,
    );
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.sql) return;
    this.busy = true;
    try {
      const res = await this.sql.query<{ state: string; wait: string; query: string }>(
        `SELECT COALESCE(state, '') AS state, COALESCE(wait_event_type || ':' || wait_event, '-') AS wait,
                regexp_replace(left(query, 400), '\\s+', ' ', 'g') AS query
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND COALESCE(application_name, '') <> 'bench-runner' AND state <> 'idle'`,
        [this.db.name],
      );
      this.samples++;
      for (const r of res.rows) {
        const key = `${r.state} | ${r.wait} | ${r.query.slice(0, 110)}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
    } catch {
      // a sample lost is fine
    } finally {
      this.busy = false;
    }
  }
}

export interface DbCounters {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  fetched: number;
  walBytes: number;
}

/** Server-wide WAL position and this database's transaction/row counters (pg_stat_database). */
export async function dbCounters(db: BenchDatabase): Promise<DbCounters> {
  const res = await db.sql.query<{ c: string; r: string; i: string; u: string; f: string; wal: string }>(
    `SELECT xact_commit AS c, xact_rollback AS r, tup_inserted AS i, tup_updated AS u, tup_fetched AS f,
            pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal
       FROM pg_stat_database WHERE datname = $1`,
    [db.name],
  );
  const r = res.rows[0];
  return {
    commits: Number(r.c),
    rollbacks: Number(r.r),
    inserted: Number(r.i),
    updated: Number(r.u),
    fetched: Number(r.f),
    walBytes: Number(r.wal),
  };
}

export type TableStats = Map<string, number[]>;
const TABLE_COLUMNS = [
  'seq_scan',
  'seq_tup_read',
  'idx_scan',
  'idx_tup_fetch',
  'n_tup_ins',
  'n_tup_upd',
  'n_tup_hot_upd',
  'n_tup_del',
] as const;

/** pg_stat_user_tables of the database: where rows are read and written. */
export async function tableStats(db: BenchDatabase): Promise<TableStats> {
  const res = await db.sql.query<Record<string, string>>(
    `SELECT schemaname || '.' || relname AS t, ${TABLE_COLUMNS.map((c) => `COALESCE(${c}, 0) AS ${c}`).join(', ')} FROM pg_stat_user_tables`,
  );
  return new Map(
    res.rows.map((r) => [
      r.t.replace(/^pgboss\.j[0-9a-f]{56}$/, 'pgboss.job (partition)'),
      TABLE_COLUMNS.map((c) => Number(r[c])),
    ]),
  );
}

/** The change of each table's counters divided by `per` (the deliveries), where any is at least 0.05. */
export function printTableStats(before: TableStats, after: TableStats, per: number): void {
  const rows = [...after]
    .map(([t, v]) => ({ t, v: v.map((x, i) => (x - (before.get(t)?.[i] ?? 0)) / per) }))
    .filter(({ v }) => v.some((x) => x >= 0.05))
    .sort((a, b) => b.v[1] + b.v[3] - (a.v[1] + a.v[3]));
  process.stdout.write(
    `\nper delivery, by table (pg_stat_user_tables; webhook_events seq scans include the runner's progress polling):\n${table(
      ['table', ...TABLE_COLUMNS],
      rows.map(({ t, v }) => [t, ...v.map((x) => x.toFixed(2))]),
    )}\n`,
  );
}

/** Index tuples read from lead_identities' indexes (pg_stat_user_indexes), by index. */
export async function identityIndexReads(db: BenchDatabase): Promise<Map<string, number>> {
  const res = await db.sql.query<{ name: string; n: string }>(
    "SELECT indexrelname AS name, idx_tup_read AS n FROM pg_stat_user_indexes WHERE relname = 'lead_identities'",
  );
  return new Map(res.rows.map((r) => [r.name, Number(r.n)]));
}
