// Idempotency-Key when the first request's process dies right after its work's transaction committed:
// a retry must never do the work again (a second bulk to every recipient, a second message, a second
// lead), and must get the first request's answer replayed, as after any finished request. The crash is
// simulated in PostgreSQL: a trigger refuses to store the answer of the keys named `lost-…` in any
// transaction but the work's own (a statement after the work's commit, as a process that died there never
// ran); the first request still answers, then the lease is moved into the past.
import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { controllersOf } from '../../src/common/http/openapi-contract';
import { IdempotencyInterceptor } from '../../src/common/idempotency/idempotency.interceptor';
import type { Response } from 'supertest';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup, getBulk, phoneOf, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

/** The routes whose lost answer this file covers: every `@Idempotent()` route must be one of them. */
const COVERED_ROUTES = ['POST /api/leads', 'POST /api/whatsapp/bulk', 'POST /api/whatsapp/messages'];

describe('Idempotency-Key: a first request that died after its work committed', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let a: BulkSetup;
  let phoneOffset = 8_000_000;
  const digits = (phone: string) => phone.replace(/[^0-9]/g, '');
  const sendsTo = (phone: string) => fake.accepted().filter((s) => digits(s.to) === digits(phone));
  const count = async (sql: string, values: unknown[]) => (await t.sql.query<{ n: number }>(sql, values)).rows[0].n;
  const bulkCount = () =>
    count('SELECT count(*)::int AS n FROM whatsapp_bulk_jobs WHERE sub_account_id = $1', [a.subAccountId]);

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    a = await whatsAppSetup(t, fake);
    // the process "dies" right after its work committed: an answer stored in any transaction but the
    // work's (one that wrote a bulk, a message or a lead) fails, the reply still goes out
    await t.sql.query(`
      CREATE TABLE test_work_xacts (xid bigint PRIMARY KEY);
      CREATE FUNCTION test_note_work() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO test_work_xacts VALUES (txid_current()) ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER test_note_work AFTER INSERT ON whatsapp_bulk_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION test_note_work();
      CREATE TRIGGER test_note_work AFTER INSERT ON messages
        FOR EACH STATEMENT EXECUTE FUNCTION test_note_work();
      CREATE TRIGGER test_note_work AFTER INSERT OR UPDATE ON leads
        FOR EACH STATEMENT EXECUTE FUNCTION test_note_work();
      CREATE FUNCTION test_lose_answer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key LIKE 'lost-%' AND OLD.response_status IS NULL AND NEW.response_status IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM test_work_xacts WHERE xid = txid_current()) THEN
          RAISE EXCEPTION 'simulated crash before the answer was stored';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_lose_answer BEFORE UPDATE ON idempotency_keys
        FOR EACH ROW EXECUTE FUNCTION test_lose_answer();`);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** What a retry finds once the dead process's lease has run out. */
  async function leaseRunsOut(key: string): Promise<void> {
    const { rowCount } = await t.sql.query(
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    expect(rowCount).toBe(1);
  }

  async function leads(n: number): Promise<{ ids: string[]; phones: string[] }> {
    const offset = phoneOffset;
    phoneOffset += n;
    const ids = await seedLeads(t.sql, a.subAccountId, n, offset);
    return { ids, phones: ids.map((_, i) => phoneOf(offset + i)) };
  }

  const postBulk = (body: object, key: string) =>
    t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', `Bearer ${t.token('MANAGER', [a.subAccountId], 'manager-1')}`)
      .set('Idempotency-Key', key)
      .send(body);

  /** The retry got the first request's answer again, byte for byte, marked as a replay. */
  function expectReplayOf(retry: Response, first: Response): void {
    expect(retry.status).toBe(first.status);
    expect(retry.text).toBe(first.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  }

  it('a bulk: the retry replays the first answer, and every recipient got one message', async () => {
    const { ids, phones } = await leads(3);
    const body = {
      subAccountId: a.subAccountId,
      leadIds: ids,
      template: { id: a.templateId },
      parameters: { 1: 'Ana' },
    };
    const before = await bulkCount();
    const first = await postBulk(body, 'lost-bulk');
    expect(first.status).toBe(202);
    await leaseRunsOut('lost-bulk');

    const retry = await postBulk(body, 'lost-bulk');
    expectReplayOf(retry, first);
    expect(await bulkCount()).toBe(before + 1);
    // the answer is a bulk's usual answer: as a run with no crash answers for three other leads
    const normal = await postBulk({ ...body, leadIds: (await leads(3)).ids }, 'normal-bulk');
    expect(normal.status).toBe(202);
    expect(retry.body).toEqual({ ...normal.body, id: first.body.id as string });
    expect(retry.body).toEqual({
      id: expect.stringMatching(/^[0-9]+$/),
      status: 'queued',
      recipients: 3,
      skipped: { noPhone: 0, optedOut: 0, duplicatePhone: 0, windowClosed: 0 },
    });
    await waitFor(
      async () => (await getBulk(t, a.subAccountId, first.body.id as string)).status === 'completed',
      60_000,
      'the bulk to complete',
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const phone of phones) expect(sendsTo(phone)).toHaveLength(1);
    // and it stays so: another retry replays the same answer
    expectReplayOf(await postBulk(body, 'lost-bulk'), first);
    expect(await bulkCount()).toBe(before + 2);
  }, 60_000);

  it('a single send: the retry replays the first answer, and one message was written and sent', async () => {
    const phone = phoneOf(phoneOffset++);
    const body = { subAccountId: a.subAccountId, to: phone, template: { id: a.templateId }, parameters: { 1: 'Ana' } };
    const post = () =>
      t.http
        .post('/api/whatsapp/messages')
        .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-1')}`)
        .set('Idempotency-Key', 'lost-send')
        .send(body);
    const first = await post();
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      conversationId: expect.stringMatching(/^[0-9]+$/),
    });
    await leaseRunsOut('lost-send');

    expectReplayOf(await post(), first);
    const messages = () =>
      count(
        `SELECT count(*)::int AS n FROM messages WHERE direction = 'outbound' AND regexp_replace(recipient, '[^0-9]', '', 'g') = $1`,
        [digits(phone)],
      );
    expect(await messages()).toBe(1);
    await waitFor(async () => sendsTo(phone).length > 0, 20_000, 'the send');
    await new Promise((r) => setTimeout(r, 500));
    expect(sendsTo(phone)).toHaveLength(1);
    expect(await messages()).toBe(1);
  });

  it('a manual lead: the retry replays the first answer (201 and the lead as created), and one lead exists', async () => {
    // a name only: nothing to deduplicate on, so a second create would be a second lead
    const body = { subAccountId: a.subAccountId, fullName: 'Lost Answer' };
    const post = () =>
      t.http
        .post('/api/leads')
        .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-1')}`)
        .set('Idempotency-Key', 'lost-lead')
        .send(body);
    const first = await post();
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ fullName: 'Lost Answer', subAccountId: a.subAccountId });
    await leaseRunsOut('lost-lead');

    expectReplayOf(await post(), first);
    expect(
      await count(`SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND full_name = 'Lost Answer'`, [
        a.subAccountId,
      ]),
    ).toBe(1);
  });

  it('covers every @Idempotent() route: a new one must record its answer in its work and be added here', () => {
    const routes = controllersOf(t.app).flatMap((controller) => {
      const prototype = controller.prototype as Record<string, unknown>;
      return Object.getOwnPropertyNames(prototype).flatMap((name) => {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') return [];
        const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
        if (!interceptors.includes(IdempotencyInterceptor)) return [];
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = [
          'api',
          Reflect.getMetadata(PATH_METADATA, controller),
          Reflect.getMetadata(PATH_METADATA, handler),
        ]
          .flatMap((p: unknown) => (typeof p === 'string' ? p.split('/') : []))
          .filter((p) => p !== '');
        return [`${method} /${path.join('/')}`];
      });
    });
    expect(routes.sort()).toEqual(COVERED_ROUTES);
  });

  it('a bulk whose transaction rolled back (and whose process then died) leaves the key to a retry: one bulk', async () => {
    const { ids, phones } = await leads(2);
    const body = {
      subAccountId: a.subAccountId,
      leadIds: ids,
      template: { id: a.templateId },
      parameters: { 1: 'Ana' },
    };
    const before = await bulkCount();
    // the commit itself fails (a deferred trigger runs at COMMIT, after every statement of the work), and
    // the claim is not released either: as if the process died right after the rollback
    await t.sql.query(`
      CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated failure'; END $$;
      CREATE CONSTRAINT TRIGGER test_fail_commit AFTER INSERT ON whatsapp_bulk_jobs
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail();
      CREATE TRIGGER test_keep_claim BEFORE DELETE ON idempotency_keys
        FOR EACH ROW EXECUTE FUNCTION test_fail();`);
    const failed = await postBulk(body, 'rolled-back-bulk');
    await t.sql.query(`
      DROP TRIGGER test_fail_commit ON whatsapp_bulk_jobs;
      DROP TRIGGER test_keep_claim ON idempotency_keys;
      DROP FUNCTION test_fail();`);
    expect(failed.status).toBe(500);
    expect(await bulkCount()).toBe(before);
    // the claim's "work committed" was written in the work's transaction, and rolled back with it
    expect(
      await count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1 AND work_committed_at IS NULL`, [
        'rolled-back-bulk',
      ]),
    ).toBe(1);
    await leaseRunsOut('rolled-back-bulk');

    const retry = await postBulk(body, 'rolled-back-bulk');
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await bulkCount()).toBe(before + 1);
    await waitFor(
      async () => (await getBulk(t, a.subAccountId, retry.body.id as string)).status === 'completed',
      60_000,
      'the bulk to complete',
    );
    for (const phone of phones) expect(sendsTo(phone)).toHaveLength(1);
    // its answer was stored: the next retry replays it
    const replay = await postBulk(body, 'rolled-back-bulk');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(retry.body);
  }, 60_000);
});
