import { Client } from 'pg';
import { Db } from '../../database/db';
import { TransactionRunner } from '../../database/transaction-runner';
import { LeadWriterService } from '../leads/lead-writer.service';
import { CLAIM } from './webhook-event-claims';
import { NewEvent, WebhookEventsRepository } from './webhook-events.repository';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';

describe('webhook ingest batcher (WebhookEventsRepository.insertWithJob)', () => {
  let m: MediumApp;
  let events: WebhookEventsRepository;
  let ids: { subAccountId: number; integrationId: number };
  const event = (key: string): NewEvent => ({
    integrationId: ids.integrationId,
    subAccountId: ids.subAccountId,
    provider: 'generic-webhook',
    dedupKey: `id:${key}`,
    externalId: key,
    eventType: 'lead',
    payload: { key, nested: { n: 1 } },
  });
  const jobsFor = async (eventId: string): Promise<number> =>
    (
      await m.sql.query(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-process' AND data->>'eventId' = $1",
        [eventId],
      )
    ).rows[0].n;

  beforeAll(async () => {
    m = await createMediumApp();
    events = m.app.get(WebhookEventsRepository);
    ids = await seedIntegration(m.sql);
  });
  afterAll(async () => {
    await m.close();
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

    it('takes an event again after a claim that was lost (PROCESSING), counting the attempt', async () => {
      const id = BigInt((await events.insertWithJob(event('claim-3'))).id);
      await events.claim(id);
      expect(await events.claim(id)).toEqual(expect.objectContaining({ id, attempts: 2 }));
      await events.markProcessed(id);
      expect(await events.claim(id)).toBeNull();
    });
  });

  describe('markProcessedWith (the hot path: another feature’s write and the mark in one statement)', () => {
    const storeEvent = async (key: string): Promise<bigint> => {
      const stored = await events.insertWithJob(event(key));
      return BigInt(stored.id);
    };
    const status = async (id: bigint): Promise<string> =>
      (await m.sql.query('SELECT status FROM webhook_events WHERE id = $1', [id.toString()])).rows[0].status;

    it('commits the lead write and the PROCESSED mark together', async () => {
      const id = await storeEvent('hot-1');
      const origin = { integrationId: ids.integrationId, subAccountId: ids.subAccountId, eventId: id };
      const lead = { platform: 'generic' as const, externalId: 'hot-1', email: 'hot@example.org', source: {} };
      const statement = await m.app.get(LeadWriterService).singleLeadStatement(origin, { leads: [lead] });
      if (!statement) throw new Error('a single-lead outcome has a statement');
      await events.markProcessedWith(id, statement);
      expect(await status(id)).toBe('PROCESSED');
      const leads = await m.sql.query("SELECT count(*)::int AS n FROM leads WHERE email = 'hot@example.org'");
      expect(leads.rows[0].n).toBe(1);
    });

    it('leaves the event unmarked when the write fails', async () => {
      const id = await storeEvent('hot-2');
      await expect(events.markProcessedWith(id, { text: 'SELECT 1 / 0 AS boom', values: [] })).rejects.toThrow();
      expect(await status(id)).toBe('PENDING');
    });

    const leadStatement = async (id: bigint, key: string, email: string) => {
      const origin = { integrationId: ids.integrationId, subAccountId: ids.subAccountId, eventId: id };
      const lead = { platform: 'generic' as const, externalId: key, email, source: {} };
      const statement = await m.app.get(LeadWriterService).singleLeadStatement(origin, { leads: [lead] });
      if (!statement) throw new Error('a single-lead outcome has a statement');
      return statement;
    };
    it("writes the events finishing together in one statement (a worker's backlog: a round trip per group)", async () => {
      const keys = Array.from({ length: 6 }, (_, i) => `grp-mark-${i}`);
      const idsOf = await Promise.all(keys.map((k) => storeEvent(k)));
      const statements = await Promise.all(idsOf.map((id, i) => leadStatement(id, keys[i], `${keys[i]}@example.org`)));
      const db = m.app.get(Db);
      const session = jest.spyOn(db, 'session');
      const sql = jest.spyOn(db, 'sql');
      const alone = jest.spyOn(db, 'sqlAlone');
      try {
        await Promise.all(idsOf.map((id, i) => events.markProcessedWith(id, statements[i])));
        // the six lead writes and marks as rows of one statement, its own transaction
        expect(alone.mock.calls.map(([statement]) => statement.name)).toEqual(['webhook_processed_rows_apply_lead_v1']);
        expect(session).not.toHaveBeenCalled();
        expect(sql).not.toHaveBeenCalled();
      } finally {
        session.mockRestore();
        sql.mockRestore();
        alone.mockRestore();
      }
      for (const id of idsOf) expect(await status(id)).toBe('PROCESSED');
      const leads = await m.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM leads WHERE email LIKE 'grp-mark-%@example.org'",
      );
      expect(leads.rows[0].n).toBe(6);
    });

    it('sees the earlier rows of its statement: one person twice in a group is one lead with two touches', async () => {
      const keys = ['grp-twice-1', 'grp-twice-2', 'grp-twice-3'];
      const idsOf = await Promise.all(keys.map((k) => storeEvent(k)));
      // the first and the last name the same person (one e-mail), each with its own provider id
      const emails = ['twice@example.org', 'grp-twice-other@example.org', 'twice@example.org'];
      const statements = await Promise.all(idsOf.map((id, i) => leadStatement(id, keys[i], emails[i])));
      await Promise.all(idsOf.map((id, i) => events.markProcessedWith(id, statements[i])));
      const leads = await m.sql.query<{ email: string; touches: number }>(
        `SELECT l.email, (SELECT count(*)::int FROM lead_sources s WHERE s.lead_id = l.id) AS touches
           FROM leads l WHERE l.email IN ('twice@example.org', 'grp-twice-other@example.org') ORDER BY l.email`,
      );
      expect(leads.rows).toEqual([
        { email: 'grp-twice-other@example.org', touches: 1 },
        { email: 'twice@example.org', touches: 2 },
      ]);
    });

    it('commits a group of writes with no shared row form in one transaction, statement by statement', async () => {
      const keys = Array.from({ length: 3 }, (_, i) => `grp-plain-${i}`);
      const idsOf = await Promise.all(keys.map((k) => storeEvent(k)));
      const statements = await Promise.all(idsOf.map((id, i) => leadStatement(id, keys[i], `${keys[i]}@example.org`)));
      const db = m.app.get(Db);
      const session = jest.spyOn(db, 'session');
      const alone = jest.spyOn(db, 'sqlAlone');
      try {
        await Promise.all(idsOf.map((id, i) => events.markProcessedWith(id, { ...statements[i], rowForm: undefined })));
        expect(session).toHaveBeenCalledTimes(1);
        expect(alone).not.toHaveBeenCalled();
      } finally {
        session.mockRestore();
        alone.mockRestore();
      }
      for (const id of idsOf) expect(await status(id)).toBe('PROCESSED');
    });

    it('fails only the event whose row fails; the others of its one-statement group commit', async () => {
      const keys = ['grp-rowfail-1', 'grp-rowfail-2', 'grp-rowfail-3'];
      const idsOf = await Promise.all(keys.map((k) => storeEvent(k)));
      const [first, bad, last] = await Promise.all(
        idsOf.map((id, i) => leadStatement(id, keys[i], `${keys[i]}@example.org`)),
      );
      // a submission time PostgreSQL cannot read: apply_lead refuses it, in either form
      const unreadable = (v: unknown, i: number): unknown =>
        i === 4 ? JSON.stringify({ ...(JSON.parse(String(v)) as object), submittedAt: 'not a time' }) : v;
      const refused = {
        ...bad,
        values: bad.values.map(unreadable),
        rowForm: bad.rowForm && { ...bad.rowForm, row: bad.rowForm.row.map(unreadable) },
      };
      const results = await Promise.allSettled([
        events.markProcessedWith(idsOf[0], first),
        events.markProcessedWith(idsOf[1], refused),
        events.markProcessedWith(idsOf[2], last),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const statuses: string[] = [];
      for (const id of idsOf) statuses.push(await status(id));
      expect(statuses).toEqual(['PROCESSED', 'PENDING', 'PROCESSED']);
    });

    it('fails only the event whose write fails; the others of its group commit', async () => {
      const keys = ['grp-fail-1', 'grp-fail-2', 'grp-fail-3'];
      const idsOf = await Promise.all(keys.map((k) => storeEvent(k)));
      const good = await Promise.all([0, 2].map((i) => leadStatement(idsOf[i], keys[i], `${keys[i]}@example.org`)));
      const results = await Promise.allSettled([
        events.markProcessedWith(idsOf[0], good[0]),
        events.markProcessedWith(idsOf[1], { text: 'SELECT 1 / 0 AS boom', values: [] }),
        events.markProcessedWith(idsOf[2], good[1]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      // one at a time: m.sql is a single connection
      const statuses: string[] = [];
      for (const id of idsOf) statuses.push(await status(id));
      expect(statuses).toEqual(['PROCESSED', 'PENDING', 'PROCESSED']);
      const leads = await m.sql.query<{ email: string }>(
        "SELECT email FROM leads WHERE email LIKE 'grp-fail-%@example.org' ORDER BY email",
      );
      expect(leads.rows.map((r) => r.email)).toEqual(['grp-fail-1@example.org', 'grp-fail-3@example.org']);
    });

    it("takes its statements' identity locks first, in one order: a group never holds one person while waiting for another", async () => {
      const [idB, idA] = await Promise.all(['grp-lock-b', 'grp-lock-a'].map((k) => storeEvent(k)));
      const forB = await leadStatement(idB, 'grp-lock-b', 'grp-lock-b@example.org');
      const forA = await leadStatement(idA, 'grp-lock-a', 'grp-lock-a@example.org');
      const [keyA, keyB] = [forA.locks?.keys ?? [], forB.locks?.keys ?? []].map((keys) => [...keys].sort()[0]);
      expect(keyA < keyB).toBe(true);
      const other = new Client({ connectionString: m.db.url });
      await other.connect();
      try {
        // another writer holds A (the first in key order)
        await other.query('BEGIN');
        await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ids.subAccountId, keyA]);
        // a group writing B, then A: without its locks taken first it would hold B while it waits for A
        const group = Promise.all([events.markProcessedWith(idB, forB), events.markProcessedWith(idA, forA)]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const free = await other.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [
          ids.subAccountId,
          keyB,
        ]);
        // the other writer can take B too (holding A and B as a sorted writer would): no deadlock to break
        expect(free.rows[0].ok).toBe(true);
        expect(await status(idB)).toBe('PENDING');
        await other.query('COMMIT');
        await group;
      } finally {
        await other.end();
      }
      expect([await status(idB), await status(idA)]).toEqual(['PROCESSED', 'PROCESSED']);
    });

    it("inside a caller's transaction it commits (or rolls back) with the caller, never in a group", async () => {
      const id = await storeEvent('grp-in-tx');
      const statement = await leadStatement(id, 'grp-in-tx', 'grp-in-tx@example.org');
      await expect(
        m.app.get(TransactionRunner).runSql(async () => {
          await events.markProcessedWith(id, statement);
          throw new Error('the caller rolls back');
        }),
      ).rejects.toThrow('the caller rolls back');
      expect(await status(id)).toBe('PENDING');
      const leads = await m.sql.query("SELECT count(*)::int AS n FROM leads WHERE email = 'grp-in-tx@example.org'");
      expect(leads.rows[0].n).toBe(0);
    });

    it('has no statement for an outcome that is more than one lead', async () => {
      const writer = m.app.get(LeadWriterService);
      const origin = { integrationId: ids.integrationId, subAccountId: ids.subAccountId, eventId: 1n };
      const lead = { platform: 'generic' as const, externalId: 'x', source: {} };
      expect(await writer.singleLeadStatement(origin, { leads: [lead, lead] })).toBeNull();
      expect(
        await writer.singleLeadStatement(origin, {
          leads: [lead],
          deletedLeads: [{ platform: 'generic', externalId: 'y' }],
        }),
      ).toBeNull();
    });
  });
  describe('status without a status index (the claim is a HOT update)', () => {
    const hotIds = { subAccountId: 0, integrationId: 0 };
    const stored = async (key: string, payload: unknown = { key }): Promise<bigint> =>
      BigInt(
        (
          await events.insertWithJob({
            integrationId: hotIds.integrationId,
            subAccountId: hotIds.subAccountId,
            provider: 'generic-webhook',
            dedupKey: `id:${key}`,
            externalId: key,
            eventType: 'lead',
            payload,
          })
        ).id,
      );
    beforeAll(async () => {
      Object.assign(hotIds, await seedIntegration(m.sql));
    });

    it('claims an event on a page filled by the ingest without a new index entry (HOT, in place)', async () => {
      // enough deliveries of ~300 bytes to fill the table's first pages as far as the ingest fills them
      const padding = 'x'.repeat(240);
      const ids: bigint[] = [];
      for (let i = 0; i < 80; i += 8)
        ids.push(
          ...(await Promise.all(
            Array.from({ length: 8 }, (_, j) => stored(`hot-page-${i + j}`, { n: i + j, padding })),
          )),
        );
      const first = ids.reduce((a, b) => (b < a ? b : a));
      const client = new Client({ connectionString: m.db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        const claimed = await client.query(CLAIM.text, [[first.toString()]]);
        expect(claimed.rowCount).toBe(1);
        const counts = await client.query<{ updated: string; hot: string }>(
          `SELECT pg_stat_get_xact_tuples_updated('webhook_events'::regclass) AS updated,
                  pg_stat_get_xact_tuples_hot_updated('webhook_events'::regclass) AS hot`,
        );
        // on a full page, or with an index on status or attempts, the update is not HOT (hot 0)
        expect(counts.rows[0]).toEqual({ updated: '1', hot: '1' });
      } finally {
        await client.query('ROLLBACK');
        await client.end();
      }
    });

    it('no index covers a column the claim changes', async () => {
      const covered = await m.sql.query<{ index: string }>(
        `SELECT DISTINCT i.indexrelid::regclass::text AS index
           FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
          WHERE i.indrelid = 'webhook_events'::regclass AND a.attname IN ('status', 'attempts')
            AND (a.attnum = ANY (i.indkey)
                 OR pg_get_expr(i.indpred, i.indrelid) ~ a.attname
                 OR pg_get_expr(i.indexprs, i.indrelid) ~ a.attname)`,
      );
      expect(covered.rows).toEqual([]);
    });

    it('lists and counts every status right (the open index holds the unfinished and the failed)', async () => {
      const pending = await stored('st-pending');
      const processing = await stored('st-processing');
      await events.claim(processing);
      const processed = await stored('st-processed');
      await events.claim(processed);
      await events.markProcessed(processed);
      const failed = await stored('st-failed');
      await events.claim(failed);
      await events.markFailed(failed, 'boom');
      const retried = await stored('st-retried');
      await events.claim(retried);
      await events.markPendingRetry(retried, 'later', new Date(Date.now() + 60_000));
      const page = { skip: 0, take: 50 };
      const listed = async (status: 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'FAILED'): Promise<bigint[]> =>
        (await events.list('all', hotIds.integrationId, status, page)).rows
          .map((r) => r.id)
          .filter((id) => [pending, processing, processed, failed, retried].includes(id))
          .sort();
      expect(await listed('PENDING')).toEqual([pending, retried].sort());
      expect(await listed('PROCESSING')).toEqual([processing]);
      expect(await listed('PROCESSED')).toEqual([processed]);
      expect(await listed('FAILED')).toEqual([failed]);
      const stats = await events.stats(hotIds.integrationId, new Date(Date.now() - 3600_000));
      expect(stats).toMatchObject({ failed: 1 });
      // the other events of this integration (the HOT test's) are PENDING too
      const open = await m.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status IN ('PENDING', 'PROCESSING')",
        [hotIds.integrationId],
      );
      expect(stats.pending).toBe(open.rows[0].n);
      expect(stats.processed).toBe(1);
      // a replay puts a PROCESSED event back into the open index
      expect(await events.reopenForReplay(processed)).toBe(true);
      expect(await listed('PENDING')).toEqual([pending, processed, retried].sort());
    });

    it('refuses a PROCESSED event without processed_at, and processed_at on an unfinished one', async () => {
      const id = await stored('st-check');
      await expect(
        m.sql.query("UPDATE webhook_events SET status = 'PROCESSED' WHERE id = $1", [id.toString()]),
      ).rejects.toThrow(/webhook_events_processed_at_check/);
      await expect(
        m.sql.query('UPDATE webhook_events SET processed_at = now() WHERE id = $1', [id.toString()]),
      ).rejects.toThrow(/webhook_events_processed_at_check/);
    });
  });
});
