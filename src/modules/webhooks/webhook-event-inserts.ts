// The ingest's group commit, apart from WebhookEventsRepository's queries: deliveries arriving together
// are written by one multi-row statement (one round trip and one commit for the group).
import { Db } from '../../database/db';
import { INGEST_LANE_SIZE } from '../../database/db-pool';
import { insertJobsSql } from '../../jobs/insert-jobs-sql';
import { DELIVERY_BATCH_EVENT } from './webhook-batch';
import type { NewEvent } from './webhook-events.repository';

export interface StoredEvent {
  id: string;
  created: boolean;
}

/** Most deliveries written by one ingest statement. */
const INGEST_BATCH = 64;
/**
 * Ingest statements in flight at once. Deliveries that arrive while both are running wait and go
 * into the next statement together: under load the groups grow (fewer statements and commits per
 * delivery) instead of the statements multiplying; when idle a delivery is written at once.
 */
const INGEST_WRITERS = INGEST_LANE_SIZE;

interface PendingInsert {
  event: NewEvent;
  resolve: (result: StoredEvent) => void;
  reject: (err: unknown) => void;
}

/*
 * Ids and insert order. An insert that meets another transaction's uncommitted row of the same
 * (integration, dedup key) waits for it; two statements taking the same keys in opposite orders (a
 * redelivery with its entries reordered racing the first copy, two copies of a batch expanded at once)
 * waited for each other until PostgreSQL aborted one as a deadlock: a 500 to the sender, or a batch
 * left PROCESSING. So every statement inserts in one order, (integration, dedup key). But a delivery's
 * events must keep the provider's order (Messenger: referral, message, echo, read), which is the order
 * of their ids (the events list, processing): the statement first takes as many ids from the sequence
 * as it has rows (ascending, in one array: cheaper than numbering the materialised rows), gives the
 * n-th row given the n-th id, and inserts the rows in key order. A duplicate's id is a gap in the
 * sequence, as a failed insert's always was.
 */
const INGEST = {
  name: 'webhook_ingest_batch_v3',
  text: `WITH ids AS MATERIALIZED (
         SELECT array_agg(nextval('webhook_events_id_seq'::regclass)) AS id
           FROM generate_series(1, cardinality($1::int[]))
       ), ev AS (
         INSERT INTO webhook_events (id, integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
         SELECT ids.id[t.ord::int], t.integration_id, t.sub_account_id, t.provider, t.dedup_key, t.external_id, t.event_type, t.payload
           FROM ids, unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) WITH ORDINALITY
             AS t(integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload, ord)
          ORDER BY t.integration_id, t.dedup_key COLLATE "C", t.ord
         ON CONFLICT (integration_id, dedup_key) DO NOTHING
         RETURNING id, integration_id, dedup_key
       ), job AS (${insertJobsSql('webhook-process', { from: 'ev', payload: { eventId: 'ev.id::text' } })})
       SELECT ev.id::text AS id, ev.integration_id, ev.dedup_key, (SELECT count(*) FROM job) AS jobs FROM ev`,
};

/**
 * A big delivery's events, expanded from its batch row under the ids its acknowledgement named (taken
 * from the sequence at ingest, in the delivery's order). Key order as INGEST; an event stored meanwhile
 * (the same event in another delivery) keeps its row, and this one is skipped like any duplicate.
 */
const EXPAND = {
  name: 'webhook_expand_batch_v1',
  text: `WITH ev AS (
         INSERT INTO webhook_events (id, integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload)
         SELECT t.id, t.integration_id, t.sub_account_id, t.provider, t.dedup_key, t.external_id, t.event_type, t.payload
           FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::bigint[])
             AS t(integration_id, sub_account_id, provider, dedup_key, external_id, event_type, payload, id)
          ORDER BY t.integration_id, t.dedup_key COLLATE "C", t.id
         ON CONFLICT DO NOTHING
         RETURNING id, integration_id, dedup_key
       ), job AS (${insertJobsSql('webhook-process', { from: 'ev', payload: { eventId: 'ev.id::text' } })})
       SELECT ev.id::text AS id, ev.integration_id, ev.dedup_key, (SELECT count(*) FROM job) AS jobs FROM ev`,
};

/** `n` ids of webhook_events' sequence, ascending: a big delivery's events, named before they are stored. */
const RESERVE_IDS = {
  name: 'webhook_reserve_ids_v1',
  text: `SELECT array_agg(nextval('webhook_events_id_seq'::regclass) ORDER BY n)::text[] AS ids
           FROM generate_series(1, $1::int) AS n`,
};

/** The stored events of an integration among these dedup keys. */
const STORED_IDS = {
  name: 'webhook_stored_ids_v1',
  text: `SELECT dedup_key, id::text AS id FROM webhook_events WHERE integration_id = $1 AND dedup_key = ANY($2::text[])`,
};

/**
 * The ids the integration's batch rows not yet expanded (processed_at IS NULL: the open index) named for
 * these provider ids, oldest batch first; the newest twenty batches at most. Read on the database side, so
 * a batch's megabyte never crosses the wire for the few items asked about.
 */
