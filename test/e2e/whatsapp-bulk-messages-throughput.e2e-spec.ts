// Issue 12 points 5 and 8: bulk sends honour the number's throughput (130429) and Meta's pair limit
// (131056), and agents' replies go ahead of bulk traffic on the same number. The app runs its workers in
// this process against the fake Graph API. The single-send core (message rows, statuses, 131050) and
// opt-out keywords are in whatsapp-bulk-messages.e2e-spec.ts; the shared setup in
// test/support/whatsapp-bulk-messages-setup.ts.
import { whatsAppRateKey } from '../../src/modules/whatsapp/whatsapp-numbers.service';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { getBulk, phoneOf, seedLeads } from '../support/whatsapp-bulk';
import { digits } from '../support/whatsapp-bulk-setup';
import { setupWhatsAppBulkMessages, WhatsAppBulkMessages } from '../support/whatsapp-bulk-messages-setup';

describe('WhatsApp bulk sends through the single-send core', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let sentTo: WhatsAppBulkMessages['sentTo'];
  let setup: WhatsAppBulkMessages['setup'];
  let bulk: WhatsAppBulkMessages['bulk'];
  let completed: WhatsAppBulkMessages['completed'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, sentTo, setup, bulk, completed, close } = await setupWhatsAppBulkMessages());
  });
  afterAll(() => close());

  it('130429 (the number is over its throughput at Meta): recipients are retried later and each sent once', async () => {
    const a = await setup({ messagesPerSecond: 80 });
    fake.setNumberRate(a.phoneNumberId, 5); // Meta holds this number to 5/s; the hub was told 80
    try {
      const leadIds = await seedLeads(t.sql, a.subAccountId, 40, 3_200_000);
      const phones = leadIds.map((_, i) => phoneOf(3_200_000 + i));
      const id = await bulk(a, leadIds, { parameters: { '1': 'there' } });
      const view = await completed(a.subAccountId, id, 90_000);
      expect(fake.refused(130429, a.phoneNumberId).length).toBeGreaterThan(0);
      expect(view.counts).toMatchObject({ total: 40, sent: 40, failed: 0, unknown: 0, pending: 0 });
      expect(sentTo(phones, a.phoneNumberId)).toHaveLength(40);
      expect(fake.duplicates(a.phoneNumberId)).toEqual([]);
      // every message row went out once, with its own id
      const { rows } = await t.sql.query(
        `SELECT count(*)::int AS n, count(DISTINCT wamid)::int AS wamids FROM messages WHERE bulk_job_id = $1`,
        [id],
      );
      expect(rows[0]).toEqual({ n: 40, wamids: 40 });
    } finally {
      fake.setNumberRate(a.phoneNumberId, null);
    }
  });

  it('130429 on a single send: the number pauses, the message is retried later and sent once', async () => {
    const a = await setup();
    fake.setNumberRate(a.phoneNumberId, 0); // Meta refuses everything on this number for now
    const to = '+5511944440001';
    let id: string;
    try {
      const res = await t.http
        .post('/api/whatsapp/messages')
        .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-9')}`)
        .send({ subAccountId: a.subAccountId, to, template: { id: a.templateId }, parameters: { 1: 'Ana' } });
      expect(res.status).toBe(202);
      id = res.body.id as string;
      await waitFor(async () => fake.refused(130429, a.phoneNumberId).length >= 1, 20_000, 'a 130429');
      const { rows } = await t.sql.query('SELECT status, send_state, wamid FROM messages WHERE id = $1', [id]);
      expect(rows[0]).toMatchObject({ status: 'queued', wamid: null });
    } finally {
      fake.setNumberRate(a.phoneNumberId, null);
    }
    const sent = await waitFor(async () => sentTo([to], a.phoneNumberId)[0] ?? null, 30_000, 'the retried send');
    expect(sent.bizOpaqueCallbackData).toBe(id);
    // sent once: every send job of the message has ended (a fixed 1 s wait missed a late retry under
    // load); the refused try and the retried one are both among them
    const jobs = await waitFor(
      async () => {
        const { rows } = await t.sql.query<{ open: number; total: number }>(
          `SELECT count(*) FILTER (WHERE state IN ('created', 'retry', 'active'))::int AS open, count(*)::int AS total
           FROM pgboss.job WHERE name = 'whatsapp-send' AND data->>'messageId' = $1`,
          [id],
        );
        return rows[0].open === 0 ? rows[0] : null;
      },
      20_000,
      "the message's send jobs to end",
    );
    expect(jobs.total).toBeGreaterThanOrEqual(2);
    expect(sentTo([to], a.phoneNumberId)).toHaveLength(1);
    const { rows } = await t.sql.query('SELECT send_state, wamid FROM messages WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ send_state: 'accepted', wamid: sent.wamid });
  });

  it("an agent's single send goes ahead of a running bulk on the same number", async () => {
    const a = await setup({ messagesPerSecond: 4 });
    const leadIds = await seedLeads(t.sql, a.subAccountId, 60, 3_300_000);
    const id = await bulk(a, leadIds, { parameters: { '1': 'there' } });
    await waitFor(async () => fake.accepted(a.phoneNumberId).length >= 8, 30_000, 'the bulk under way');
    const agentPhone = '+5511977770001';
    const res = await t.http
      .post('/api/whatsapp/messages')
      .set('authorization', `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-7')}`)
      .send({ subAccountId: a.subAccountId, to: agentPhone, template: { id: a.templateId }, parameters: { 1: 'Ana' } });
    expect(res.status).toBe(202);
    // the message is queued once the 202 is here: count from the fake's record, not the wall clock
    const queuedAt = Date.now();
    const waiting = 60 - fake.accepted(a.phoneNumberId).length;
    const agentSend = await waitFor(
      async () => sentTo([agentPhone], a.phoneNumberId)[0] ?? null,
      20_000,
      "the agent's message",
    );
    const bulkAhead = fake.accepted(a.phoneNumberId).filter((s) => s.at >= queuedAt && s.at <= agentSend.at).length - 1;
    // at 4/s, 40-odd bulk messages were still waiting: FIFO would have put all of them ahead (~13 s
    // back). Counted in the number's sends rather than in ms, a loaded machine (slower pickup, slower
    // bulk alike) does not move it: it measured 1.1 s / 3 sends under load, and CI once took > 3.5 s
    expect(waiting).toBeGreaterThan(40);
    expect(bulkAhead).toBeLessThanOrEqual(12);
    const view = await getBulk(t, a.subAccountId, id);
    expect(view.counts.pending).toBeGreaterThan(20);
    // and the bulk still finishes with everyone sent once, the number never above its rate
    await completed(a.subAccountId, id, 60_000);
    expect(fake.duplicates(a.phoneNumberId)).toEqual([]);
    expect(fake.maxInAnyWindow(1000, a.phoneNumberId)).toBeLessThanOrEqual(4);
    const { rows } = await t.sql.query(`SELECT lane, status FROM messages WHERE id = $1`, [res.body.id]);
    expect(rows[0].lane).toBe('agent');
  });

  it("131056 (pair rate limit) backs off that recipient only; the number's other traffic goes on", async () => {
    const a = await setup({ messagesPerSecond: 20 });
    fake.setPairLimit({ burst: 1, everyMs: 2000 }); // Meta stricter than the pace the hub assumes
    try {
      const busy = '+5511966660001';
      const agent = `Bearer ${t.token('AGENT', [a.subAccountId], 'agent-8')}`;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await t.http
          .post('/api/whatsapp/messages')
          .set('authorization', agent)
          .send({ subAccountId: a.subAccountId, to: busy, template: { id: a.templateId }, parameters: { 1: `n${i}` } });
        expect(res.status).toBe(202);
        ids.push(res.body.id as string);
      }
      await waitFor(async () => fake.refused(131056, a.phoneNumberId).length > 0, 20_000, 'a pair refusal');
      // meanwhile a bulk on the same number runs at full speed: the number was not paused
      const leadIds = await seedLeads(t.sql, a.subAccountId, 20, 3_400_000);
      const id = await bulk(a, leadIds, { parameters: { '1': 'there' } });
      await completed(a.subAccountId, id, 30_000);
      // A pause of the number (as 130429 makes) lasts the back-off, 4 s at least: it would be stored on
      // the number's bucket and show as a gap in the bulk's sends at the fake. Both are read, not the
      // wall time of the whole bulk (< 8 s asserted before: it timed the machine's load as well)
      const bucket = await t.sql.query<{ paused_until: Date | null }>(
        'SELECT paused_until FROM rate_limit_buckets WHERE key = $1',
        [whatsAppRateKey(a.phoneNumberId)],
      );
      expect(bucket.rows).toEqual([{ paused_until: null }]);
      const bulkSends = sentTo(
        leadIds.map((_, i) => phoneOf(3_400_000 + i)),
        a.phoneNumberId,
      ).map((s) => s.at);
      expect(bulkSends).toHaveLength(20);
      const gaps = bulkSends.slice(1).map((at, i) => at - bulkSends[i]);
      expect(Math.max(...gaps)).toBeLessThan(4_000);
      expect(fake.refused(130429, a.phoneNumberId)).toHaveLength(0);
      expect(fake.refused(131056, a.phoneNumberId).every((s) => digits(s.to) === digits(busy))).toBe(true);
      // the busy recipient's three messages all arrive, each once, spaced by the pair limit
      await waitFor(async () => sentTo([busy], a.phoneNumberId).length === 3, 60_000, "the busy recipient's messages");
      const sends = sentTo([busy], a.phoneNumberId);
      expect(new Set(sends.map((s) => s.bizOpaqueCallbackData))).toEqual(new Set(ids));
      for (let i = 1; i < sends.length; i++) expect(sends[i].at - sends[i - 1].at).toBeGreaterThanOrEqual(2000);
      const { rows } = await t.sql.query(`SELECT status FROM messages WHERE id = ANY($1::uuid[])`, [ids]);
      expect(rows.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']); // sent/delivered come by webhook
    } finally {
      fake.setPairLimit(null);
    }
  });
});
