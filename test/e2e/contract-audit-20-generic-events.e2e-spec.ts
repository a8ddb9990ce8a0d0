/**
 * Contract audit 20: the generic webhook (API.md "Standard handler configuration", generic-webhook row;
 * "Webhooks (public, signed)") and the webhook events routes (API.md "Integrations":
 * `GET /api/integrations/:id/events?status=`, `POST /api/webhook-events/:id/replay`, and
 * `POST /api/integrations/:id/events/replay-failed`, which API.md does not list).
 *
 * - Content types: API.md "Conventions" (JSON in and out) and "Webhooks" (415 wrong content type): a
 *   form-urlencoded delivery is refused 415 in the error shape, signed or not, and nothing is stored.
 * - Replay (API.md: "202: processes the stored event again"): a PROCESSED event is processed again and
 *   the lead write leaves no second row or count behind, also under concurrent replays.
 * - `?status=`: API.md names PENDING, PROCESSING, PROCESSED, FAILED; the lower-case spelling is the
 *   same filter (it answered 400 before this audit), anything else stays 400.
 * - replay-failed: tenant-scoped (404), role-checked (AGENT 403), bounded, `remaining` reported; a
 *   disconnected integration replays nothing (409 INTEGRATION_NOT_ACTIVE, now in the OpenAPI document).
 * - A sender's event type of `delivery.batch` (the hub's own type for a stored big delivery) was expanded
 *   by the worker into events of the sender's choosing; it is now a "lead" event like any other.
 */
import { createIntegration, createSubAccount, CreatedIntegration } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, jobsOfEvent, postGeneric, settledEvent, waitFor } from '../support/webhooks';

const CONFIG = {
  mapping: { email: '/contact/email', fullName: '/contact/name', phone: '/contact/phone', formId: '/form' },
  externalIdPointer: '/id',
  customAnswersPointer: '/answers',
  eventTypePointer: '/event_type',
};

