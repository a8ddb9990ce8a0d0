/**
 * Audit 20 (syncs and the outbound clients):
 * - A provider that says "not now" pauses a sync run instead of failing it. A Retry-After longer than a
 *   job waits in-process (60 s; seconds or HTTP-date, RFC 9110 §10.2.3), 429s that outlast the client's
 *   retries, and Meta's throttling codes as HTTP 400 (4, 17, 32, 613, 80000-80014; the wait from
 *   X-Business-Use-Case-Usage's estimated_time_to_regain_access, in minutes:
 *   developers.facebook.com/docs/graph-api/overview/rate-limiting) failed the run. Now the run stays
 *   RUNNING (API.md: a trigger meanwhile answers 409 with its job), says "paused until …" in `error`,
 *   and continues from its last page in a job due when the provider allows calls again.
 * - A negative or garbled Retry-After was read by Date.parse as a date in 2001 (no wait at all).
 * - Meta reconciliation looked back 7 days whatever happened before: a page whose syncs failed for
 *   longer lost the leads of those days, though Meta keeps leads for 90 days. A run now looks back to
 *   the last successful run (less an hour) when that is longer ago than a week, up to 90 days.
 * - A paused run whose job disappears is still failed by the scheduler (never RUNNING for ever); two
 *   triggers at once give one run and a 409.
 */
import { JobsService } from '../../src/jobs/jobs.service';
import { SyncProcessor } from '../../src/modules/sync/sync-processor';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

interface RunRow {
  status: string;
  error: string | null;
  job_id: string | null;
  fetched: number;
  created: number;
  cursor_after: string | null;
}

const DAY = 24 * 3600;

