// Part of issue 12's WhatsApp spec (header in whatsapp-issue12-sends.e2e-spec.ts): a template from
// creation to send, statuses, STOP/START and 131050 opt-outs, inbound linking, the analytics of all that,
// and manual opt-outs with template delete.
import { WhatsAppStatusService } from '../../src/modules/whatsapp/whatsapp-status.service';
import { MessagesRepository } from '../../src/modules/whatsapp/messages.repository';
import { WhatsAppNumbersService } from '../../src/modules/whatsapp/whatsapp-numbers.service';
import { WhatsAppSendService } from '../../src/modules/whatsapp/whatsapp-send.service';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { newWamid, statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  WhatsApp12,
  startWhatsApp12,
  whatsApp12Helpers,
  WABA,
  nowSeconds,
  BODY,
} from '../support/whatsapp-issue12-setup';

describe('WhatsApp (issue 12)', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let sub: number;
  let integrationId: number;
  let admin: string;
  let agent: string;
  const { post, get, hook, message, processed } = whatsApp12Helpers(() => w);

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, fake, hooks, sub, integrationId, admin, agent } = w);
  });
  afterAll(() => w?.close());

  it('template: created PENDING at Meta, refused until approved by webhook, parameters checked before Meta', async () => {
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId,
      name: 'order_shipped',
      language: 'en_US',
      category: 'UTILITY',
      components: [BODY],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'order_shipped', status: 'PENDING', parameterFormat: 'POSITIONAL' });
    expect(created.body.variables).toEqual([
      { component: 'BODY', key: '1', example: 'Ana' },
      { component: 'BODY', key: '2', example: 'A-1' },
    ]);
    const stored = fake.templates.find(WABA, 'order_shipped', 'en_US');
    expect(stored?.status).toBe('PENDING');
    // agents see only approved templates
    expect((await get('/api/whatsapp/templates', agent)).body.total).toBe(0);
    expect((await post('/api/whatsapp/templates', agent, { integrationId })).status).toBe(403);

    const send = {
      subAccountId: sub,
      to: '+14155550100',
      template: { id: created.body.id },
      parameters: { 1: 'Ana', 2: 'X' },
    };
    const refused = await post('/api/whatsapp/messages', agent, send);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('TEMPLATE_NOT_APPROVED');

    fake.templates.setStatus(WABA, 'order_shipped', 'en_US', 'APPROVED');
    await hook(
      hooks.templateStatus({
        event: 'APPROVED',
        templateId: stored?.id ?? '',
        name: 'order_shipped',
        language: 'en_US',
        time: nowSeconds(),
      }),
    );
    await waitFor(
      async () => (await get('/api/whatsapp/templates', agent)).body.items[0]?.status === 'APPROVED',
      20_000,
      'template approved by webhook',
    );

    const mismatch = await post('/api/whatsapp/messages', agent, { ...send, parameters: { 1: 'Ana' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.code).toBe('TEMPLATE_PARAMETERS_INVALID');
    // each problem in the shape every 400 uses: { field, messages[] }
    expect(mismatch.body.details.length).toBeGreaterThan(0);
    for (const d of mismatch.body.details)
      expect(d).toEqual({ field: expect.any(String), messages: [expect.any(String)] });
    const neither = await post('/api/whatsapp/messages', agent, { subAccountId: sub, to: '+14155550111' });
    expect(neither.status).toBe(400);
    expect(neither.body.details).toEqual([{ field: 'text', messages: ['text or template'] }]);
    expect(fake.sends).toHaveLength(0);

    const ok = await post('/api/whatsapp/messages', agent, send);
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'queued' });
    const sent = await waitFor(
      async () => fake.accepted().find((s) => s.bizOpaqueCallbackData === ok.body.id),
      20_000,
      'send',
    );
    expect(sent.template).toBe('order_shipped');
    await waitFor(async () => (await message(ok.body.id)).wamid === sent.wamid, 20_000, 'wamid stored');
  });

  it('statuses out of order and duplicated never regress; pricing stored; failed is final', async () => {
    await hook(hooks.inboundText({ from: '14155550133', text: 'yo' }));
    await processed();
    const res = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550133',
      text: 'status test',
    });
    expect(res.status).toBe(202);
    const row = await waitFor(async () => {
      const m = await message(res.body.id);
      return m.wamid ? m : undefined;
    });
    const wamid = String(row.wamid);
    const at = nowSeconds();
    await hook(hooks.statuses([statusOf(wamid, 'read', { timestamp: at + 2 })]));
    await hook(
      hooks.statuses([
        statusOf(wamid, 'sent', { timestamp: at, pricingCategory: 'service' }),
        statusOf(wamid, 'delivered', { timestamp: at + 1 }),
      ]),
    );
    await hook(hooks.statuses([statusOf(wamid, 'sent', { timestamp: at, pricingCategory: 'service' })]));
    await hook(
      hooks.statuses([statusOf(wamid, 'failed', { timestamp: at + 3, errors: [{ code: 131026, title: 'x' }] })]),
    );
    await processed();
    const after = await message(res.body.id);
    expect(after.status).toBe('read');
    expect((after.read_at as Date).getTime()).toBe((at + 2) * 1000);
    expect((after.delivered_at as Date).getTime()).toBe((at + 1) * 1000);
    expect((after.sent_at as Date).getTime()).toBe(at * 1000);
    expect(after.pricing_category).toBe('service');
    const listed = await get(
      `/api/whatsapp/messages?subAccountId=${sub}&conversationId=${String(row.conversation_id)}`,
      agent,
    );
    expect(listed.body.items[0]).toMatchObject({ id: res.body.id, status: 'read', pricing: { category: 'service' } });
  });

  it('a status for a wamid not known yet is kept and applied when the message gets it', async () => {
    const wamid = newWamid();
    const at = nowSeconds();
    await hook(
      hooks.statuses([statusOf(wamid, 'delivered', { timestamp: at + 1 }), statusOf(wamid, 'sent', { timestamp: at })]),
    );
    await processed();
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_orphan_statuses WHERE wamid = $1', [wamid])).rows[0]
        .n,
    ).toBe(2);
    // the send's answer arrives now (the code path of a worker whose answer came after the webhook)
    const number = await t.app.get(WhatsAppNumbersService).resolve(sub);
    const { messageId } = await t.app.get(WhatsAppSendService).createOutbound({
      number,
      phone: '+14155550144',
      leadId: null,
      text: 'late answer',
      lane: 'agent',
      sentBy: null,
    });
    const repo = t.app.get(MessagesRepository);
    const row = await repo.update(messageId, { wamid, sendState: 'accepted' });
    await t.app.get(WhatsAppStatusService).applyOrphans(row);
    const after = await message(messageId);
    expect(after.status).toBe('delivered');
    expect((after.sent_at as Date).getTime()).toBe(at * 1000);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_orphan_statuses WHERE wamid = $1', [wamid])).rows[0]
        .n,
    ).toBe(0);
  });

  it('STOP opts out (a marketing template is refused with RECIPIENT_OPTED_OUT), START undoes it; user_preferences stops marketing only', async () => {
    fake.templates.add(WABA, {
      name: 'promo',
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Sale!' }],
    });
    fake.templates.add(WABA, {
      name: 'receipt',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Thanks' }],
    });
    const sync = await post('/api/whatsapp/templates/sync', admin, { integrationId });
    expect(sync.status).toBe(202);
    await waitFor(
      async () => (await get('/api/whatsapp/templates?q=promo', agent)).body.total === 1,
      20_000,
      'reconcile',
    );

    const promo = { subAccountId: sub, to: '+5511987650001', template: { name: 'promo', language: 'en_US' } };
    const receipt = { subAccountId: sub, to: '+5511987650001', template: { name: 'receipt', language: 'en_US' } };
    // Brazil: WhatsApp knows this contact without the ninth digit
    await hook(hooks.inboundText({ from: '551187650001', text: 'STOP' }));
    await processed();
    const refused = await post('/api/whatsapp/messages', agent, promo);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('RECIPIENT_OPTED_OUT');
    const optOuts = await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin);
    expect(optOuts.body.items[0]).toMatchObject({ waId: '551187650001', scope: 'all', source: 'keyword' });

    await hook(hooks.inboundText({ from: '551187650001', text: 'start' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).status).toBe(202);

    await hook(hooks.userPreferences({ waId: '551187650001', value: 'stop' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).body.code).toBe('RECIPIENT_OPTED_OUT');
    expect((await post('/api/whatsapp/messages', agent, receipt)).status).toBe(202);
    await hook(hooks.userPreferences({ waId: '551187650001', value: 'resume' }));
    await processed();
    expect((await post('/api/whatsapp/messages', agent, promo)).status).toBe(202);
  });

  it('131050 from Meta fails the message with its code and adds a marketing opt-out', async () => {
    fake.failFor('+14155550155', 131050, 'sync');
    const res = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '+14155550155',
      template: { name: 'promo', language: 'en_US' },
    });
    expect(res.status).toBe(202);
    const failed = await waitFor(async () => {
      const m = await message(res.body.id);
      return m.status === 'failed' ? m : undefined;
    });
    expect(failed.error_code).toBe(131050);
    const list = await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin);
    expect(
      list.body.items.some(
        (o: { phone: string; source: string }) => o.phone === '+14155550155' && o.source === 'error_131050',
      ),
    ).toBe(true);
  });

  it('inbound messages: auto-linked to the lead with the same phone (ninth digit), capture-lead, link, auto-link, timeline', async () => {
    const lead = await t.sql.query<{ id: string }>(
      "INSERT INTO leads (sub_account_id, full_name, phone, updated_at) VALUES ($1, 'Ana Lima', '+5521987654321', now()) RETURNING id::text",
      [sub],
    );
    const leadId = lead.rows[0].id;
    await t.sql.query(
      "INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, 'phone:+5521987654321', $2)",
      [sub, leadId],
    );
    // wa_id without the ninth digit still finds Ana; an image is recorded by media id and mime type
    await hook(
      hooks.inbound(
        { waId: '552187654321', name: 'Ana' },
        {
          timestamp: String(nowSeconds()),
          type: 'image',
          image: { id: 'media-1', mime_type: 'image/jpeg', caption: 'look' },
        },
      ),
    );
    await hook(hooks.inboundText({ from: '14155550166', name: 'Carla', text: 'hello' }));
    await hook(
      hooks.inbound(
        { waId: '14155550177', name: 'Dan' },
        {
          timestamp: String(nowSeconds()),
          type: 'text',
          text: { body: 'from the ad' },
          referral: {
            source_url: 'https://fb.me/x',
            source_id: '120000001',
            source_type: 'ad',
            headline: 'Spring sale',
            ctwa_clid: 'clid-1',
          },
        },
      ),
    );
    await processed();
    const list = await get(`/api/whatsapp/conversations?subAccountId=${sub}`, agent);
    const ana = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '552187654321');
    expect(ana.leadId).toBe(leadId);
    const detail = await get(`/api/whatsapp/conversations/${ana.id}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body.lead).toMatchObject({ id: leadId, fullName: 'Ana Lima' });
    expect(detail.body.messages[0]).toMatchObject({
      type: 'image',
      media: { id: 'media-1', mimeType: 'image/jpeg', caption: 'look' },
    });
    const leadDetail = await get(`/api/leads/${leadId}`, agent);
    expect(
      leadDetail.body.interactions.some(
        (i: { channel: string; direction: string }) => i.channel === 'whatsapp' && i.direction === 'inbound',
      ),
    ).toBe(true);

    const carla = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '14155550166');
    expect(carla.leadId).toBeNull();
    const linked = await post(`/api/whatsapp/conversations/${carla.id}/link`, agent, { leadId });
    expect(linked.status).toBe(200);
    expect(linked.body.leadId).toBe(leadId);
    const unlinked = await t.http.delete(`/api/whatsapp/conversations/${carla.id}/link`).set('authorization', agent);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.leadId).toBeNull();

    const dan = list.body.items.find((c: { contact: { waId: string } }) => c.contact.waId === '14155550177');
    const captured = await post(`/api/whatsapp/conversations/${dan.id}/capture-lead`, agent, {
      email: 'dan@example.com',
    });
    expect(captured.status).toBe(201);
    expect(captured.body).toMatchObject({ fullName: 'Dan', email: 'dan@example.com', phone: '+14155550177' });
    const sources = await t.sql.query(
      'SELECT platform, ad_id, campaign_name, details FROM lead_sources WHERE lead_id = $1',
      [captured.body.id],
    );
    expect(sources.rows[0]).toMatchObject({ platform: 'whatsapp', ad_id: '120000001', campaign_name: 'Spring sale' });
    expect(sources.rows[0].details).toMatchObject({ ctwaClid: 'clid-1' });
    const again = await post(`/api/whatsapp/conversations/${dan.id}/capture-lead`, agent, {});
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(captured.body.id);

    // Carla's lead appears later: auto-link finds it
    const carlaLead = await t.sql.query<{ id: string }>(
      "INSERT INTO leads (sub_account_id, full_name, phone, updated_at) VALUES ($1, 'Carla', '+14155550166', now()) RETURNING id::text",
      [sub],
    );
    await t.sql.query(
      "INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, 'phone:+14155550166', $2)",
      [sub, carlaLead.rows[0].id],
    );
    const auto = await post('/api/whatsapp/conversations/auto-link', agent, { subAccountId: sub });
    expect(auto.status).toBe(200);
    expect(auto.body.linked).toBeGreaterThanOrEqual(1);
    expect((await get(`/api/whatsapp/conversations/${carla.id}`, agent)).body.leadId).toBe(carlaLead.rows[0].id);
  });

  it('analytics counts sends, statuses, inbound, conversations and opt-outs', async () => {
    const res = await get(`/api/whatsapp/analytics?subAccountId=${sub}`, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ byPricingCategory: { service: expect.any(Number) } });
    expect(res.body.read).toBeGreaterThanOrEqual(1);
    expect(res.body.failed).toBeGreaterThanOrEqual(1);
    expect(res.body.inbound).toBeGreaterThanOrEqual(5);
    expect(res.body.optOuts).toBeGreaterThanOrEqual(1);
    expect(res.body.linkedConversations).toBeGreaterThanOrEqual(2);
    expect(res.body.byTemplate.some((x: { name: string }) => x.name === 'order_shipped')).toBe(true);
    expect((await get(`/api/whatsapp/analytics?subAccountId=${sub}`, agent)).status).toBe(403);
  });

  it('manual opt-outs and template delete go through', async () => {
    const created = await post('/api/whatsapp/opt-outs', admin, {
      subAccountId: sub,
      phone: '+14155550199',
      scope: 'marketing',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ phone: '+14155550199', scope: 'marketing', source: 'manual' });
    expect((await t.http.delete(`/api/whatsapp/opt-outs/${created.body.id}`).set('authorization', admin)).status).toBe(
      204,
    );
    const tpl = (await get(`/api/whatsapp/templates?q=receipt`, admin)).body.items[0];
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', admin)).status).toBe(204);
    expect(fake.templates.find(WABA, 'receipt', 'en_US')).toBeUndefined();
  });
});
