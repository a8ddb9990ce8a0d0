// Issue 12 points 2, 5, 6 and 8: bulk sends go through the single-send core (a message row per
// recipient, our id in biz_opaque_callback_data, statuses move the ledger, 131050 opts out), and opt-out
// keywords are configurable per integration. The app runs its workers in this process against the fake
// Graph API; webhooks reach it over HTTP. The number's throughput (130429), Meta's pair limit (131056) and
// agents' replies ahead of bulk traffic are in whatsapp-bulk-messages-throughput.e2e-spec.ts; the shared
// setup in test/support/whatsapp-bulk-messages-setup.ts.
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { approvedTemplate, BULK_TEMPLATE, getBulk, phoneOf, seedLead } from '../support/whatsapp-bulk';
import { setupWhatsAppBulkMessages, WhatsAppBulkMessages } from '../support/whatsapp-bulk-messages-setup';

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('WhatsApp bulk sends through the single-send core', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let auth: WhatsAppBulkMessages['auth'];
  let sentTo: WhatsAppBulkMessages['sentTo'];
  let setup: WhatsAppBulkMessages['setup'];
  let hook: WhatsAppBulkMessages['hook'];
  let processed: WhatsAppBulkMessages['processed'];
  let bulk: WhatsAppBulkMessages['bulk'];
  let completed: WhatsAppBulkMessages['completed'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, auth, sentTo, setup, hook, processed, bulk, completed, close } = await setupWhatsAppBulkMessages());
  });
  afterAll(() => close());

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
