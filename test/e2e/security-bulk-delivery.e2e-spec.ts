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

  /** The stored batch row of the delivery whose acknowledgement named `eventIds` (it is not among them). */
  async function batchRowOf(first: string): Promise<string> {
    const rows = await t.sql.query<{ id: string }>(
      "SELECT id::text AS id FROM webhook_events WHERE integration_id = $1 AND event_type = 'delivery.batch' AND payload->'events'->0->>'id' = $2",
      [integrationId, first],
    );
    expect(rows.rows).toHaveLength(1);
    return rows.rows[0].id;
  }
  const expand = (batchId: string): Promise<void> => t.app.get(WebhookProcessor).process({ eventId: BigInt(batchId) });
  const idsOf = async (externalIds: string[]): Promise<Map<string, string>> => {
    const rows = await t.sql.query<{ external_id: string; id: string }>(
      'SELECT external_id, id::text AS id FROM webhook_events WHERE integration_id = $1 AND external_id = ANY($2::text[])',
      [integrationId, externalIds],
    );
    return new Map(rows.rows.map((r) => [r.external_id, r.id]));
  };

  /** A WhatsApp delivery of the statuses from..to of `count` statuses tagged `tag`. */
  const statusesOf = (tag: string, count: number, from: number, to: number): string => {
    const body = JSON.parse(whatsappBulk({ statuses: count }, tag)) as {
      entry: Array<{ changes: Array<{ value: { statuses: unknown[] } }> }>;
    };
    const value = body.entry[0].changes[0].value;
    value.statuses = value.statuses.slice(from, to);
    return JSON.stringify(body);
  };

  it('stores 6,589 messages as one event, answers before the deadline naming every event, and a redelivery names the same', async () => {
    const body = whatsappBulk({ messages: 6_589 }, 'big');
    const first = await deliver(body);
    expect(first.status).toBe(200);
    // API.md: "a delivery holding several events adds eventIds", whatever its size
    expect(first.body).toEqual({
      status: 'received',
      eventId: expect.stringMatching(/^\d+$/),
      eventIds: expect.any(Array),
    });
    const named = first.body.eventIds as string[];
    expect(named).toHaveLength(6_589);
    expect(named[0]).toBe(first.body.eventId);
    expect(named.every((id, i) => /^\d+$/.test(id) && (i === 0 || BigInt(id) > BigInt(named[i - 1])))).toBe(true);
    const rows = await t.sql.query<{ event_type: string; n: number }>(
      "SELECT event_type, jsonb_array_length(payload->'events') AS n FROM webhook_events WHERE integration_id = $1",
      [integrationId],
    );
    expect(rows.rows).toEqual([{ event_type: 'delivery.batch', n: 6_589 }]);
    const batchId = await batchRowOf(first.body.eventId as string);
    expect(named).not.toContain(batchId);
    // before the worker's step, a redelivery of the same body names the same events
    const again = await deliver(body);
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId, eventIds: named });

    // the worker's step: the items become events (each with its job), in bounded statements, each under
    // the id the acknowledgement named for it
    await expand(batchId);
    const stored = await idsOf(named.map((_, i) => `wamid.big.m${i}`));
    expect(stored.size).toBe(6_589);
    expect(named.every((id, i) => stored.get(`wamid.big.m${i}`) === id)).toBe(true);
    expect(
      await countRows(t, "webhook_events WHERE integration_id = $1 AND event_type = 'message'", [integrationId]),
    ).toBe(6_589);
    const jobs = await t.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job j JOIN webhook_events e ON j.data->>'eventId' = e.id::text
       WHERE e.integration_id = $1 AND e.event_type = 'message'`,
      [integrationId],
    );
    expect(jobs.rows[0].n).toBe(6_589);
    const batch = await t.sql.query('SELECT status FROM webhook_events WHERE id = $1', [batchId]);
    expect(batch.rows[0].status).toBe('PROCESSED');
    // once expanded, a redelivery still names the same events (now found by their own keys)
    const late = await deliver(body);
    expect(late.body).toEqual({ status: 'duplicate', eventId: first.body.eventId, eventIds: named });

    // a replayed batch adds nothing twice
    await t.sql.query("UPDATE webhook_events SET status = 'PENDING', processed_at = NULL WHERE id = $1", [batchId]);
    await expand(batchId);
    expect(await countRows(t, 'webhook_events WHERE integration_id = $1', [integrationId])).toBe(6_590);
  });

  it('names an event stored before by its stored id, and an event repeated in the delivery once', async () => {
    // 40 statuses delivered on their own, then 150 of which those 40 are the first, and the last one a
    // second copy of the one before it
    const small = await deliver(whatsappBulk({ statuses: 40 }, 'mix'));
    expect(small.body.eventIds).toHaveLength(40);
    const body = whatsappBulk({ statuses: 150 }, 'mix').replace('"wamid.mix.s149"', '"wamid.mix.s148"');
    const res = await deliver(body);
    expect(res.status).toBe(200);
    const named = res.body.eventIds as string[];
    expect(res.body).toEqual({ status: 'received', eventId: small.body.eventId, eventIds: named });
    expect(named).toHaveLength(150);
    expect(named.slice(0, 40)).toEqual(small.body.eventIds);
    expect(named[149]).toBe(named[148]);
    expect(new Set(named).size).toBe(149);

    await expand(await batchRowOf(named[0]));
    const stored = await idsOf(Array.from({ length: 150 }, (_, i) => `wamid.mix.s${i}:delivered`));
    expect(stored.size).toBe(149);
    expect(named.every((id, i) => stored.get(`wamid.mix.s${Math.min(i, 148)}:delivered`) === id)).toBe(true);
    expect(
      await countRows(t, "webhook_events WHERE integration_id = $1 AND external_id LIKE 'wamid.mix.%'", [
        integrationId,
      ]),
    ).toBe(149);
  });

  it('answers a reordered copy, arriving before the first is expanded, with the same ids in its own order', async () => {
    const body = whatsappBulk({ statuses: 120 }, 'ord');
    const reversed = JSON.parse(body) as { entry: Array<{ changes: Array<{ value: { statuses: unknown[] } }> }> };
    reversed.entry[0].changes[0].value.statuses.reverse();
    const first = await deliver(body);
    const named = first.body.eventIds as string[];
    expect(first.body).toEqual({ status: 'received', eventId: named[0], eventIds: named });
    expect(named).toHaveLength(120);
    const again = await deliver(JSON.stringify(reversed));
    expect(again.body).toEqual({ status: 'duplicate', eventId: named[119], eventIds: [...named].reverse() });

    await expand(await batchRowOf(named[0]));
    const stored = await idsOf(Array.from({ length: 120 }, (_, i) => `wamid.ord.s${i}:delivered`));
    expect(named.every((id, i) => stored.get(`wamid.ord.s${i}:delivered`) === id)).toBe(true);
    expect(
      await countRows(t, "webhook_events WHERE integration_id = $1 AND external_id LIKE 'wamid.ord.%'", [
        integrationId,
      ]),
    ).toBe(120);
    expect(
      await countRows(
        t,
        "webhook_events WHERE integration_id = $1 AND event_type = 'delivery.batch' AND payload::text LIKE '%wamid.ord.%'",
        [integrationId],
      ),
    ).toBe(1);
  });

  it('names the events two different big deliveries share by one id, whichever is expanded first', async () => {
    // s0..s119, then s60..s179 before the first is expanded: the second names the shared sixty by the
    // ids the first named (it took new ids for them, which no row ever had)
    const first = await deliver(statusesOf('ovl', 180, 0, 120));
    const second = await deliver(statusesOf('ovl', 180, 60, 180));
    expect(first.body.status).toBe('received');
    expect(second.body.status).toBe('received');
    const a = first.body.eventIds as string[];
    const b = second.body.eventIds as string[];
    expect(b.slice(0, 60)).toEqual(a.slice(60));
    expect(new Set([...a, ...b]).size).toBe(180);

    // the second batch expanded first stores the shared events under the first's ids; the first's
    // expansion then adds only its own sixty
    await expand(await batchRowOf(b[0]));
    await expand(await batchRowOf(a[0]));
    const stored = await idsOf(Array.from({ length: 180 }, (_, i) => `wamid.ovl.s${i}:delivered`));
    expect(stored.size).toBe(180);
    expect(a.every((id, i) => stored.get(`wamid.ovl.s${i}:delivered`) === id)).toBe(true);
    expect(b.every((id, i) => stored.get(`wamid.ovl.s${i + 60}:delivered`) === id)).toBe(true);
  });

  it('answers a big delivery whose events a batch not yet expanded holds as a duplicate, storing nothing', async () => {
    const first = await deliver(statusesOf('ovm', 130, 0, 130));
    const named = first.body.eventIds as string[];
    const before = await countRows(t, 'webhook_events WHERE integration_id = $1', [integrationId]);
    const subset = await deliver(statusesOf('ovm', 130, 10, 125));
    expect(subset.body).toEqual({ status: 'duplicate', eventId: named[10], eventIds: named.slice(10, 125) });
    expect(await countRows(t, 'webhook_events WHERE integration_id = $1', [integrationId])).toBe(before);
    await expand(await batchRowOf(named[0]));
    const stored = await idsOf(Array.from({ length: 130 }, (_, i) => `wamid.ovm.s${i}:delivered`));
    expect(named.every((id, i) => stored.get(`wamid.ovm.s${i}:delivered`) === id)).toBe(true);
  });

  it('keeps a delivery of a hundred items or fewer as one event per item, as before', async () => {
    const res = await deliver(whatsappBulk({ statuses: 100 }, 'small'));
    expect(res.status).toBe(200);
    expect(res.body.eventIds).toHaveLength(100);
    expect(
      await countRows(
        t,
        "webhook_events WHERE integration_id = $1 AND event_type = 'status' AND external_id LIKE 'wamid.small.%'",
        [integrationId],
      ),
    ).toBe(100);
  });
});
