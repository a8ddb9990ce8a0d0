// The fake WhatsApp Cloud API itself: answers, 80/s and pair limits, failures, templates, signed webhooks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractWhatsAppEvents } from '../../../src/handlers/whatsapp-cloud/whatsapp-cloud.webhook';
import { verifyHubSignature } from '../../../src/handlers/shared/meta-hub';
import { incomingStatusOf } from '../../../src/modules/whatsapp/domain/message-status';
import { FakeWhatsAppGraph } from './whatsapp-graph';
import { SignedDelivery } from './whatsapp-webhooks';

const TOKEN = 'EAAG-fake';
const SECRET = 'app-secret-1';
const PHONE = '106540352242922';
const WABA = '102290129340398';
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../../src/handlers/whatsapp-cloud/fixtures', name), 'utf8'));

/** The parts of Graph answers these tests read. */
interface Answer {
  error: { code: number; type: string; message: string; error_data: unknown };
  messages: Array<{ id: string }>;
  data: Array<{ name: string }>;
  paging: { next?: string; cursors: { after: string } };
}

describe('FakeWhatsAppGraph', () => {
  let fake: FakeWhatsAppGraph;
  let clock = 1_000_000;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: TOKEN,
      appSecret: SECRET,
      now: () => clock,
      pairLimit: { burst: 3, everyMs: 6000 },
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.templates.clear();
    clock = 1_000_000;
  });

  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const text = (to: string, extra: Record<string, unknown> = {}) =>
    call('POST', `/v23.0/${PHONE}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'text',
      text: { body: 'Hello' },
      ...extra,
    });

  describe('POST /{phone-number-id}/messages', () => {
    it('answers like the Cloud API and logs the send', async () => {
      fake.setWaId('+5511987654321', '551187654321');
      const res = await text('+5511987654321', { biz_opaque_callback_data: 'msg_1' });
      const expected = fixture('send-message.response.sdk-test.json') as Record<string, unknown>;
      expect(Object.keys(res.body).sort()).toEqual(Object.keys(expected).sort());
      expect(res).toEqual({
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: '+5511987654321', wa_id: '551187654321' }],
          messages: [{ id: expect.stringMatching(/^wamid\./) }],
        },
      });
      expect(fake.accepted()).toEqual([
        expect.objectContaining({
          to: '+5511987654321',
          waId: '551187654321',
          bizOpaqueCallbackData: 'msg_1',
          at: clock,
        }),
      ]);
    });

    it('refuses a bad token with code 190 (HTTP 401) and a malformed send with code 100', async () => {
      expect(await call('POST', `/${PHONE}/messages`, {}, 'wrong')).toMatchObject({
        status: 401,
        body: { error: { code: 190 } },
      });
      expect(await text('not-a-phone')).toMatchObject({ status: 400, body: { error: { code: 100 } } });
      expect(await text('16505551234', { text: { body: '' } })).toMatchObject({
        status: 400,
        body: { error: { code: 100 } },
      });
    });

    it('enforces 80 messages per second per number with 130429, shaped like Meta documents it', async () => {
      const first = await Promise.all(Array.from({ length: 80 }, (_, i) => text(`1650555${String(1000 + i)}`)));
      expect(first.every((r) => r.status === 200)).toBe(true);
      const refused = await text('16505559999');
      expect(refused.status).toBe(400);
      const documented = fixture('error-response-130429.json') as { error: Record<string, unknown> };
      expect(refused.body.error).toMatchObject({
        code: documented.error.code,
        type: documented.error.type,
        message: documented.error.message,
        error_data: documented.error.error_data,
      });
      clock += 999;
      expect((await text('16505559999')).status).toBe(400);
      clock += 1;
      expect((await text('16505559999')).status).toBe(200);
      expect(fake.maxInAnyWindow(1000)).toBe(80);
      expect(fake.perSecond()).toEqual([80, 1]);
      expect(fake.sends.filter((s) => s.outcome === 130429)).toHaveLength(2);
    });

    it('limits messages to one recipient with 131056 and lets others through', async () => {
      for (let i = 0; i < 3; i++) expect((await text('16505551234')).status).toBe(200);
      expect(await text('16505551234')).toMatchObject({ status: 400, body: { error: { code: 131056 } } });
      expect((await text('16505550000')).status).toBe(200);
      clock += 6000; // one message's worth of the pair quota is back
      expect((await text('16505551234')).status).toBe(200);
      expect((await text('16505551234')).status).toBe(400);
      expect(fake.duplicates()).toEqual([{ to: '16505551234', count: 4 }]);
    });

    it('fails configured recipients synchronously or through a failed status', async () => {
      fake.failFor('+5511900000001', 131050, 'sync');
      fake.failFor('5511900000002', 131026);
      expect(await text('5511900000001')).toMatchObject({ status: 400, body: { error: { code: 131050 } } });
      const accepted = await text('+5511900000002');
      expect(accepted.status).toBe(200);
      const wamid = accepted.body.messages[0].id;
      const [failed] = fake.statusesFor(wamid, 'read', 1_750_000_000);
      expect(incomingStatusOf(failed)).toMatchObject({ status: 'failed', error: { code: 131026 } });
    });
  });

  describe('templates', () => {
    const components = [
      { type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped', example: { body_text: [['Ana', '42']] } },
      {
        type: 'BUTTONS',
        buttons: [{ type: 'URL', text: 'Track', url: 'https://t.example/{{1}}', example: ['https://t.example/42'] }],
      },
    ];
    const sendTemplate = (parameters: Array<Record<string, unknown>>, withButton = true) =>
      call('POST', `/${PHONE}/messages`, {
        messaging_product: 'whatsapp',
        to: '16505551234',
        type: 'template',
        template: {
          name: 'order_shipped',
          language: { policy: 'deterministic', code: 'en_US' },
          components: [
            { type: 'body', parameters },
            ...(withButton
              ? [{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '42' }] }]
              : []),
          ],
        },
      });
    const two = [
      { type: 'text', text: 'Ana' },
      { type: 'text', text: '42' },
    ];

    it('creates as PENDING, refuses sends until approved, then checks the parameter count', async () => {
      const created = await call('POST', `/${WABA}/message_templates`, {
        name: 'order_shipped',
        language: 'en_US',
        category: 'UTILITY',
        components,
      });
      expect(created).toEqual({
        status: 200,
        body: { id: expect.any(String), status: 'PENDING', category: 'UTILITY' },
      });
      expect(await sendTemplate(two)).toMatchObject({ status: 400, body: { error: { code: 132001 } } });
      fake.templates.setStatus(WABA, 'order_shipped', 'en_US', 'APPROVED');
      expect((await sendTemplate(two)).status).toBe(200);
      expect(await sendTemplate(two.slice(0, 1))).toMatchObject({ status: 400, body: { error: { code: 132000 } } });
      expect(await sendTemplate(two, false)).toMatchObject({ status: 400, body: { error: { code: 132000 } } });
      const duplicate = await call('POST', `/${WABA}/message_templates`, {
        name: 'order_shipped',
        language: 'en_US',
        category: 'UTILITY',
        components,
      });
      expect(duplicate.body.error.code).toBe(100);
    });

    it('checks parameter names of NAMED templates', async () => {
      const wabaOfOther = fake.wabaOf(PHONE);
      fake.templates.add(wabaOfOther, {
        name: 'named_hello',
        language: 'pt_BR',
        category: 'MARKETING',
        parameter_format: 'NAMED',
        components: [{ type: 'BODY', text: 'Oi {{first_name}}' }],
      });
      const send = (parameter_name: string) =>
        call('POST', `/${PHONE}/messages`, {
          messaging_product: 'whatsapp',
          to: '16505551234',
          type: 'template',
          template: {
            name: 'named_hello',
            language: { code: 'pt_BR' },
            components: [{ type: 'body', parameters: [{ type: 'text', parameter_name, text: 'Ana' }] }],
          },
        });
      expect((await send('first_name')).status).toBe(200);
      expect(await send('name')).toMatchObject({ status: 400, body: { error: { code: 132000 } } });
    });

    it('lists with cursor paging and deletes by name', async () => {
      for (const name of ['t_one', 't_two', 't_three'])
        await call('POST', `/${WABA}/message_templates`, {
          name,
          language: 'en_US',
          category: 'MARKETING',
          components,
        });
      const page1 = await call('GET', `/v23.0/${WABA}/message_templates?limit=2`);
      expect(page1.body.data.map((t) => t.name)).toEqual(['t_one', 't_two']);
      expect(page1.body.paging.next).toEqual(expect.any(String));
      const page2 = await call('GET', `/${WABA}/message_templates?limit=2&after=${page1.body.paging.cursors.after}`);
      expect(page2.body.data.map((t) => t.name)).toEqual(['t_three']);
      expect(page2.body.paging.next).toBeUndefined();
      expect(await call('DELETE', `/${WABA}/message_templates?name=t_two`)).toEqual({
        status: 200,
        body: { success: true },
      });
      expect((await call('DELETE', `/${WABA}/message_templates?name=t_two`)).status).toBe(400);
      expect(fake.templates.list(WABA).map((t) => t.name)).toEqual(['t_one', 't_three']);
    });
  });

  describe('webhook deliveries', () => {
    const verify = (delivery: SignedDelivery, secret = SECRET) =>
      verifyHubSignature(
        { rawBody: Buffer.from(delivery.rawBody), headers: delivery.headers, receivedAt: new Date() },
        { config: { appSecret: secret }, webhookSecrets: [] },
      );

    it('signs status updates the way the hub verifies them, and the handler reads them', async () => {
      const res = await text('16505551234', { biz_opaque_callback_data: 'msg_7' });
      const wamid = res.body.messages[0].id;
      const statuses = fake.statusesFor(wamid, 'read', 1_750_000_000);
      expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
      const delivery = fake.webhooks(PHONE).statuses([...statuses].reverse());
      expect(verify(delivery)).toEqual({ ok: true });
      expect(verify(delivery, 'other-secret')).toEqual({ ok: false, reason: 'signature mismatch' });
      const events = extractWhatsAppEvents(JSON.parse(delivery.rawBody));
      expect(events.map((e) => e.externalId)).toEqual([`${wamid}:read`, `${wamid}:delivered`, `${wamid}:sent`]);
      expect(incomingStatusOf(statuses[0])).toMatchObject({ callbackData: 'msg_7', pricing: { category: 'service' } });
    });

    it('builds inbound messages, template status updates and user preferences', () => {
      const hooks = fake.webhooks(PHONE);
      const inbound = JSON.parse(
        hooks.inboundText({ from: '551187654321', name: 'Ana', text: 'STOP', timestamp: 1_750_000_000 }).rawBody,
      );
      expect(extractWhatsAppEvents(inbound)).toEqual([
        expect.objectContaining({
          eventType: 'message',
          payload: expect.objectContaining({ from: '551187654321', text: 'STOP' }),
        }),
      ]);
      const template = JSON.parse(
        hooks.templateStatus({
          event: 'APPROVED',
          templateId: '1689556908129832',
          name: 'order_shipped',
          language: 'en_US',
          category: 'UTILITY',
        }).rawBody,
      );
      expect(template.entry[0]).toEqual({
        id: WABA,
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event: 'APPROVED',
              message_template_id: 1689556908129832,
              message_template_name: 'order_shipped',
              message_template_language: 'en_US',
              reason: 'NONE',
              message_template_category: 'UTILITY',
            },
          },
        ],
      });
      const prefs = JSON.parse(
        hooks.userPreferences({ waId: '16505551234', value: 'stop', timestamp: 1_750_000_000 }).rawBody,
      );
      expect(prefs.entry[0].changes[0]).toMatchObject({
        field: 'user_preferences',
        value: {
          user_preferences: [
            { wa_id: '16505551234', category: 'marketing_messages', value: 'stop', timestamp: 1_750_000_000 },
          ],
        },
      });
    });
  });
});
