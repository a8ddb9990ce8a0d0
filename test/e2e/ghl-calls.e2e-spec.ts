// GoHighLevel calls, voicemails and message attachments through the signed webhook to the lead's
// interactions (GET /api/leads/:id). Payloads: GoHighLevel's own examples (docs/webhook events/
// InboundMessage.md and OutboundMessage.md of GoHighLevel/highlevel-api-docs, in
// src/handlers/gohighlevel/fixtures), pointed at one contact.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const LOCATION = 've9EPM428h8vShlRW1KT';
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '../../src/handlers/gohighlevel/fixtures', name), 'utf8')) as Record<
    string,
    unknown
  >;

describe('GoHighLevel calls and attachments become readable interactions', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Calls Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it("stores each call's outcome, length and recording, a workflow voicemail, and an SMS's attachments", async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ghl = await createIntegration(t, sub, 'gohighlevel', {
      locationId: LOCATION,
      privateIntegrationToken: 'pit-ghl-calls-0000',
      webhookPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    await activate(t, sub, ghl.id);
    const deliver = async (payload: Record<string, unknown>): Promise<void> => {
      const body = JSON.stringify(payload);
      const res = await t.http
        .post('/api/webhooks/gohighlevel')
        .set('content-type', 'application/json')
        .set('x-wh-signature', sign('sha256', Buffer.from(body), keys.privateKey).toString('base64'))
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
    };
    const contact = fixture('ContactCreate.json');
    const about = (name: string, extra: Record<string, unknown> = {}) => ({
      ...fixture(name),
      locationId: LOCATION,
      contactId: contact.id,
      ...extra,
    });
    await deliver({ ...contact, locationId: LOCATION });
    await deliver(about('OutboundMessage.call.json'));
    await deliver(about('InboundMessage.call-to-voicemail.json'));
    await deliver(about('OutboundMessage.voicemail-workflow.json'));
    await deliver(
      about('InboundMessage.sms.json', {
        messageId: 'sms-with-photo',
        attachments: ['https://example.test/photo.jpg'],
      }),
    );
    await waitFor(
      async () =>
        (
          await t.sql.query(
            "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'PROCESSED'",
            [ghl.id],
          )
        ).rows[0].n === 5,
      20_000,
      'GoHighLevel events processed',
    );
    const lead = await t.sql.query<{ id: string }>(
      'SELECT l.id::text FROM leads l JOIN lead_sources s ON s.lead_id = l.id WHERE l.sub_account_id = $1 AND s.external_id = $2',
      [sub, contact.id],
    );
    const detail = await t.http.get(`/api/leads/${lead.rows[0].id}`).set('authorization', admin);
    expect(detail.status).toBe(200);
    const interactions = detail.body.interactions as Array<{ channel: string; direction: string; body: string }>;
    expect(interactions.map(({ channel, direction, body }) => ({ channel, direction, body }))).toEqual(
      expect.arrayContaining([
        { channel: 'call', direction: 'outbound', body: 'Call: completed, 2 min 0 s\nRecording: call recording url' },
        { channel: 'call', direction: 'inbound', body: 'Call: voicemail\nRecording: voicemail url' },
        { channel: 'voicemail', direction: 'outbound', body: 'Voicemail: completed\nVoicemail: voicemail url' },
        {
          channel: 'sms',
          direction: 'inbound',
          body: 'This is a test message\nAttachment: https://example.test/photo.jpg',
        },
      ]),
    );
    expect(interactions).toHaveLength(4);
  });
});