describe('audit 20: sync runs wait out rate limits, Meta reconciles what it still keeps', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    graph = await FakeServer.start();
    t = await createTestApp({ env: { APP_ROLE: 'all', GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url } });
    sub = await createSubAccount(t, 'MAX', 'Audit 20 sync');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
    await graph.close();
  });

  const runOf = async (runId: string): Promise<RunRow> =>
    (
      await t.sql.query<RunRow>(
        'SELECT status, error, job_id, fetched, created, cursor_after FROM sync_runs WHERE id = $1::bigint',
        [runId],
      )
    ).rows[0];
  const trigger = async (integrationId: number): Promise<string> => {
    const res = await t.http.post(`/api/integrations/${integrationId}/sync`).set('authorization', admin);
    expect(res.status).toBe(202);
    return res.body.runId as string;
  };
  const ended = (runId: string, timeoutMs = 45_000): Promise<RunRow> =>
    waitFor(
      async () => {
        const row = await runOf(runId);
        return row.status !== 'RUNNING' ? row : undefined;
      },
      timeoutMs,
      `sync run ${runId}`,
    );
  /** The run once it is paused: RUNNING, with "paused until <ISO>" in error. */
  const paused = (runId: string): Promise<RunRow & { until: number }> =>
    waitFor(
      async () => {
        const row = await runOf(runId);
        // a failed run is what the old code did: fail the test at once rather than time out
        if (row.status !== 'RUNNING') return { ...row, until: NaN };
        const at = /^paused until (\S+): the provider's rate limit/.exec(row.error ?? '')?.[1];
        return at ? { ...row, until: Date.parse(at) } : undefined;
      },
      30_000,
      `sync run ${runId} paused`,
    );
  const jobStart = async (jobId: string): Promise<number> =>
    (
      await t.sql.query<{ start_after: Date }>('SELECT start_after FROM pgboss.job WHERE id = $1::uuid', [jobId])
    ).rows[0].start_after.getTime();
  const ghlIntegration = async (locationId: string): Promise<number> => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId });
    await activate(t, sub, integration.id);
    return integration.id;
  };
  const contacts = (locationId: string, n: number): FakeReply => ({
    status: 200,
    body: {
      contacts: Array.from({ length: n }, (_, i) => ({
        id: `${locationId}-${i}`,
        email: `${locationId}-${i}@audit20.example`,
        locationId,
        searchAfter: [i],
      })),
      total: n,
    },
  });
  const locationOf = (body: unknown): string => (body as { locationId: string }).locationId;

  it('a Retry-After over a minute pauses the run; its next job, once due, goes on from the last page and succeeds', async () => {
    const id = await ghlIntegration('loc_a20_resume');
    let calls = 0;
    ghl.on('POST', '/contacts/search', (req) => {
      if (locationOf(req.body) !== 'loc_a20_resume') return { status: 500, body: {} };
      calls += 1;
      return calls === 1
        ? { status: 429, headers: { 'retry-after': '90' }, body: { message: 'Too many requests' } }
        : contacts('loc_a20_resume', 3);
    });
    const runId = await trigger(id);
    const run = await paused(runId);
    expect(run.status).toBe('RUNNING');
    expect(run.job_id).toEqual(expect.any(String));
    // the 90 s pass: the integration's calls are no longer held and the run's next job is due now
    await t.sql.query('UPDATE rate_limit_buckets SET paused_until = NULL WHERE key = $1', [
      `outbound:integration:${id}`,
    ]);
    await t.sql.query("UPDATE pgboss.job SET start_after = now() WHERE id = $1::uuid AND state = 'created'", [
      run.job_id,
    ]);
    expect(await ended(runId)).toMatchObject({ status: 'SUCCEEDED', fetched: 3, created: 3, error: null });
    expect(calls).toBe(2);
    const read = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(read.body.lastSyncStatus).toBe('SUCCEEDED');
  }, 60_000);

  it('429s whose short Retry-After outlasts the client retries fail the run as before: no pause on a guess', async () => {
    const id = await ghlIntegration('loc_a20_short');
    ghl.on('POST', '/contacts/search', (req) =>
      locationOf(req.body) === 'loc_a20_short'
        ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } }
        : { status: 500, body: {} },
    );
    const run = await ended(await trigger(id));
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('Too many requests');
    expect(ghl.requests.filter((r) => locationOf(r.body) === 'loc_a20_short')).toHaveLength(4);
  }, 60_000);

  it.each([
    ['seconds', (): string => '3600', 3_600_000],
    ['an HTTP-date', (): string => new Date(Date.now() + 7_200_000).toUTCString(), 7_200_000],
  ])(
    'a Retry-After of an hour or more (%s) pauses the run, visible and 409 to a trigger, instead of failing it',
    async (form, value, wait) => {
      const location = `loc_a20_long_${form.replace(/\W/g, '')}`;
      const id = await ghlIntegration(location);
      ghl.on('POST', '/contacts/search', (req) =>
        locationOf(req.body) === location
          ? { status: 429, headers: { 'retry-after': value() }, body: { message: 'Too many requests' } }
          : { status: 500, body: {} },
      );
      const before = Date.now();
      const runId = await trigger(id);
      const run = await paused(runId);
      expect(run.status).toBe('RUNNING');
      expect(run.error).toContain('Too many requests');
      expect(run.until).toBeGreaterThanOrEqual(before + wait - 2_000);
      expect(run.until).toBeLessThanOrEqual(Date.now() + wait + 1_000);
      // the run's next job is due then, and the API lists the run as running with its reason
      expect(run.job_id).toEqual(expect.any(String));
      expect(Math.abs((await jobStart(run.job_id ?? '')) - run.until)).toBeLessThan(1_000);
      const list = await t.http.get(`/api/integrations/${id}/sync-runs`).set('authorization', admin);
      expect(list.body.items[0]).toMatchObject({ id: runId, status: 'RUNNING', error: run.error, finishedAt: null });
      const again = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
      expect(again.status).toBe(409);
      expect(again.body.details).toEqual([{ jobId: run.job_id, runId }]);
      // the scheduler's orphan check leaves a paused run alone: its job is queued
      const processor = t.app.get(SyncProcessor);
      await processor.failOrphans(new Date(Date.now() + 120_000));
      expect((await runOf(runId)).status).toBe('RUNNING');
      expect(ghl.requests.filter((r) => locationOf(r.body) === location)).toHaveLength(1);
    },
    60_000,
  );

  it('a negative Retry-After is no Retry-After: backed off (no retry storm), then the run fails as for any throttle that names no wait', async () => {
    const id = await ghlIntegration('loc_a20_negative');
    ghl.on('POST', '/contacts/search', (req) =>
      locationOf(req.body) === 'loc_a20_negative'
        ? { status: 429, headers: { 'retry-after': '-5' }, body: { message: 'Too many requests' } }
        : { status: 500, body: {} },
    );
    const run = await ended(await trigger(id));
    expect(run.status).toBe('FAILED');
    const stamps = ghl.requests.filter((r) => locationOf(r.body) === 'loc_a20_negative').map((r) => r.at);
    expect(stamps).toHaveLength(4);
    // jittered exponential backoff from 500 ms, not four calls in the same instant
    expect(stamps[3] - stamps[0]).toBeGreaterThanOrEqual(((500 + 1000 + 2000) / 2) * 0.9);
  }, 60_000);

  it("Meta's business use case throttle (HTTP 400, code 80001) pauses the run for estimated_time_to_regain_access", async () => {
    const pageId = '2020202001';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({
      status: 400,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [pageId]: [
            { type: 'pages', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 30 },
          ],
        }),
      },
      body: {
        error: {
          message: 'There have been too many calls from this Page. Wait a bit and try again.',
          type: 'OAuthException',
          code: 80001,
          fbtrace_id: 'A20',
        },
      },
    }));
    const before = Date.now();
    const runId = await trigger(integration.id);
    const run = await paused(runId);
    expect(run.status).toBe('RUNNING');
    expect(run.until).toBeGreaterThanOrEqual(before + 30 * 60_000 - 2_000);
    expect(run.until).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 1_000);
    const read = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
    expect(read.body.status).toBe('active');
    expect(graph.count('GET', `/${pageId}/leadgen_forms`)).toBe(1);

    // like a 429, the throttle holds the integration's other calls back: a lead webhook meanwhile is
    // stored and retried later, its lead not fetched from a Graph that said to wait
    graph.on('GET', '/A20WH', () => ({ status: 200, body: { id: 'A20WH', field_data: [] } }));
    const body = metaLeadgen(pageId, ['A20WH'], 'A20F');
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body.status).toBe('received');
    const event = await waitFor(
      async () =>
        (
          await t.sql.query<{ status: string; attempts: number; last_error: string | null }>(
            'SELECT status, attempts, last_error FROM webhook_events WHERE id = $1',
            [res.body.eventId],
          )
        ).rows.find((e) => e.last_error !== null),
      20_000,
      'the webhook event attempt',
    );
    expect(event.last_error).toMatch(/asked to wait/);
    expect(event.status).not.toBe('PROCESSED');
    expect(graph.count('GET', '/A20WH')).toBe(0);
  }, 60_000);

  it('Meta reconciliation reaches back to the last successful run when that is longer ago than a week', async () => {
    const pageId = '2020202002';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    const now = Math.floor(Date.now() / 1000);
    const leads = [
      { id: 'A20L3', days: 3 },
      { id: 'A20L20', days: 20 },
      { id: 'A20L120', days: 120 }, // older than Meta keeps
    ];
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: 'A20F' }] } }));
    graph.on('GET', '/A20F', () => ({ status: 200, body: { id: 'A20F', name: 'Audit 20 form', questions: [] } }));
    graph.on('GET', '/A20F/leads', (req) => {
      const [filter] = JSON.parse(req.query.get('filtering') ?? '[]') as Array<{ value: number }>;
      const data = leads
        .filter((l) => now - l.days * DAY > filter.value)
        .map((l) => ({
          id: l.id,
          form_id: 'A20F',
          created_time: new Date((now - l.days * DAY) * 1000).toISOString().replace('Z', '+0000'),
          field_data: [{ name: 'email', values: [`${l.id.toLowerCase()}@audit20.example`] }],
        }));
      return { status: 200, body: { data } };
    });
    const first = await ended(await trigger(integration.id));
    expect(first).toMatchObject({ status: 'SUCCEEDED', fetched: 1, created: 1 });
    expect(JSON.parse(first.cursor_after ?? 'null')).toEqual({ syncedUntil: expect.any(Number) });

    // as if every sync since had failed for 25 days: the next run reaches back to then (less an hour)
    await t.sql.query("UPDATE sync_runs SET cursor_after = $2 WHERE integration_id = $1 AND status = 'SUCCEEDED'", [
      integration.id,
      JSON.stringify({ syncedUntil: now - 25 * DAY }),
    ]);
    const second = await ended(await trigger(integration.id));
    expect(second).toMatchObject({ status: 'SUCCEEDED', fetched: 2, created: 1 });
    const filters = graph.requests
      .filter((r) => r.path === '/A20F/leads')
      .map((r) => (JSON.parse(r.query.get('filtering') ?? '[]') as Array<{ value: number }>)[0].value);
    expect(filters[0]).toBeGreaterThanOrEqual(now - 7 * DAY);
    expect(filters[1]).toBe(now - 25 * DAY - 3600);
    const stored = await t.sql.query<{ email: string }>(
      "SELECT email FROM leads WHERE sub_account_id = $1 AND email LIKE 'a20l%' ORDER BY email",
      [sub],
    );
    expect(stored.rows.map((r) => r.email)).toEqual(['a20l20@audit20.example', 'a20l3@audit20.example']);
  }, 60_000);

  it('a paused run whose job is gone is failed by the scheduler: never RUNNING for ever', async () => {
    const id = await ghlIntegration('loc_a20_orphan');
    ghl.on('POST', '/contacts/search', (req) =>
      locationOf(req.body) === 'loc_a20_orphan'
        ? { status: 429, headers: { 'retry-after': '86400' }, body: { message: 'Daily limit reached' } }
        : { status: 500, body: {} },
    );
    const runId = await trigger(id);
    const run = await paused(runId);
    expect(run.status).toBe('RUNNING');
    await t.sql.query('DELETE FROM pgboss.job WHERE id = $1::uuid', [run.job_id]);
    expect(await t.app.get<JobsService>(JobsService).getJob('integration-sync', run.job_id ?? '')).toBeNull();
    expect(await t.app.get(SyncProcessor).failOrphans(new Date(Date.now() + 120_000))).toBeGreaterThanOrEqual(1);
    expect(await runOf(runId)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/worker stopped/) });
    // and the integration can sync again
    const again = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(again.status).toBe(202);
  }, 60_000);

  it('the orphan check reaches an orphan behind 500 runs that are legitimately waiting', async () => {
    const template = await ghlIntegration('loc_a20_many');
    // 501 integrations, each with a RUNNING run whose job is queued (paused runs look like this), then an orphan
    await t.sql.query(
      `INSERT INTO integrations (sub_account_id, template_id, handler, name, config, key_id, webhook_id, webhook_secret,
                                 created_by, updated_at)
       SELECT sub_account_id, template_id, handler, name || ' ' || g, config, key_id, webhook_id || '-a20-' || g,
              webhook_secret, created_by, now()
         FROM integrations, generate_series(1, 502) g WHERE id = $1`,
      [template],
    );
    const ids = (
      await t.sql.query<{ id: number }>("SELECT id FROM integrations WHERE webhook_id LIKE '%-a20-%' ORDER BY id")
    ).rows.map((r) => r.id);
    const queued = await t.app
      .get<JobsService>(JobsService)
      .send('integration-sync', { runId: 999_999_998n }, { startAfter: new Date(Date.now() + 3_600_000) });
    await t.sql.query(
      `INSERT INTO sync_runs (integration_id, sub_account_id, trigger, job_id, started_at)
       SELECT id, sub_account_id, 'schedule', $2, now() - interval '10 minutes' FROM integrations WHERE id = ANY($1)`,
      [ids.slice(0, 501), queued],
    );
    const orphan = (
      await t.sql.query<{ id: string }>(
        `INSERT INTO sync_runs (integration_id, sub_account_id, trigger, job_id, started_at)
         VALUES ($1, $2, 'schedule', gen_random_uuid()::text, now() - interval '10 minutes') RETURNING id::text`,
        [ids[501], sub],
      )
    ).rows[0].id;
    expect(await t.app.get(SyncProcessor).failOrphans()).toBe(1);
    expect(await runOf(orphan)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/worker stopped/) });
    await t.sql.query('DELETE FROM integrations WHERE id = ANY($1)', [ids]);
  }, 60_000);

  it('two triggers at once start one run; the other answers 409 with its job', async () => {
    const id = await ghlIntegration('loc_a20_twice');
    ghl.on('POST', '/contacts/search', (req) =>
      locationOf(req.body) === 'loc_a20_twice'
        ? { ...contacts('loc_a20_twice', 2), delayMs: 1_500 }
        : { status: 500, body: {} },
    );
    const answers = await Promise.all(
      [0, 1].map(() => t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin)),
    );
    const started = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0].body).toMatchObject({ code: 'CONFLICT' });
    expect(refused[0].body.details).toEqual([{ jobId: started[0].body.jobId, runId: started[0].body.runId }]);
    expect(await ended(started[0].body.runId as string)).toMatchObject({ status: 'SUCCEEDED', fetched: 2 });
    const runs = await t.sql.query('SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1', [id]);
    expect(runs.rows[0].n).toBe(1);
  }, 60_000);
});
