/**
 * A GoHighLevel contact deleted at the platform stays deleted when an older ContactUpdate of it is
 * processed after the ContactDelete (GoHighLevel retries and reorders deliveries): the late update's
 * touch is written already deleted and it does not overwrite the lead's fields. An update dated after
 * the deletion (the contact restored) applies as before.
 */
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, CreatedIntegration, GHL_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const FIXTURES = join(__dirname, '../../src/handlers/gohighlevel/fixtures');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const MINUTE_MS = 60_000;

describe('GoHighLevel: an update processed after its contact was deleted', () => {
  let t: TestApp;
  let sub: number;
  let integration: CreatedIntegration;
  const ed = generateKeyPairSync('ed25519');
  const contactId = 'deleted-then-updated';
  const person = { email: 'deleted.person@ghl-order.example', phone: '+14155550177' };
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'GHL delete ordering');
    integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      webhookEd25519PublicKey: pem(ed.publicKey),
    });
    await activate(t, sub, integration.id);
  });
  afterAll(async () => {
    await t.close();
  });

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
  const deliver = async (type: string, extra: Record<string, unknown>): Promise<void> => {
    const bytes = Buffer.from(
      JSON.stringify({
        ...fixture(`${type}.json`),
        id: contactId,
        ...person,
        locationId: GHL_CONFIG.locationId,
        webhookId: `ghl-order-${++n}`,
        timestamp: new Date().toISOString(),
        ...extra,
      }),
    );
    const res = await t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      .set('x-ghl-signature', sign(null, bytes, ed.privateKey).toString('base64'))
      .send(bytes.toString('utf8'));
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    await processedAll();
  };
  const state = async () => {
    const lead = await t.sql.query<{ id: string; city: string | null }>(
      `SELECT l.id::text, l.city FROM leads l JOIN lead_identities i ON i.lead_id = l.id
        WHERE i.sub_account_id = $1 AND i.key = $2`,
      [sub, `ext:gohighlevel:${contactId}`],
    );
    const sources = await t.sql.query<{ live: number; deleted: number }>(
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted
         FROM lead_sources WHERE sub_account_id = $1 AND platform = 'gohighlevel' AND external_id = $2`,
      [sub, contactId],
    );
    return { city: lead.rows[0]?.city ?? null, ...sources.rows[0] };
  };

  it('does not revive it or overwrite the lead; a later-dated update does', async () => {
    const now = Date.now();
    await deliver('ContactCreate', { city: 'Lisboa', dateAdded: new Date(now - 60 * MINUTE_MS).toISOString() });
    await deliver('ContactDelete', {});
    expect(await state()).toEqual({ city: 'Lisboa', live: 0, deleted: 1 });

    // an update made before the deletion, retried by GoHighLevel, processed after it
    await deliver('ContactUpdate', { city: 'Stale', dateUpdated: new Date(now - 10 * MINUTE_MS).toISOString() });
    expect(await state()).toEqual({ city: 'Lisboa', live: 0, deleted: 2 });

    // dated after the deletion: the contact is back
    await deliver('ContactUpdate', { city: 'Porto', dateUpdated: new Date(Date.now() + MINUTE_MS).toISOString() });
    expect(await state()).toEqual({ city: 'Porto', live: 1, deleted: 2 });
  });
});
