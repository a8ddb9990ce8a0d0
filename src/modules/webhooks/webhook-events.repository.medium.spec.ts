// WebhookEventsRepository against PostgreSQL: the ingest batcher (insertWithJob) and claim. The hot path's
// markProcessedWith is in webhook-events.repository-mark-processed.medium.spec.ts, the status column without
// an index (HOT claims) in webhook-events.repository-status.medium.spec.ts; the shared setup in
// test/support/webhook-events-medium.ts.
import { Db } from '../../database/db';
import { TransactionRunner } from '../../database/transaction-runner';
import { WebhookEventsRepository } from './webhook-events.repository';
import { MediumApp } from '../../../test/support/medium-app';
import { setupWebhookEventsMedium, WebhookEventsMedium } from '../../../test/support/webhook-events-medium';

describe('webhook ingest batcher (WebhookEventsRepository.insertWithJob)', () => {
  let m: MediumApp;
  let events: WebhookEventsRepository;
  let ids: WebhookEventsMedium['ids'];
  let event: WebhookEventsMedium['event'];
  let close: () => Promise<void>;
  const jobsFor = async (eventId: string): Promise<number> =>
    (
      await m.sql.query(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-process' AND data->>'eventId' = $1",
        [eventId],
      )
    ).rows[0].n;

  beforeAll(async () => {
    ({ m, events, ids, event, close } = await setupWebhookEventsMedium());
  });
  afterAll(async () => {
    await close();
  });

  it('stores deliveries arriving together with one job each; a repeat in the same group is its duplicate', async () => {
    // 150 at once: more than one statement's worth (64), with every tenth key sent twice
    const keys = Array.from({ length: 150 }, (_, i) => `k${i % 10 === 9 ? i - 1 : i}`);
    const results = await Promise.all(keys.map((k) => events.insertWithJob(event(k))));
    const distinct = new Set(keys);
    expect(results.filter((r) => r.created)).toHaveLength(distinct.size);
    const byKey = new Map<string, string>();
    results.forEach((r, i) => {
      const seen = byKey.get(keys[i]);
      if (seen) expect(r).toEqual({ id: seen, created: false });
      else byKey.set(keys[i], r.id);
    });
    const stored = await m.sql.query<{ id: string; payload: unknown }>(
      'SELECT id::text AS id, payload FROM webhook_events WHERE integration_id = $1',
      [ids.integrationId],
    );
    expect(stored.rows).toHaveLength(distinct.size);
    expect(stored.rows.find((r) => r.id === byKey.get('k0'))?.payload).toEqual({ key: 'k0', nested: { n: 1 } });
    for (const id of byKey.values()) expect(await jobsFor(id)).toBe(1);
  });

  it('runs at most two ingest statements at once; deliveries arriving meanwhile wait and share the next one', async () => {
    const db = m.app.get(Db);
    const original = db.sqlIngest.bind(db);
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const spy = jest.spyOn(db, 'sqlIngest').mockImplementation(async (statement, values) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      sizes.push((values[0] as unknown[]).length);
      try {
        // a slow commit: every delivery below arrives while the first statements still run
        await new Promise((resolve) => setTimeout(resolve, 50));
        return await original(statement, values);
      } finally {
        inFlight -= 1;
      }
    });
    try {
      const first = Promise.all(Array.from({ length: 3 }, (_, i) => events.insertWithJob(event(`w-a${i}`))));
      await new Promise((resolve) => setImmediate(resolve));
      const second = Promise.all(Array.from({ length: 3 }, (_, i) => events.insertWithJob(event(`w-b${i}`))));
      await new Promise((resolve) => setImmediate(resolve));
      // arriving one by one, in separate turns of the event loop, while two statements are running
      const later: Array<Promise<{ id: string; created: boolean }>> = [];
      for (let i = 0; i < 10; i++) {
        later.push(events.insertWithJob(event(`w-c${i}`)));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const results = [...(await first), ...(await second), ...(await Promise.all(later))];
      expect(results.every((r) => r.created)).toBe(true);
      expect(most).toBe(2);
      // the ten late ones went into one statement, not ten
      expect(sizes).toEqual([3, 3, 10]);
    } finally {
      spy.mockRestore();
    }
  });

  it("runs a worker's batch expansion on the main pool, never on the ingest lane the acknowledgements wait for", async () => {
    const db = m.app.get(Db);
    const lane = jest.spyOn(db, 'sqlIngest');
    const main = jest.spyOn(db, 'sqlAlone');
    try {
      expect(await events.expandBatch([event('x-1'), event('x-2'), event('x-3')], 2)).toBe(3);
      expect(lane).not.toHaveBeenCalled();
      expect(main).toHaveBeenCalledTimes(2);
    } finally {
      lane.mockRestore();
      main.mockRestore();
    }
  });

  it('answers a redelivery with the stored id and no new job', async () => {
    const first = await events.insertWithJob(event('again'));
    const second = await events.insertWithJob(event('again'));
    expect(second).toEqual({ id: first.id, created: false });
    expect(await jobsFor(first.id)).toBe(1);
  });

  it("gives a group's events ids in the order they were delivered, whatever their keys", async () => {
    // a provider's order (Messenger: referral, message, echo, read) is the order the events are listed
    // and processed in, and it is not the order of their dedup keys
    const keys = ['order-z', 'order-a', 'order-m', 'order-b'];
    expect(await events.expandBatch(keys.map(event), keys.length)).toBe(keys.length);
    const stored = await m.sql.query<{ external_id: string }>(
      "SELECT external_id FROM webhook_events WHERE external_id LIKE 'order-%' ORDER BY id",
    );
    expect(stored.rows.map((r) => r.external_id)).toEqual(keys);
  });

  it('lets two writers of the same keys in opposite orders wait for each other instead of deadlocking', async () => {
    // a redelivery with its entries reordered racing the first copy, or two copies of a batch expanded
    // at once: inserted in the order given, each met the other's uncommitted rows (a deadlock: one
    // statement aborted, a 500 to the sender or a batch left PROCESSING)
    for (let round = 0; round < 6; round++) {
      const keys = Array.from({ length: 400 }, (_, i) => event(`race-${round}-${i}`));
      const [a, b] = await Promise.all([
        events.expandBatch(keys, keys.length),
        events.expandBatch([...keys].reverse(), keys.length),
      ]);
      expect(a + b).toBe(keys.length);
    }
  });

  it("never joins a caller's transaction (it writes several callers' rows in one statement)", async () => {
    const transactions = m.app.get(TransactionRunner);
    let stored: { id: string; created: boolean } | undefined;
    await expect(
      transactions.runSql(async () => {
        stored = await events.insertWithJob(event('outside'));
        throw new Error('the caller rolls back');
      }),
    ).rejects.toThrow('the caller rolls back');
    const row = await m.sql.query('SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [stored?.id]);
    expect(row.rows[0].n).toBe(1);
  });

  describe('claim', () => {
    // what synchronous_commit each UPDATE of webhook_events runs under, seen by a row trigger
    beforeAll(async () => {
      await m.sql.query(`
        CREATE TABLE test_commit_modes (status text, mode text);
        CREATE FUNCTION test_record_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO test_commit_modes VALUES (NEW.status::text, current_setting('synchronous_commit'));
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_record_commit_mode BEFORE UPDATE ON webhook_events
          FOR EACH ROW EXECUTE FUNCTION test_record_commit_mode();`);
    });
    afterAll(async () => {
      await m.sql.query(`DROP TRIGGER test_record_commit_mode ON webhook_events;
        DROP FUNCTION test_record_commit_mode(); DROP TABLE test_commit_modes;`);
    });
    const modes = async (): Promise<Array<{ status: string; mode: string }>> =>
      (await m.sql.query<{ status: string; mode: string }>('SELECT status, mode FROM test_commit_modes')).rows;

    it('commits lazily (synchronous_commit off) for its own transaction only; the result is marked durably', async () => {
      await m.sql.query('TRUNCATE test_commit_modes');
      const id = BigInt((await events.insertWithJob(event('claim-1'))).id);
      const claimed = await events.claim(id);
      expect(claimed).toEqual(expect.objectContaining({ id, status: 'PROCESSING', attempts: 1 }));
      // every connection of the pool is back to the server's setting after the claim's commit
      const db = m.app.get(Db);
      const settings = await Promise.all(
        Array.from({ length: 8 }, () =>
          db.sql<{ s: string }>({ text: "SELECT current_setting('synchronous_commit') AS s" }, []),
        ),
      );
      expect(new Set(settings.map((r) => r[0].s))).toEqual(new Set(['on']));
      await events.markProcessed(id);
      expect(await modes()).toEqual([
        { status: 'PROCESSING', mode: 'off' },
        { status: 'PROCESSED', mode: 'on' },
      ]);
    });

    it("never joins a caller's transaction, whose commit stays durable", async () => {
      await m.sql.query('TRUNCATE test_commit_modes');
      const id = BigInt((await events.insertWithJob(event('claim-2'))).id);
      await m.app.get(TransactionRunner).runSql(async () => {
        await events.claim(id);
        await events.markProcessed(id);
      });
      expect(await modes()).toEqual([
        { status: 'PROCESSING', mode: 'off' },
        { status: 'PROCESSED', mode: 'on' },
      ]);
    });

    it("claims a worker's batch (the claims of one turn) in one statement, each caller getting its own event", async () => {
      const stored = await Promise.all(['grp-1', 'grp-2', 'grp-3', 'grp-4'].map((k) => events.insertWithJob(event(k))));
      const ids = stored.map((s) => BigInt(s.id));
      await events.claim(ids[3]);
      await events.markProcessed(ids[3]);
      await m.sql.query('TRUNCATE test_commit_modes');
      const db = m.app.get(Db);
      const statements: string[] = [];
      const sqlAlone = jest.spyOn(db, 'sqlAlone').mockImplementation((statement, values) => {
        statements.push(statement.name ?? statement.text);
        return Db.prototype.sqlAlone.call(db, statement, values);
      });
      try {
        // as a worker's batch starts its jobs: all in one turn; the first event's job twice, the finished one too
        const claimed = await Promise.all([ids[0], ids[1], ids[0], ids[2], ids[3]].map((id) => events.claim(id)));
        expect(statements).toEqual(['webhook_claim_group_v1']);
        expect(claimed.map((c) => (c === null ? null : { id: c.id, attempts: c.attempts, key: c.externalId }))).toEqual(
          [
            { id: ids[0], attempts: 1, key: 'grp-1' },
            { id: ids[1], attempts: 1, key: 'grp-2' },
            null, // the same event's second job in the group: taken by the first
            { id: ids[2], attempts: 1, key: 'grp-3' },
            null, // already processed
          ],
        );
        expect(claimed[0]).toEqual(
          expect.objectContaining({ status: 'PROCESSING', payload: { key: 'grp-1', nested: { n: 1 } } }),
        );
      } finally {
        sqlAlone.mockRestore();
      }
      const rows = await m.sql.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM webhook_events WHERE id = ANY($1::bigint[]) ORDER BY id',
        [ids.map(String)],
      );
      expect(rows.rows).toEqual([
        { status: 'PROCESSING', attempts: 1 },
        { status: 'PROCESSING', attempts: 1 },
        { status: 'PROCESSING', attempts: 1 },
        { status: 'PROCESSED', attempts: 1 },
      ]);
      // the group commits lazily like a single claim
      expect(await modes()).toEqual(Array.from({ length: 3 }, () => ({ status: 'PROCESSING', mode: 'off' })));
    });

    it("falls back to one claim per event when the group's statement fails, so no event is lost with it", async () => {
      const stored = await Promise.all(['fb-1', 'fb-2'].map((k) => events.insertWithJob(event(k))));
      const ids = stored.map((s) => BigInt(s.id));
      const db = m.app.get(Db);
      const sqlAlone = jest.spyOn(db, 'sqlAlone').mockImplementation((statement, values) =>
        // the group's statement (both ids) fails; the same statement for one id goes through
        statement.name === 'webhook_claim_group_v1' && (values[0] as unknown[]).length > 1
          ? Promise.reject(new Error('connection terminated'))
          : Db.prototype.sqlAlone.call(db, statement, values),
      );
      try {
        const claimed = await Promise.all(ids.map((id) => events.claim(id)));
        expect(claimed.map((c) => c?.attempts)).toEqual([1, 1]);
      } finally {
        sqlAlone.mockRestore();
      }
    });

    it('takes an event again after a claim that was lost (PROCESSING), once its lease is over, counting the attempt', async () => {
      const id = BigInt((await events.insertWithJob(event('claim-3'))).id);
      await events.claim(id);
      // a second job of the event while the first run holds it (a retry queued before a replay) does not take it
      expect(await events.claim(id)).toBeNull();
      expect(await events.heldByAnotherRun(id)).toBe(true);
      // the lease of the run that died has passed (pg-boss gives its job to another worker after as long)
      await m.sql.query("UPDATE webhook_events SET next_attempt_at = now() - interval '1 second' WHERE id = $1", [
        id.toString(),
      ]);
      expect(await events.heldByAnotherRun(id)).toBe(false);
      expect(await events.claim(id)).toEqual(expect.objectContaining({ id, attempts: 2 }));
      await events.markProcessed(id);
      expect(await events.claim(id)).toBeNull();
    });
  });
});
