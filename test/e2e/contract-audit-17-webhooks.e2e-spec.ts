// Audit 17 of API.md's "Webhooks (public, signed)" beyond lead payloads: replays, retries and the
// stored event list, as a provider that retries and a CRM user who replays. Failed before their fix:
// - a replay (POST /api/webhook-events/:id/replay) of an event waiting for its automatic retry queued a
//   second job while the first, delayed one stayed queued: when that one came due it claimed the event
//   even while the replay's run held it (PROCESSING was taken as "left by a worker that died"), so the
//   event was processed twice at once (the lead fetched twice, attempts counted twice in the list), or it
//   ran the event ahead of its backoff, and from then on two chains of retries ran side by side.
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, settledEvent, waitFor } from '../support/webhooks';

/** The first automatic retry comes 2^1 units after the first failure (API.md: min(2^attempts, 60) minutes). */
const RETRY_UNIT_MS = 1500;

describe('API.md audit 17: webhook replays, retries and the event list', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let meta: number;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        WEBHOOK_RETRY_UNIT_MS: String(RETRY_UNIT_MS),
        WEBHOOK_MAX_ATTEMPTS: '5',
        WEBHOOK_CACHE_TTL_MS: '0',
        // the failing reads below (each retried in-process) must not open the Graph circuit
        OUTBOUND_CIRCUIT_THRESHOLD: '100',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Audit 17 webhooks');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    meta = (await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG)).id;
    await activate(t, sub, meta);
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  /** A signed leadgen delivery for one lead; its event id. */
  async function deliver(leadId: string): Promise<string> {
    const body = metaLeadgen(META_CONFIG.pageId, [leadId]);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    return res.body.eventId as string;
  }

  /** The event once its first attempt failed and it waits for the automatic retry. */
  function waitingForRetry(eventId: string): Promise<{ attempts: number }> {
    return waitFor(
      async () =>
        (
          await t.sql.query<{ attempts: number }>(
            `SELECT attempts FROM webhook_events
              WHERE id = $1 AND status = 'PENDING' AND next_attempt_at IS NOT NULL`,
            [eventId],
          )
        ).rows[0],
      20_000,
      `event ${eventId} waiting for its retry`,
    );
  }

  /** Resolves once no webhook-process job of the event is queued or running (the delayed one included). */
  function jobsDone(eventId: string): Promise<true> {
    return waitFor(
      async () =>
        (
          await t.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pgboss.job
              WHERE name = 'webhook-process' AND data->>'eventId' = $1 AND state IN ('created', 'retry', 'active')`,
            [eventId],
          )
        ).rows[0].n === 0,
      60_000,
      `the jobs of event ${eventId}`,
    );
  }

  async function listed(eventId: string): Promise<Record<string, unknown> | undefined> {
    const res = await t.http.get(`/api/integrations/${meta}/events?pageSize=200`).set('authorization', admin);
    expect(res.status).toBe(200);
    return (res.body.items as Array<Record<string, unknown>>).find((e) => e.id === eventId);
  }

  /** A failing read; Retry-After 0 makes the client's own retries immediate, so an attempt fails at once. */
  const GRAPH_DOWN = {
    status: 500,
    headers: { 'retry-after': '0' },
    body: { error: { message: 'An unknown error occurred', code: 1 } },
  };
  const leadAnswer = (leadId: string, delayMs = 0) => ({
    status: 200,
    delayMs,
    body: { id: leadId, field_data: [{ name: 'email', values: [`replay${leadId}@example.com`] }] },
  });

  describe('a replay racing the automatic retry (POST /api/webhook-events/:id/replay)', () => {
    it('the retry that comes due while the replay runs the event does not run it a second time', async () => {
      const leadId = '17001';
      const path = `/${leadId}`;
      // the first attempt's reads fail (the retry is then due in 2 units); the replay's read takes longer
      let failing = true;
      graph.on('GET', path, () => (failing ? GRAPH_DOWN : leadAnswer(leadId, 4 * RETRY_UNIT_MS)));
      const eventId = await deliver(leadId);
      expect((await waitingForRetry(eventId)).attempts).toBe(1);
      failing = false;
      const before = graph.count('GET', path);

      const replay = await t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin);
      expect([replay.status, replay.body]).toEqual([202, { eventId, status: 'PENDING' }]);
      expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
      await jobsDone(eventId);

      // the replay's one read: the delayed retry found the event taken and left it
      expect(graph.count('GET', path) - before).toBe(1);
      expect(await listed(eventId)).toMatchObject({ status: 'PROCESSED', attempts: 1, lastError: null });
      const leads = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads WHERE email = $1', [
        `replay${leadId}@example.com`,
      ]);
      expect(leads.rows[0].n).toBe(1);
    });

    it('the old retry does not run the event ahead of the backoff of the replay that failed again', async () => {
      const leadId = '17002';
      const path = `/${leadId}`;
      let failing = true;
      graph.on('GET', path, () => (failing ? GRAPH_DOWN : leadAnswer(leadId)));
      const eventId = await deliver(leadId);
      await waitingForRetry(eventId);
      // replayed a unit into the wait: the first delivery's retry stays due a unit from now
      await new Promise((r) => setTimeout(r, RETRY_UNIT_MS));
      const replayedAt = Date.now();
      const replay = await t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin);
      expect(replay.status).toBe(202);
      // the replay's run fails too: attempts start again at 1, and its retry is due 2 units after it failed
      const { failedAt } = await waitFor(
        async () => {
          const row = (
            await t.sql.query<{ attempts: number; failed_at: Date }>(
              `SELECT attempts, next_attempt_at - $2 * interval '1 millisecond' AS failed_at FROM webhook_events
                WHERE id = $1 AND status = 'PENDING' AND next_attempt_at IS NOT NULL AND attempts = 1
                  AND next_attempt_at > $3`,
              [eventId, 2 * RETRY_UNIT_MS, new Date(replayedAt)],
            )
          ).rows[0];
          return row && { failedAt: row.failed_at.getTime() };
        },
        20_000,
        'the replay to fail',
      );
      failing = false;
      const flippedAt = graph.requests.length;
      expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
      await jobsDone(eventId);

      const succeeded = graph.requests.slice(flippedAt).filter((r) => r.path === path);
      // one read after the replay failed: its own retry, 2 units later, not the first delivery's old one
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0].at - failedAt).toBeGreaterThanOrEqual(2 * RETRY_UNIT_MS - 50);
      expect(await listed(eventId)).toMatchObject({ status: 'PROCESSED', attempts: 2 });
    });
  });
});
