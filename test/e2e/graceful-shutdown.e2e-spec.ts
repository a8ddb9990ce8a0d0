// SIGTERM under load (issue 14 point 3): the real entry point (APP_ROLE=all) stops accepting HTTP,
// answers what it has in flight, stops claiming jobs and lets the running ones finish, and only then
// closes its pools: no 5xx, no failed job, and the events being processed at SIGTERM end PROCESSED.
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { freePort, waitForHealthy } from '../support/free-port';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';
import { startWorker } from '../support/worker-process';

describe('graceful shutdown under load', () => {
  let t: TestApp;
  let graph: FakeServer;

  beforeAll(async () => {
    graph = await FakeServer.start();
    // fixtures only: the process under test is a separate one
    t = await createTestApp({ env: { APP_ROLE: 'api', META_GRAPH_URL: graph.url } });
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  it('SIGTERM while deliveries arrive and jobs run: no 5xx, no failed job, running jobs finish, exit 0', async () => {
    const sub = await createSubAccount(t, 'MAX');
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    await activate(t, sub, meta.id);
    // every lead fetch takes a while, so that jobs are mid-flight when the signal comes
    graph.on('GET', /^\/9\d+$/, (req) => ({
      status: 200,
      delayMs: 300,
      body: {
        id: req.path.slice(1),
        field_data: [{ name: 'email', values: [`stop${req.path.slice(1)}@example.com`] }],
      },
    }));

    const port = await freePort();
    const child = startWorker(t.db.url, {
      APP_ROLE: 'all',
      PORT: String(port),
      HOST: '127.0.0.1',
      META_GRAPH_URL: graph.url,
      SHUTDOWN_TIMEOUT_MS: '20000',
      JOB_LEASE_SECONDS: '60',
      WEBHOOK_CACHE_TTL_MS: '0',
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const statuses: number[] = [];
    let refused = 0;
    let next = 9_000_000;
    let stop = false;
    try {
      await waitForHealthy(port);
      const sender = async (): Promise<void> => {
        while (!stop) {
          const body = metaLeadgen(META_CONFIG.pageId, [String(next++)]);
          try {
            const res = await fetch(`http://127.0.0.1:${port}/api/webhooks/meta-lead-ads`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-hub-signature-256': metaSignature(body, META_CONFIG.appSecret),
              },
              body,
            });
            await res.arrayBuffer();
            statuses.push(res.status);
          } catch {
            // the listener is closed: a load balancer would send this delivery to another process
            refused += 1;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const senders = Array.from({ length: 6 }, () => sender());
      const processing = await waitFor(
        async () => {
          const { rows } = await t.sql.query<{ id: string }>(
            "SELECT id::text FROM webhook_events WHERE status = 'PROCESSING'",
          );
          return statuses.length >= 30 && rows.length > 0 ? rows.map((r) => r.id) : undefined;
        },
        60_000,
        'deliveries acknowledged and events in processing',
      );
      child.kill('SIGTERM');
      const code = await exited;
      stop = true;
      await Promise.all(senders);

      expect(code).toBe(0); // 1 would mean the shutdown timed out and was forced
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(statuses.filter((s) => s >= 200 && s < 300).length).toBeGreaterThanOrEqual(30);
      expect(refused).toBeGreaterThan(0); // the load outlived the listener
      // the events being processed at SIGTERM were finished, not abandoned to a lease
      const { rows: after } = await t.sql.query<{ status: string }>(
        'SELECT status FROM webhook_events WHERE id = ANY($1::bigint[])',
        [processing],
      );
      expect(after.map((r) => r.status)).toEqual(processing.map(() => 'PROCESSED'));
      const { rows: counts } = await t.sql.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM webhook_events GROUP BY status',
      );
      const byStatus = Object.fromEntries(counts.map((r) => [r.status, r.n]));
      expect(byStatus.FAILED).toBeUndefined();
      expect(byStatus.PROCESSING).toBeUndefined();
      // every acknowledged delivery is stored (processed, or pending for the next worker)
      const stored = counts.reduce((sum, r) => sum + r.n, 0);
      expect(stored).toBe(statuses.filter((s) => s >= 200 && s < 300).length);
      const { rows: failedJobs } = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'failed'",
      );
      expect(failedJobs[0].n).toBe(0);
    } finally {
      stop = true;
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 150_000);
});
