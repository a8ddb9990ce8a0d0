// Attacks on the recent features, part 2: GoHighLevel block slots and WhatsApp inbound kinds. AUTHENTICATION
// templates are in attacker-recent.e2e-spec.ts, replays and A's token in attacker-recent-replays.e2e-spec.ts.
import { GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  AttackFixture,
  CONTACT,
  Json,
  PHONE_A,
  PHONE_B,
  WABA_A,
  attackHelpers,
  setupAttackerRecent,
} from '../support/attacker-recent-setup';

describe('attacks on the recent features', () => {
  let fx: AttackFixture;
  let t: TestApp;
  let ghl: FakeServer;
  let hooksA: WhatsAppWebhooks;
  let hooksB: WhatsAppWebhooks;
  let subA: number;
  let subB: number;
  let waA: number;
  let ghlA: number;
  let ghlB: number;
  let googleA: { id: number; webhookUrl: string };
  let adminA: string;
  let managerA: string;
  let agentA: string;
  let adminB: string;
  const { post, get, idle, received, inbound, storedMessage, wamidOf } = attackHelpers(() => fx);

  beforeAll(async () => {
    fx = await setupAttackerRecent();
    ({ t, ghl, hooksA, hooksB, subA, subB, waA, ghlA, ghlB, googleA, adminA, managerA, agentA, adminB } = fx);
  });
  afterAll(() => fx.close());

  describe('GoHighLevel block slots', () => {
    const blocks = () => ghl.requests.filter((r) => r.path === '/calendars/events/block-slots');
    const block = (integrationId: number, body: unknown, token = managerA) =>
      post(`/api/integrations/${integrationId}/ghl/calendars/cal1/block-slots`, token, body as object);

    it('refuses impossible instants and control-character titles before GoHighLevel sees them', async () => {
      const ok = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' };
      const before = blocks().length;
      const bad: Array<[string, Json, string]> = [
        ['offset +25:00', { ...ok, startTime: '2026-12-01T12:00:00+25:00' }, 'startTime'],
        ['offset +99:99', { ...ok, endTime: '2026-12-01T13:00:00+99:99' }, 'endTime'],
        ['offset minutes 60', { ...ok, startTime: '2026-12-01T12:00:00+05:60' }, 'startTime'],
        ['leap second', { ...ok, endTime: '2026-12-31T23:59:60Z' }, 'endTime'],
        ['second 99', { ...ok, startTime: '2026-12-01T12:00:99Z' }, 'startTime'],
        ['hour 24', { ...ok, endTime: '2026-12-01T24:00:00Z' }, 'endTime'],
        ['Feb 29 of 2027', { ...ok, startTime: '2027-02-29T12:00:00Z' }, 'startTime'],
        ['a number', { ...ok, startTime: 1796169600000 }, 'startTime'],
        ['an array', { ...ok, endTime: ['2026-12-01T13:00:00Z'] }, 'endTime'],
        [
          'end before start across the DST fall-back',
          { ...ok, startTime: '2026-11-01T01:15:00-05:00', endTime: '2026-11-01T01:30:00-04:00' },
          'endTime',
        ],
        [
          'end equal to start in other offsets',
          { ...ok, startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T07:00:00-05:00' },
          'endTime',
        ],
        ['title of control characters', { ...ok, title: '\u0001\u0002\u0007' }, 'title'],
        ['title with a newline', { ...ok, title: 'Lunch\r\nX-Injected: 1' }, 'title'],
        ['title with an escape sequence', { ...ok, title: '\u001b[31mLunch' }, 'title'],
        ['title with a C1 control', { ...ok, title: 'Lunch\u0085' }, 'title'],
        ['title a number', { ...ok, title: 42 }, 'title'],
        ['title of 201 characters', { ...ok, title: 'x'.repeat(201) }, 'title'],
        ['a locationId of another location', { ...ok, locationId: 'loc_TENANT_B' }, 'locationId'],
      ];
      const outcomes: string[] = [];
      for (const [what, body, field] of bad) {
        const res = await block(ghlA, body);
        const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
        outcomes.push(`${what}: ${res.status} ${res.body.code} ${fields.includes(field)}`);
      }
      expect(outcomes).toEqual(bad.map(([what]) => `${what}: 400 VALIDATION_FAILED true`));
      // a NUL is refused by the global pipe
      const nul = await block(ghlA, { ...ok, title: 'Lunch\u0000' });
      expect([nul.status, nul.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(blocks().length).toBe(before);

      // instants at DST edges and far years are real instants with their offsets: passed on unchanged
      for (const body of [
        { ...ok, startTime: '2026-03-08T01:59:59-05:00', endTime: '2026-03-08T03:00:00-04:00' },
        { ...ok, startTime: '2026-11-01T01:30:00-04:00', endTime: '2026-11-01T01:15:00-05:00' },
        {
          ...ok,
          startTime: '9999-12-31T22:00:00Z',
          endTime: '9999-12-31T23:59:59.999Z',
          title: 'Emoji 🎉 and ünïcödé',
        },
      ]) {
        const res = await block(ghlA, body);
        expect(res.status).toBe(201);
        expect(blocks().at(-1)?.body).toMatchObject({ locationId: GHL_CONFIG.locationId, ...body });
      }
    });

    it("answers 404 for B's integration and for an integration of another provider; GoHighLevel sees nothing", async () => {
      const before = ghl.requests.length;
      const ok = { startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' };
      for (const id of [ghlB, waA, googleA.id, 2147483647]) {
        const res = await block(id, ok);
        expect([id, res.status, res.body.code]).toEqual([id, 404, 'NOT_FOUND']);
        expect(JSON.stringify(res.body)).not.toContain('TENANT_B');
      }
      for (const path of [
        `/api/integrations/${ghlB}/ghl/calendars`,
        `/api/integrations/${ghlB}/ghl/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`,
      ]) {
        const res = await get(path, managerA);
        expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      }
      const contact = await post(`/api/integrations/${ghlB}/ghl/contacts`, managerA, { leadId: '1' });
      expect([contact.status, contact.body.code]).toEqual([404, 'NOT_FOUND']);
      const byAgent = await block(ghlA, ok, agentA);
      expect([byAgent.status, byAgent.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(ghl.requests.length).toBe(before);
    });
  });

  describe('WhatsApp inbound kinds', () => {
    it('never links a reply to a message of another tenant, integration or conversation', async () => {
      // B's contact writes, B answers: B's outbound message has a wamid from Meta
      await received(hooksB, inbound(PHONE_B, { type: 'text', text: { body: 'hi B' } }));
      await received(hooksA, inbound(PHONE_A, { type: 'text', text: { body: 'hi A' } }));
      await idle();
      const sentB = await post('/api/whatsapp/messages', adminB, {
        subAccountId: subB,
        to: `+${CONTACT}`,
        text: 'B here',
      });
      expect(sentB.status).toBe(202);
      const wamidB = await waitFor(async () => {
        const row = await t.sql.query<{ wamid: string | null }>('SELECT wamid FROM messages WHERE id = $1', [
          sentB.body.id,
        ]);
        return row.rows[0]?.wamid ?? undefined;
      });
      // the same person answers on A's number, naming B's message (a forged or confused context)
      const onA = inbound(PHONE_A, {
        type: 'interactive',
        context: { from: '15550783881', id: wamidB },
        interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
      });
      await received(hooksA, onA);
      // another contact of B names B's message to CONTACT (another conversation on the same number)
      const otherContact = inbound(PHONE_B, {
        type: 'text',
        text: { body: 'me too' },
        context: { from: '15550783881', id: wamidB },
      });
      const value = ((otherContact.entry as Json[])[0].changes as Json[])[0].value as {
        contacts: Json[];
        messages: Json[];
      };
      value.contacts[0].wa_id = '16505559999';
      value.messages[0].from = '16505559999';
      await received(hooksB, otherContact);
      // and the right conversation does link (the control)
      const sameConversation = inbound(PHONE_B, {
        type: 'text',
        text: { body: 'ok' },
        context: { from: '15550783881', id: wamidB },
      });
      await received(hooksB, sameConversation);
      await idle();
      expect((await storedMessage(wamidOf(onA)))?.reply_to_message_id).toBeNull();
      expect((await storedMessage(wamidOf(otherContact)))?.reply_to_message_id).toBeNull();
      expect((await storedMessage(wamidOf(sameConversation)))?.reply_to_message_id).toBe(sentB.body.id);
      // A reads none of B's messages
      const list = await get(`/api/whatsapp/messages?subAccountId=${subA}&pageSize=200`, agentA);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(sentB.body.id);
      expect(JSON.stringify(list.body)).not.toContain('B here');
    });

    it('keeps an order only with quantities and prices that are numbers an order can have', async () => {
      const order = inbound(PHONE_A, {
        type: 'order',
        order: {
          catalog_id: '194836987003835',
          text: '',
          product_items: [
            { product_retailer_id: 'neg', quantity: -5, item_price: -1, currency: 'USD' },
            { product_retailer_id: 'huge', quantity: 1e308, item_price: 1e308, currency: 'USD' },
            { product_retailer_id: 'hex', quantity: '0x10', item_price: '0x10', currency: 'USD' },
            { product_retailer_id: 'nan', quantity: 'NaN', item_price: 'Infinity', currency: 'USD' },
            { product_retailer_id: 'frac', quantity: 2.5, item_price: '12.50', currency: 'USD' },
            { product_retailer_id: 'text', quantity: '3', item_price: 30, currency: 'USD' },
          ],
        },
      });
      await received(hooksA, order);
      await idle();
      const row = await storedMessage(wamidOf(order));
      expect(row?.content).toEqual({
        catalogId: '194836987003835',
        productItems: [
          { productRetailerId: 'neg', currency: 'USD' },
          { productRetailerId: 'huge', itemPrice: 1e308, currency: 'USD' },
          { productRetailerId: 'hex', currency: 'USD' },
          { productRetailerId: 'nan', currency: 'USD' },
          { productRetailerId: 'frac', itemPrice: 12.5, currency: 'USD' },
          { productRetailerId: 'text', quantity: 3, itemPrice: 30, currency: 'USD' },
        ],
      });
      expect(row?.text).toBe(
        'Order: ? × neg, ? × huge @ 1e+308 USD, ? × hex, ? × nan, ? × frac @ 12.5 USD, 3 × text @ 30 USD',
      );
    });

    it('keeps Flow answers that are not JSON, huge, or not a string without failing the delivery', async () => {
      const flow = (response: unknown) =>
        inbound(PHONE_A, {
          type: 'interactive',
          interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: response } },
        });
      const notJson = flow('{"flow_token": "t1", ');
      const huge = flow(JSON.stringify({ flow_token: 't2', answer: 'x'.repeat(900_000) }));
      const notString = flow({ flow_token: 't3' });
      const tokenNotPrintable = flow(JSON.stringify({ flow_token: 'a\u0007b' }));
      for (const p of [notJson, huge, notString, tokenNotPrintable]) await received(hooksA, p);
      await idle();
      expect((await storedMessage(wamidOf(notJson)))?.content).toEqual({
        kind: 'nfm_reply',
        name: 'flow',
        body: 'Sent',
        responseJson: '{"flow_token": "t1", ',
      });
      const big = await storedMessage(wamidOf(huge));
      expect(big?.content).toMatchObject({ flowToken: 't2' });
      expect(String(big?.content?.responseJson).length).toBeGreaterThan(900_000);
      expect((await storedMessage(wamidOf(notString)))?.content).toEqual({
        kind: 'nfm_reply',
        name: 'flow',
        body: 'Sent',
      });
      expect((await storedMessage(wamidOf(tokenNotPrintable)))?.content).not.toHaveProperty('flowToken');
    });

    it('reads 10,000 errors about the number as one bounded lastError', async () => {
      const errors = Array.from({ length: 10_000 }, (_, i) => ({ code: 130429 + (i % 3), title: `E${i}` }));
      const payload = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA_A,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_A },
                  errors,
                },
              },
            ],
          },
        ],
      };
      const eventId = await received(hooksA, payload);
      await idle();
      const event = await get(`/api/integrations/${waA}/events?pageSize=200`, adminA);
      const row = (event.body.items as Array<{ id: string; status: string; lastError: string }>).find(
        (e) => e.id === eventId,
      );
      expect(row?.status).toBe('PROCESSED');
      expect(row?.lastError.length).toBeLessThanOrEqual(2000);
      expect(row?.lastError.startsWith('130429 E0; 130430 E1')).toBe(true);
    });
  });
});
