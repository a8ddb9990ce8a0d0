// Audit 14 of API.md's "Webhooks" and "Leads" sections and the provider handlers, as a provider that
// retries, reorders and sends garbage. Failed before their fix:
// - a GoHighLevel OpportunityStatusUpdate replayed (POST /api/webhook-events/:id/replay: "processes the
//   stored event again") after a later one moved the lead on put the old status back, and recorded a
//   second transition (a second conversion for analytics); a status update delivered after a newer one
//   (GoHighLevel retries a delivery it got a 429 for ten minutes later) undid it the same way;
// - an e-mail written with a combining accent (NFD, as macOS and some keyboards send it) and the same
//   e-mail precomposed (NFC) are the same address (Unicode canonical equivalence), but were two identity
//   keys: API.md "Leads" deduplicates by lower-cased e-mail within the sub-account, and the same person
//   became two leads;
// - a verified GoHighLevel delivery of an event type the hub does not apply (INSTALL, InvoiceCreate,
//   NoteCreate …: GoHighLevel sends every type the app subscribes to), a verified LinkedIn notification
//   naming no lead form response or an action other than CREATED/DELETED, and a Google Ads delivery with
//   the right google_key but no lead_id were stored ("received" with an event id, then processed as
//   nothing or FAILED after their attempts): API.md "Webhooks" answers a verified delivery with nothing
//   in it to process 200 `{ "status": "ignored", "eventId": null }`.
import { createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, settledEvent, waitFor } from '../support/webhooks';

const ghlFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '../../src/handlers/gohighlevel/fixtures', name), 'utf8')) as Record<
    string,
    unknown
  >;

