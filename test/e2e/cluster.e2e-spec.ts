// Issue 14 point 8: 2 API + 2 worker processes (the real entry point) against one database behave
// as one service. Signed deliveries go to both API processes (a fifth of them repeats), one worker
// is SIGKILLed midway; meanwhile a GoHighLevel sync runs as a chain of jobs on both workers while both
// API processes call the same location's calendars: every event is processed exactly once, no lead
// is doubled, and the fake GoHighLevel (100 requests per 10 s, enforced) never sees more than that.
import { ChildProcess } from 'node:child_process';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { freePort, waitForHealthy } from '../support/free-port';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';
import { startWorker } from '../support/worker-process';

const LEADS = 100; // distinct Meta leads; every fourth shares its e-mail with the one before
const REPEATS = 25; // deliveries sent again (the same signed body): answered duplicate
const CONTACTS = 120; // distinct GoHighLevel contacts, repeated over full pages of 500 (a short last page ends the run)
const ENTRIES = 5 * 500 + 200; // six pages, each its own job (SYNC_PAGES_PER_JOB=1), on either worker
const CALENDAR_CALLS = 160; // through the API processes, on the same location's budget
const GHL_LIMIT = 100;
const GHL_WINDOW_MS = 10_000;

const emailOf = (i: number): string => `cluster${i % 4 === 3 ? i - 1 : i}@example.com`;

/** The most arrivals in one window [t, t + windowMs), over every t that is an arrival. */
function maxInAnyWindow(stamps: number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}

