// The job queues' fetch-order indexes and statistics, apart from JobsService's queue lifecycle: what
// keeps pg-boss's fetch from reading a whole backlog.
import { Logger } from '@nestjs/common';
import { Db } from '../database/db';

/**
 * pg-boss 10 fetches with `WHERE name = $1 AND state < 'active' AND start_after < now() ORDER BY
 * priority DESC, created_on, id LIMIT n FOR UPDATE SKIP LOCKED` (plans.js, fetchNextJob), and its only
 * index for it is `(name, start_after) WHERE state < 'active'` (job_i5): every fetch reads every waiting
 * job of the queue and sorts them to take the first n, so a backlog of 10,000 events costs each fetch
 * 10,000 rows (bench/lead-e2e: 6 ms a fetch at the end of 20,000 deliveries, a third of PostgreSQL's
 * time). An index in the fetch's own order (`<partition>_hf`) lets it stop after n rows. Partial like
 * job_i5, so a job adds one entry when created and none when it moves on.
 *
 * Worker processes build the missing ones when they start, in the background and CONCURRENTLY: a
 * partition keeps its completed jobs until pg-boss archives them (12 h), so on a busy deployment the
 * first build reads millions of rows, and a plain CREATE INDEX would hold up every ingest meanwhile.
 * A session advisory lock leaves the build to one process at a time; a build cut short (a shutdown
 * cancels it) leaves an invalid index, which the next start drops and builds again.
 *
 * The planner takes the ordered index only when the partition's statistics show waiting jobs: analyzed
 * empty, or never analyzed, it estimates one or two waiting rows and keeps job_i5 and the sort, which
 * then reads the whole backlog. A queue partition churns far faster than autovacuum re-analyzes it (at
 * most once a minute, and never on a server with autovacuum off), so a worker that finds a backlog (a
 * full batch) analyzes its queue's partition itself, at most every QUEUE_ANALYZE_INTERVAL_MS.
 */
// the session advisory lock that leaves the build to one process at a time
const FETCH_INDEX_LOCK_KEY = `hashtext('integration-hub:pgboss-fetch-order-index')`;
const FETCH_INDEX_LOCK = `SELECT pg_try_advisory_lock(${FETCH_INDEX_LOCK_KEY}) AS locked, pg_backend_pid() AS pid`;
const FETCH_INDEX_UNLOCK = `SELECT pg_advisory_unlock(${FETCH_INDEX_LOCK_KEY})`;
/** Each queue partition with the state of its fetch-order index: null when it has none. */
const FETCH_INDEX_STATE = `
  SELECT q.partition_name AS partition, i.indisvalid AS valid
  FROM pgboss.queue q
  LEFT JOIN pg_class c ON c.relname = q.partition_name || '_hf' AND c.relnamespace = 'pgboss'::regnamespace
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  WHERE q.partition_name IS NOT NULL
  ORDER BY q.partition_name`;
const QUEUE_ANALYZE_INTERVAL_MS = 10_000;
/** pg-boss 10 names a queue's partition 'j' + sha224(name) in hex (plans.js, createQueueFunction). */
const PARTITION_NAME = /^j[0-9a-f]{56}$/;
const QUEUE_PARTITION = {
  name: 'jobs_queue_partition_v1',
  text: `SELECT partition_name FROM pgboss.queue WHERE name = $1`,
};
/** The fetch-order index of a queue's partition (its name checked against PARTITION_NAME first). */
export function fetchOrderIndexSql(partition: string, concurrently: 'CONCURRENTLY' | '' = ''): string {
  if (!PARTITION_NAME.test(partition)) throw new Error(`not a pg-boss queue partition: ${partition}`);
  return `CREATE INDEX ${concurrently} IF NOT EXISTS "${partition}_hf" ON pgboss."${partition}" (name, priority DESC, created_on, id) WHERE state < 'active'`;
}

interface IndexBuild {
  done: Promise<void>;
  /** the backend running it, while it runs */
  pid?: number;
  cancelled: boolean;
}

/** Builds, cancels and analyzes; JobsService decides when. */
export class JobQueueIndexes {
  /** When this process last analyzed each queue's partition (see FETCH_INDEX_LOCK_KEY). */
  private readonly analyzedAt = new Map<string, number>();
  /** The background build of the fetch-order indexes, and its backend (for a shutdown to cancel it). */
  private indexBuild?: IndexBuild;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Resolves once this process's build has ended (built, skipped or failed). */
  async settled(): Promise<void> {
    await this.indexBuild?.done;
  }

  /** See FETCH_INDEX_LOCK_KEY. Failing (not owning pg-boss's tables …) leaves fetches slower, not the service down. */
  build(): void {
    const build: IndexBuild = { done: Promise.resolve(), cancelled: false };
    build.done = this.db
      .session(async (client) => {
        const [{ locked, pid }] = (await client.query<{ locked: boolean; pid: number }>(FETCH_INDEX_LOCK)).rows;
        if (!locked) return; // another process is building them
        // from here until the unlock, nothing but the build runs on this connection: a shutdown may cancel it
        build.pid = pid;
        try {
          const partitions = (await client.query<{ partition: string; valid: boolean | null }>(FETCH_INDEX_STATE)).rows;
          for (const { partition, valid } of partitions) {
            if (build.cancelled) return;
            if (valid === true || !PARTITION_NAME.test(partition)) continue;
            const index = `pgboss."${partition}_hf"`;
            if (valid === false) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
            if (build.cancelled) return; // a cancel that came between two statements finds nothing to cancel
            await client.query(fetchOrderIndexSql(partition, 'CONCURRENTLY'));
          }
        } finally {
          build.pid = undefined;
          await client.query(FETCH_INDEX_UNLOCK);
        }
      })
      .catch((err: unknown) => {
        if (build.cancelled)
          this.logger.log('job queue index build cut short by the shutdown: the next start resumes it');
        else
          this.logger.warn(
            { err },
            'could not index the job queues in fetch order: their fetches read the whole backlog',
          );
      });
    this.indexBuild = build;
  }

  /** A worker found a backlog: bring the planner's view of the queue up to date (see FETCH_INDEX_LOCK_KEY). */
  analyze(name: string): Promise<void> | undefined {
    const last = this.analyzedAt.get(name);
    if (last !== undefined && Date.now() - last < QUEUE_ANALYZE_INTERVAL_MS) return undefined;
    this.analyzedAt.set(name, Date.now());
    return (async () => {
      const [queue] = await this.db.sql<{ partition_name: string | null }>(QUEUE_PARTITION, [name]);
      const partition = queue?.partition_name;
      if (!partition || !PARTITION_NAME.test(partition)) return;
      await this.db.sql({ text: `ANALYZE pgboss."${partition}"` }, []);
    })().catch((err: unknown) => {
      this.logger.warn({ err, job: name }, 'could not analyze the job queue: its fetches may read the whole backlog');
    });
  }

  /** A build still running would hold its connection past the pool's end: cancelled, it is done again at the next start. */
  async cancel(): Promise<void> {
    const build = this.indexBuild;
    if (build) build.cancelled = true;
    if (build?.pid !== undefined) {
      await this.db
        .sql({ text: 'SELECT pg_cancel_backend($1)' }, [build.pid])
        .catch((err: unknown) => this.logger.warn({ err }, 'could not cancel the job queue index build'));
    }
    await build?.done;
  }
}
