// Issue 12 points 2, 5, 6 and 8: bulk sends go through the single-send core (a message row per
// recipient, our id in biz_opaque_callback_data, statuses move the ledger, 131050 opts out), the
// number's throughput (130429) and Meta's pair limit (131056) are honoured, agents' replies go ahead
// of bulk traffic on the same number, and opt-out keywords are configurable per integration. The app
// runs its workers in this process against the fake Graph API; webhooks reach it over HTTP.
import { whatsAppRateKey } from '../../src/modules/whatsapp/whatsapp-numbers.service';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, SignedDelivery, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor, eventsSettled } from '../support/webhooks';
import {
  approvedTemplate,
  BULK_TEMPLATE,
  BulkSetup,
  getBulk,
  phoneOf,
  seedLead,
  seedLeads,
  whatsAppSetup,
} from '../support/whatsapp-bulk';

const digits = (phone: string) => phone.replace(/[^0-9]/g, '');
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('WhatsApp bulk sends through the single-send core', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let url: string;
  let numberSeq = 0;
  const auth = (sub: number, role: 'ADMIN' | 'MANAGER' | 'AGENT' = 'MANAGER') => `Bearer ${t.token(role, [sub])}`;
  const sentTo = (phones: string[], phoneNumberId?: string) =>
    fake.accepted(phoneNumberId).filter((s) => phones.map(digits).includes(digits(s.to)));

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    await t.app.listen(0, '127.0.0.1');
    url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** A sub-account on a number of its own (its own bucket at Meta and in the hub). */
  async function setup(config: Record<string, unknown> = {}): Promise<BulkSetup & { phoneNumberId: string }> {
    const phoneNumberId = `1065403522${String(50_000 + ++numberSeq)}`;
    const s = await whatsAppSetup(t, fake, { phoneNumberId, ...config });
    return { ...s, phoneNumberId };
  }

  async function hook(delivery: SignedDelivery): Promise<void> {
    const res = await deliver(url, delivery);
    expect(res.status).toBe(200);
  }

  const processed = () => eventsSettled(t);

  async function bulk(s: BulkSetup, leadIds: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(s.subAccountId))
      .send({
        subAccountId: s.subAccountId,
        leadIds,
        template: { id: s.templateId },
        parameters: { '1': '{{lead.firstName}}' },
        ...extra,
      });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  async function completed(sub: number, id: string, ms = 60_000) {
    return waitFor(
      async () => {
        const view = await getBulk(t, sub, id);
        return view.status === 'completed' ? view : null;
      },
      ms,
      `bulk ${id} to complete`,
    );
  }

  const ledger = async (bulkId: string) =>
    (
      await t.sql.query<{
        lead_id: string;
        phone: string | null;
        state: string;
        skip_reason: string | null;
        message_id: string | null;
        wamid: string | null;
        error_code: number | null;
      }>(
        `SELECT lead_id::text, phone, state, skip_reason, message_id::text, wamid, error_code
         FROM whatsapp_bulk_recipients WHERE bulk_id = $1 ORDER BY id`,
        [bulkId],
      )
    ).rows;

  it('writes an outbound message per recipient (our id to Meta), and status webhooks move delivered/read', async () => {
    const a = await setup();
    const hooks = fake.webhooks(a.phoneNumberId);
    const phones = [phoneOf(3_000_001), phoneOf(3_000_002), phoneOf(3_000_003)];
    const leads = [
      await seedLead(t.sql, a.subAccountId, phones[0], 'Ana'),
      await seedLead(t.sql, a.subAccountId, phones[1], 'Bia'),
      await seedLead(t.sql, a.subAccountId, phones[2], 'Caio'),
    ];
    const nophone = await seedLead(t.sql, a.subAccountId, null, 'Nophone');
    const id = await bulk(a, [...leads, nophone]);
    await completed(a.subAccountId, id);

    const rows = await ledger(id);
    // a recipient without a phone is skipped with API.md's reason (noPhone), and gets no message
    expect(rows.find((r) => r.lead_id === nophone)).toMatchObject({
      state: 'skipped',
      skip_reason: 'noPhone',
      message_id: null,
    });
    const sent = rows.filter((r) => r.lead_id !== nophone);
    expect(sent.every((r) => r.state === 'accepted' && r.message_id !== null && r.wamid !== null)).toBe(true);
    const { rows: messages } = await t.sql.query(
      `SELECT id::text, lead_id::text, lane, direction, type, status, wamid, bulk_job_id::text, bulk_recipient_id::text,
              template_name, conversation_id::text
       FROM messages WHERE bulk_job_id = $1 ORDER BY bulk_recipient_id`,
      [id],
    );
    expect(messages).toHaveLength(3);
    for (const [i, m] of messages.entries()) {
      expect(m).toMatchObject({
        id: sent[i].message_id,
        lead_id: leads[i],
        lane: 'bulk',
        direction: 'outbound',
        type: 'template',
        wamid: sent[i].wamid,
        template_name: BULK_TEMPLATE.name,
      });
      // Meta got our id as biz_opaque_callback_data, once
      const calls = sentTo([phones[i]], a.phoneNumberId);
      expect(calls).toHaveLength(1);
      expect(calls[0].bizOpaqueCallbackData).toBe(m.id);
      expect(calls[0].wamid).toBe(m.wamid);
    }
    // the bulk's messages are in the lead's conversation and the messages list
    const listed = await t.http
      .get(`/api/whatsapp/messages?subAccountId=${a.subAccountId}&leadId=${leads[0]}`)
      .set('authorization', auth(a.subAccountId));
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([sent[0].message_id]);

    // read (sent, delivered, read out of order and repeated) for the first, delivered for the second
    const now = nowSeconds();
    const first = fake.statusesFor(sent[0].wamid ?? '', 'read', now);
    await hook(hooks.statuses([...first].reverse()));
    await hook(hooks.statuses(first));
    await hook(hooks.statuses(fake.statusesFor(sent[1].wamid ?? '', 'delivered', now)));
    await processed();
    const view = await waitFor(
      async () => {
        const v = await getBulk(t, a.subAccountId, id);
        return v.counts.read === 1 && v.counts.delivered === 2 ? v : null;
      },
      20_000,
      'delivered/read counts',
    );
    expect(view.counts).toMatchObject({ total: 4, sent: 3, delivered: 2, read: 1, failed: 0, skipped: 1 });
    const states = (await ledger(id)).map((r) => r.state);
    expect(states).toEqual(['read', 'delivered', 'accepted', 'skipped']);
    // a stale "sent" after "read" moves neither the message nor the ledger back
    await hook(hooks.statuses([first[0]]));
    await processed();
    expect((await ledger(id))[0].state).toBe('read');
    const { rows: msg } = await t.sql.query('SELECT status, read_at, delivered_at FROM messages WHERE id = $1', [
      sent[0].message_id,
    ]);
    expect(msg[0].status).toBe('read');
    expect(msg[0].delivered_at).not.toBeNull();
  });

  it('131050 during a bulk (answered at once or as a failed status) records the opt-out as a single send does', async () => {
    const a = await setup();
    const hooks = fake.webhooks(a.phoneNumberId);
    const [syncPhone, asyncPhone, okPhone] = [phoneOf(3_100_001), phoneOf(3_100_002), phoneOf(3_100_003)];
    fake.failFor(syncPhone, 131050, 'sync');
    fake.failFor(asyncPhone, 131050, 'async');
    const leads = [
      await seedLead(t.sql, a.subAccountId, syncPhone, 'Sync'),
      await seedLead(t.sql, a.subAccountId, asyncPhone, 'Async'),
      await seedLead(t.sql, a.subAccountId, okPhone, 'Fine'),
    ];
    const id = await bulk(a, leads);
    await completed(a.subAccountId, id);
    let rows = await ledger(id);
    expect(rows.map((r) => [r.state, r.error_code])).toEqual([
      ['failed', 131050],
      ['accepted', null],
      ['accepted', null],
    ]);
    // the failed message row carries Meta's code, as a single send's would
    const { rows: failedMessage } = await t.sql.query('SELECT status, error_code FROM messages WHERE id = $1', [
      rows[0].message_id,
    ]);
    expect(failedMessage[0]).toEqual({ status: 'failed', error_code: 131050 });

    // the second recipient's failure arrives later, as a status webhook
    await hook(hooks.statuses(fake.statusesFor(rows[1].wamid ?? '', 'read', nowSeconds())));
    await processed();
    await waitFor(async () => (await ledger(id))[1].state === 'failed', 20_000, 'the failed status in the ledger');
    rows = await ledger(id);
    expect(rows[1].error_code).toBe(131050);
    const view = await getBulk(t, a.subAccountId, id);
    expect(view.counts).toMatchObject({ total: 3, sent: 1, failed: 2 });

    const optOuts = await t.http
      .get(`/api/whatsapp/opt-outs?subAccountId=${a.subAccountId}`)
      .set('authorization', auth(a.subAccountId, 'ADMIN'));
    expect(optOuts.status).toBe(200);
    const byPhone = Object.fromEntries(
      (optOuts.body.items as Array<{ phone: string; scope: string; source: string }>).map((o) => [o.phone, o]),
    );
    expect(Object.keys(byPhone).sort()).toEqual([asyncPhone, syncPhone].sort());
    expect(byPhone[syncPhone]).toMatchObject({ scope: 'marketing', source: 'error_131050' });
    expect(byPhone[asyncPhone]).toMatchObject({ scope: 'marketing', source: 'error_131050' });

    // a marketing bulk afterwards skips both
    const promo = await approvedTemplate(t.sql, fake, a.subAccountId, a.integrationId, {
      ...BULK_TEMPLATE,
      name: 'promo_131050',
      category: 'MARKETING',
    });
    const again = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({ subAccountId: a.subAccountId, leadIds: leads, template: { id: promo }, parameters: { '1': 'x' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ recipients: 1, skipped: { optedOut: 2 } });
  });

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

  it("opt-out keywords configured per integration: the integration's STOP-like word opts out, its START-like word undoes it", async () => {
    const a = await setup({ optOutKeywords: ['CHEGA'], optInKeywords: ['VOLTEI'] });
    const hooks: WhatsAppWebhooks = fake.webhooks(a.phoneNumberId);
    const promo = await approvedTemplate(t.sql, fake, a.subAccountId, a.integrationId, {
      ...BULK_TEMPLATE,
      name: 'promo_keywords',
      category: 'MARKETING',
    });
    const waId = '5511955550001';
    const send = () =>
      t.http
        .post('/api/whatsapp/messages')
        .set('authorization', auth(a.subAccountId, 'AGENT'))
        .send({ subAccountId: a.subAccountId, to: `+${waId}`, template: { id: promo }, parameters: { 1: 'Ana' } });
    const optOuts = async () =>
      (
        await t.http
          .get(`/api/whatsapp/opt-outs?subAccountId=${a.subAccountId}`)
          .set('authorization', auth(a.subAccountId, 'ADMIN'))
      ).body.items as Array<{ waId: string; scope: string; source: string }>;

    // the configured list replaces the defaults: STOP is an ordinary message on this number
    await hook(hooks.inboundText({ from: waId, text: 'STOP' }));
    await processed();
    expect(await optOuts()).toEqual([]);
    expect((await send()).status).toBe(202);

    await hook(hooks.inboundText({ from: waId, text: 'Chega!' }));
    await processed();
    expect(await optOuts()).toEqual([expect.objectContaining({ waId, scope: 'all', source: 'keyword' })]);
    const refused = await send();
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('RECIPIENT_OPTED_OUT');
    // a sentence containing the word is not a keyword
    await hook(hooks.inboundText({ from: waId, text: 'voltei da viagem' }));
    await processed();
    expect((await send()).status).toBe(422);

    await hook(hooks.inboundText({ from: waId, text: 'voltei' }));
    await processed();
    expect(await optOuts()).toEqual([]);
    expect((await send()).status).toBe(202);
  });
});
