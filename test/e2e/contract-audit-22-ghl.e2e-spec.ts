/**
 * Contract audit 22, GoHighLevel (API.md "Webhooks (public, signed)", "Leads", "Integrations" routing keys,
 * "GoHighLevel passthrough"). As a sender that replays GoHighLevel-signed bodies, a provider that reorders
 * and sends odd shapes, and a tenant holding another tenant's integration id:
 * - contact bodies without `timestamp` or `dateUpdated` (as the docs' per-event examples show them) are
 *   accepted, and an update changes what its create set in either order of arrival. (A helper proposed
 *   dating such bodies by `dateAdded` instead of their arrival, against a replay after retention pruned the
 *   stored copy; not taken: GoHighLevel's auth guide puts `timestamp` in every body, which the replay check
 *   covers, and tests built on the examples expect an undated update to win over a synced record.)
 * - ContactDndUpdate is answered `ignored` (the lead model has no do-not-disturb field) and changes nothing;
 * - events about a contact that arrive before its ContactCreate make one lead that the create completes;
 * - garbage (arrays, huge numbers, no contact id) is never a 5xx, and signature header variants verify
 *   only with the integration's keys;
 * - a location belongs to one sub-account, and the passthrough routes never act with another tenant's
 *   integration.
 */
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, CreatedIntegration, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const FIXTURES = join(__dirname, '../../src/handlers/gohighlevel/fixtures');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const MINUTE_MS = 60_000;
const OTHER_LOCATION = 'loc_AUDIT22_OTHER';

/**
 * The ContactDndUpdate example of marketplace.gohighlevel.com/docs/webhook/ContactDndUpdate ("Called
 * whenever a contact's dnd field is updated"): the contact's fields plus `dnd` and `dndSettings`.
 */
const DND_UPDATE = {
  type: 'ContactDndUpdate',
  locationId: 've9EPM428h8vShlRW1KT',
  id: 'nmFmQEsNgz6AVpgLVUJ0',
  city: 'ruDolomitebika',
  companyName: 'Loram ipsum',
  country: 'DE',
  source: 'xyz form',
  dateAdded: '2021-11-26T12:41:02.193Z',
  dnd: true,
  dndSettings: {
    SMS: { status: 'inactive', message: 'Some message', code: '101' },
    Call: { status: 'inactive', message: 'Some message', code: '101' },
    Email: { status: 'active', message: 'Some message', code: '101' },
    WhatsApp: { status: 'active', message: 'Some message', code: '101' },
  },
  inboundDndSettings: { all: { status: 'active', message: 'Some message' } },
  name: 'John Deo',
  firstName: 'John',
  lastName: 'Deo',
};