describe('a cluster of 2 API and 2 worker processes on one database', () => {
  let t: TestApp;
  let graph: FakeServer;
  let ghl: FakeServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    graph = await FakeServer.start();
    ghl = await FakeServer.start();
    // fixtures and assertions only: the service under test is the four child processes
    t = await createTestApp({ env: { APP_ROLE: 'api' } });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t.close();
    await graph.close();
    await ghl.close();
  });

  it('processes every event exactly once, doubles no lead, and keeps the shared provider budget', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const crm = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    await activate(t, sub, meta.id);
    await activate(t, sub, crm.id);

    graph.on('GET', /^\/55\d+$/, (req) => {
      const i = Number(req.path.slice(3));
      return {
        status: 200,
        delayMs: 100, // jobs in flight when the worker is killed
        body: { id: req.path.slice(1), field_data: [{ name: 'email', values: [emailOf(i)] }] },
      };
    });
    let refusedByGhl = 0;
    const ghlBudget = (at: number): boolean => {
      if (ghl.requests.filter((r) => r.at > at - GHL_WINDOW_MS).length <= GHL_LIMIT) return true;
      refusedByGhl += 1;
      return false;
    };
    ghl.on('POST', '/contacts/search', (req) => {
      if (!ghlBudget(req.at)) return { status: 429, headers: { 'retry-after': '10' }, body: { message: 'Too many' } };
      const body = req.body as { searchAfter?: number[] };
      const start = body.searchAfter ? body.searchAfter[0] + 1 : 0;
      const positions = Array.from({ length: Math.max(0, Math.min(500, ENTRIES - start)) }, (_, k) => start + k);
      const contacts = positions.map((p) => ({
        id: `g${p % CONTACTS}`,
        email: `ghl${p % CONTACTS}@example.com`,
        searchAfter: [p],
      }));
      return { status: 200, body: { contacts } };
    });
    ghl.on('GET', '/calendars/', (req) =>
      ghlBudget(req.at)
        ? { status: 200, body: { calendars: [{ id: 'cal1', name: 'Demo' }] } }
        : { status: 429, headers: { 'retry-after': '10' }, body: { message: 'Too many' } },
    );

    const shared = {
      META_GRAPH_URL: graph.url,
      GHL_API_URL: ghl.url,
      WEBHOOK_CACHE_TTL_MS: '0',
      SYNC_PAGES_PER_JOB: '1',
      DB_POOL_SIZE: '4',
      JOBS_POOL_SIZE: '2',
      // the killed worker may hold a sync page's job: with the production lease (900 s) its retry
      // would come long after this test's patience; a 10 s lease (renewed every ~3 s by the live
      // worker's heartbeat) and 2 s maintenance hand it to the other worker within seconds
      JOB_LEASE_SECONDS: '10',
      JOBS_MAINTENANCE_SECONDS: '2',
    };
    // the sync starts on whichever worker claims it; its later jobs go to either. Queued before the
    // workers start: their sync-scheduler would otherwise start a scheduled run of this never-synced
    // integration at a minute boundary while the API processes boot, and this request would be a 409
    const admin = `Bearer ${t.token('ADMIN', [sub])}`;
    const sync = await t.http.post(`/api/integrations/${crm.id}/sync`).set('authorization', admin);
    expect(sync.status).toBe(202);
    const { runId } = sync.body as { runId: string };

    const apiPorts = [await freePort(), await freePort()];
    const apis = apiPorts.map((port) =>
      startWorker(t.db.url, { ...shared, APP_ROLE: 'api', PORT: String(port), HOST: '127.0.0.1' }),
    );
    const workers = [startWorker(t.db.url, shared), startWorker(t.db.url, shared)];
    children.push(...apis, ...workers);
    // five Node processes start at once on two cores: give them time
    await Promise.all(apiPorts.map((port) => waitForHealthy(port, 240_000)));

    // deliveries spread over both API processes, the repeats among them
    const bodies = Array.from({ length: LEADS }, (_, i) => metaLeadgen(META_CONFIG.pageId, [`55${i}`]));
    const sends = [...bodies, ...bodies.slice(0, REPEATS)];
    const answers: Array<{ status: number; outcome: string }> = [];
    const deliver = async (k: number): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${apiPorts[k % 2]}/api/webhooks/meta-lead-ads`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': metaSignature(sends[k], META_CONFIG.appSecret),
        },
        body: sends[k],
      });
      const body = (await res.json()) as { status?: string };
      answers.push({ status: res.status, outcome: body.status ?? '' });
    };
    // the calendars of the same location, through both API processes, while the sync runs
    const calendarStatuses: number[] = [];
    let nextCalendarCall = 0;
    const calendars = async (lane: number): Promise<void> => {
      while (nextCalendarCall < CALENDAR_CALLS) {
        nextCalendarCall += 1;
        const res = await fetch(`http://127.0.0.1:${apiPorts[lane % 2]}/api/integrations/${crm.id}/ghl/calendars`, {
          headers: { authorization: admin },
        });
        await res.arrayBuffer();
        calendarStatuses.push(res.status);
      }
    };
    const calendarLoad = Promise.all([0, 1, 2, 3].map((lane) => calendars(lane)));

    let sent = 0;
    const senders = Array.from({ length: 4 }, async () => {
      while (sent < sends.length) await deliver(sent++);
    });
    // kill one worker once it is in the middle of the work
    await waitFor(
      async () =>
        (await t.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE status = 'PROCESSED'")).rows[0].n >=
        LEADS / 4,
      120_000,
      'a quarter of the events processed',
    );
    workers[0].kill('SIGKILL');
    await Promise.all(senders);
    await calendarLoad;

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.outcome === 'received')).toHaveLength(LEADS);
    expect(answers.filter((a) => a.outcome === 'duplicate')).toHaveLength(REPEATS);
    expect(calendarStatuses.filter((s) => s !== 200)).toEqual([]);

    await waitFor(
      async () => {
        const { rows } = await t.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'PROCESSED'",
          [meta.id],
        );
        return rows[0].n === LEADS;
      },
      120_000,
      'every event PROCESSED',
    );
    const run = await waitFor(
      async () => {
        const { rows } = await t.sql.query('SELECT status, pages, fetched, created FROM sync_runs WHERE id = $1', [
          runId,
        ]);
        return rows[0]?.status !== 'RUNNING' ? rows[0] : undefined;
      },
      120_000,
      'the sync run',
    );
    expect(run).toEqual({ status: 'SUCCEEDED', pages: 6, fetched: ENTRIES, created: CONTACTS });

    // exactly once in effect: one touch per delivered lead, one lead per e-mail
    const touches = await t.sql.query<{ n: number; distinct: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS distinct FROM lead_sources WHERE platform = 'meta' AND sub_account_id = $1",
      [sub],
    );
    expect(touches.rows[0]).toEqual({ n: LEADS, distinct: LEADS });
    const metaLeads = await t.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND email LIKE 'cluster%'",
      [sub],
    );
    expect(metaLeads.rows[0].n).toBe(new Set(Array.from({ length: LEADS }, (_, i) => emailOf(i))).size);
    const ghlLeads = await t.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT email)::int AS d FROM leads WHERE sub_account_id = $1 AND email LIKE 'ghl%'",
      [sub],
    );
    expect(ghlLeads.rows[0]).toEqual({ n: CONTACTS, d: CONTACTS });

    // the provider's budget held between the four processes
    expect(refusedByGhl).toBe(0);
    expect(ghl.requests.filter((r) => r.path === '/calendars/')).toHaveLength(CALENDAR_CALLS);
    // six pages; a page whose job outlived its 3 s lease on this busy machine is fetched again by the
    // attempt that took the run over (and committed once: the counts above are exact)
    expect(ghl.requests.filter((r) => r.path === '/contacts/search').length).toBeGreaterThanOrEqual(6);
    expect(
      maxInAnyWindow(
        ghl.requests.map((r) => r.at),
        GHL_WINDOW_MS,
      ),
    ).toBeLessThanOrEqual(GHL_LIMIT);
    // the sync really ran on both workers: the killed one may have started it, the other finished it
    const jobs = await t.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'integration-sync' AND data->>'runId' = $1",
      [runId],
    );
    expect(jobs.rows[0].n).toBeGreaterThan(1);
  }, 600_000);
});
