/**
 * Contract audit 20, GoHighLevel (API.md "Webhooks (public, signed)", "Integrations" → connection tests,
 * and the gohighlevel row of "Standard handler configuration"). As a provider that retries and sends
 * odd bytes, and as a tenant with a valid key of its own for another location:
 * - a signature header sent twice (joined ", ") verifies when either value is GoHighLevel's;
 * - a UTF-8 BOM neither hides the body's `timestamp` from the replay check nor breaks verification;
 * - a delivery is only ever verified with the key of the integration its signed `locationId` names;
 * - Contact* redeliveries are duplicates, later changes are not;
 * - a connection test whose 200 carries no `location.id` fails (502 CONNECTION_FAILED), never "connected".
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
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const OTHER_LOCATION = 'loc_AUDIT20_OTHER';

describe('contract audit 20: GoHighLevel', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let otherSub: number;
  let admin: string;
  let integration: CreatedIntegration;
  let otherIntegration: CreatedIntegration;
  // our integration's key, and the other tenant's own key (its integration trusts it for its location only)
  const ed = generateKeyPairSync('ed25519');
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
    sub = await createSubAccount(t, 'MAX', 'GHL Audit 20');
    otherSub = await createSubAccount(t, 'MAX', 'GHL Audit 20 other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      webhookEd25519PublicKey: pem(ed.publicKey),
    });
    otherIntegration = await createIntegration(t, otherSub, 'gohighlevel', {
      locationId: OTHER_LOCATION,
      privateIntegrationToken: 'pit-other-tenant',
      webhookEd25519PublicKey: pem(otherEd.publicKey),
    });
    await activate(t, sub, integration.id);
    await activate(t, otherSub, otherIntegration.id);
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  const signed = (bytes: Buffer, key: KeyObject = ed.privateKey): string => sign(null, bytes, key).toString('base64');
  const body = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...payload,
    locationId: GHL_CONFIG.locationId,
    webhookId: `audit20-ghl-${++n}`,
    timestamp: new Date().toISOString(),
    ...extra,
  });
  const post = (bytes: Buffer, signature: string | string[]) =>
    t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      // a header sent twice reaches the route joined with ", " (Node's http parser, webhooks.controller.ts)
      .set('x-ghl-signature', typeof signature === 'string' ? signature : signature.join(', '))
      // as text: superagent would serialize a Buffer as JSON; every body here is valid UTF-8, so the bytes are the same
      .send(bytes.toString('utf8'));
  const storedFor = async (integrationId: number, webhookId: string): Promise<number> => {
    const rows = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND external_id = $2',
      [integrationId, webhookId],
    );
    return rows.rows[0].n;
  };

  describe('signature headers and bytes', () => {
    it('verifies a signature header sent twice when its second value is the valid one, and base64 without padding', async () => {
      const payload = body(fixture('ContactCreate.json'), { id: 'audit20-twice' });
      const bytes = Buffer.from(JSON.stringify(payload));
      const valid = signed(bytes);
      const junk = signed(Buffer.from('{"not":"this body"}'));
      // a proxy's duplicate header: the valid value second
      const second = await post(bytes, [junk, valid]);
      expect([second.status, second.body.status]).toEqual([200, 'received']);
      const again = await post(bytes, `${valid.replace(/=+$/, '')}`);
      expect([again.status, again.body.status]).toEqual([200, 'duplicate']);
      // still only GoHighLevel's signature: two wrong values are refused
      const wrong = await post(bytes, [junk, junk]);
      expect([wrong.status, wrong.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });

    it('reads the timestamp of a body with a UTF-8 BOM: a stale one is refused like any other', async () => {
      const stale = body(fixture('ContactCreate.json'), {
        id: 'audit20-bom-stale',
        timestamp: new Date(Date.now() - 3 * 3600_000).toISOString(),
      });
      // signed with the BOM in the signed bytes: the body `timestamp` must still bound the delivery
      const bytes = Buffer.concat([BOM, Buffer.from(JSON.stringify(stale))]);
      const res = await post(bytes, signed(bytes));
      expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      expect(await storedFor(integration.id, String(stale.webhookId))).toBe(0);
    });

    it('verifies a body that reached us with a BOM added to the JSON GoHighLevel signed', async () => {
      const payload = body(fixture('ContactCreate.json'), { id: 'audit20-bom' });
      const json = Buffer.from(JSON.stringify(payload));
      const res = await post(Buffer.concat([BOM, json]), signed(json));
      expect([res.status, res.body.status]).toEqual([200, 'received']);
    });
  });

  describe('tenancy of the signed locationId', () => {
    it("a tenant's own key verifies only its own location: a delivery it signs naming ours is refused", async () => {
      const forged = body(fixture('ContactCreate.json'), { id: 'audit20-forged' });
      const bytes = Buffer.from(JSON.stringify(forged));
      const res = await post(bytes, signed(bytes, otherEd.privateKey));
      expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      expect(await storedFor(integration.id, String(forged.webhookId))).toBe(0);
      expect(await storedFor(otherIntegration.id, String(forged.webhookId))).toBe(0);
    });

    it("a valid signature of another location's payload lands with that location's integration only", async () => {
      const theirs = body(fixture('ContactCreate.json'), { id: 'audit20-theirs', locationId: OTHER_LOCATION });
      const bytes = Buffer.from(JSON.stringify(theirs));
      const res = await post(bytes, signed(bytes, otherEd.privateKey));
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect(await storedFor(otherIntegration.id, String(theirs.webhookId))).toBe(1);
      expect(await storedFor(integration.id, String(theirs.webhookId))).toBe(0);
      // the same signature over the payload re-addressed to our location is no signature of it
      const readdressed = Buffer.from(JSON.stringify({ ...theirs, locationId: GHL_CONFIG.locationId }));
      const moved = await post(readdressed, signed(bytes, otherEd.privateKey));
      expect([moved.status, moved.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });
  });

  describe('Contact* redeliveries', () => {
    // as the docs' examples show them: no webhookId, no timestamp
    const update = (extra: Record<string, unknown>): Record<string, unknown> => ({
      ...fixture('ContactUpdate.json'),
      locationId: GHL_CONFIG.locationId,
      id: 'audit20-dateless',
      ...extra,
    });

    it('a redelivery is a duplicate whatever its bytes look like; a later change of the contact is not', async () => {
      const first = body(fixture('ContactUpdate.json'), { id: 'audit20-redelivered' });
      const compact = Buffer.from(JSON.stringify(first));
      const res = await post(compact, signed(compact));
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      // GoHighLevel's retry, pretty-printed with unicode escapes by whatever sits in between: same webhookId
      const pretty = Buffer.from(JSON.stringify(first, null, 2).replace(/o/g, '\\u006f'));
      const retry = await post(pretty, signed(compact));
      expect([retry.status, retry.body]).toEqual([200, { status: 'duplicate', eventId: res.body.eventId }]);
    });

    it('without webhookId: keyed by dateUpdated, so the same change is a duplicate and the next one is new', async () => {
      const at = new Date(Date.now() - 60_000).toISOString();
      const once = Buffer.from(JSON.stringify(update({ dateUpdated: at, city: 'Porto' })));
      const first = await post(once, signed(once));
      expect([first.status, first.body.status]).toEqual([200, 'received']);
      const redelivered = await post(once, signed(once));
      expect(redelivered.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });
      const later = Buffer.from(
        JSON.stringify(update({ dateUpdated: new Date(Date.now() - 1000).toISOString(), city: 'Braga' })),
      );
      const next = await post(later, signed(later));
      expect([next.status, next.body.status]).toEqual([200, 'received']);
      expect(next.body.eventId).not.toBe(first.body.eventId);
    });
  });

  describe('Contact* ordering', () => {
    const MINUTE_MS = 60_000;
    const contactId = 'audit20-ordering';
    // a person of its own: the fixture's e-mail and phone would merge it into the other tests' lead
    const person = { email: 'ordering@audit20.example', phone: '+14155550120' };
    const leadCity = async (): Promise<string | null> => {
      const rows = await t.sql.query<{ city: string | null }>(
        `SELECT l.city FROM leads l JOIN lead_identities i ON i.lead_id = l.id
          WHERE i.sub_account_id = $1 AND i.key = $2`,
        [sub, `ext:gohighlevel:${contactId}`],
      );
      return rows.rows[0]?.city ?? null;
    };
    const processedAll = () =>
      waitFor(async () => {
        const rows = await t.sql.query<{ pending: number; failed: number }>(
          `SELECT count(*) FILTER (WHERE status NOT IN ('PROCESSED', 'FAILED'))::int AS pending,
                  count(*) FILTER (WHERE status = 'FAILED')::int AS failed
             FROM webhook_events WHERE integration_id = $1`,
          [integration.id],
        );
        if (rows.rows[0].failed > 0) throw new Error('an event failed');
        return rows.rows[0].pending === 0;
      });
    async function deliver(extra: Record<string, unknown>): Promise<void> {
      const bytes = Buffer.from(
        JSON.stringify(body(fixture('ContactUpdate.json'), { id: contactId, ...person, ...extra })),
      );
      const res = await post(bytes, signed(bytes));
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      await processedAll();
    }

    it('an older update GoHighLevel retried (its signed timestamp) does not undo a newer one; a dateUpdated that names no instant does not make an update older than everything', async () => {
      const now = Date.now();
      await deliver({ city: 'Porto', dateUpdated: new Date(now - 5 * MINUTE_MS).toISOString() });
      expect(await leadCity()).toBe('Porto');
      // sent 30 minutes ago, answered 429 and retried: it arrives last, but is the oldest change
      await deliver({ city: 'Stale', timestamp: new Date(now - 30 * MINUTE_MS).toISOString() });
      expect(await leadCity()).toBe('Porto');
      // a current update whose dateUpdated is garbage is as of when GoHighLevel sent it, not of dateAdded (2021)
      await deliver({ city: 'Braga', dateUpdated: 'not a date' });
      expect(await leadCity()).toBe('Braga');
    });
  });

  describe('connection test', () => {
    let tested: CreatedIntegration;
    const LOCATION = 'loc_AUDIT20_TEST';
    beforeAll(async () => {
      tested = await createIntegration(t, sub, 'gohighlevel', {
        locationId: LOCATION,
        privateIntegrationToken: 'pit-audit20-test',
      });
    });
    const test = () => t.http.post(`/api/integrations/${tested.id}/test`).set('authorization', admin);

    it.each([
      ['an empty object', {}],
      ['a location without id', { location: { name: 'Somewhere' } }],
      ['a location that is not an object', { location: LOCATION }],
      ['an array', [{ id: LOCATION }]],
    ])('fails on a 200 carrying %s instead of the location (502 CONNECTION_FAILED)', async (_what, answer) => {
      ghl.on('GET', `/locations/${LOCATION}`, () => ({ status: 200, body: answer }));
      const res = await test();
      expect(res.status).toBe(502);
      expect(res.body).toEqual(expect.objectContaining({ statusCode: 502, code: 'CONNECTION_FAILED', success: false }));
      expect(res.body.message).toContain(`/locations/${LOCATION}`);
      const after = await t.http.get(`/api/integrations/${tested.id}`).set('authorization', admin);
      expect(after.body).toEqual(expect.objectContaining({ status: 'error', isActive: false }));
      expect(JSON.stringify(res.body)).not.toContain('pit-audit20-test');
    });

    it('succeeds once the location answers with its id, and a 200 naming another location is refused', async () => {
      ghl.on('GET', `/locations/${LOCATION}`, () => ({
        status: 200,
        body: { location: { id: 'loc_SOMEONE_ELSE', name: 'Elsewhere' } },
      }));
      const foreign = await test();
      expect([foreign.status, foreign.body.code, foreign.body.success]).toEqual([422, 'INVALID_CREDENTIALS', false]);
      ghl.on('GET', `/locations/${LOCATION}`, () => ({
        status: 200,
        body: { location: { id: LOCATION, name: 'Audit HQ' } },
      }));
      const ok = await test();
      expect([ok.status, ok.body]).toEqual([200, { success: true, message: 'Connected to location Audit HQ' }]);
    });
  });

  describe('processing', () => {
    it('processes what it stored: the events above end PROCESSED, none FAILED', async () => {
      await waitFor(async () => {
        const rows = await t.sql.query<{ pending: number; failed: number }>(
          `SELECT count(*) FILTER (WHERE status NOT IN ('PROCESSED', 'FAILED'))::int AS pending,
                count(*) FILTER (WHERE status = 'FAILED')::int AS failed
           FROM webhook_events WHERE integration_id = ANY($1::int[])`,
          [[integration.id, otherIntegration.id]],
        );
        if (rows.rows[0].failed > 0) throw new Error('an event failed');
        return rows.rows[0].pending === 0;
      });
    });
  });
});
