import type { JobPayloads } from './job-types';

export interface InsertJobsSql<K extends keyof JobPayloads> {
  /** The CTE (or table) whose rows each get a job. */
  from: string;
  /** For each payload field, the SQL expression over `from`'s columns that gives its stored (JSON) value. */
  payload: { [F in keyof JobPayloads[K]]: string };
}

const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * SQL that enqueues one `queue` job for every row of a CTE, so rows and their jobs are written by
 * one statement (one round trip, one transaction); it returns the job ids. It mirrors pg-boss 10's
 * own insert (`insertJob` in pg-boss/src/plans.js): queue defaults for the lease, retention, retries
 * and policy. Without its ON CONFLICT DO NOTHING (kept for singleton policies, which the application's
 * queues do not use; a fresh uuid cannot conflict): speculative insertion cost every ingest row.
 * insert-jobs-sql.medium.spec.ts (next to this file) pins it: a job written this way must equal one
 * that the installed pg-boss writes with `send`, and be fetched and completed by pg-boss.
 */
export function insertJobsSql<K extends keyof JobPayloads>(queue: K, sql: InsertJobsSql<K>): string {
  const fields = Object.entries<string>(sql.payload).map(([field, expr]) => `${literal(field)}, ${expr}`);
  return `INSERT INTO pgboss.job (id, name, data, priority, start_after, dead_letter, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy)
      SELECT gen_random_uuid(), q.name, jsonb_build_object(${fields.join(', ')}), 0, now(), q.dead_letter,
             COALESCE(q.expire_seconds * interval '1s', interval '15 minutes'),
             now() + COALESCE((q.retention_minutes * 60)::text, '14 days')::interval,
             COALESCE(q.retry_limit, 2),
             CASE WHEN COALESCE(q.retry_backoff, false) THEN GREATEST(COALESCE(q.retry_delay, 0), 1) ELSE COALESCE(q.retry_delay, 0) END,
             COALESCE(q.retry_backoff, false), q.policy
      FROM ${sql.from} JOIN pgboss.queue q ON q.name = ${literal(queue)}
      RETURNING id`;
}