const UNEXPANDED_IDS = {
  name: 'webhook_unexpanded_ids_v1',
  text: `SELECT item->>'externalId' AS external_id, item->>'id' AS id
           FROM (SELECT id, received_at, payload FROM webhook_events
                  WHERE integration_id = $1 AND processed_at IS NULL AND event_type = $3 AND external_id IS NULL
                  ORDER BY received_at DESC LIMIT 20) AS b
           CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(b.payload->'events') = 'array'
                                                        THEN b.payload->'events' ELSE '[]'::jsonb END) AS item
          WHERE item->>'externalId' = ANY($2::text[])
          ORDER BY b.received_at, b.id`,
};

const key = (integrationId: number, dedupKey: string): string => `${integrationId}|${dedupKey}`;

export class EventInsertGroups {
  private readonly pending: PendingInsert[] = [];
  private flushScheduled = false;
  private writing = 0;

  constructor(private readonly db: Db) {}

  add(event: NewEvent): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      // the deliveries parsed in this turn of the event loop join the same group
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Starts statements while fewer than INGEST_WRITERS run; each takes up to INGEST_BATCH waiting deliveries. */
  private pump(): void {
    while (this.writing < INGEST_WRITERS && this.pending.length > 0) {
      const batch = this.pending.splice(0, INGEST_BATCH);
      this.writing += 1;
      void this.write(
        batch.map((b) => b.event),
        'ingest',
      )
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i])),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.writing -= 1;
          this.pump();
        });
    }
  }

  /** `ingest`: on the ingest lane (acknowledgements wait for it); `worker`: on the main pool. */
  async write(events: NewEvent[], by: 'ingest' | 'worker'): Promise<StoredEvent[]> {
    const run = by === 'ingest' ? this.db.sqlIngest.bind(this.db) : this.db.sqlAlone.bind(this.db);
    const columns = [
      events.map((e) => e.integrationId),
      events.map((e) => e.subAccountId),
      events.map((e) => e.provider),
      events.map((e) => e.dedupKey),
      events.map((e) => e.externalId),
      events.map((e) => e.eventType),
      events.map((e) => JSON.stringify(e.payload)),
    ];
    const withIds = events.length > 0 && events.every((e) => e.id !== undefined);
    const rows = await run<{ id: string; integration_id: number; dedup_key: string }>(
      withIds ? EXPAND : INGEST,
      withIds ? [...columns, events.map((e) => e.id)] : columns,
    );
    const inserted = new Map(rows.map((r) => [key(r.integration_id, r.dedup_key), r.id]));
    const claimed = new Set<string>();
    const results: Array<StoredEvent | null> = events.map((e) => {
      const k = key(e.integrationId, e.dedupKey);
      const id = inserted.get(k);
      // the same delivery twice in one group: the first is the new one, the rest duplicates of it
      if (id === undefined || claimed.has(k)) return id === undefined ? null : { id, created: false };
      claimed.add(k);
      return { id, created: true };
    });
    const missing = events.filter((_, i) => results[i] === null);
    if (missing.length === 0) return results as StoredEvent[];
    // redeliveries: the stored ones (possibly committed by a concurrent delivery a moment ago)
    const existing = await this.db.prisma.webhookEvent.findMany({
      where: { OR: missing.map((e) => ({ integrationId: e.integrationId, dedupKey: e.dedupKey })) },
      select: { id: true, integrationId: true, dedupKey: true },
    });
    const found = new Map(existing.map((r) => [key(r.integrationId, r.dedupKey), r.id.toString()]));
    return events.map((e, i) => {
      const known = results[i];
      if (known !== null) return known;
      const id = found.get(key(e.integrationId, e.dedupKey));
      if (id === undefined) throw new Error('webhook event neither inserted nor found');
      return { id, created: false };
    });
  }

  /** `n` new event ids, ascending (on the ingest lane: the acknowledgement waits for them). */
  async reserveIds(n: number): Promise<string[]> {
    if (n === 0) return [];
    const rows = await this.db.sqlIngest<{ ids: string[] }>(RESERVE_IDS, [n]);
    return rows[0].ids;
  }

  /** What the integration's unexpanded batch rows named for these provider ids, oldest batch first (on the ingest lane). */
  async unexpandedIds(
    integrationId: number,
    externalIds: readonly string[],
  ): Promise<Array<{ externalId: string; id: string | null }>> {
    if (externalIds.length === 0) return [];
    const rows = await this.db.sqlIngest<{ external_id: string; id: string | null }>(UNEXPANDED_IDS, [
      integrationId,
      externalIds,
      DELIVERY_BATCH_EVENT,
    ]);
    return rows.map((r) => ({ externalId: r.external_id, id: r.id }));
  }

  /** The ids of an integration's stored events, by dedup key (on the ingest lane). */
  async storedIds(integrationId: number, dedupKeys: readonly string[]): Promise<Map<string, string>> {
    if (dedupKeys.length === 0) return new Map();
    const rows = await this.db.sqlIngest<{ dedup_key: string; id: string }>(STORED_IDS, [integrationId, dedupKeys]);
    return new Map(rows.map((r) => [r.dedup_key, r.id]));
  }
}
