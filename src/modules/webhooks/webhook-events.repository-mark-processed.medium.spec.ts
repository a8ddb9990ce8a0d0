// WebhookEventsRepository.markProcessedWith against PostgreSQL (the hot path: another feature's write and the
// mark in one statement, grouped per worker turn). The ingest batcher and claim are in
// webhook-events.repository.medium.spec.ts, the status column in webhook-events.repository-status.medium.spec.ts;
// the shared setup in test/support/webhook-events-medium.ts.
import { Client } from 'pg';
import { Db } from '../../database/db';
import { TransactionRunner } from '../../database/transaction-runner';
import { LeadWriterService } from '../leads/lead-writer.service';
import { WebhookEventsRepository } from './webhook-events.repository';
import { MediumApp } from '../../../test/support/medium-app';
import { setupWebhookEventsMedium, WebhookEventsMedium } from '../../../test/support/webhook-events-medium';

describe('webhook ingest batcher (WebhookEventsRepository.insertWithJob)', () => {
  let m: MediumApp;
  let events: WebhookEventsRepository;
  let ids: WebhookEventsMedium['ids'];
  let event: WebhookEventsMedium['event'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ m, events, ids, event, close } = await setupWebhookEventsMedium());
  });
  afterAll(async () => {
    await close();
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
});
