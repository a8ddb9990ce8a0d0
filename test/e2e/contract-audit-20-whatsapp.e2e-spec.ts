// Audit 20 of API.md "WhatsApp" and "Webhooks": one WABA with several numbers held by two sub-accounts,
// deliveries whose entries and changes mix them (and a number nobody holds), statuses that beat the send's
// answer, re-syncs of the templates Meta's refusals ask for, and statuses out of order.
//
// Sources: Meta, messages webhook reference (developers.facebook.com/documentation/business-messaging/whatsapp/
// webhooks/reference/messages: `entry[].changes[].value.metadata.phone_number_id` names the business number of
// each change; Meta batches changes, and entries, in one delivery); status reference (…/messages/status:
// sent | delivered | read | failed, not ordered, retried); error codes (…/whatsapp/support/error-codes: 131050
// "user stopped marketing messages", 132001 / 132015 / 132016 the template is missing, paused, disabled);
// message_template_status_update reference (`reason`: … NONE …).
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { deliver, newWamid, SignedDelivery, statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { createIntegration, WHATSAPP_CONFIG } from '../support/factories';
import { activate, waitFor } from '../support/webhooks';
import {
  startWhatsApp12,
  nowSeconds,
  PHONE_ID,
  WABA,
  WhatsApp12,
  whatsApp12Helpers,
} from '../support/whatsapp-issue12-setup';

const PHONE_2 = '106540352242933';
const PHONE_3 = '106540352242944';
const PHONE_UNKNOWN = '106540352242999';

describe('contract audit 20: WhatsApp', () => {
  let w: WhatsApp12;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let other: number;
  let admin: string;
  let agent: string;
  let otherAdmin: string;
  let second: number;
  let third: number;
  const { post, get, message, processed } = whatsApp12Helpers(() => w);

  const hooksFor = (phoneNumberId: string) =>
    new WhatsAppWebhooks(WHATSAPP_CONFIG.appSecret, { wabaId: WABA, phoneNumberId });
  /** A `messages` change about one number, as Meta puts it in `entry[].changes[]`. */
  const changeOf = (phoneNumberId: string, value: Record<string, unknown>) => ({
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
      ...value,
    },
  });
  const inboundValue = (from: string, id: string, text: string) => ({
    contacts: [{ profile: { name: 'Ana' }, wa_id: from }],
    messages: [{ from, id, timestamp: String(nowSeconds()), type: 'text', text: { body: text } }],
  });
  const signed = (entry: unknown[]): SignedDelivery =>
    hooksFor(PHONE_ID).sign({ object: 'whatsapp_business_account', entry });
  const rowsOf = async (wamids: string[]) =>
    (
      await w.t.sql.query<{ wamid: string; integration_id: number; sub_account_id: number }>(
        'SELECT wamid, integration_id, sub_account_id FROM messages WHERE wamid = ANY($1) ORDER BY wamid',
        [wamids],
      )
    ).rows;
  const eventCount = async () =>
    (await w.t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
  const templateNamed = async (name: string) =>
    (
      (await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${name}`, admin)).body.items as Array<{
        id: string;
        name: string;
        status: string;
        rejectedReason: string | null;
      }>
    ).find((i) => i.name === name);
  const syncedTemplate = async (name: string, category = 'UTILITY') => {
    fake.templates.add(WABA, {
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    return waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the sync',
    );
  };
  /** A template send from the first number, accepted by the fake; its message id and wamid. */
  const sendTemplate = async (templateId: string, to: string) => {
    const res = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      integrationId: w.integrationId,
      to,
      template: { id: templateId },
      parameters: { '1': 'Ana' },
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const sent = await waitFor(
      async () => fake.sends.find((s) => s.bizOpaqueCallbackData === id && s.outcome === 'accepted'),
      10_000,
      'the send',
    );
    return { id, wamid: sent.wamid as string, waId: sent.waId };
  };

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ fake, sub, other, admin, agent } = w);
    otherAdmin = `Bearer ${w.t.token('ADMIN', [other])}`;
    // the WABA's second number in the same sub-account, its third in another one (the same Meta app signs all)
    second = (await createIntegration(w.t, sub, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, phoneNumberId: PHONE_2 })).id;
    await activate(w.t, sub, second);
    third = (await createIntegration(w.t, other, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, phoneNumberId: PHONE_3 })).id;
    await activate(w.t, other, third);
  });
  afterAll(() => w?.close());

  // API.md "Webhooks": a provider-level delivery "is routed to its integration by the routing key in the payload
  // (WhatsApp: metadata.phone_number_id)"; a routing key belongs to one sub-account; a redelivery is a duplicate.
  it("one delivery about three numbers of one WABA and an unknown one: each change reaches its own number's integration, once", async () => {
    const [m1, m2, m3, m9] = [newWamid(), newWamid(), newWamid(), newWamid()];
    const delivery = signed([
      {
        id: WABA,
        changes: [
          changeOf(PHONE_ID, inboundValue('14155550101', m1, 'hello one')),
          changeOf(PHONE_2, inboundValue('14155550102', m2, 'hello two')),
        ],
      },
      {
        id: WABA,
        changes: [
          changeOf(PHONE_3, inboundValue('14155550103', m3, 'hello three')),
          changeOf(PHONE_UNKNOWN, inboundValue('14155550109', m9, 'hello nobody')),
        ],
      },
    ]);
    const first = await deliver(w.url, delivery);
    expect(first.status).toBe(200);
    const answer = JSON.parse(first.body) as { status: string; eventIds?: string[] };
    expect(answer.status).toBe('received');
    expect(answer.eventIds).toHaveLength(3);
    await processed();
    expect(await rowsOf([m1, m2, m3, m9])).toEqual(
      [
        { wamid: m1, integration_id: w.integrationId, sub_account_id: sub },
        { wamid: m2, integration_id: second, sub_account_id: sub },
        { wamid: m3, integration_id: third, sub_account_id: other },
      ].sort((a, b) => (a.wamid < b.wamid ? -1 : 1)),
    );
    // the other tenant's contact is not in this sub-account's conversations, nor its message in its list
    const mine = (await get(`/api/whatsapp/conversations?subAccountId=${sub}&pageSize=200`, admin)).body
      .items as Array<{
      contact: { waId: string | null };
    }>;
    expect(mine.map((c) => c.contact.waId)).not.toContain('14155550103');
    expect(mine.map((c) => c.contact.waId)).not.toContain('14155550109');

    const events = await eventCount();
    const again = await deliver(w.url, delivery);
    expect([again.status, (JSON.parse(again.body) as { status: string }).status]).toEqual([200, 'duplicate']);
    await processed();
    expect(await eventCount()).toBe(events);
    expect(await rowsOf([m1, m2, m3, m9])).toHaveLength(3);

    // statuses of the other tenant's message: the change about this tenant's number moves nothing of it
    const reply = await post('/api/whatsapp/messages', otherAdmin, {
      subAccountId: other,
      integrationId: third,
      to: '+14155550103',
      text: 'hi from the third number',
    });
    expect(reply.status).toBe(202);
    const sent = await waitFor(
      async () => fake.sends.find((s) => s.bizOpaqueCallbackData === reply.body.id && s.outcome === 'accepted'),
      10_000,
      'the reply',
    );
    await waitFor(async () => (await message(reply.body.id as string))?.wamid === sent.wamid, 10_000, 'the wamid');
    const at = nowSeconds();
    const statuses = signed([
      {
        id: WABA,
        changes: [
          changeOf(PHONE_ID, { statuses: [statusOf(sent.wamid as string, 'read', { timestamp: at + 2 })] }),
          changeOf(PHONE_3, { statuses: [statusOf(sent.wamid as string, 'delivered', { timestamp: at + 1 })] }),
        ],
      },
    ]);
    expect((await deliver(w.url, statuses)).status).toBe(200);
    await processed();
    expect(await message(reply.body.id as string)).toMatchObject({
      integration_id: third,
      status: 'delivered',
      read_at: null,
    });
    expect((await deliver(w.url, statuses)).status).toBe(200);
    await processed();
    expect(await message(reply.body.id as string)).toMatchObject({ status: 'delivered', read_at: null });
  });

  // The same mixed delivery sent to the first number's own URL (a WABA's callback may point there): the
  // unknown number's message was stored for the first number, became a conversation of that number (API.md:
  // "one per WhatsApp contact per number") and opened its 24-hour window for a contact who never wrote to it.
  it("at a number's own URL, a change about a number nobody holds is not taken as this number's", async () => {
    const { rows } = await w.t.sql.query<{ webhook_id: string }>('SELECT webhook_id FROM integrations WHERE id = $1', [
      w.integrationId,
    ]);
    const ownUrl = `${w.url}/${rows[0].webhook_id}`;
    const [mine, stray] = [newWamid(), newWamid()];
    const res = await deliver(
      ownUrl,
      signed([
        {
          id: WABA,
          changes: [
            changeOf(PHONE_ID, inboundValue('14155550111', mine, 'to the first number')),
            changeOf(PHONE_UNKNOWN, inboundValue('14155550119', stray, 'to a number nobody holds')),
          ],
        },
      ]),
    );
    expect(res.status).toBe(200);
    await processed();
    expect(await rowsOf([mine, stray])).toEqual([
      { wamid: mine, integration_id: w.integrationId, sub_account_id: sub },
    ]);
    const conversations = (await get(`/api/whatsapp/conversations?subAccountId=${sub}&pageSize=200`, admin)).body
      .items as Array<{ contact: { waId: string | null } }>;
    expect(conversations.map((c) => c.contact.waId)).not.toContain('14155550119');
  });

  // API.md "Messages": "statuses arriving before the send's answer are kept and applied". A 132015 `failed`
  // kept that way was applied without the template re-sync a `failed` applied at once starts (audit 19): the
  // row stayed APPROVED and the next sends were accepted and refused by Meta until the 30-minute reconcile.
  it("a 132015 failure that beats the send's answer still brings the template row in step: the next send is 422", async () => {
    const name = 'a20_early_failure';
    const row = await syncedTemplate(name, 'MARKETING');
    fake.answerDelayMs = 6_000;
    try {
      const res = await post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        integrationId: w.integrationId,
        to: '+14155550121',
        template: { id: row.id },
        parameters: { '1': 'Ana' },
      });
      expect(res.status).toBe(202);
      const sent = await waitFor(
        async () => fake.sends.find((s) => s.bizOpaqueCallbackData === res.body.id && s.outcome === 'accepted'),
        10_000,
        'the send',
      );
      fake.templates.setStatus(WABA, name, 'en_US', 'PAUSED');
      // no biz_opaque_callback_data: the status cannot be matched before the answer names its wamid
      await deliver(
        w.url,
        w.hooks.statuses([
          statusOf(sent.wamid as string, 'failed', {
            timestamp: nowSeconds(),
            recipientId: sent.waId,
            errors: [{ code: 132015, title: 'Template is Paused', details: 'Template is paused due to low quality' }],
          }),
        ]),
      );
      await processed();
      expect((await message(res.body.id as string)).wamid).toBeNull();
      await waitFor(
        async () => (await message(res.body.id as string))?.error_code === 132015,
        20_000,
        'the kept failure to be applied',
      );
    } finally {
      fake.answerDelayMs = 0;
    }
    await waitFor(async () => (await templateNamed(name))?.status === 'PAUSED', 10_000, 'the template row');
    const next = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      integrationId: w.integrationId,
      to: '+14155550122',
      template: { id: row.id },
      parameters: { '1': 'Ana' },
    });
    expect([next.status, next.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
  });

  // The same path dropped the 131050 opt-out (API.md "Opt-outs": source error_131050) that a failure applied at
  // once records: the next marketing template to that contact was accepted, and Meta refused it again.
  it("a 131050 failure that beats the send's answer still opts the recipient out of marketing", async () => {
    const row = await syncedTemplate('a20_marketing_news', 'MARKETING');
    const phone = '+14155550131';
    fake.answerDelayMs = 6_000;
    try {
      const res = await post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        integrationId: w.integrationId,
        to: phone,
        template: { id: row.id },
        parameters: { '1': 'Ana' },
      });
      expect(res.status).toBe(202);
      const sent = await waitFor(
        async () => fake.sends.find((s) => s.bizOpaqueCallbackData === res.body.id && s.outcome === 'accepted'),
        10_000,
        'the send',
      );
      await deliver(
        w.url,
        w.hooks.statuses([
          statusOf(sent.wamid as string, 'failed', {
            timestamp: nowSeconds(),
            recipientId: sent.waId,
            errors: [{ code: 131050, title: 'Unable to deliver the message.' }],
          }),
        ]),
      );
      await processed();
      await waitFor(
        async () => (await message(res.body.id as string))?.error_code === 131050,
        20_000,
        'the kept failure to be applied',
      );
    } finally {
      fake.answerDelayMs = 0;
    }
    const optOuts = (await get(`/api/whatsapp/opt-outs?subAccountId=${sub}&pageSize=200`, admin)).body.items as Array<{
      phone: string | null;
      scope: string;
      source: string;
    }>;
    expect(optOuts.find((o) => o.phone === phone)).toMatchObject({ scope: 'marketing', source: 'error_131050' });
    const next = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      integrationId: w.integrationId,
      to: phone,
      template: { id: row.id },
      parameters: { '1': 'Ana' },
    });
    expect([next.status, next.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
  });

  // Each failed send Meta refuses for its template asked for its own re-sync (every page of the WABA's
  // templates): a flood of 132015 statuses queued one job per message. One waits per integration now.
  it('a flood of 132015 failures queues the re-sync of the templates once, not once per message', async () => {
    const name = 'a20_flood';
    const row = await syncedTemplate(name);
    // five at a time: the test app's pool has five connections
    const sends: Array<{ id: string; wamid: string; waId: string }> = [];
    for (let i = 0; i < 20; i += 5)
      sends.push(
        ...(await Promise.all(Array.from({ length: 5 }, (_, k) => sendTemplate(row.id, `+14155550${200 + i + k}`)))),
      );
    await waitFor(
      async () =>
        (
          await w.t.sql.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND wamid IS NOT NULL',
            [sends.map((s) => s.id)],
          )
        ).rows[0].n === sends.length,
      30_000,
      'the wamids',
    );
    const { rows: before } = await w.t.sql.query<{ at: Date }>('SELECT now() AS at');
    fake.templates.setStatus(WABA, name, 'en_US', 'PAUSED');
    const failed = (s: { wamid: string; waId: string }) =>
      statusOf(s.wamid, 'failed', {
        timestamp: nowSeconds(),
        recipientId: s.waId,
        errors: [{ code: 132015, title: 'Template is Paused' }],
      });
    expect((await deliver(w.url, w.hooks.statuses(sends.map(failed)))).status).toBe(200);
    await processed();
    for (const s of sends) expect(await message(s.id)).toMatchObject({ status: 'failed', error_code: 132015 });
    const { rows } = await w.t.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job
       WHERE name = 'whatsapp-templates-sync' AND data->>'integrationId' = $1 AND created_on >= $2`,
      [String(w.integrationId), before[0].at],
    );
    // one waits at a time (another may queue while one runs, on a loaded machine a few times): never one per message
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    expect(rows[0].n).toBeLessThanOrEqual(6);
    await waitFor(async () => (await templateNamed(name))?.status === 'PAUSED', 10_000, 'the template row');
  }, 120_000);

  // API.md "Messages": "Statuses only move forward (queued < sent < delivered < read; failed is final; a read
  // also sets deliveredAt)". Meta does not order them: read before delivered before sent, failed after read.
  it('statuses out of order never move a message backwards', async () => {
    const row = await syncedTemplate('a20_order');
    const s = await sendTemplate(row.id, '+14155550151');
    await waitFor(async () => (await message(s.id))?.wamid === s.wamid, 10_000, 'the wamid');
    const t0 = nowSeconds();
    const one = async (status: 'sent' | 'delivered' | 'read' | 'failed', at: number) => {
      expect(
        (
          await deliver(
            w.url,
            w.hooks.statuses([
              statusOf(s.wamid, status, {
                timestamp: at,
                recipientId: s.waId,
                ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}),
              }),
            ]),
          )
        ).status,
      ).toBe(200);
      await processed();
      return message(s.id);
    };
    expect(await one('read', t0 + 3)).toMatchObject({ status: 'read' });
    const afterDelivered = await one('delivered', t0 + 2);
    expect(afterDelivered).toMatchObject({ status: 'read' });
    expect((afterDelivered.delivered_at as Date).getTime()).toBe((t0 + 2) * 1000);
    const afterSent = await one('sent', t0 + 1);
    expect(afterSent).toMatchObject({ status: 'read' });
    expect((afterSent.sent_at as Date).getTime()).toBe((t0 + 1) * 1000);
    const afterFailed = await one('failed', t0 + 4);
    expect(afterFailed).toMatchObject({ status: 'read', failed_at: null, error_code: null });
  });

  // API.md "Templates": `rejectedReason`. Meta's `NONE` means no reason; the sync stored null for it and the
  // message_template_status_update webhook stored "NONE": the same template read differently by path.
  it("a REJECTED template with Meta's reason NONE reads rejectedReason null by webhook as by sync", async () => {
    const name = 'a20_rejected_none';
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId: w.integrationId,
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your code {{1}}', example: { body_text: [['A-1']] } }],
    });
    expect(created.status).toBe(201);
    await deliver(
      w.url,
      w.hooks.templateStatus({
        event: 'REJECTED',
        templateId: created.body.externalId as string,
        name,
        language: 'en_US',
        reason: 'NONE',
      }),
    );
    await processed();
    const byWebhook = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'REJECTED' ? found : undefined;
      },
      10_000,
      'the rejection',
    );
    expect(byWebhook.rejectedReason).toBeNull();

    fake.templates.setStatus(WABA, name, 'en_US', 'REJECTED');
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    await waitFor(
      async () => {
        const found = (await templateNamed(name)) as { lastSyncedAt?: string | null } | undefined;
        return found?.lastSyncedAt ? found : undefined;
      },
      10_000,
      'the sync',
    );
    expect((await templateNamed(name))?.rejectedReason).toBeNull();
  });
});