describe('API.md audit 14: webhooks and leads', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;
  let ghlKey: KeyObject;
  const location = 'loc-audit14-ghl';

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Audit 14');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    ghlKey = keys.privateKey;
    const ghl = await createIntegration(t, sub, 'gohighlevel', {
      locationId: location,
      privateIntegrationToken: 'pit-audit14-0000',
      webhookPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    await activate(t, sub, ghl.id);
  });
  afterAll(() => t.close());

  /** A signed GoHighLevel delivery (legacy x-wh-signature, the test's own key). */
  function postGhl(payload: Record<string, unknown>) {
    const body = JSON.stringify({ ...payload, locationId: location });
    return t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      .set('x-wh-signature', sign('sha256', Buffer.from(body), ghlKey).toString('base64'))
      .send(body);
  }

  /** A signed GoHighLevel delivery, received and settled; its event id. */
  async function ghl(payload: Record<string, unknown>): Promise<string> {
    const res = await postGhl(payload);
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    const eventId = res.body.eventId as string;
    expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
    return eventId;
  }

  async function leadOfContact(contactId: string): Promise<{ id: string; status: string }> {
    const rows = await t.sql.query<{ id: string; status: string }>(
      `SELECT l.id::text AS id, l.status::text AS status FROM leads l
       JOIN lead_identities i ON i.lead_id = l.id AND i.key = $2
       WHERE l.sub_account_id = $1`,
      [sub, `ext:gohighlevel:${contactId}`],
    );
    return rows.rows[0];
  }

  async function history(leadId: string): Promise<string[]> {
    const res = await t.http.get(`/api/leads/${leadId}/history`).set('authorization', admin);
    expect(res.status).toBe(200);
    return (res.body as Array<{ from: string | null; to: string }>).map((c) => `${c.from}->${c.to}`);
  }

  describe('a verified delivery with nothing in it to process is ignored, not stored', () => {
    const events = async (): Promise<number> =>
      (
        await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE sub_account_id = $1', [
          sub,
        ])
      ).rows[0].n;

    it('GoHighLevel: event types the hub does not apply', async () => {
      const before = await events();
      for (const payload of [
        ghlFixture('AppInstall.location-non-whitelabel.json'),
        { type: 'InvoiceCreate', id: 'inv-14', contactId: 'C14inv', dateUpdated: new Date().toISOString() },
        { type: 'NoteCreate', id: 'note-14', contactId: 'C14note', body: 'called back' },
        { id: 'no-type-14', contactId: 'C14none' },
      ]) {
        const res = await postGhl(payload);
        expect([String(payload.type), res.status, res.body]).toEqual([
          String(payload.type),
          200,
          { status: 'ignored', eventId: null },
        ]);
      }
      expect(await events()).toBe(before);
      // a type it applies is still received
      const contact = await postGhl({ ...ghlFixture('ContactCreate.json'), id: 'C14applied', email: 'c14@x.example' });
      expect([contact.status, contact.body.status]).toEqual([200, 'received']);
    });

    it('LinkedIn: a notification naming no lead form response, or an action other than CREATED/DELETED', async () => {
      const secret = 'li-audit14-secret-0001';
      const li = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: '7141414',
        clientId: 'li-audit14',
        clientSecret: secret,
        accessToken: 'li-audit14-token-0002',
      });
      await activate(t, sub, li.id);
      const notification = {
        type: 'LEAD_ACTION',
        leadGenFormResponse: 'urn:li:leadGenFormResponse:a14-1',
        leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:1,1)',
        owner: { organization: 'urn:li:organization:7141414' },
        leadType: 'COMPANY',
        leadAction: 'CREATED',
        occurredAt: Date.now(),
      };
      const before = await events();
      for (const payload of [
        { ...notification, leadGenFormResponse: undefined },
        { ...notification, leadGenFormResponse: 1234 },
        { ...notification, leadAction: 'UPDATED' },
        { ...notification, leadAction: undefined },
      ]) {
        const body = JSON.stringify(payload);
        const res = await t.http
          .post('/api/webhooks/linkedin-lead-gen')
          .set('content-type', 'application/json')
          .set('x-li-signature', createHmac('sha256', secret).update(`hmacsha256=${body}`).digest('hex'))
          .send(body);
        expect([body, res.status, res.body]).toEqual([body, 200, { status: 'ignored', eventId: null }]);
      }
      expect(await events()).toBe(before);
    });
  });

  it('Google Ads: a delivery with the right google_key but no lead_id is ignored, not stored', async () => {
    const key = 'google-key-audit14-0001';
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: key });
    await activate(t, sub, google.id);
    const path = new URL(google.webhookUrl).pathname;
    for (const leadId of [undefined, '', null, '   ']) {
      const body = JSON.stringify({ ...JSON.parse(googleLead(key, 'x', { name: 'No Id' })), lead_id: leadId });
      const res = await t.http.post(path).set('content-type', 'application/json').send(body);
      expect([body, res.status, res.body]).toEqual([body, 200, { status: 'ignored', eventId: null }]);
    }
    const stored = await t.sql.query('SELECT 1 FROM webhook_events WHERE integration_id = $1', [google.id]);
    expect(stored.rowCount).toBe(0);
  });

  describe('e-mail deduplication (API.md "Leads": lower-cased email within the sub-account)', () => {
    it('the same e-mail precomposed and with combining accents (any case) is one lead', async () => {
      const create = (email: string) =>
        t.http
          .post('/api/leads')
          .set('authorization', admin)
          .send({ subAccountId: sub, fullName: 'José Núñez', email });
      const first = await create('jos\u00e9.n\u00fa\u00f1ez@audit14.example');
      expect(first.status).toBe(201);
      const again = await create('JOSE\u0301.NU\u0301N\u0303EZ@AUDIT14.EXAMPLE');
      expect([again.status, again.body.id]).toEqual([200, first.body.id]);
      expect(again.body.email).toBe('jos\u00e9.n\u00fa\u00f1ez@audit14.example');
    });
  });

  describe('GoHighLevel opportunity status: an older change never undoes a newer one', () => {
    const contact = (id: string): Record<string, unknown> => ({
      ...ghlFixture('ContactCreate.json'),
      id,
      email: `${id.toLowerCase()}@audit14.example`,
      phone: null,
    });
    const opportunity = (contactId: string, status: string, extra: Record<string, unknown> = {}) => ({
      ...ghlFixture('OpportunityStatusUpdate.json'),
      id: `opp-${contactId}`,
      contactId,
      status,
      ...extra,
    });

    it('a replay of the won event after the deal was lost leaves the lead LOST, with no second conversion', async () => {
      await ghl(contact('C14replay'));
      const won = await ghl(opportunity('C14replay', 'won'));
      await ghl(opportunity('C14replay', 'lost'));
      const lead = await leadOfContact('C14replay');
      expect(lead.status).toBe('LOST');
      expect(await history(lead.id)).toEqual(['NEW->CONVERTED', 'CONVERTED->LOST']);

      const replay = await t.http.post(`/api/webhook-events/${won}/replay`).set('authorization', admin);
      expect(replay.status).toBe(202);
      await waitFor(
        async () =>
          (await t.sql.query("SELECT 1 FROM webhook_events WHERE id = $1 AND status = 'PROCESSED'", [won])).rowCount,
        20_000,
        'the replayed event',
      );
      expect((await leadOfContact('C14replay')).status).toBe('LOST');
      expect(await history(lead.id)).toEqual(['NEW->CONVERTED', 'CONVERTED->LOST']);
    });

    it('a status update dated before the one applied (a late retry) does not undo it; a newer one does apply', async () => {
      await ghl(contact('C14late'));
      const minute = 60_000;
      const at = (ago: number): string => new Date(Date.now() - ago).toISOString();
      await ghl(opportunity('C14late', 'lost', { dateUpdated: at(2 * minute) }));
      await ghl(opportunity('C14late', 'won', { dateUpdated: at(5 * minute) }));
      const lead = await leadOfContact('C14late');
      expect(lead.status).toBe('LOST');
      expect(await history(lead.id)).toEqual(['NEW->LOST']);
      // events dated in order apply in order, however late they are processed
      await ghl(opportunity('C14late', 'won', { dateUpdated: at(minute) }));
      expect((await leadOfContact('C14late')).status).toBe('CONVERTED');
      expect(await history(lead.id)).toEqual(['NEW->LOST', 'LOST->CONVERTED']);
    });
  });
});
