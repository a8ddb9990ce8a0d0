/**
 * Reliability: the hostile-input corpus (test/support/hostile-corpus) against the public webhook
 * endpoints (API.md "Webhooks").
 *
 * Every hostile case must get a 4xx with the API.md error shape (never a 5xx) before the corpus's
 * per-request deadline, the process must stay up, and no request that was not correctly signed may
 * leave a row in webhook_events. The correctly signed cases (odd payloads, issue 9's sender limits:
 * huge numbers, a 1 MiB string, thousands of items, a BOM …) may be stored (200) or refused (4xx),
 * never answered 5xx; only their own ids may be stored. Nothing here reads the wall clock: a slow
 * machine only gets closer to the deadline, which is far above normal latency.
 */
import type { AddressInfo } from 'node:net';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import {
  Answer,
  CODES,
  Ctx,
  Delivery,
  GENERIC_CONFIG,
  genericBody,
  genericHeaders,
  GHL_PUBLIC_KEY_PEM,
  GOOGLE_KEY,
  GOOGLE_KEY_2,
  HOSTILE_CASES,
  MAX_BYTES,
  META_2,
  META_PATH,
  nextId,
  now,
  padded,
  rawExchange,
  REQUEST_DEADLINE_MS,
  SIGNED_CASES,
} from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, metaLeadgen } from '../support/webhooks';

