/**
 * Contract audit 18, GoHighLevel webhooks (API.md "Webhooks (public, signed)" and the gohighlevel row
 * of "Standard handler configuration"): a provider that reorders deliveries and sends a
 * `dateUpdated` that names no instant must not reorder the lead's bookings and pipeline stage.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, CreatedIntegration, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const FIXTURES = join(__dirname, '../../src/handlers/gohighlevel/fixtures');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const MINUTE_MS = 60_000;

describe('contract audit 18: GoHighLevel webhooks', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;
  let integration: CreatedIntegration;
  const ed = generateKeyPairSync('ed25519');
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
    ghl.on('GET', '/opportunities/pipelines', () => ({
      status: 200,
      body: { pipelines: [{ id: 'VDm7RPYC2GLUvdpKmBfC', name: 'Sales', stages: [] }] },
    }));
    sub = await createSubAccount(t, 'MAX', 'GHL Audit Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    await activate(t, sub, integration.id);
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  /** A delivery signed as GoHighLevel signs it (x-ghl-signature, Ed25519 over the raw body). */
  async function deliver(payload: Record<string, unknown>, timestamp = new Date()): Promise<void> {
    const body = JSON.stringify({
      ...payload,
      locationId: GHL_CONFIG.locationId,
      webhookId: `audit18-ghl-${++n}`,
      timestamp: timestamp.toISOString(),
    });
    const res = await t.http
      .post('/api/webhooks/gohighlevel')
      .set('content-type', 'application/json')
      .set('x-ghl-signature', sign(null, Buffer.from(body), ed.privateKey).toString('base64'))
      .send(body);
    expect(res.body.status).toBe('received');
  }
  const processed = (count: number) =>
    waitFor(async () => {
      const row = await t.sql.query<{ n: number; failed: number }>(
        "SELECT count(*) FILTER (WHERE status = 'PROCESSED')::int AS n, count(*) FILTER (WHERE status = 'FAILED')::int AS failed FROM webhook_events WHERE integration_id = $1",
        [integration.id],
      );
      if (row.rows[0].failed > 0) throw new Error('an event failed');
      return row.rows[0].n >= count;
    });
  async function leadOf(contactId: string): Promise<string> {
    const row = await t.sql.query<{ lead_id: string }>(
      'SELECT lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
      [sub, `ext:gohighlevel:${contactId}`],
    );
    return row.rows[0].lead_id;
  }

  it('a late AppointmentCreate whose dateUpdated is garbage does not undo the newer cancellation', async () => {
    const contactId = 'audit18-appt-contact';
    await deliver({ ...fixture('ContactCreate.json'), id: contactId });
    const appointment = fixture('AppointmentCreate.json').appointment as Record<string, unknown>;
    const booked = { ...appointment, id: 'audit18-appt-1', contactId };
    const now = Date.now();
    // the cancellation, dated a minute ago, arrives first
    await deliver({
      type: 'AppointmentUpdate',
      appointment: { ...booked, appointmentStatus: 'cancelled', dateUpdated: new Date(now - MINUTE_MS).toISOString() },
    });
    await processed(n);
    // then the creation, sent 10 minutes ago (body timestamp) with a dateUpdated that names no instant
    await deliver(
      { type: 'AppointmentCreate', appointment: { ...booked, dateUpdated: 'not a date' } },
      new Date(now - 10 * MINUTE_MS),
    );
    await processed(n);

    const lead = await t.http.get(`/api/leads/${await leadOf(contactId)}`).set('authorization', admin);
    expect(lead.status).toBe(200);
    expect(lead.body.bookings).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  });

  it('an OpportunityStageUpdate whose dateUpdated is garbage still moves the stage, dated by its timestamp', async () => {
    const contactId = 'audit18-stage-contact';
    await deliver({ ...fixture('ContactCreate.json'), id: contactId });
    const opportunity = { ...fixture('OpportunityStatusUpdate.json'), type: 'OpportunityStageUpdate', contactId };
    await deliver({
      ...opportunity,
      pipelineStageId: 'stage-1',
      dateUpdated: new Date(Date.now() - MINUTE_MS).toISOString(),
    });
    await processed(n);
    await deliver({ ...opportunity, pipelineStageId: 'stage-2', dateUpdated: 'not a date' });
    await processed(n);

    const lead = await t.http.get(`/api/leads/${await leadOf(contactId)}`).set('authorization', admin);
    expect(lead.status).toBe(200);
    expect(lead.body.pipelineStage).toMatchObject({ platform: 'gohighlevel', stageId: 'stage-2' });
  });
});
