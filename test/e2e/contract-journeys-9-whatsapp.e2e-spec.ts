// Audit 9 of API.md "WhatsApp" and "Reports" scheduling: whole journeys as the CRM frontend and Meta play
// them, read literally (single statements are left to whatsapp*, contract-whatsapp-6, contract-channels,
// contract-messaging-4 and reports*). This part holds the WhatsApp journeys, which build on each other
// (the conversation and the bulk use the templates of the first): template events that are no status and
// the reports journey are in contract-journeys-9-events-reports.e2e-spec.ts, the shared setup in
// test/support/contract-journeys-9-setup.ts.
//  1. template lifecycle: created PENDING at the fake Graph, message_template_status_update signed as Meta
//     signs it → APPROVED / REJECTED with its reason / PAUSED in GET, AGENT sees only APPROVED, a send of a
//     non-approved one 422 TEMPLATE_NOT_APPROVED, DELETE 204 and gone at Meta too.
//  2. conversation: inbound from a new number → windowOpenUntil 24 h after the message, unread; auto-link,
//     free text 202, statuses out of order, the window closing, STOP / START, the lead's interactions, and
//     GET /api/whatsapp/analytics figures equal to what happened.
//  3. bulk: every skip reason in one request, the run against the fake (each recipient sent once), pause /
//     resume, recipients' statuses, ratePerSecond and etaSeconds.
// Failed before its fix: a bulk scheduled an hour ahead showed etaSeconds 1 (the rate alone), where its
// estimate is null until it starts. Every other case passed and stays as a guard of the journeys end to end.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BulkSetup, getBulk, phoneOf, seedLead, seedLeads } from '../support/whatsapp-bulk';
import { DAY, HOUR, Journeys9, nowSeconds, setupJourneys9, WABA } from '../support/contract-journeys-9-setup';