describe('contract audit 20: generic webhook and webhook events', () => {
  let t: TestApp;
  let sub: number;
  let otherSub: number;
  let admin: string;
  let generic: CreatedIntegration;
  let otherGeneric: CreatedIntegration;

  beforeAll(async () => {
    t = await createTestApp({
      env: { WEBHOOK_RATE_PER_IP_PER_MINUTE: '100000', WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '100000' },
    });
    sub = await createSubAccount(t, 'MAX', 'Audit 20 generic A');
    otherSub = await createSubAccount(t, 'MAX', 'Audit 20 generic B');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    generic = await createIntegration(t, sub, 'generic-webhook', CONFIG);
    await activate(t, sub, generic.id);
    otherGeneric = await createIntegration(t, otherSub, 'generic-webhook', CONFIG);
    await activate(t, otherSub, otherGeneric.id);
  });
  afterAll(async () => {
    await t.close();
  });

  const signed = (body: string, contentType = 'application/json', integration = generic) => {
    const ts = Math.floor(Date.now() / 1000);
    return t.http
      .post(new URL(integration.webhookUrl).pathname)
      .set('content-type', contentType)
      .set('x-webhook-timestamp', String(ts))
      .set('x-webhook-signature', genericSignature(body, integration.webhookSecret, ts))
      .send(body);
  };

  async function storedEvents(integrationId: number): Promise<number> {
    const res = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1',
      [integrationId],
    );
    return res.rows[0].n;
  }

  /** Every row (and counter) a lead write of the sub-account leaves behind, as text. */
  async function footprint(subAccountId: number): Promise<Record<string, string>> {
    const rows = async (text: string) => JSON.stringify((await t.sql.query(text, [subAccountId])).rows);
    return {
      leads: await rows('SELECT id, email, phone, full_name, status FROM leads WHERE sub_account_id = $1 ORDER BY id'),
      sources: await rows(
        'SELECT id, origin, external_id, form_id FROM lead_sources WHERE sub_account_id = $1 ORDER BY id',
      ),
      interactions: await rows('SELECT id, origin FROM lead_interactions WHERE sub_account_id = $1 ORDER BY id'),
      statusChanges: await rows('SELECT id FROM lead_status_changes WHERE sub_account_id = $1 ORDER BY id'),
      daily: await rows(
        `SELECT day, dim_type, dim_id, metric, sum(count)::text AS n, sum(sum)::text AS s FROM analytics_daily
          WHERE sub_account_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      ),
    };
  }

  async function eventRow(id: string): Promise<{ status: string; attempts: number; processed_at: Date | null }> {
    const res = await t.sql.query<{ status: string; attempts: number; processed_at: Date | null }>(
      'SELECT status, attempts, processed_at FROM webhook_events WHERE id = $1',
      [id],
    );
    return res.rows[0];
  }

  it('answers a form-urlencoded delivery 415 UNSUPPORTED_MEDIA_TYPE, signed or not, and stores nothing', async () => {
    // API.md "Conventions": JSON in; "Webhooks": 415 wrong content type. The generic webhook maps JSON
    // Pointers into a JSON payload: a form body (repeated keys, a[b] keys) has no such document.
    const before = await storedEvents(generic.id);
    const body = 'id=form-1&contact%5Bemail%5D=form%40example.org&tag=a&tag=b';
    const signedForm = await signed(body, 'application/x-www-form-urlencoded');
    const unsignedForm = await t.http
      .post(new URL(generic.webhookUrl).pathname)
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(body);
    for (const res of [signedForm, unsignedForm]) {
      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: expect.any(String),
        details: expect.any(Array),
      });
    }
    expect(await storedEvents(generic.id)).toBe(before);
  });

  it('replays a PROCESSED event: 202, processed again, and no lead, source, interaction or count twice', async () => {
    const res = await postGeneric(t, generic, {
      id: 'replay-1',
      event_type: 'lead',
      form: 'f-9',
      contact: { email: 'replay@example.org', name: 'Re Play', phone: '+14155550100' },
      answers: { budget: 5000 },
    });
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    const eventId = res.body.eventId as string;
    expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
    const first = await eventRow(eventId);
    // the CRM has worked the lead since: a replay must neither undo that nor count a transition twice
    const [lead] = JSON.parse((await footprint(sub)).leads) as Array<{ id: string }>;
    const patched = await t.http
      .patch(`/api/leads/${lead.id}`)
      .set('authorization', admin)
      .send({ status: 'CONTACTED' });
    expect(patched.status).toBe(200);
    const before = await footprint(sub);
    expect(JSON.parse(before.leads)).toEqual([expect.objectContaining({ id: lead.id, status: 'CONTACTED' })]);
    expect(JSON.parse(before.statusChanges)).toHaveLength(1);

    const replay = await t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin);
    expect([replay.status, replay.body]).toEqual([202, { eventId, status: 'PENDING' }]);
    const again = await waitFor(async () => {
      const row = await eventRow(eventId);
      return row.status === 'PROCESSED' ? row : undefined;
    });
    // processed again (a new processedAt), not merely left as it was
    expect(again.processed_at?.getTime()).toBeGreaterThan(first.processed_at?.getTime() ?? Infinity);
    expect(again.attempts).toBe(1);
    expect(await footprint(sub)).toEqual(before);

    // five replays at once: each is queued (202) or meets the run another one started (409 CONFLICT, as
    // the route documents); never more jobs than 202s, and still one write's worth of rows
    const jobsBefore = await jobsOfEvent(t, eventId);
    const replays = await Promise.all(
      Array.from({ length: 5 }, () => t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin)),
    );
    const accepted = replays.filter((r) => r.status === 202).length;
    expect(accepted).toBeGreaterThan(0);
    for (const r of replays.filter((r) => r.status !== 202)) expect([r.status, r.body.code]).toEqual([409, 'CONFLICT']);
    const jobsAdded = (await jobsOfEvent(t, eventId)) - jobsBefore;
    expect(jobsAdded).toBeGreaterThan(0);
    expect(jobsAdded).toBeLessThanOrEqual(accepted);
    expect((await settledEvent(t, eventId)).status).toBe('PROCESSED');
    expect(await footprint(sub)).toEqual(before);
  });

  it('filters the event list by the documented statuses in either case and refuses other values 400', async () => {
    const failed = await signed(JSON.stringify({ id: 'no-contact-1', contact: {} }));
    expect([failed.status, failed.body.status]).toEqual([200, 'received']);
    expect((await settledEvent(t, failed.body.eventId)).status).toBe('FAILED');

    const list = (query: string) =>
      t.http.get(`/api/integrations/${generic.id}/events${query}`).set('authorization', admin);
    const upper = await list('?status=FAILED');
    expect(upper.status).toBe(200);
    expect(upper.body.total).toBeGreaterThan(0);
    for (const spelling of ['failed', 'Failed']) {
      const res = await list(`?status=${spelling}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(upper.body);
    }
    const processed = await list('?status=processed');
    expect(processed.status).toBe(200);
    expect(processed.body.items.length).toBeGreaterThan(0);
    for (const e of processed.body.items as Array<{ status: string }>) expect(e.status).toBe('PROCESSED');

    const all = await list('');
    expect(all.body.total).toBe(upper.body.total + processed.body.total);
    for (const bad of ['BOGUS', 'failed%00', 'FAILED&status=PENDING', 'pend%C4%B1ng']) {
      const res = await list(`?status=${bad}`);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('replay-failed is scoped to the caller, role-checked, and reports how many it replayed and how many remain', async () => {
    // a FAILED event in each sub-account (no contact field: fails at once, not retried)
    for (const integration of [generic, otherGeneric]) {
      const res = await signed(
        JSON.stringify({ id: `nothing-${integration.id}`, contact: {} }),
        undefined,
        integration,
      );
      expect((await settledEvent(t, res.body.eventId)).status).toBe('FAILED');
    }
    const countFailed = async (integrationId: number) =>
      (
        await t.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'FAILED'",
          [integrationId],
        )
      ).rows[0].n;
    const otherFailed = await countFailed(otherGeneric.id);
    const ownFailed = await countFailed(generic.id);
    expect(ownFailed).toBeGreaterThan(0);
    const url = `/api/integrations/${generic.id}/events/replay-failed`;

    const agent = await t.http.post(url).set('authorization', `Bearer ${t.token('AGENT', [sub])}`);
    expect([agent.status, agent.body.code]).toEqual([403, 'FORBIDDEN']);
    const stranger = await t.http.post(url).set('authorization', `Bearer ${t.token('ADMIN', [otherSub])}`);
    expect([stranger.status, stranger.body.code]).toEqual([404, 'NOT_FOUND']);
    expect(await countFailed(generic.id)).toBe(ownFailed);

    const manager = await t.http.post(url).set('authorization', `Bearer ${t.token('MANAGER', [sub])}`);
    expect([manager.status, manager.body]).toEqual([202, { replayed: ownFailed, remaining: 0 }]);
    // the other sub-account's FAILED event is untouched; ours went back to PENDING and fail again
    expect(await countFailed(otherGeneric.id)).toBe(otherFailed);
    await waitFor(async () => (await countFailed(generic.id)) === ownFailed, 20_000, 'replayed events to fail again');

    // a disconnected integration (API.md: its deliveries answer 409 INTEGRATION_NOT_ACTIVE) replays nothing,
    // in bulk or one by one, with that same code (both routes document it)
    const otherAdmin = `Bearer ${t.token('ADMIN', [otherSub])}`;
    const disconnect = await t.http
      .post(`/api/integrations/${otherGeneric.id}/disconnect`)
      .set('authorization', otherAdmin);
    expect(disconnect.status).toBe(200);
    const bulk = await t.http
      .post(`/api/integrations/${otherGeneric.id}/events/replay-failed`)
      .set('authorization', otherAdmin);
    expect([bulk.status, bulk.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
    const [failedEvent] = (
      await t.sql.query<{ id: string }>(
        "SELECT id::text FROM webhook_events WHERE integration_id = $1 AND status = 'FAILED' LIMIT 1",
        [otherGeneric.id],
      )
    ).rows;
    const one = await t.http.post(`/api/webhook-events/${failedEvent.id}/replay`).set('authorization', otherAdmin);
    expect([one.status, one.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
    expect(await countFailed(otherGeneric.id)).toBe(otherFailed);
  });

  it("a sender's event type that names the hub's internal batch type is not expanded into events of the sender's choosing", async () => {
    // eventTypePointer takes the sender's text; "delivery.batch" is the type the ingest gives a stored
    // batch of a big delivery, which a worker expands into the items' events (each keyed by its own
    // externalId, with its own job). A delivery typed so must stay one event of its own, as any other.
    const item = (n: number) => ({
      externalId: `injected-${n}`,
      eventType: 'lead',
      payload: { id: `injected-${n}`, contact: { email: `injected-${n}@example.org` } },
    });
    const res = await signed(
      JSON.stringify({
        id: 'batch-typed-1',
        event_type: 'delivery.batch',
        contact: { email: 'batch-typed@example.org' },
        events: [item(1), item(2), { ...item(3), eventType: 'delivery.batch', payload: { events: [item(4)] } }],
      }),
    );
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    const injected = await t.sql.query(
      "SELECT id FROM webhook_events WHERE integration_id = $1 AND external_id LIKE 'injected-%'",
      [generic.id],
    );
    expect(injected.rows).toEqual([]);
    const leads = await t.sql.query<{ email: string }>(
      "SELECT email FROM leads WHERE sub_account_id = $1 AND (email LIKE 'injected-%' OR email LIKE 'batch-typed%')",
      [sub],
    );
    expect(leads.rows).toEqual([{ email: 'batch-typed@example.org' }]);
    // and it is listed (and counted by the health route) like any event, under a type that is not the batch's
    const listed = await t.http.get(`/api/integrations/${generic.id}/events`).set('authorization', admin);
    const event = (listed.body.items as Array<{ id: string; eventType: string }>).find(
      (e) => e.id === res.body.eventId,
    );
    expect(event?.eventType).not.toBe('delivery.batch');
  });

  it('answers hostile but signed JSON 200 or 400 as API.md lists, never 5xx, and keeps big integers exact', async () => {
    const cases: Array<[string, number]> = [
      ['{"id": "g1", "contact": {', 400],
      [`{"id":"deep-65","contact":{"email":"d65@example.org"},"x":${'['.repeat(64)}${']'.repeat(64)}}`, 400],
      ['{"id":"proto-1","__proto__":{"polluted":1},"contact":{"email":"proto@example.org"}}', 400],
      ['{"id":"nul-1","contact":{"email":"nul\\u0000@example.org"}}', 400],
      ['{"id":"sur-1","contact":{"email":"sur\\ud800@example.org"}}', 400],
      ['{"id":"dup-1","id":"dup-2","contact":{"email":"dup1@example.org","email":"dup2@example.org"}}', 200],
      ['{"id":12345678901234567890,"contact":{"email":"big@example.org"}}', 200],
      ['{"id":"exp-1","n":1e400,"contact":{"email":"exp@example.org"}}', 200],
    ];
    for (const [body, status] of cases) {
      const res = await signed(body);
      expect([body.slice(0, 30), res.status, res.body.statusCode ?? 200]).toEqual([body.slice(0, 30), status, status]);
      if (status === 200) expect((await settledEvent(t, res.body.eventId)).status).toBe('PROCESSED');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const sources = await t.sql.query<{ external_id: string; email: string }>(
      `SELECT s.external_id, l.email FROM lead_sources s JOIN leads l ON l.id = s.lead_id
        WHERE s.integration_id = $1 AND s.external_id IN ('dup-1', 'dup-2', '12345678901234567890') ORDER BY 1`,
      [generic.id],
    );
    // duplicate keys: the last one counts, as JSON.parse and the request parser both read them
    expect(sources.rows).toEqual([
      { external_id: '12345678901234567890', email: 'big@example.org' },
      { external_id: 'dup-2', email: 'dup2@example.org' },
    ]);

    const unsigned = await t.http
      .post(new URL(generic.webhookUrl).pathname)
      .set('content-type', 'application/json')
      .send('{"id": ');
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    const huge = await signed(`{"id":"huge","pad":"${'x'.repeat(1024 * 1024 + 10)}"}`);
    expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);

    // an unsigned event-id header does not make a captured delivery a new event
    const body = '{"id":"spoof-1","contact":{"email":"spoof@example.org"}}';
    const a = await signed(body).set('x-webhook-id', 'one');
    const b = await signed(body).set('x-webhook-id', 'two');
    expect([a.body.status, b.body.status, b.body.eventId]).toEqual(['received', 'duplicate', a.body.eventId]);
  });
});
