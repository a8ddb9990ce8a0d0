// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on POST /api/whatsapp/bulk,
// POST /api/whatsapp/messages and POST /api/leads: a double click or a network retry of the CRM
// does the work once and answers the retry with the first answer. The app runs its workers in this
// process (APP_ROLE=all) against the fake Graph API, so "sent once" is what the fake saw.
import { requestFingerprint } from '../../src/common/idempotency/idempotency-key';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup, getBulk, phoneOf, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

describe('Idempotency-Key', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let a: BulkSetup;
  let b: BulkSetup;
  let phoneOffset = 7_000_000;
  const bearer = (sub: number, user = 'manager-1') => `Bearer ${t.token('MANAGER', [sub], user)}`;
  const digits = (phone: string) => phone.replace(/[^0-9]/g, '');
  const sendsTo = (phone: string) => fake.accepted().filter((s) => digits(s.to) === digits(phone));

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    a = await whatsAppSetup(t, fake);
    b = await whatsAppSetup(t, fake, { phoneNumberId: '106540352248888' });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** `count` fresh leads of the setup's sub-account, their phones never used by another test. */
  async function leads(setup: BulkSetup, count: number): Promise<{ ids: string[]; phones: string[] }> {
    const offset = phoneOffset;
    phoneOffset += count;
    const ids = await seedLeads(t.sql, setup.subAccountId, count, offset);
    return { ids, phones: ids.map((_, i) => phoneOf(offset + i)) };
  }

  function bulkBody(setup: BulkSetup, leadIds: string[]) {
    return {
      subAccountId: setup.subAccountId,
      leadIds,
      template: { id: setup.templateId },
      parameters: { '1': 'Ana' },
    };
  }

  function postBulk(setup: BulkSetup, body: object, key?: string, user?: string) {
    const req = t.http.post('/api/whatsapp/bulk').set('authorization', bearer(setup.subAccountId, user));
    if (key !== undefined) void req.set('Idempotency-Key', key);
    return req.send(body);
  }

  async function bulkCount(setup: BulkSetup): Promise<number> {
    const { rows } = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM whatsapp_bulk_jobs WHERE sub_account_id = $1',
      [setup.subAccountId],
    );
    return rows[0].n;
  }

  async function completed(setup: BulkSetup, id: string) {
    return waitFor(
      async () => {
        const bulk = await getBulk(t, setup.subAccountId, id);
        return bulk.status === 'completed' ? bulk : null;
      },
      60_000,
      `bulk ${id} to complete`,
    );
  }

  it('two concurrent identical bulk POSTs with one key make one bulk; both answers name it', async () => {
    const { ids, phones } = await leads(a, 3);
    const before = await bulkCount(a);
    const body = bulkBody(a, ids);
    const answers = await Promise.all([postBulk(a, body, 'double-click-1'), postBulk(a, body, 'double-click-1')]);
    expect(await bulkCount(a)).toBe(before + 1);
    // the second waits for the first and replays it (a 409 only past the wait, which a 3-lead bulk never needs)
    for (const res of answers) expect(res.status).toBe(202);
    expect(answers[0].body.id).toBe(answers[1].body.id);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
    await completed(a, answers[0].body.id as string);
    for (const phone of phones) expect(sendsTo(phone)).toHaveLength(1);
  });

  it('a sequential retry replays the first answer with Idempotent-Replayed and sends nothing again', async () => {
    const { ids, phones } = await leads(a, 2);
    const body = bulkBody(a, ids);
    const first = await postBulk(a, body, 'retry-1');
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    await completed(a, first.body.id as string);
    const before = await bulkCount(a);

    // the same body with its keys in another order is the same request
    const reordered = {
      parameters: body.parameters,
      template: body.template,
      leadIds: ids,
      subAccountId: a.subAccountId,
    };
    const retry = await postBulk(a, reordered, 'retry-1');
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await bulkCount(a)).toBe(before);
    await new Promise((r) => setTimeout(r, 500));
    for (const phone of phones) expect(sendsTo(phone)).toHaveLength(1);
  });

  it('the same key with another body is 409 CONFLICT, and nothing is created', async () => {
    const { ids } = await leads(a, 2);
    const first = await postBulk(a, bulkBody(a, [ids[0]]), 'other-body-1');
    expect(first.status).toBe(202);
    const before = await bulkCount(a);
    const other = await postBulk(a, bulkBody(a, ids), 'other-body-1');
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      statusCode: 409,
      code: 'CONFLICT',
      message: 'This Idempotency-Key was used with a different request body',
      details: [],
    });
    expect(await bulkCount(a)).toBe(before);
  });

  it('a key is scoped to its sub-account and its user: the same key elsewhere is a new request', async () => {
    const la = await leads(a, 1);
    const lb = await leads(b, 1);
    const mine = await postBulk(a, bulkBody(a, la.ids), 'shared-key');
    const otherTenant = await postBulk(b, bulkBody(b, lb.ids), 'shared-key');
    const otherUser = await postBulk(a, bulkBody(a, la.ids), 'shared-key', 'manager-2');
    for (const res of [mine, otherTenant, otherUser]) {
      expect(res.status).toBe(202);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(new Set([mine.body.id, otherTenant.body.id, otherUser.body.id]).size).toBe(3);
    // and a super-admin naming sub-account A with A's key is another user too
    const admin = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN', [], 'root')}`)
      .set('Idempotency-Key', 'shared-key')
      .send(bulkBody(a, la.ids));
    expect(admin.status).toBe(202);
    expect(admin.body.id).not.toBe(mine.body.id);
    // the same user, once no longer allowed on sub-account A, is refused, never replayed A's answer
    const revoked = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', `Bearer ${t.token('MANAGER', [b.subAccountId], 'manager-1')}`)
      .set('Idempotency-Key', 'shared-key')
      .send(bulkBody(a, la.ids));
    expect(revoked.status).toBe(403);
    expect(revoked.headers['idempotent-replayed']).toBeUndefined();
    expect(revoked.body).toEqual({
      statusCode: 403,
      code: 'FORBIDDEN',
      message: `You may not act on sub-account ${a.subAccountId}`,
      details: [],
    });
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé-1'],
    ['an empty structured string', '""'],
  ])('a key that is %s is 400 VALIDATION_FAILED', async (_what, key) => {
    const { ids } = await leads(a, 1);
    const before = await bulkCount(a);
    const res = await postBulk(a, bulkBody(a, ids), key);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(res.body.details).toEqual([{ field: 'Idempotency-Key', messages: [expect.any(String)] }]);
    expect(await bulkCount(a)).toBe(before);
  });

  it('a body the route refuses is refused as without a key (a sub-account id past int4 is 400, not 500)', async () => {
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN', [], 'root')}`)
      .set('Idempotency-Key', 'huge-sub-account')
      .send({ ...bulkBody(a, ['1']), subAccountId: 2 ** 31 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('takes the key as the draft writes it (a structured-field string) or bare, as the same key', async () => {
    const { ids } = await leads(a, 1);
    const quoted = await postBulk(a, bulkBody(a, ids), '"8e03978e-40d5-43e8-bc93-6894a57f9324"');
    const bare = await postBulk(a, bulkBody(a, ids), '8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(quoted.status).toBe(202);
    expect(bare.status).toBe(202);
    expect(bare.headers['idempotent-replayed']).toBe('true');
    expect(bare.body.id).toBe(quoted.body.id);
    // 255 printable characters are a key
    const longest = await postBulk(a, bulkBody(a, ids), `~ ${'k'.repeat(253)}`);
    expect(longest.status).toBe(202);
  });

  it('without a key two identical POSTs are two bulks, as before', async () => {
    const { ids } = await leads(a, 1);
    const before = await bulkCount(a);
    const one = await postBulk(a, bulkBody(a, ids));
    const two = await postBulk(a, bulkBody(a, ids));
    expect([one.status, two.status]).toEqual([202, 202]);
    expect(one.body.id).not.toBe(two.body.id);
    expect(two.headers['idempotent-replayed']).toBeUndefined();
    expect(await bulkCount(a)).toBe(before + 2);
  });

  it('a first request that failed keeps nothing: the same key is free for the corrected request', async () => {
    const { ids } = await leads(a, 1);
    const bad = await postBulk(a, { ...bulkBody(a, ids), template: { id: '999999999' } }, 'fix-and-retry');
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const again = await postBulk(a, { ...bulkBody(a, ids), template: { id: '999999999' } }, 'fix-and-retry');
    expect(again.status).toBe(bad.status);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const fixed = await postBulk(a, bulkBody(a, ids), 'fix-and-retry');
    expect(fixed.status).toBe(202);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a request another process is still working on: waited for and replayed, or 409 once the wait is over', async () => {
    const { ids } = await leads(a, 1);
    const body = bulkBody(a, ids);
    // what another API process holds while its bulk is being written: the claimed key, no answer yet
    const claim = (key: string) =>
      t.sql.query(
        `INSERT INTO idempotency_keys (sub_account_id, route, user_sub, key, fingerprint, locked_until)
         VALUES ($1, 'POST /api/whatsapp/bulk', 'manager-1', $2, $3, now() + interval '5 minutes')`,
        [a.subAccountId, key, requestFingerprint(body)],
      );
    const before = await bulkCount(a);
    await claim('held-then-done');
    const started = Date.now();
    // then() sends it now, while the key is held
    const waiting = postBulk(a, body, 'held-then-done').then((res) => res);
    const stored = { id: '424242', status: 'queued', recipients: 1, skipped: {} };
    setTimeout(() => {
      void t.sql.query(
        `UPDATE idempotency_keys SET response_status = 202, response_body = $2, completed_at = now() WHERE key = $1`,
        ['held-then-done', JSON.stringify(stored)],
      );
    }, 400);
    const replayed = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(replayed.status).toBe(202);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(stored);

    await claim('held-for-good');
    const refused = await postBulk(a, body, 'held-for-good');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'CONFLICT',
      message: 'A request with this Idempotency-Key is in progress',
    });
    // the held requests made no bulk
    expect(await bulkCount(a)).toBe(before);
  }, 30_000);

  it('a retried single send is sent once', async () => {
    const phone = phoneOf(phoneOffset++);
    const send = { subAccountId: a.subAccountId, to: phone, template: { id: a.templateId }, parameters: { 1: 'Ana' } };
    const post = () =>
      t.http
        .post('/api/whatsapp/messages')
        .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-1')}`)
        .set('Idempotency-Key', 'send-1')
        .send(send);
    const first = await post();
    expect(first.status).toBe(202);
    await waitFor(async () => sendsTo(phone).length > 0, 20_000, 'the send');
    const retry = await post();
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    await new Promise((r) => setTimeout(r, 500));
    expect(sendsTo(phone)).toHaveLength(1);
  });

  it('a retried manual lead create replays its 201, not the 200 of a deduplication', async () => {
    const post = (key: string) =>
      t.http
        .post('/api/leads')
        .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-1')}`)
        .set('Idempotency-Key', key)
        .send({ subAccountId: a.subAccountId, fullName: 'Idem Potent', email: 'idem@example.test' });
    const first = await post('lead-1');
    expect(first.status).toBe(201);
    const retry = await post('lead-1');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // without the key's replay the same lead is matched again: 200
    const fresh = await post('lead-2');
    expect(fresh.status).toBe(200);
    expect(fresh.body.id).toBe(first.body.id);
  });
});