describe('contract audit 22: GoHighLevel', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let otherSub: number;
  let admin: string;
  let otherAdmin: string;
  let integration: CreatedIntegration;
  let otherIntegration: CreatedIntegration;
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherEd = generateKeyPairSync('ed25519');
  let n = 0;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({
      env: {
        GHL_API_URL: ghl.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_RATE_PER_IP_PER_MINUTE: '100000',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '100000',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'GHL Audit 22');
    otherSub = await createSubAccount(t, 'MAX', 'GHL Audit 22 other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    otherAdmin = `Bearer ${t.token('ADMIN', [otherSub])}`;
    integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      webhookEd25519PublicKey: pem(ed.publicKey),
      webhookPublicKey: pem(rsa.publicKey),
    });
    otherIntegration = await createIntegration(t, otherSub, 'gohighlevel', {
      locationId: OTHER_LOCATION,
      privateIntegrationToken: 'pit-audit22-other-tenant',
      webhookEd25519PublicKey: pem(otherEd.publicKey),
    });
    await activate(t, sub, integration.id);
    await activate(t, otherSub, otherIntegration.id);
  });
  afterAll(async () => {
    await t?.close();
    await ghl?.close();
  });

  const signed = (bytes: Buffer, key: KeyObject = ed.privateKey): string => sign(null, bytes, key).toString('base64');
  const post = (bytes: Buffer, headers: Record<string, string>) => {
    const req = t.http.post('/api/webhooks/gohighlevel').set('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req.send(bytes.toString('utf8'));
  };
  const postSigned = (bytes: Buffer) => post(bytes, { 'x-ghl-signature': signed(bytes) });
  const dated = (payload: Record<string, unknown>): Record<string, unknown> => ({
    ...payload,
    locationId: GHL_CONFIG.locationId,
    webhookId: `audit22-ghl-${++n}`,
    timestamp: new Date().toISOString(),
  });
  const settled = () =>
    waitFor(async () => {
      const rows = await t.sql.query<{ pending: number }>(
        "SELECT count(*)::int AS pending FROM webhook_events WHERE status NOT IN ('PROCESSED', 'FAILED')",
      );
      return rows.rows[0].pending === 0;
    });
  const failedEvents = async (): Promise<number> =>
    (
      await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM webhook_events WHERE status = 'FAILED' AND integration_id = $1",
        [integration.id],
      )
    ).rows[0].n;
  const leadOf = async (
    contactId: string,
  ): Promise<{ id: string; city: string | null; company: string | null; status: string } | undefined> => {
    const rows = await t.sql.query<{ id: string; city: string | null; company: string | null; status: string }>(
      `SELECT l.id::text, l.city, l.company, l.status::text FROM leads l JOIN lead_identities i ON i.lead_id = l.id
        WHERE i.sub_account_id = $1 AND i.key = $2`,
      [sub, `ext:gohighlevel:${contactId}`],
    );
    return rows.rows[0];
  };
  describe('contact bodies without timestamp or dateUpdated, as the docs show them', () => {
    // a person of its own, so that no other test's lead merges into it by e-mail or phone
    let people = 0;
    const person = (contactId: string, tag: string) => ({
      locationId: GHL_CONFIG.locationId,
      id: contactId,
      email: `${tag}@audit22.example`,
      phone: `+1415555${String(2000 + ++people)}`,
    });

    it('an undated ContactUpdate still completes and changes what its ContactCreate set (both as the docs show them)', async () => {
      const contactId = 'audit22-undated-pair';
      const who = person(contactId, 'undated-pair');
      const create = Buffer.from(JSON.stringify({ ...fixture('ContactCreate.json'), ...who, city: 'Lisboa' }));
      const update = Buffer.from(
        JSON.stringify({ ...fixture('ContactUpdate.json'), ...who, city: 'Porto', companyName: 'Updated Corp' }),
      );
      expect((await postSigned(create)).body.status).toBe('received');
      await settled();
      expect((await postSigned(update)).body.status).toBe('received');
      await settled();
      expect(await leadOf(contactId)).toEqual(expect.objectContaining({ city: 'Porto', company: 'Updated Corp' }));
      // and the other order: the create, delivered late, fills but does not undo the update
      const lateId = 'audit22-undated-late-create';
      const late = person(lateId, 'undated-late');
      const u = Buffer.from(
        JSON.stringify({ ...fixture('ContactUpdate.json'), ...late, city: 'Porto', companyName: undefined }),
      );
      const c = Buffer.from(JSON.stringify({ ...fixture('ContactCreate.json'), ...late, city: 'Lisboa' }));
      expect((await postSigned(u)).body.status).toBe('received');
      await settled();
      expect((await postSigned(c)).body.status).toBe('received');
      await settled();
      expect(await leadOf(lateId)).toEqual(expect.objectContaining({ city: 'Porto', company: 'Loram ipsum' }));
    });
  });

  describe('ContactDndUpdate', () => {
    it('is answered ignored, stores nothing and changes nothing of the lead (no do-not-disturb field)', async () => {
      const contactId = 'audit22-dnd';
      const create = Buffer.from(
        JSON.stringify(
          dated({
            ...fixture('ContactCreate.json'),
            id: contactId,
            email: 'dnd@audit22.example',
            phone: '+14155550199',
          }),
        ),
      );
      expect((await postSigned(create)).body.status).toBe('received');
      await settled();
      const before = await leadOf(contactId);
      expect(before?.city).toBe('ruDolomitebika');
      const dnd = dated({ ...DND_UPDATE, id: contactId, city: 'Elsewhere', dateUpdated: new Date().toISOString() });
      const res = await postSigned(Buffer.from(JSON.stringify(dnd)));
      expect([res.status, res.body]).toEqual([200, { status: 'ignored', eventId: null }]);
      const stored = await t.sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND external_id = $2',
        [integration.id, String(dnd.webhookId)],
      );
      expect(stored.rows[0].n).toBe(0);
      await settled();
      expect(await leadOf(contactId)).toEqual(before);
    });
  });

  describe('events before the ContactCreate of their contact', () => {
    it('an opportunity and an update before the create: one lead, the create fills it, not a duplicate', async () => {
      const contactId = 'audit22-early';
      const who = { id: contactId, email: 'early@audit22.example', phone: '+14155550177' };
      const now = Date.now();
      const won = dated({ ...fixture('OpportunityStatusUpdate.json'), contactId, status: 'won' });
      expect((await postSigned(Buffer.from(JSON.stringify(won)))).body.status).toBe('received');
      await settled();
      const stub = await leadOf(contactId);
      expect(stub).toEqual(expect.objectContaining({ status: 'CONVERTED', city: null, company: null }));
      const { companyName: _unset, ...updateFields } = fixture('ContactUpdate.json');
      void _unset;
      const update = dated({ ...updateFields, ...who, city: 'Porto', timestamp: new Date(now).toISOString() });
      expect((await postSigned(Buffer.from(JSON.stringify(update)))).body.status).toBe('received');
      await settled();
      const create = dated({
        ...fixture('ContactCreate.json'),
        ...who,
        city: 'Lisboa',
        timestamp: new Date(now - MINUTE_MS).toISOString(),
      });
      const created = await postSigned(Buffer.from(JSON.stringify(create)));
      expect([created.status, created.body.status]).toEqual([200, 'received']);
      await settled();

      const lead = await leadOf(contactId);
      // the same lead all along; the update (newer) keeps its city, the create fills the company it lacked
      expect(lead).toEqual({ id: stub?.id, city: 'Porto', company: 'Loram ipsum', status: 'CONVERTED' });
      const leads = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND email = 'early@audit22.example'",
        [sub],
      );
      expect(leads.rows[0].n).toBe(1);
      const detail = await t.http.get(`/api/leads/${String(lead?.id)}`).set('authorization', admin);
      expect(detail.status).toBe(200);
      // the source is GoHighLevel's contact as added ("xyz form", its dateAdded), whichever event came first
      expect(detail.body.sourceTracking.firstTouch).toEqual(
        expect.objectContaining({ platform: 'gohighlevel', details: { source: 'xyz form' } }),
      );
      expect(Date.parse(detail.body.createdAt as string)).toBeLessThanOrEqual(Date.now());
      expect(await failedEvents()).toBe(0);
    });
  });

  describe('garbage and signature variants', () => {
    it('never answers 5xx to signed garbage: arrays, huge numbers, no contact id', async () => {
      const huge = JSON.stringify(
        dated({ ...fixture('ContactCreate.json'), id: 'HUGE', email: 'huge@audit22.example' }),
      );
      const bodies: Array<[string, number, string, string | null]> = [
        // an array has no locationId: a delivery without routing key is refused like an unknown one
        [JSON.stringify([dated(fixture('ContactCreate.json'))]), 401, 'WEBHOOK_SIGNATURE_INVALID', null],
        [
          JSON.stringify(
            dated({ ...fixture('ContactCreate.json'), id: 1e308, phone: 1e308, email: 1e308, tags: [1e308, null, {}] }),
          ),
          200,
          'received',
          'PROCESSED',
        ],
        [huge.replace('"HUGE"', '12345678901234567890123'), 200, 'received', 'PROCESSED'],
        // no contact id: stored, then FAILED for a person to see (nothing to apply it to)
        [JSON.stringify(dated({ ...fixture('ContactUpdate.json'), id: undefined })), 200, 'received', 'FAILED'],
        [
          JSON.stringify(dated({ ...fixture('ContactUpdate.json'), id: ['a', 'b'], dateUpdated: 1e308 })),
          200,
          'received',
          'FAILED',
        ],
        [JSON.stringify(dated({ type: 12, id: {} })), 200, 'ignored', null],
      ];
      for (const [body, status, answer, settledAs] of bodies) {
        const res = await postSigned(Buffer.from(body));
        expect([res.status, res.body.status ?? res.body.code]).toEqual([status, answer]);
        if (settledAs === null) continue;
        await settled();
        const row = await t.sql.query<{ status: string }>('SELECT status FROM webhook_events WHERE id = $1', [
          res.body.eventId,
        ]);
        expect(row.rows[0].status).toBe(settledAs);
      }
    });

    it('verifies x-wh-signature (RSA-SHA256) with the configured key, and either header when both are sent', async () => {
      const payload = dated({ ...fixture('ContactCreate.json'), id: 'audit22-rsa', email: 'rsa@audit22.example' });
      const bytes = Buffer.from(JSON.stringify(payload));
      const rsaSig = sign('sha256', bytes, rsa.privateKey).toString('base64');
      const bad = signed(Buffer.from('{"other":"body"}'));
      // a valid legacy header beside a wrong current one: both keys are GoHighLevel's (ghl-signature.ts)
      const res = await post(bytes, { 'x-wh-signature': rsaSig, 'x-ghl-signature': bad });
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      // the RSA signature in the Ed25519 header, or signed with another tenant's key: refused
      const swapped = dated({ ...payload, id: 'audit22-rsa-swapped' });
      const swappedBytes = Buffer.from(JSON.stringify(swapped));
      const wrongHeader = await post(swappedBytes, {
        'x-ghl-signature': sign('sha256', swappedBytes, rsa.privateKey).toString('base64'),
      });
      expect([wrongHeader.status, wrongHeader.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      const foreign = await post(swappedBytes, { 'x-ghl-signature': signed(swappedBytes, otherEd.privateKey) });
      expect([foreign.status, foreign.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      const empty = await post(swappedBytes, { 'x-ghl-signature': '', 'x-wh-signature': ' ' });
      expect([empty.status, empty.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });
  });

  describe('tenancy', () => {
    it('a location connected in one sub-account cannot be connected in another (409 ROUTING_KEY_TAKEN)', async () => {
      const theirs = await t.http.get(`/api/integrations/${otherIntegration.id}`).set('authorization', otherAdmin);
      const templateId = theirs.body.integrationTemplateId as number;
      const res = await t.http
        .post('/api/integrations')
        .set('authorization', otherAdmin)
        .send({
          subAccountId: otherSub,
          integrationTemplateId: templateId,
          name: 'Claims our location',
          config: { locationId: GHL_CONFIG.locationId, privateIntegrationToken: 'pit-claim' },
        });
      expect([res.status, res.body.code]).toEqual([409, 'ROUTING_KEY_TAKEN']);
      const moved = await t.http
        .patch(`/api/integrations/${otherIntegration.id}`)
        .set('authorization', otherAdmin)
        .send({ config: { locationId: GHL_CONFIG.locationId } });
      expect([moved.status, moved.body.code]).toEqual([409, 'ROUTING_KEY_TAKEN']);
    });

    it("the passthrough routes answer 404 for another tenant's integration and never call GoHighLevel", async () => {
      const before = ghl.requests.length;
      const theirs = otherIntegration.id;
      const created = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Our Lead', email: 'ours@audit22.example' });
      expect(created.status).toBe(201);
      const ourLead = { id: created.body.id as string };
      const answers = await Promise.all([
        t.http.get(`/api/integrations/${theirs}/ghl/calendars`).set('authorization', admin),
        t.http
          .get(`/api/integrations/${theirs}/ghl/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
          .set('authorization', admin),
        t.http
          .post(`/api/integrations/${theirs}/ghl/calendars/cal1/block-slots`)
          .set('authorization', admin)
          .send({ startTime: '2026-12-01T10:00:00Z', endTime: '2026-12-01T11:00:00Z', title: 'x' }),
        t.http
          .post(`/api/integrations/${theirs}/ghl/contacts`)
          .set('authorization', admin)
          .send({ leadId: ourLead.id }),
        // their own integration with our lead: the lead is not theirs
        t.http
          .post(`/api/integrations/${theirs}/ghl/contacts`)
          .set('authorization', otherAdmin)
          .send({ leadId: ourLead.id }),
      ]);
      expect(answers.map((a) => [a.status, a.body.code])).toEqual(Array.from({ length: 5 }, () => [404, 'NOT_FOUND']));
      expect(ghl.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    });
  });
});
