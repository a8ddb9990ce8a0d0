/**
 * Findings of a seeded fuzz of correctly signed webhook deliveries (every provider's fixtures with
 * values replaced by huge/odd numbers, bad times, NUL and surrogate escapes, wrong types, duplicate
 * keys …; see /work/notes/fuzz.md). Each case once answered 5xx or left its event FAILED with an
 * unexpected exception (a database error, a RangeError) instead of storing or refusing it.
 */
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { GHL_PUBLIC_KEY_PEM, ghlSig, metaSig } from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, settledEvent } from '../support/webhooks';

const PSID = '6543210987654321';
const META = {
  pageId: '153125381133',
  appSecret: 'fuzz-meta-secret',
  pageAccessToken: 'EAAG-fuzz-meta',
  verifyToken: 'v3',
};
const MESSENGER = {
  pageId: '104620412345678',
  pageAccessToken: 'EAAG-fuzz-messenger-5151',
  appSecret: 'fuzz-messenger-secret',
  verifyToken: 'fuzz-messenger-verify',
};

describe('signed fuzz findings', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let ghlId: number;
  let messengerId: number;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0', WEBHOOK_MAX_ATTEMPTS: '1' },
    });
    sub = await createSubAccount(t, 'MAX');
    const whatsapp = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const messenger = await createIntegration(t, sub, 'facebook-messenger', MESSENGER);
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META);
    const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, webhookPublicKey: GHL_PUBLIC_KEY_PEM });
    for (const i of [whatsapp, messenger, ghl, meta]) await activate(t, sub, i.id);
    ghlId = ghl.id;
    messengerId = messenger.id;
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>) => {
    let req = t.http.post(path).set('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send(body);
  };
  const unhandledSince = (from: number): string[] =>
    t
      .logs()
      .slice(from)
      .split('\n')
      .filter((line) => line.includes('"unhandled error"'));

  /** The processed outcome of one event: its status and error once the worker is done with it. */
  /** Status and error of an event once processed (attempts left out: the cases compare the two). */
  const settled = async (eventId: string) => {
    const { status, last_error } = await settledEvent(t, eventId);
    return { status, last_error };
  };

  describe('a routing key holding NUL (escaped \\u0000) names no integration: 401, not 500', () => {
    const whatsappBody = (phoneNumberId: string, wabaId = WHATSAPP_CONFIG.wabaId): string =>
      `{"object":"whatsapp_business_account","entry":[{"id":"${wabaId}","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"${phoneNumberId}"},"statuses":[]},"field":"messages"}]}]}`;
    const cases: Array<[string, string, string, string]> = [
      ['whatsapp phone_number_id', '/api/webhooks/whatsapp-cloud', whatsappBody('\\u0000'), WHATSAPP_CONFIG.appSecret],
      [
        'messenger page id',
        '/api/webhooks/facebook-messenger',
        '{"object":"page","entry":[{"id":"a\\u0000b","time":1,"messaging":[]}]}',
        MESSENGER.appSecret,
      ],
      [
        'instagram account id',
        '/api/webhooks/instagram-direct',
        '{"object":"instagram","entry":[{"id":"\\u0000","time":1,"messaging":[]}]}',
        'any',
      ],
      [
        'meta lead ads page id',
        '/api/webhooks/meta-lead-ads',
        '{"object":"page","entry":[{"id":"\\u0000","time":1,"changes":[]}]}',
        'any',
      ],
    ];
    it.each(cases)('%s', async (_name, path, body, secret) => {
      const from = t.logs().length;
      const signed: Record<string, string> = { 'x-hub-signature-256': metaSig(body, secret) };
      for (const headers of [signed, {}]) {
        const res = await post(path, body, headers);
        expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      }
      expect(unhandledSince(from)).toEqual([]);
    });

    it('gohighlevel locationId', async () => {
      const from = t.logs().length;
      const body = `{"type":"ContactCreate","locationId":"\\u0000","id":"c-nul","email":"nul@example.com"}`;
      const res = await post('/api/webhooks/gohighlevel', body, { 'x-wh-signature': ghlSig(body) });
      expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      expect(unhandledSince(from)).toEqual([]);
    });
  });
  describe("an event id longer than any provider's is deduplicated by its hash; the delivery is kept", () => {
    // WhatsApp composes a template update's id from the sender's values (field, template id, event, time)
    const templateUpdate = (event: string): string =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WHATSAPP_CONFIG.wabaId,
            time: 1767225600,
            changes: [
              {
                field: 'message_template_status_update',
                value: { event, message_template_id: 7777, message_template_name: 'long', reason: 'NONE' },
              },
            ],
          },
        ],
      });

    it('a 600-character template event: received once, then a duplicate of the same event', async () => {
      const body = templateUpdate('APPROVED'.padEnd(600, 'X'));
      const headers = { 'x-hub-signature-256': metaSig(body, WHATSAPP_CONFIG.appSecret) };
      const first = await post('/api/webhooks/whatsapp-cloud', body, headers);
      expect([first.status, first.body.status]).toEqual([200, 'received']);
      const again = await post('/api/webhooks/whatsapp-cloud', body, headers);
      expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });
      const row = (
        await t.sql.query<{ dedup_key: string; external_id: string }>(
          'SELECT dedup_key, external_id FROM webhook_events WHERE id = $1',
          [first.body.eventId],
        )
      ).rows[0];
      expect(row.dedup_key).toMatch(/^idh:[0-9a-f]{64}$/);
      expect(row.external_id).toContain('APPROVED'.padEnd(600, 'X'));
      // another long value is another event
      const other = templateUpdate('REJECTED'.padEnd(600, 'X'));
      const third = await post('/api/webhooks/whatsapp-cloud', other, {
        'x-hub-signature-256': metaSig(other, WHATSAPP_CONFIG.appSecret),
      });
      expect([third.status, third.body.status]).toEqual([200, 'received']);
      expect(third.body.eventId).not.toBe(first.body.eventId);
    });
  });

  describe('a time the sender got wrong is left out; the event is still applied', () => {
    const ghl = async (body: Record<string, unknown>): Promise<string> => {
      const text = JSON.stringify({ ...body, locationId: GHL_CONFIG.locationId });
      const res = await post('/api/webhooks/gohighlevel', text, { 'x-wh-signature': ghlSig(text) });
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      return res.body.eventId as string;
    };
    const BAD_TIMES = ['a@b', '2026-13-45T99:99:99Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z'];

    it.each(BAD_TIMES)('gohighlevel ContactCreate dateAdded %j: the lead is stored, without that time', async (bad) => {
      const id = `c-time-${BAD_TIMES.indexOf(bad)}`;
      const eventId = await ghl({ type: 'ContactCreate', id, email: `${id}@example.com`, dateAdded: bad });
      expect(await settled(eventId)).toEqual({ status: 'PROCESSED', last_error: null });
      const leads = await t.sql.query(
        "SELECT 1 FROM lead_sources WHERE integration_id = $1 AND platform = 'gohighlevel' AND external_id = $2",
        [ghlId, id],
      );
      expect(leads.rowCount).toBe(1);
    });

    it.each(BAD_TIMES)('gohighlevel InboundMessage dateAdded %j: the message reaches the timeline', async (bad) => {
      const n = BAD_TIMES.indexOf(bad);
      const eventId = await ghl({
        type: 'InboundMessage',
        contactId: `c-msg-${n}`,
        messageId: `m-time-${n}`,
        conversationId: 'conv-1',
        body: 'hello',
        direction: 'inbound',
        messageType: 'SMS',
        dateAdded: bad,
      });
      expect(await settled(eventId)).toEqual({ status: 'PROCESSED', last_error: null });
    });

    it.each(BAD_TIMES)('gohighlevel AppointmentCreate startTime %j: the booking is kept', async (bad) => {
      const n = BAD_TIMES.indexOf(bad);
      const eventId = await ghl({
        type: 'AppointmentCreate',
        appointment: { id: `a-time-${n}`, contactId: `c-appt-${n}`, calendarId: 'cal', startTime: bad, endTime: bad },
      });
      expect(await settled(eventId)).toEqual({ status: 'PROCESSED', last_error: null });
    });

    const messenger = async (item: Record<string, unknown>): Promise<{ status: string; eventId: string | null }> => {
      const text = JSON.stringify({
        object: 'page',
        entry: [{ id: MESSENGER.pageId, time: 1458692752478, messaging: [item] }],
      });
      const res = await post('/api/webhooks/facebook-messenger', text, {
        'x-hub-signature-256': metaSig(text, MESSENGER.appSecret),
      });
      expect(res.status).toBe(200);
      return res.body as { status: string; eventId: string | null };
    };
    const party = { sender: { id: PSID }, recipient: { id: MESSENGER.pageId } };

    it('messenger: a message stamped 1e20 ms is applied (its time left out), not failed with a RangeError', async () => {
      const { status, eventId } = await messenger({
        ...party,
        timestamp: 1e20,
        message: { mid: 'm_fuzz_time', text: 'hi' },
      });
      expect(status).toBe('received');
      expect(await settled(eventId ?? '')).toEqual({ status: 'PROCESSED', last_error: null });
      expect(
        (await t.sql.query('SELECT 1 FROM lead_identities WHERE key = $1', [`ext:messenger:${PSID}`])).rowCount,
      ).toBe(1);
    });

    it('messenger: a read watermark of 1e20 ms is no time, not an invalid date sent to PostgreSQL', async () => {
      // a read with no time and no message id says nothing: ignored (it used to be stored and fail)
      const answer = await messenger({ ...party, timestamp: 1458668856463, read: { watermark: 1e20 } });
      expect(answer).toEqual({ status: 'ignored', eventId: null });
      const failed = await t.sql.query("SELECT 1 FROM webhook_events WHERE integration_id = $1 AND status = 'FAILED'", [
        messengerId,
      ]);
      expect(failed.rowCount).toBe(0);
    });
  });
  describe('a stamp past year 9999 (1e20, "1e+308") is no time: the event is applied without it', () => {
    const whatsapp = async (
      value: string,
    ): Promise<{ status: string; eventId: string | null; eventIds?: string[] }> => {
      const body = `{"object":"whatsapp_business_account","entry":[{"id":"${WHATSAPP_CONFIG.wabaId}","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"${WHATSAPP_CONFIG.phoneNumberId}"},${value}},"field":"messages"}]}]}`;
      const res = await post('/api/webhooks/whatsapp-cloud', body, {
        'x-hub-signature-256': metaSig(body, WHATSAPP_CONFIG.appSecret),
      });
      expect(res.status).toBe(200);
      return res.body as { status: string; eventId: string | null };
    };

    it.each(['100000000000000000000', '1e+21'])(
      'whatsapp: an inbound text stamped %s is stored as received now',
      async (stamp) => {
        const wamid = `wamid.fuzz-time-${stamp}`;
        const answer = await whatsapp(
          `"contacts":[{"profile":{"name":"Fuzz"},"wa_id":"16505550100"}],"messages":[{"from":"16505550100","id":"${wamid}","timestamp":"${stamp}","type":"text","text":{"body":"hi"}}]`,
        );
        expect(answer.status).toBe('received');
        expect(await settled(answer.eventId ?? '')).toEqual({ status: 'PROCESSED', last_error: null });
        const stored = await t.sql.query('SELECT 1 FROM messages WHERE wamid = $1', [wamid]);
        expect(stored.rowCount).toBe(1);
      },
    );

    it.each(['100000000000000000000', '1e+308'])(
      'whatsapp: a status stamped %s is not applied, not failed',
      async (stamp) => {
        const answer = await whatsapp(
          `"statuses":[{"id":"wamid.fuzz-status-${stamp}","status":"delivered","timestamp":"${stamp}","recipient_id":"16505550100"}]`,
        );
        if (answer.eventId !== null)
          expect(await settled(answer.eventId)).toEqual({ status: 'PROCESSED', last_error: null });
      },
    );

    it('meta lead ads: a leadgen change with created_time 99999999999999999999 is received, not refused', async () => {
      const body = JSON.stringify({
        object: 'page',
        entry: [{ id: META.pageId, time: 1438292065, changes: [] }],
      }).replace(
        '"changes":[]',
        '"changes":[{"field":"leadgen","value":{"leadgen_id":"fuzz-lead-1","page_id":"' +
          META.pageId +
          '","form_id":"1","created_time":99999999999999999999}}]',
      );
      const res = await post('/api/webhooks/meta-lead-ads', body, {
        'x-hub-signature-256': metaSig(body, META.appSecret),
      });
      expect([res.status, res.body.status]).toEqual([200, 'received']);
    });
  });
});
