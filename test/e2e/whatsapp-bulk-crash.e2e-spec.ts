// Issue 12 point 8: a bulk of 2,000 recipients, its worker SIGKILLed midway, completes with every
// recipient sent exactly once as the fake Graph API counts, and with counts that add up. The API
// runs in this process (APP_ROLE=api); the workers are separate processes, as in production.
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { getBulk, phoneOf, seedLead, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';
import { startWorker } from '../support/worker-process';

const RECIPIENTS = 2000;

describe('WhatsApp bulk: a worker killed mid-bulk', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
      messagesPerSecond: 80,
    });
    t = await createTestApp({ env: { APP_ROLE: 'api', META_GRAPH_URL: fake.url, JOB_LEASE_SECONDS: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('sends every recipient exactly once, marks the lost answers unknown, and completes only at the end', async () => {
    const { subAccountId, templateId } = await whatsAppSetup(t, fake);
    const leadIds = await seedLeads(t.sql, subAccountId, RECIPIENTS);
    const noPhone = await seedLead(t.sql, subAccountId, null, 'NoPhone');
    const twin = await seedLead(t.sql, subAccountId, phoneOf(7), 'Twin'); // same phone as the 8th lead
    const created = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', `Bearer ${t.token('MANAGER', [subAccountId])}`)
      .send({
        subAccountId,
        leadIds: [...leadIds, noPhone, twin],
        template: { id: templateId },
        parameters: { '1': '{{lead.firstName}}' },
      });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      recipients: RECIPIENTS,
      skipped: { noPhone: 1, optedOut: 0, duplicatePhone: 1, windowClosed: 0 },
    });
    const bulkId = created.body.id as string;

    // the first worker sends a good part, then its requests stay unanswered (recorded by the fake)
    // while it is killed: those answers are lost for good
    const first = startWorker(t.db.url, { META_GRAPH_URL: fake.url });
    try {
      await waitFor(async () => fake.accepted().length >= 600, 120_000, 'the first worker to send 600');
      fake.answerDelayMs = 60_000;
      const answered = fake.sends.length;
      // the kill must find every request the worker marked (request_at committed) at the fake, waiting
      // for its answer: a row marked and never sent is `unknown` by design and never resent, so the
      // test could not count it. The worker is frozen (SIGSTOP) for the check, so nothing is marked
      // between the check and the kill; what it already wrote to its sockets still reaches the fake.
      // A check that fails lets it run on (SIGCONT) and tries again. Without the freeze, sends timing
      // out at 10 s freed lanes that marked a new batch between a passing check and the kill (CI saw
      // 1,992 of 2,000)
      const markedNotSent = async (): Promise<number> => {
        const sent = new Set(fake.sends.map((s) => s.to));
        const { rows } = await t.sql.query<{ phone: string }>(
          'SELECT phone FROM whatsapp_bulk_recipients WHERE bulk_id = $1 AND request_at IS NOT NULL',
          [bulkId],
        );
        return rows.filter((r) => !sent.has(r.phone)).length;
      };
      await waitFor(
        async () => {
          await new Promise((r) => setTimeout(r, 500));
          first.kill('SIGSTOP');
          await new Promise((r) => setTimeout(r, 300));
          if (fake.sends.length > answered && (await markedNotSent()) === 0) return true;
          first.kill('SIGCONT');
          return false;
        },
        60_000,
        'the first worker to have unanswered requests and none marked but unsent',
      );
    } finally {
      first.kill('SIGKILL');
    }
    await new Promise((r) => first.once('exit', r));
    fake.answerDelayMs = 0;
    const mid = await getBulk(t, subAccountId, bulkId);
    expect(mid.status).toBe('running');
    expect(mid.counts.pending).toBeGreaterThan(0);

    const workers = [
      startWorker(t.db.url, { META_GRAPH_URL: fake.url }),
      startWorker(t.db.url, { META_GRAPH_URL: fake.url }),
    ];
    let done;
    try {
      done = await waitFor(
        async () => {
          const bulk = await getBulk(t, subAccountId, bulkId);
          return bulk.status === 'completed' ? bulk : null;
        },
        150_000,
        'the bulk to complete',
      );
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
    }

    // the fake's count decides: each of the 2,000 phones exactly once, none twice, nothing else
    const accepted = fake.accepted();
    expect(fake.duplicates()).toEqual([]);
    expect(accepted).toHaveLength(RECIPIENTS);
    expect(new Set(accepted.map((s) => s.to))).toEqual(
      new Set(Array.from({ length: RECIPIENTS }, (_, i) => phoneOf(i))),
    );
    expect(fake.maxInAnyWindow(1000)).toBeLessThanOrEqual(80);

    // the ledger: answers lost with the killed worker are `unknown` (each of them did reach the fake once)
    expect(done.counts.total).toBe(RECIPIENTS + 2);
    expect(done.counts.skipped).toBe(2);
    expect(done.counts.pending).toBe(0);
    expect(done.counts.failed).toBe(0);
    expect(done.counts.unknown).toBeGreaterThan(0);
    expect(done.counts.sent + done.counts.unknown).toBe(RECIPIENTS);
    expect(done.etaSeconds).toBeNull();
    const ledger = await t.sql.query<{ phone: string; state: string; wamid: string | null }>(
      `SELECT r.phone, r.state, r.wamid FROM whatsapp_bulk_recipients r WHERE r.bulk_id = $1 AND r.state <> 'skipped'`,
      [bulkId],
    );
    const byPhone = new Map(accepted.map((s) => [s.to, s.wamid]));
    for (const row of ledger.rows) {
      expect(byPhone.has(row.phone)).toBe(true);
      if (row.state === 'accepted') expect(row.wamid).toBe(byPhone.get(row.phone));
      else expect(row.state).toBe('unknown');
    }
    // the template went out with each lead's own first name
    expect(JSON.stringify(accepted.find((s) => s.to === phoneOf(5))?.body)).toContain('"text":"Lead5"');
  }, 400_000);
});
