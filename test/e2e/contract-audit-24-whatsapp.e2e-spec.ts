// Audit 24 of API.md "WhatsApp (`whatsapp-cloud` integrations)": the first, simplest calls an outside client makes
// with only API.md in hand — `integrationId` left out (the sub-account has one active number), ids as strings,
// pages as `{ items, page, pageSize, total }`, 202 / 422 WINDOW_CLOSED on sends, capture-lead 201 then 200.
import { readFileSync } from 'node:fs';
import { WHATSAPP_CONFIG } from '../support/factories';
import { deliver, signHub } from '../support/fakes/whatsapp-webhooks';
import { waitFor } from '../support/webhooks';
import { startWhatsApp12, WABA, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

describe('contract audit 24: WhatsApp happy paths', () => {
  let w: WhatsApp12;
  const { post, get, processed } = whatsApp12Helpers(() => w);
  const waId = '14155550124';

  beforeAll(async () => {
    w = await startWhatsApp12();
    const res = await deliver(w.url, w.hooks.inboundText({ from: waId, name: 'Ana Lima', text: 'hello there' }));
    expect(res.status).toBe(200);
    await processed();
  });
  afterAll(() => w?.close());

  const pageShape = (body: Record<string, unknown>) => {
    expect(Array.isArray(body.items)).toBe(true);
    expect(typeof body.page).toBe('number');
    expect(typeof body.pageSize).toBe('number');
    expect(typeof body.total).toBe('number');
  };

  it('GET conversations without integrationId: a page whose conversation has string ids and an open window', async () => {
    const res = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    expect(res.status).toBe(200);
    pageShape(res.body);
    const conv = (res.body.items as Array<Record<string, unknown>>).find(
      (c) => (c.contact as { waId: string }).waId === waId,
    );
    expect(conv).toBeDefined();
    expect(typeof conv?.id).toBe('string');
    expect(conv?.windowOpenUntil).toEqual(expect.any(String));
    expect(conv?.optedOut).toBe(false);
  });

  it('POST messages { subAccountId, to, text } without integrationId: 202 { id, status: queued, conversationId } as strings', async () => {
    const res = await post('/api/whatsapp/messages', w.agent, { subAccountId: w.sub, to: waId, text: 'hi Ana' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual(
      expect.objectContaining({ id: expect.any(String), status: 'queued', conversationId: expect.any(String) }),
    );
    await waitFor(async () => w.fake.sends.find((s) => s.bizOpaqueCallbackData === res.body.id), 10_000, 'the send');
    const list = await get(
      `/api/whatsapp/messages?subAccountId=${w.sub}&conversationId=${res.body.conversationId}`,
      w.agent,
    );
    expect(list.status).toBe(200);
    pageShape(list.body);
    expect((list.body.items as Array<{ id: string }>).map((m) => m.id)).toContain(res.body.id);
  });

  it('free text to a number that never wrote: 422 WINDOW_CLOSED in the error shape', async () => {
    const res = await post('/api/whatsapp/messages', w.agent, { subAccountId: w.sub, to: '14155550999', text: 'hi' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(expect.objectContaining({ statusCode: 422, code: 'WINDOW_CLOSED' }));
  });

  it('capture-lead {} answers 201 a new lead, then 200 the same lead; the lead source is whatsapp', async () => {
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    const conv = (list.body.items as Array<{ id: string; contact: { waId: string } }>).find(
      (c) => c.contact.waId === waId,
    );
    const first = await post(`/api/whatsapp/conversations/${conv?.id}/capture-lead`, w.agent, {});
    expect(first.status).toBe(201);
    const again = await post(`/api/whatsapp/conversations/${conv?.id}/capture-lead`, w.agent, {});
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(typeof first.body.id).toBe('string');
  });

  it('opt-outs: POST { subAccountId, phone, scope } then GET a page holding it with string id', async () => {
    const created = await post('/api/whatsapp/opt-outs', w.admin, {
      subAccountId: w.sub,
      phone: '+14155550777',
      scope: 'marketing',
    });
    expect([200, 201]).toContain(created.status);
    const res = await get(`/api/whatsapp/opt-outs?subAccountId=${w.sub}`, w.admin);
    expect(res.status).toBe(200);
    pageShape(res.body);
    const row = (res.body.items as Array<Record<string, unknown>>).find((o) => o.id === created.body.id);
    expect(row).toEqual(expect.objectContaining({ id: expect.any(String), scope: 'marketing', source: 'manual' }));
  });

  it('analytics answers every field API.md lists', async () => {
    const res = await get(`/api/whatsapp/analytics?subAccountId=${w.sub}`, w.admin);
    expect(res.status).toBe(200);
    for (const key of [
      'sent',
      'delivered',
      'read',
      'failed',
      'deliveryRate',
      'readRate',
      'inbound',
      'conversations',
      'linkedConversations',
      'conversationToLeadRate',
      'optOuts',
      'byTemplate',
      'byPricingCategory',
    ]) {
      expect(res.body).toHaveProperty(key);
    }
    expect(Object.keys(res.body.byPricingCategory as object).sort()).toEqual([
      'authentication',
      'marketing',
      'service',
      'utility',
    ]);
  });

  it('templates: GET without integrationId is a page; sync { integrationId } answers 202 { jobId }', async () => {
    const res = await get(`/api/whatsapp/templates?subAccountId=${w.sub}`, w.admin);
    expect(res.status).toBe(200);
    pageShape(res.body);
    const sync = await post('/api/whatsapp/templates/sync', w.admin, { integrationId: w.integrationId });
    expect(sync.status).toBe(202);
    expect(sync.body).toEqual({ jobId: expect.anything() });
  });

  it('POST templates with exactly the body API.md lists answers 201 PENDING with a string id', async () => {
    const res = await post('/api/whatsapp/templates', w.admin, {
      integrationId: w.integrationId,
      name: 'audit24_welcome',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(expect.objectContaining({ id: expect.any(String), status: 'PENDING' }));
  });

  it('link { leadId } and DELETE link answer 200; the captured lead is whatsapp-sourced', async () => {
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    const conv = (list.body.items as Array<{ id: string; leadId: string | null; contact: { waId: string } }>).find(
      (c) => c.contact.waId === waId,
    );
    const leadId = conv?.leadId;
    expect(typeof leadId).toBe('string');
    const unlink = await w.t.http.delete(`/api/whatsapp/conversations/${conv?.id}/link`).set('authorization', w.agent);
    expect(unlink.status).toBe(200);
    const link = await post(`/api/whatsapp/conversations/${conv?.id}/link`, w.agent, { leadId });
    expect(link.status).toBe(200);
    const one = await get(`/api/whatsapp/conversations/${conv?.id}`, w.agent);
    expect(one.status).toBe(200);
    expect(JSON.stringify(one.body)).toContain('whatsapp');
  });

  it('bulk { subAccountId, leadIds, text } without integrationId answers 202 with recipients and skipped counts', async () => {
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    const leadId = (list.body.items as Array<{ leadId: string | null }>).find((c) => c.leadId)?.leadId;
    const res = await post('/api/whatsapp/bulk', w.admin, { subAccountId: w.sub, leadIds: [leadId], text: 'news' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        status: 'queued',
        recipients: expect.any(Number),
        skipped: expect.objectContaining({ noPhone: 0, optedOut: 0, duplicatePhone: 0, windowClosed: 0 }),
      }),
    );
    const page = await get(`/api/whatsapp/bulk?subAccountId=${w.sub}`, w.admin);
    expect(page.status).toBe(200);
    pageShape(page.body);
    const one = await get(`/api/whatsapp/bulk/${res.body.id}`, w.admin);
    expect(one.status).toBe(200);
    expect(one.body.counts).toEqual(expect.objectContaining({ total: 1 }));
    const recipients = await get(`/api/whatsapp/bulk/${res.body.id}/recipients`, w.admin);
    expect(recipients.status).toBe(200);
    pageShape(recipients.body);
  });

  it('list filters a client writes plainly: linked=false, direction=inbound, sentBy=me, page/pageSize, ISO from/to', async () => {
    for (const path of [
      `/api/whatsapp/conversations?subAccountId=${w.sub}&linked=false&page=1&pageSize=10`,
      `/api/whatsapp/conversations?subAccountId=${w.sub}&linked=true&q=Ana`,
      `/api/whatsapp/messages?subAccountId=${w.sub}&direction=inbound`,
      `/api/whatsapp/messages?subAccountId=${w.sub}&sentBy=me&status=queued`,
      `/api/whatsapp/messages?subAccountId=${w.sub}&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
      `/api/whatsapp/analytics?subAccountId=${w.sub}&from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z`,
      `/api/whatsapp/templates?subAccountId=${w.sub}&status=APPROVED&category=UTILITY&language=en_US`,
      `/api/whatsapp/opt-outs?subAccountId=${w.sub}&page=1&pageSize=200`,
    ]) {
      const res = await get(path, w.admin);
      expect({ path, status: res.status, body: res.status === 200 ? null : res.body }).toEqual({
        path,
        status: 200,
        body: null,
      });
    }
    const inbound = await get(`/api/whatsapp/messages?subAccountId=${w.sub}&direction=inbound`, w.admin);
    expect(inbound.body.items[0]).toEqual(
      expect.objectContaining({
        direction: 'inbound',
        status: 'received',
        text: 'hello there',
        id: expect.any(String),
      }),
    );
  });

  it('send by leadId with a template { name, language } and a lead placeholder parameter, no integrationId: 202', async () => {
    w.fake.templates.add(WABA, {
      name: 'audit24_hello',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    const sync = await post('/api/whatsapp/templates/sync', w.admin, { integrationId: w.integrationId });
    expect(sync.status).toBe(202);
    await waitFor(
      async () => {
        const r = await get(`/api/whatsapp/templates?subAccountId=${w.sub}&q=audit24_hello`, w.admin);
        return (r.body.items as Array<{ status: string }>).find((i) => i.status === 'APPROVED');
      },
      10_000,
      'the sync',
    );
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    const leadId = (list.body.items as Array<{ leadId: string | null }>).find((c) => c.leadId)?.leadId;
    const res = await post('/api/whatsapp/messages', w.agent, {
      subAccountId: w.sub,
      leadId,
      template: { name: 'audit24_hello', language: 'en_US' },
      parameters: { '1': '{{lead.firstName}}' },
    });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 202,
      body: expect.objectContaining({ status: 'queued', id: expect.any(String) }),
    });
  });

  it('opt-out by waId, then DELETE it: 204 or 200', async () => {
    const created = await post('/api/whatsapp/opt-outs', w.admin, {
      subAccountId: w.sub,
      waId: '14155550778',
      scope: 'all',
    });
    expect([200, 201]).toContain(created.status);
    const del = await w.t.http.delete(`/api/whatsapp/opt-outs/${created.body.id}`).set('authorization', w.admin);
    expect([200, 204]).toContain(del.status);
  });

  it('`to` written as E.164 with "+" reaches the same open conversation (no WINDOW_CLOSED)', async () => {
    const res = await post('/api/whatsapp/messages', w.agent, {
      subAccountId: w.sub,
      to: `+${waId}`,
      text: 'plus form',
    });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 202, code: undefined });
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}`, w.admin);
    const conv = (list.body.items as Array<{ id: string; contact: { waId: string } }>).find(
      (c) => c.contact.waId === waId,
    );
    expect(res.body.conversationId).toBe(conv?.id);
  });

  it('an opt-out written as "+<phone>" stops a send written without "+": 422 RECIPIENT_OPTED_OUT', async () => {
    const from = '14155550125';
    expect((await deliver(w.url, w.hooks.inboundText({ from, text: 'hey' }))).status).toBe(200);
    await processed();
    const created = await post('/api/whatsapp/opt-outs', w.admin, {
      subAccountId: w.sub,
      phone: `+${from}`,
      scope: 'all',
    });
    expect([200, 201]).toContain(created.status);
    const res = await post('/api/whatsapp/messages', w.agent, { subAccountId: w.sub, to: from, text: 'hello' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'RECIPIENT_OPTED_OUT' });
  });

  it('the fixture inbound-text-message.json, signed over its raw bytes, lands as an inbound message of its conversation', async () => {
    const rawBody = readFileSync('/work/shared/fixtures/whatsapp/inbound-text-message.json', 'utf8');
    const res = await deliver(w.url, {
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signHub(WHATSAPP_CONFIG.appSecret, rawBody),
      },
    });
    expect(res.status).toBe(200);
    await processed();
    const list = await get(`/api/whatsapp/conversations?subAccountId=${w.sub}&q=16505551234`, w.admin);
    const conv = (list.body.items as Array<{ id: string; contact: { waId: string; profileName: string } }>).find(
      (c) => c.contact.waId === '16505551234',
    );
    expect(conv?.contact.profileName).toBe('Sheena Nelson');
    const messages = await get(`/api/whatsapp/messages?subAccountId=${w.sub}&conversationId=${conv?.id}`, w.admin);
    expect(messages.body.items).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        status: 'received',
        type: 'text',
        text: 'Does it come in another color?',
        wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      }),
    ]);
  });

  it('the verification handshake echoes hub.challenge as text/plain', async () => {
    const res = await w.t.http.get('/api/webhooks/whatsapp-cloud').query({
      'hub.mode': 'subscribe',
      'hub.verify_token': WHATSAPP_CONFIG.verifyToken,
      'hub.challenge': '1158201444',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('1158201444');
  });
});
