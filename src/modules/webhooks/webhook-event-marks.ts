// The workers' group commit, apart from WebhookEventsRepository's queries: the single-lead statements
// of events finishing together (each a feature's write plus the event's PROCESSED mark) share one
// transaction.
import { BoundStatement, Db, SqlStatement } from '../../database/db';

/** Most events' writes committed by one transaction (a worker's two batches of 50 in flight), and such transactions at once. */
const MARK_GROUP = 64;
const MARK_WRITERS = 2;

interface PendingMark {
  id: bigint;
  work: BoundStatement;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The PROCESSED mark of the events `where` selects. */
export const markProcessedSql = (where: string): string =>
  `UPDATE webhook_events SET status = 'PROCESSED', processed_at = now(), last_error = NULL, next_attempt_at = NULL
       WHERE ${where}`;

/** The advisory locks of a group's statements (BoundStatement.locks), in (namespace, key) order. */
const lockGroupSql = (namespaces: string, keys: string): string =>
  `SELECT count(*) FROM (
         SELECT pg_advisory_xact_lock(namespace, hashtext(key))
           FROM (SELECT DISTINCT namespace, key FROM unnest(${namespaces}::int[], ${keys}::text[]) AS t(namespace, key) ORDER BY 1, 2) s
       ) locked`;

const LOCK_GROUP = { name: 'webhook_mark_group_locks_v1', text: lockGroupSql('$1', '$2') };

/** The work, then the mark, one round trip. */
function markedWith(work: BoundStatement): SqlStatement {
  return {
    name: work.name === undefined ? undefined : `${work.name}+webhook_processed_v1`,
    text: `WITH work AS (${work.text}), done AS (${markProcessedSql(`id = $${work.values.length + 1}::bigint`)} RETURNING 1)
       SELECT work.* FROM work`,
  };
}

function markedValues(id: bigint, work: BoundStatement): unknown[] {
  return [...work.values, id.toString()];
}

type RowForm = NonNullable<BoundStatement['rowForm']>;

/**
 * A group whose writes are all rows of one form: the group's locks (in LOCK_GROUP's order, before the first
 * write: a one-time filter), its writes in the group's order, and their marks, as one statement in
 * one implicit transaction. One round trip for the group, where the statement-by-statement path
 * makes one per event plus three and holds the transaction open (and its locks) across them all.
 */
function rowsStatement(form: RowForm): SqlStatement {
  const n = form.types.length;
  const columns = form.types.map((_, i) => `c${i + 1}`).join(', ');
  const arrays = form.types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  return {
    name: `webhook_processed_rows_${form.kind}_v1`,
    text: `WITH locked AS (${lockGroupSql(`$${n + 2}`, `$${n + 3}`)}),
       work AS (
         SELECT t.event_id FROM unnest(${arrays}, $${n + 1}::bigint[]) AS t(${columns}, event_id)
           CROSS JOIN LATERAL ${form.call} AS w
          WHERE (SELECT count FROM locked) >= 0
       ), done AS (${markProcessedSql('id IN (SELECT event_id FROM work)')} RETURNING 1)
       SELECT count(*)::int AS marked FROM done`,
  };
}

/** Every lock the group's statements take, as LOCK_GROUP's two arrays (namespaces, keys). */
function groupLocks(group: readonly PendingMark[]): [number[], string[]] {
  const locks = group.flatMap(({ work }) =>
    (work.locks?.keys ?? []).map((key) => ({ namespace: work.locks?.namespace ?? 0, key })),
  );
  return [locks.map((l) => l.namespace), locks.map((l) => l.key)];
}

function rowsValues(group: readonly PendingMark[], form: RowForm): unknown[] {
  return [
    ...form.types.map((_, i) => group.map(({ work }) => work.rowForm?.row[i] ?? null)),
    group.map(({ id }) => id.toString()),
    ...groupLocks(group),
  ];
}

/** The row form every write of the group shares, if they share one. */
function sharedRowForm(group: readonly PendingMark[]): RowForm | undefined {
  const form = group[0].work.rowForm;
  const same = (other: RowForm | undefined): boolean =>
    other !== undefined && form !== undefined && other.kind === form.kind && other.call === form.call;
  return group.every(({ work }) => same(work.rowForm)) ? form : undefined;
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
    if (group.length > 1 && (await this.together(group))) {
      group.forEach((m) => m.resolve());
      return;
    }
    await Promise.all(group.map((m) => this.alone(m.id, m.work).then(m.resolve, m.reject)));
  }

  /** The group in one transaction: one statement when its writes share a row form. False when it failed. */
  private async together(group: PendingMark[]): Promise<boolean> {
    const form = sharedRowForm(group);
    try {
      if (form) await this.db.sqlAlone(rowsStatement(form), rowsValues(group, form));
      else
        await this.db.session(async (client) => {
          await client.query('BEGIN');
          const locks = groupLocks(group);
          // every lock the group's statements take, first and in one order for every group
          if (locks[0].length > 0) await client.query({ ...LOCK_GROUP, values: locks });
          for (const { id, work } of group) await client.query({ ...markedWith(work), values: markedValues(id, work) });
          await client.query('COMMIT');
        });
      return true;
    } catch {
      // the group failed as a whole (one event's write refused, a deadlock with another group over
      // the same person, a lost connection): nothing of it committed (a session whose statement
      // threw is closed, not returned to the pool) — each event alone, so one event's failure is
      // its own. Should the commit have happened unseen, writing again changes nothing: the lead
      // write of an event is idempotent (its touch is keyed by the event) and so is the mark.
      return false;
    }
  }
}