describe('hostile webhook input', () => {
  let t: TestApp;
  let graph: FakeServer;
  let ctx: Ctx;
  let sub: number;
  let meta2Id: number;
  let firstNewId = '0';
  /** Event ids answered to correctly signed deliveries: the only rows that may appear. */
  const allowed = new Set<string>();
  /** Every answer, printed with HOSTILE_VERBOSE=1 (to review what each case got). */
  const outcomes: string[] = [];

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: {
        // HTTP only: the corpus is about answers and stored rows; processing is tested elsewhere
        APP_ROLE: 'api',
        META_GRAPH_URL: graph.url,
        WEBHOOK_MAX_BYTES: String(MAX_BYTES),
        WEBHOOK_RATE_PER_IP_PER_MINUTE: '10000000',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '10000000',
        WEBHOOK_CACHE_TTL_MS: '0',
      },
    });
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    const google2 = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY_2 });
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const meta2 = await createIntegration(t, sub, 'meta-lead-ads', META_2);
    const generic = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    const inactive = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    const whatsapp = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const ghl = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, webhookPublicKey: GHL_PUBLIC_KEY_PEM });
    for (const i of [google, google2, meta, meta2, generic, whatsapp, ghl]) await activate(t, sub, i.id);
    meta2Id = meta2.id;
    const path = (url: string): string => new URL(url).pathname;
    ctx = {
      port: (server.address() as AddressInfo).port,
      google: { path: path(google.webhookUrl), webhookId: path(google.webhookUrl).split('/').pop() ?? '' },
      google2: { path: path(google2.webhookUrl) },
      generic: {
        path: path(generic.webhookUrl),
        webhookId: path(generic.webhookUrl).split('/').pop() ?? '',
        secret: generic.webhookSecret,
      },
      inactiveGeneric: { path: path(inactive.webhookUrl), secret: inactive.webhookSecret },
    };
    firstNewId = (await t.sql.query<{ max: string }>('SELECT coalesce(max(id), 0)::text AS max FROM webhook_events'))
      .rows[0].max;
  });

  afterAll(async () => {
    if (process.env.HOSTILE_VERBOSE) console.log(outcomes.join('\n'));
    await t?.close();
    await graph?.close();
  });

  async function send(d: Delivery): Promise<Answer> {
    // a hang fails the case at the deadline instead of timing the test file out
    let req = t.http[(d.method ?? 'POST').toLowerCase() as 'post'](d.path).timeout({ deadline: REQUEST_DEADLINE_MS });
    if (d.contentType !== null && d.body !== undefined)
      req = req.set('content-type', d.contentType ?? 'application/json');
    for (const [name, value] of Object.entries(d.headers ?? {})) req = req.set(name, value);
    // the bytes as they are: superagent would JSON-encode a Buffer sent as application/json
    if (d.body !== undefined) req = req.serialize((data: unknown) => data as string).send(d.body);
    const res = await req;
    return { status: res.status, headers: res.headers, body: res.body, text: res.text };
  }

  /**
   * The events stored since the start, as a sender's answers name them: a big delivery's batch row is
   * the hub's own, stored for the events its answer named (a worker adds their rows), so it stands for those.
   */
  async function newRows(): Promise<string[]> {
    return (
      await t.sql.query<{ id: string }>(
        `SELECT id FROM (
           SELECT id::text AS id FROM webhook_events
            WHERE id > $1 AND NOT (event_type = 'delivery.batch' AND external_id IS NULL)
           UNION
           SELECT item->>'id' FROM webhook_events b, jsonb_array_elements(b.payload->'events') item
            WHERE b.id > $1 AND b.event_type = 'delivery.batch' AND b.external_id IS NULL
         ) x ORDER BY id::bigint`,
        [firstNewId],
      )
    ).rows.map((r) => r.id);
  }

  function eventIdsOf(body: unknown): string[] {
    const b = body as { eventId?: unknown; eventIds?: unknown };
    if (Array.isArray(b.eventIds)) return b.eventIds.map(String);
    return typeof b.eventId === 'string' ? [b.eventId] : [];
  }

  /** The API.md error body: exactly { statusCode, code, message, details? } with the code of its status. */
  function expectApiError(answer: Answer): void {
    const body = answer.body as Record<string, unknown>;
    const keys = Object.keys(body ?? {}).sort();
    const shapeOk =
      body.statusCode === answer.status &&
      typeof body.message === 'string' &&
      typeof body.code === 'string' &&
      (CODES[answer.status] ?? []).includes(body.code) &&
      keys.every((k) => ['code', 'details', 'message', 'statusCode'].includes(k));
    if (!shapeOk) throw new Error(`not the API.md error shape for ${answer.status}: ${answer.text.slice(0, 400)}`);
  }

  function expectStatus(answer: Answer, allowedStatuses: readonly number[]): void {
    if (!allowedStatuses.includes(answer.status))
      throw new Error(`expected ${allowedStatuses.join(' or ')}, got ${answer.status}: ${answer.text.slice(0, 400)}`);
  }

  it('the corpus holds at least 100 hostile cases', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(100);
    expect(HOSTILE_CASES.filter((c) => !c.signed).length).toBeGreaterThanOrEqual(100);
  });

  it.each(HOSTILE_CASES.map((c) => [`${c.category} | ${c.name}`, c] as const))(
    '%s → 4xx, nothing stored',
    async (_label, c) => {
      const before = await newRows();
      const logFrom = t.logs().length;
      const delivery = c.build(ctx);
      const answer = 'raw' in delivery ? await rawExchange(ctx.port, delivery) : await send(delivery);
      // a client that went away is reported after its answer: give the app a moment to log it
      if ('raw' in delivery) await new Promise((resolve) => setTimeout(resolve, 100));
      const unhandled = t
        .logs()
        .slice(logFrom)
        .split('\n')
        .find((line) => line.includes('"unhandled error"'));
      outcomes.push(`${c.category} | ${c.name}: ${answer?.status ?? 'no answer'} ${answer?.text.slice(0, 200) ?? ''}`);
      if (answer === null) throw new Error('the server closed the connection without an answer');
      expectStatus(answer, c.expect);
      if (!c.transport) expectApiError(answer);
      expect(answer.text).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT |webhook_events|prisma/i);
      expect(await newRows()).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // answered 4xx but handled internally as a 500 (logged "unhandled error" with an errorId)?
      if (unhandled) throw new Error(`the app logged an unhandled error for this case: ${unhandled.slice(0, 400)}`);
    },
  );

  it.each(SIGNED_CASES.map((c) => [c.name, c] as const))('signed: %s → 200 or 4xx, never 5xx', async (_label, c) => {
    const before = await newRows();
    const answer = await send(c.build(ctx));
    expectStatus(answer, c.expect ?? [200, 400, 401, 404, 409, 413, 415, 422]);
    if (answer.status === 200) {
      const result = answer.body as { status?: unknown; eventId?: unknown };
      expect(['received', 'duplicate', 'ignored']).toContain(result.status);
      // API.md: "duplicate" names the stored event; a delivery that stored nothing is "ignored"
      if ((result.eventId === null) !== (result.status === 'ignored'))
        throw new Error(`status and eventId disagree: ${answer.text}`);
      for (const id of eventIdsOf(answer.body)) allowed.add(id);
    } else {
      expectApiError(answer);
    }
    outcomes.push(`signed-odd | ${c.name}: ${answer.status} ${answer.text.slice(0, 200)}`);
    const added = (await newRows()).filter((id) => !before.includes(id));
    expect(added.every((id) => allowed.has(id))).toBe(true);
  });

  it('stays responsive: 4 concurrent 1 MiB junk deliveries are all refused before the deadline, and it is ready after', async () => {
    const body = padded('"google_key":"wrong",', MAX_BYTES);
    // each send() aborts at REQUEST_DEADLINE_MS: an answer at all is the assertion on time
    const answers = await Promise.all(Array.from({ length: 4 }, () => send({ path: ctx.google.path, body })));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    const ready = await t.http.get('/api/health/ready').timeout({ deadline: REQUEST_DEADLINE_MS });
    expect(ready.status).toBe(200);
  });

  it('a correct generic delivery is stored once; replaying its bytes is a duplicate, with an old timestamp a 401', async () => {
    const body = genericBody();
    const signedAt = now();
    const first = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt),
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    allowed.add((first.body as { eventId: string }).eventId);
    const again = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt),
    });
    expect(again.body).toEqual({ status: 'duplicate', eventId: (first.body as { eventId: string }).eventId });
    const before = await newRows();
    const stale = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt - 301),
    });
    expect(stale.status).toBe(401);
    expectApiError(stale);
    expect(await newRows()).toEqual(before);
  });

  it('a signed generic delivery whose JSON is null or a scalar is ignored: nothing stored to fail later', async () => {
    const before = await newRows();
    for (const body of ['null', '42', '"text"', 'true']) {
      const res = await send({
        path: ctx.generic.path,
        body,
        headers: genericHeaders(body, ctx.generic.secret, now()),
      });
      expect([body, res.status, res.body]).toEqual([body, 200, { status: 'ignored', eventId: null }]);
    }
    expect(await newRows()).toEqual(before);
  });

  it('survives a burst of 100 concurrent hostile requests', async () => {
    const before = await newRows();
    const small = HOSTILE_CASES.filter(
      (c) => !c.signed && !c.transport && !['huge-body', 'deep-nesting', 'framing'].includes(c.category),
    );
    const burst = Array.from({ length: 100 }, (_, i) => small[i % small.length]);
    const answers = await Promise.all(
      burst.map((c) => {
        const d = c.build(ctx);
        return 'raw' in d ? rawExchange(ctx.port, d) : send(d);
      }),
    );
    expect(answers.map((a) => a?.status ?? 0).filter((s) => s < 400 || s >= 500)).toEqual([]);
    expect(await newRows()).toEqual(before);
  });

  it('afterwards: the process is up, a valid delivery is received, only signed deliveries were stored, nothing polluted', async () => {
    const health = await t.http.get('/api/health');
    expect(health.status).toBe(200);
    const ok = await send({
      path: ctx.google.path,
      body: googleLead(GOOGLE_KEY, nextId('final'), { name: 'Still Works', email: 'still@example.com' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    allowed.add((ok.body as { eventId: string }).eventId);

    const rows = await newRows();
    expect(rows.filter((id) => !allowed.has(id))).toEqual([]);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1', [meta2Id])).rows[0]
        .n,
    ).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('hostile webhook input: per-IP rate limit', () => {
  let t: TestApp;
  let path: string;
  const LIMIT = 5;

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_RATE_PER_IP_PER_MINUTE: String(LIMIT), WEBHOOK_CACHE_TTL_MS: '0' } });
    const sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    await activate(t, sub, google.id);
    path = new URL(google.webhookUrl).pathname;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After once the budget is spent, for junk and valid deliveries alike, storing nothing', async () => {
    const post = (p: string, body: string) => t.http.post(p).set('content-type', 'application/json').send(body);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await post(path, '{"google_key":"wrong"}')).status);
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    const limited = [
      await post(path, '{"google_key":"wrong"}'),
      await post(path, googleLead(GOOGLE_KEY, 'rate-limited-valid', { name: 'Valid' })),
      await post('/api/webhooks/no-such-provider/wh_x', '{}'),
      await post(META_PATH, metaLeadgen(META_CONFIG.pageId, ['1'])),
    ];
    for (const res of limited) {
      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        statusCode: 429,
        code: 'RATE_LIMIT_EXCEEDED',
        message: expect.any(String),
        details: [],
      });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
    expect((await t.http.get('/api/health')).status).toBe(200);
  });

  it('does not let a forged X-Forwarded-For reset the spent per-IP budget', async () => {
    // the test client connects directly: no proxy added these headers, the client wrote them
    const forged = await Promise.all(
      ['203.0.113.7', '198.51.100.23, 10.0.0.1', '2001:db8::1'].map((ip) =>
        t.http
          .post(path)
          .set('content-type', 'application/json')
          .set('x-forwarded-for', ip)
          .send('{"google_key":"wrong"}'),
      ),
    );
    expect(forged.map((r) => [r.status, r.body.code])).toEqual(Array(3).fill([429, 'RATE_LIMIT_EXCEEDED']));
    expect((await t.sql.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
  });
});
