// Idempotency-Key when the first request's process dies between its work's commit and the statement
// that stores its answer: the key is left "in progress" until its 5-minute lease runs out. A retry after
// that must never do the work again (a second bulk to every recipient, a second message, a second lead):
// it is told the work was done but its answer was lost. The crash is simulated in PostgreSQL: a trigger
// refuses to store the answer of the keys named `lost-…` (the first request still answers, as a process
// that died after its reply would have), then the lease is moved into the past.
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup, getBulk, phoneOf, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

const ANSWER_LOST = {
  statusCode: 409,
  code: 'CONFLICT',
  message:
    'The request with this Idempotency-Key did its work, but its answer was lost: look the result up instead of retrying',
};

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
    // the process "dies" before the answer is stored: storing it fails, the reply still goes out
    await t.sql.query(`
      CREATE FUNCTION test_lose_answer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key LIKE 'lost-%' AND NEW.response_status IS NOT NULL THEN
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
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
       WHERE key = $1 AND response_status IS NULL`,
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

  it('a bulk: the retry is 409, and every recipient got one message', async () => {
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
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(ANSWER_LOST);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await bulkCount()).toBe(before + 1);
    await waitFor(
      async () => (await getBulk(t, a.subAccountId, first.body.id as string)).status === 'completed',
      60_000,
      'the bulk to complete',
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const phone of phones) expect(sendsTo(phone)).toHaveLength(1);
    // and it stays so: another retry is the same 409
    expect((await postBulk(body, 'lost-bulk')).body).toEqual(ANSWER_LOST);
  }, 60_000);

  it('a single send: the retry is 409, and one message was written and sent', async () => {
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
    await leaseRunsOut('lost-send');

    const retry = await post();
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(ANSWER_LOST);
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

  it('a manual lead: the retry is 409, and one lead exists', async () => {
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
    await leaseRunsOut('lost-lead');

    const retry = await post();
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(ANSWER_LOST);
    expect(
      await count(`SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND full_name = 'Lost Answer'`, [
        a.subAccountId,
      ]),
    ).toBe(1);
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