describe('API.md journeys: WhatsApp and scheduled reports (audit 9)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let hooks: WhatsAppWebhooks;
  let manager: string;
  let agent: string;
  let post: Journeys9['post'];
  let get: Journeys9['get'];
  let hook: Journeys9['hook'];
  let wamidOf: Journeys9['wamidOf'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, s, hooks, manager, agent, post, get, hook, wamidOf, close } = await setupJourneys9());
  });
  afterAll(async () => close?.());

  it('template lifecycle: PENDING → APPROVED / REJECTED (reason) / PAUSED by signed webhook; agents, sends, delete', async () => {
    const body = { type: 'BODY', text: 'Hi {{1}}, see you soon', example: { body_text: [['Ana']] } };
    const ids: Record<string, string> = {};
    for (const name of ['j9_welcome', 'j9_rejected', 'j9_paused']) {
      const created = await post('/api/whatsapp/templates', manager, {
        integrationId: s.integrationId,
        name,
        language: 'en_US',
        category: 'MARKETING',
        components: [body],
      });
      expect(created.status).toBe(201);
      expect(created.body.status).toBe('PENDING');
      ids[name] = created.body.id as string;
      expect(fake.templates.find(WABA, name, 'en_US')?.status).toBe('PENDING');
    }
    const at = (name: string) => fake.templates.find(WABA, name, 'en_US')?.id ?? '';
    const list = async (token: string) =>
      (await get(`/api/whatsapp/templates?subAccountId=${s.subAccountId}&q=j9_`, token)).body as {
        total: number;
        items: Array<{ id: string; name: string; status: string; rejectedReason: string | null }>;
      };
    // AGENT sees only APPROVED ones: none of the three yet
    expect((await list(agent)).total).toBe(0);

    fake.templates.setStatus(WABA, 'j9_welcome', 'en_US', 'APPROVED');
    fake.templates.setStatus(WABA, 'j9_rejected', 'en_US', 'REJECTED', 'INVALID_FORMAT');
    await hook(
      hooks.templateStatus({ event: 'APPROVED', templateId: at('j9_welcome'), name: 'j9_welcome', language: 'en_US' }),
    );
    await hook(
      hooks.templateStatus({
        event: 'REJECTED',
        templateId: at('j9_rejected'),
        name: 'j9_rejected',
        language: 'en_US',
        reason: 'INVALID_FORMAT',
      }),
    );
    const byName = Object.fromEntries((await list(manager)).items.map((i) => [i.name, i]));
    expect(byName.j9_welcome).toMatchObject({ status: 'APPROVED', rejectedReason: null });
    expect(byName.j9_rejected).toMatchObject({ status: 'REJECTED', rejectedReason: 'INVALID_FORMAT' });
    expect(byName.j9_paused).toMatchObject({ status: 'PENDING' });
    expect((await list(agent)).items.map((i) => i.name)).toEqual(['j9_welcome']);

    // approved, then paused by Meta for low quality: sends are refused again
    await hook(
      hooks.templateStatus({ event: 'APPROVED', templateId: at('j9_paused'), name: 'j9_paused', language: 'en_US' }),
    );
    fake.templates.setStatus(WABA, 'j9_paused', 'en_US', 'PAUSED');
    await hook(
      hooks.templateStatus({ event: 'PAUSED', templateId: at('j9_paused'), name: 'j9_paused', language: 'en_US' }),
    );
    expect((await list(manager)).items.find((i) => i.name === 'j9_paused')?.status).toBe('PAUSED');
    expect((await list(agent)).items.map((i) => i.name)).toEqual(['j9_welcome']);
    for (const name of ['j9_rejected', 'j9_paused']) {
      const refused = await post('/api/whatsapp/messages', agent, {
        subAccountId: s.subAccountId,
        to: '+14155550901',
        template: { id: ids[name] },
        parameters: { '1': 'Ana' },
      });
      expect([name, refused.status, refused.body.code]).toEqual([name, 422, 'TEMPLATE_NOT_APPROVED']);
    }
    const byNameSend = await post('/api/whatsapp/messages', agent, {
      subAccountId: s.subAccountId,
      to: '+14155550901',
      template: { name: 'j9_rejected', language: 'en_US' },
      parameters: { '1': 'Ana' },
    });
    expect([byNameSend.status, byNameSend.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
    expect(fake.sends).toHaveLength(0);

    const ok = await post('/api/whatsapp/messages', agent, {
      subAccountId: s.subAccountId,
      to: '+14155550901',
      template: { id: ids.j9_welcome },
      parameters: { '1': 'Ana' },
    });
    expect(ok.status).toBe(202);
    await wamidOf(ok.body.id as string);

    const deleted = await t.http.delete(`/api/whatsapp/templates/${ids.j9_rejected}`).set('authorization', manager);
    expect(deleted.status).toBe(204);
    expect(fake.templates.find(WABA, 'j9_rejected', 'en_US')).toBeUndefined();
    expect((await list(manager)).items.map((i) => i.name).sort()).toEqual(['j9_paused', 'j9_welcome']);
  });

  it('conversation: inbound from a new number, window, auto-link, statuses, window closed, STOP/START, interactions, analytics', async () => {
    const from = '5511987650001';
    // the CRM created the lead before the contact wrote (phone written another way)
    const created = await post('/api/leads', agent, {
      subAccountId: s.subAccountId,
      fullName: 'Bia Souza',
      firstName: 'Bia',
      phone: '+55 11 98765-0001',
    });
    expect(created.status).toBe(201);
    const leadId = created.body.id as string;
    const sentAt = nowSeconds() - 3600;
    await hook(hooks.inboundText({ from, name: 'Bia', text: 'Oi, quero saber o preço', timestamp: sentAt }));
    const convs = await get(`/api/whatsapp/conversations?subAccountId=${s.subAccountId}&q=${from}`, agent);
    expect(convs.body.total).toBe(1);
    const conv = convs.body.items[0];
    expect(conv).toMatchObject({ contact: { waId: from, phone: `+${from}`, profileName: 'Bia' }, optedOut: false });
    expect(conv.unread).toBeTruthy();
    expect(new Date(conv.lastInboundAt as string).getTime()).toBe(sentAt * 1000);
    expect(new Date(conv.windowOpenUntil as string).getTime()).toBe(sentAt * 1000 + DAY);

    if (conv.leadId === null) {
      const linked = await post('/api/whatsapp/conversations/auto-link', agent, { subAccountId: s.subAccountId });
      expect(linked.status).toBe(200);
      expect(linked.body.linked).toBeGreaterThanOrEqual(1);
    }
    const detail = await get(`/api/whatsapp/conversations/${conv.id}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body.leadId ?? detail.body.lead?.id).toBe(leadId);

    // free text inside the window, then its statuses as Meta may deliver them: read before sent, failed after read
    const reply = await post('/api/whatsapp/messages', agent, {
      subAccountId: s.subAccountId,
      leadId,
      text: 'Olá Bia!',
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'queued', conversationId: conv.id });
    const wamid = await wamidOf(reply.body.id as string);
    const at = nowSeconds();
    await hook(hooks.statuses([statusOf(wamid, 'read', { timestamp: at + 2, pricingCategory: 'service' })]));
    await hook(hooks.statuses([statusOf(wamid, 'sent', { timestamp: at, pricingCategory: 'service' })]));
    await hook(
      hooks.statuses([statusOf(wamid, 'failed', { timestamp: at + 3, errors: [{ code: 131026, title: 'late' }] })]),
    );
    const msgs = await get(`/api/whatsapp/messages?subAccountId=${s.subAccountId}&conversationId=${conv.id}`, agent);
    const out = (msgs.body.items as Array<Record<string, unknown>>).find((m) => m.id === reply.body.id);
    expect(out).toMatchObject({ direction: 'outbound', status: 'read', pricing: { category: 'service' } });
    expect(new Date(out?.deliveredAt as string).getTime()).toBe((at + 2) * 1000);
    expect(new Date(out?.sentAt as string).getTime()).toBe(at * 1000);

    // the lead's interactions hold the inbound message
    const lead = await get(`/api/leads/${leadId}`, agent);
    expect(JSON.stringify(lead.body.interactions)).toContain('Oi, quero saber o preço');

    // STOP: marketing templates refused; START removes the entry
    const marketing = await t.sql.query<{ id: string }>(
      "SELECT id::text FROM whatsapp_templates WHERE name = 'j9_welcome' AND sub_account_id = $1",
      [s.subAccountId],
    );
    const promo = {
      subAccountId: s.subAccountId,
      leadId,
      template: { id: marketing.rows[0].id },
      parameters: { '1': 'Bia' },
    };
    await hook(hooks.inboundText({ from, text: 'STOP' }));
    const optOuts = await get(`/api/whatsapp/opt-outs?subAccountId=${s.subAccountId}`, manager);
    expect(optOuts.body.items).toEqual([expect.objectContaining({ waId: from, source: 'keyword' })]);
    const refused = await post('/api/whatsapp/messages', agent, promo);
    expect([refused.status, refused.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
    await hook(hooks.inboundText({ from, text: 'START' }));
    expect((await get(`/api/whatsapp/opt-outs?subAccountId=${s.subAccountId}`, manager)).body.total).toBe(0);
    expect((await post('/api/whatsapp/messages', agent, promo)).status).toBe(202);

    // the window closes 24 h after the last inbound
    await t.sql.query("UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1", [
      conv.id,
    ]);
    const closed = await post('/api/whatsapp/messages', agent, { subAccountId: s.subAccountId, leadId, text: 'late' });
    expect([closed.status, closed.body.code]).toEqual([422, 'WINDOW_CLOSED']);

    // analytics: what this journey and the template one did (3 inbound, 1 opt-out now removed)
    // (local days of the sub-account's time zone, UTC: the first inbound is an hour old, yesterday before 01:00)
    const firstDay = new Date(sentAt * 1000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const analytics = await get(
      `/api/whatsapp/analytics?subAccountId=${s.subAccountId}&from=${firstDay}&to=${today}`,
      manager,
    );
    expect(analytics.status).toBe(200);
    // (two contacts: this one and the template journey's; the reply read, its failure after reading not counted)
    expect(analytics.body).toMatchObject({
      inbound: 3,
      conversations: 2,
      linkedConversations: 1,
      delivered: 1,
      read: 1,
      failed: 0,
      byPricingCategory: { marketing: 0, utility: 0, authentication: 0, service: 1 },
    });
  });

  it('bulk: every skip reason, the run against the fake, pause/resume, recipients, each sent once, rate and eta', async () => {
    const good = await seedLeads(t.sql, s.subAccountId, 30, 900_000);
    const noPhone = await seedLead(t.sql, s.subAccountId, null, 'NoPhone');
    const twin = await seedLead(t.sql, s.subAccountId, phoneOf(900_000), 'Twin');
    const stopped = await seedLead(t.sql, s.subAccountId, phoneOf(900_100), 'Stopped');
    const optOut = await post('/api/whatsapp/opt-outs', manager, {
      subAccountId: s.subAccountId,
      phone: phoneOf(900_100),
      scope: 'all',
    });
    expect(optOut.status).toBe(201);
    fake.reset();
    const res = await post('/api/whatsapp/bulk', manager, {
      subAccountId: s.subAccountId,
      leadIds: [...good, noPhone, twin, stopped],
      template: { id: s.templateId },
      parameters: { '1': '{{lead.firstName}}' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      recipients: 30,
      skipped: { noPhone: 1, optedOut: 1, duplicatePhone: 1, windowClosed: 0 },
    });
    const id = res.body.id as string;
    const paused = await post(`/api/whatsapp/bulk/${id}/pause`, manager, {});
    expect(paused.status).toBe(200);
    const resumed = await post(`/api/whatsapp/bulk/${id}/resume`, manager, {});
    expect([resumed.status, resumed.body.status]).toEqual([200, 'running']);
    // counts.total holds the skipped ones too (as whatsapp-bulk pins)
    const running = await getBulk(t, s.subAccountId, id);
    expect(running.counts.total).toBe(33);
    const done = await waitFor(
      async () => {
        const b = await getBulk(t, s.subAccountId, id);
        return b.status === 'completed' ? b : null;
      },
      30_000,
      'bulk completed',
    );
    expect(done).toMatchObject({
      etaSeconds: null,
      counts: { total: 33, sent: 30, pending: 0, failed: 0, skipped: 3 },
    });
    // the number's messagesPerSecond, API.md's default 80 here
    expect((done as unknown as { ratePerSecond: number }).ratePerSecond).toBe(80);
    expect(fake.accepted()).toHaveLength(30);
    expect(fake.duplicates()).toEqual([]);
    const recipients = await get(`/api/whatsapp/bulk/${id}/recipients?status=sent&pageSize=200`, manager);
    expect(recipients.body.total).toBe(30);
    for (const r of recipients.body.items as Array<Record<string, unknown>>) {
      expect(r).toMatchObject({ status: 'sent', messageId: expect.any(String), error: null });
    }

    // a PAUSED template is refused for a bulk as for a single send; a marketing one skips marketing opt-outs
    const few = await seedLeads(t.sql, s.subAccountId, 3, 960_000);
    const templateOf = async (name: string) =>
      (await t.sql.query<{ id: string }>('SELECT id::text FROM whatsapp_templates WHERE name = $1', [name])).rows[0].id;
    const pausedBulk = await post('/api/whatsapp/bulk', manager, {
      subAccountId: s.subAccountId,
      leadIds: few,
      template: { id: await templateOf('j9_paused') },
      parameters: { '1': 'x' },
    });
    expect([pausedBulk.status, pausedBulk.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
    await hook(hooks.userPreferences({ waId: phoneOf(960_001).slice(1), value: 'stop' }));
    const marketing = await post('/api/whatsapp/bulk', manager, {
      subAccountId: s.subAccountId,
      leadIds: few,
      template: { id: await templateOf('j9_welcome') },
      parameters: { '1': 'x' },
    });
    expect(marketing.status).toBe(202);
    expect(marketing.body).toMatchObject({ recipients: 2, skipped: { optedOut: 1 } });

    // a bulk scheduled for later, cancelled: its pending recipients become skipped and nothing leaves
    const later = await seedLeads(t.sql, s.subAccountId, 4, 970_000);
    const scheduled = await post('/api/whatsapp/bulk', manager, {
      subAccountId: s.subAccountId,
      leadIds: later,
      template: { id: s.templateId },
      parameters: { '1': 'x' },
      scheduledAt: new Date(Date.now() + HOUR).toISOString(),
    });
    expect(scheduled.status).toBe(202);
    // nothing moves for an hour: no estimate (it read 1 s, from the rate alone)
    expect(await getBulk(t, s.subAccountId, scheduled.body.id as string)).toMatchObject({
      status: 'queued',
      etaSeconds: null,
    });
    const cancelled = await post(`/api/whatsapp/bulk/${scheduled.body.id}/cancel`, manager, {});
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    expect((await getBulk(t, s.subAccountId, scheduled.body.id as string)).counts).toMatchObject({
      total: 4,
      pending: 0,
      skipped: 4,
      sent: 0,
    });
    const laterPhones = new Set(later.map((_, i) => phoneOf(970_000 + i).slice(1)));
    expect(fake.sends.filter((x) => laterPhones.has(x.to.replace(/[^0-9]/g, '')))).toEqual([]);

    // free text to a mix: only open windows are sent
    const text = await post('/api/whatsapp/bulk', manager, {
      subAccountId: s.subAccountId,
      leadIds: good.slice(0, 3),
      text: 'hello',
    });
    expect(text.status).toBe(202);
    expect(text.body).toMatchObject({ recipients: 0, skipped: { windowClosed: 3 } });
  });
});
