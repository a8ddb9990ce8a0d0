// The workers' group commit, apart from WebhookEventsRepository's queries: the single-lead statements
// of events finishing together (each a feature's write plus the event's PROCESSED mark) share one
// transaction.
import { BoundStatement, Db, SqlStatement } from '../../database/db';

/** Most events' writes committed by one transaction, and such transactions at once. */
const MARK_GROUP = 32;
const MARK_WRITERS = 2;

interface PendingMark {
  id: bigint;
  work: BoundStatement;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export const markProcessedSql = (param: string): string =>
  `UPDATE webhook_events SET status = 'PROCESSED', processed_at = now(), last_error = NULL, next_attempt_at = NULL
       WHERE id = ${param}::bigint`;

/** The advisory locks of a group's statements (BoundStatement.locks), in (namespace, key) order. */
const LOCK_GROUP = {
  name: 'webhook_mark_group_locks_v1',
  text: `SELECT count(*) FROM (
         SELECT pg_advisory_xact_lock(namespace, hashtext(key))
           FROM (SELECT DISTINCT namespace, key FROM unnest($1::int[], $2::text[]) AS t(namespace, key) ORDER BY 1, 2) s
       ) locked`,
};

/** The work, then the mark, one round trip. */
function markedWith(work: BoundStatement): SqlStatement {
  return {
    name: work.name === undefined ? undefined : `${work.name}+webhook_processed_v1`,
    text: `WITH work AS (${work.text}), done AS (${markProcessedSql(`$${work.values.length + 1}`)} RETURNING 1)
       SELECT work.* FROM work`,
  };
}

function markedValues(id: bigint, work: BoundStatement): unknown[] {
  return [...work.values, id.toString()];
}

/**
 * While MARK_WRITERS transactions run, the events finishing meanwhile wait and go into the next one
 * together (up to MARK_GROUP), so a backlog costs a commit per group rather than per event; when idle
 * an event's statement runs at once, alone.
 */
export class EventMarkGroups {
  private readonly marks: PendingMark[] = [];
  private markScheduled = false;
  private marking = 0;

  constructor(private readonly db: Db) {}

  add(id: bigint, work: BoundStatement): Promise<void> {
    return new Promise((resolve, reject) => {
      this.marks.push({ id, work, resolve, reject });
      if (this.markScheduled) return;
      this.markScheduled = true;
      setImmediate(() => {
        this.markScheduled = false;
        this.pump();
      });
    });
  }

  /** One event's statement, alone (in the caller's transaction when there is one). */
  async alone(id: bigint, work: BoundStatement): Promise<void> {
    await this.db.sql(markedWith(work), markedValues(id, work));
  }

  private pump(): void {
    while (this.marking < MARK_WRITERS && this.marks.length > 0) {
      const group = this.marks.splice(0, MARK_GROUP);
      this.marking += 1;
      void this.commit(group).finally(() => {
        this.marking -= 1;
        this.pump();
      });
    }
  }

  private async commit(group: PendingMark[]): Promise<void> {
    if (group.length > 1) {
      try {
        await this.db.session(async (client) => {
          await client.query('BEGIN');
          const locks = group.flatMap(({ work }) =>
            (work.locks?.keys ?? []).map((key) => ({ namespace: work.locks?.namespace ?? 0, key })),
          );
          // every lock the group's statements take, first and in one order for every group
          if (locks.length > 0)
            await client.query({
              ...LOCK_GROUP,
              values: [locks.map((l) => l.namespace), locks.map((l) => l.key)],
            });
          for (const { id, work } of group) await client.query({ ...markedWith(work), values: markedValues(id, work) });
          await client.query('COMMIT');
        });
        group.forEach((m) => m.resolve());
        return;
      } catch {
        // the group failed as a whole (one event's write refused, a deadlock with another group over
        // the same person, a lost connection): nothing of it committed (a session whose statement
        // threw is closed, not returned to the pool) — each event alone, so one event's failure is
        // its own. Should the commit have happened unseen, writing again changes nothing: the lead
        // write of an event is idempotent (its touch is keyed by the event) and so is the mark.
      }
    }
    await Promise.all(group.map((m) => this.alone(m.id, m.work).then(m.resolve, m.reject)));
  }
}
