/**
 * Issue 9 point 8: a delivery with thousands of items (one WhatsApp delivery holding 6,589 messages
 * once went unanswered for more than 10 s) is stored once and answered at normal latency; a worker
 * then adds its items in bounded batches, each item an event with its own dedup key and job.
 */
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { REQUEST_DEADLINE_MS, whatsappBulk, whatsappSig } from '../support/hostile-corpus';
import { countRows } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';
import { WebhookProcessor } from '../../src/modules/webhooks/webhook-processor';

describe('security: thousands of items in one delivery', () => {
  let t: TestApp;
  let integrationId: number;

  const deliver = (body: string) =>
    t.http
      .post('/api/webhooks/whatsapp-cloud')
      .timeout({ deadline: REQUEST_DEADLINE_MS })
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', whatsappSig(body))
      .send(body);

  beforeAll(async () => {
    // HTTP only: the test runs the worker's step itself, so it can look between the steps
    t = await createTestApp({ env: { APP_ROLE: 'api', WEBHOOK_CACHE_TTL_MS: '0' } });
    const sub = await createSubAccount(t, 'MAX');
    integrationId = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    await activate(t, sub, integrationId);
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores 6,589 messages as one event, answers before the deadline, and a redelivery is a duplicate', async () => {
    const body = whatsappBulk({ messages: 6_589 }, 'big');
    const first = await deliver(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    const rows = await t.sql.query<{ event_type: string; n: number }>(
      "SELECT event_type, jsonb_array_length(payload->'events') AS n FROM webhook_events WHERE integration_id = $1",
      [integrationId],
    );
    expect(rows.rows).toEqual([{ event_type: 'delivery.batch', n: 6_589 }]);
    const again = await deliver(body);
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });

    // the worker's step: the items become events (each with its job), in bounded statements
    const process = (): Promise<void> => t.app.get(WebhookProcessor).process({ eventId: first.body.eventId });
    await process();
    expect(
      await countRows(t, "webhook_events WHERE integration_id = $1 AND event_type = 'message'", [integrationId]),
    ).toBe(6_589);
    const jobs = await t.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job j JOIN webhook_events e ON j.data->>'eventId' = e.id::text
       WHERE e.integration_id = $1 AND e.event_type = 'message'`,
      [integrationId],
    );
    expect(jobs.rows[0].n).toBe(6_589);
    const batch = await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [first.body.eventId]);
    expect(batch.rows[0].status).toBe('PROCESSED');

    // a replayed batch adds nothing twice
    await t.sql.query("UPDATE webhook_events SET status = 'PENDING', processed_at = NULL WHERE id = $1", [
      first.body.eventId,
    ]);
    await process();
    expect(await countRows(t, 'webhook_events WHERE integration_id = $1', [integrationId])).toBe(6_590);
  });

  it('keeps a delivery of a hundred items or fewer as one event per item, as before', async () => {
    const res = await deliver(whatsappBulk({ statuses: 100 }, 'small'));
    expect(res.status).toBe(200);
    expect(res.body.eventIds).toHaveLength(100);
    expect(
      await countRows(t, "webhook_events WHERE integration_id = $1 AND event_type = 'status'", [integrationId]),
    ).toBe(100);
  });
});
