// A backlog of stored webhook events drained by one worker with flat memory (issue 14 point 6): an
// API-only process (APP_ROLE=api) acknowledges and stores N signed Google Ads lead deliveries while
// no worker runs; then one worker (APP_ROLE=worker) of the same deployment drains them. Printed: the
// drain rate, the worker's RSS at every tenth of the backlog and its peak (VmHWM), and the same
// exactly-once checks as bench/lead-e2e. See bench/README.md.
//
// Flat memory is proven by a bound, not by a curve: the worker runs with its V8 heap capped
// (--max-old-space-size, 256 MiB by default), so anything kept per event would end it with an
// out-of-memory crash long before 100,000 events (V8 grows a heap lazily up to its cap and collects
// late, so the RSS curve alone rises and falls whatever the program keeps).
//
//   npm run bench:backlog-drain [-- --deliveries 100000 --repeat-ratio 0.2 --concurrency 32 --heap-mib 256 --no-build --keep-db]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Api, createActiveIntegration } from './support/api';
import { Check, percentile, printChecks, table } from './support/report';
import { machineLine, memoryOf } from './support/cpu';
import { createDatabase } from './support/database';
import { deliveries, leadOutcome, outcomeChecks, progress, Progress, sendAll } from './support/lead-deliveries';
import { build, sleep, startApp, startWorker } from './support/processes';
import { runBench } from './support/lifecycle';

const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '100000' },
    'repeat-ratio': { type: 'string', default: '0.2' },
    concurrency: { type: 'string', default: '32' },
    timeout: { type: 'string', default: '1800' },
    seed: { type: 'string', default: '42' },
    'heap-mib': { type: 'string', default: '256' },
    'no-build': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
  },
});
const N = Number(args.deliveries);
const REPEAT_RATIO = Number(args['repeat-ratio']);
const CONCURRENCY = Number(args.concurrency);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const HEAP_MIB = Number(args['heap-mib']);

interface Milestone {
  tenth: number;
  processed: number;
  seconds: number;
  rssMiB: number;
}

async function main(): Promise<boolean> {
  process.stdout.write(
    `backlog-drain: ${N} deliveries stored with no worker running, then one worker drains them; ${machineLine()}\n`,
  );
  build(args['no-build']);
  const db = await createDatabase(args['keep-db']);
  const app = await startApp({ role: 'api', databaseUrl: db.url });
  const api = Api.forApp(app);
  const googleKey = `bench-google-key-${randomBytes(8).toString('hex')}`;
  const integration = await createActiveIntegration(api, 'google-ads-lead-forms', { googleKey });
  const { list, people, repeatedPeople } = deliveries(googleKey, N, REPEAT_RATIO, Number(args.seed));
  process.stdout.write(
    `database ${db.name}; api pid ${app.child.pid}; ${list.length} deliveries for ${people.length} people\n`,
  );

  const t0 = Date.now();
  const stats = await sendAll(app.base, integration.webhookPath, list, CONCURRENCY);
  const ackSeconds = (stats.lastAckAt - t0) / 1000;
  let stored = await progress(db);
  while (stored.total < N && Date.now() - t0 < TIMEOUT_MS) {
    await sleep(200); // the ingest batcher commits what it acknowledged within milliseconds
    stored = await progress(db);
  }
  process.stdout.write(
    `stored ${stored.total} events in ${ackSeconds.toFixed(1)} s (${(N / ackSeconds).toFixed(0)}/s acknowledged); ${stored.processed} processed before any worker ran\n`,
  );

  const worker = startWorker(app, [`--max-old-space-size=${HEAP_MIB}`]);
  const started = Date.now();
  let peakRssMiB = 0;
  const memTimer = setInterval(() => {
    peakRssMiB = Math.max(peakRssMiB, memoryOf(worker.pid)?.rssMiB ?? 0);
  }, 100);
  const milestones: Milestone[] = [];
  let last: Progress;
  for (;;) {
    await sleep(250);
    last = await progress(db);
    const done = last.processed + last.failed;
    while (milestones.length < 10 && done >= (N * (milestones.length + 1)) / 10) {
      milestones.push({
        tenth: milestones.length + 1,
        processed: last.processed,
        seconds: (Date.now() - started) / 1000,
        rssMiB: memoryOf(worker.pid)?.rssMiB ?? 0,
      });
      const m = milestones[milestones.length - 1];
      process.stdout.write(
        `  ${String(m.tenth * 10).padStart(3)}% drained after ${m.seconds.toFixed(0)} s, worker RSS ${m.rssMiB.toFixed(0)} MiB\n`,
      );
    }
    if (done >= last.total) break;
    if (Date.now() - started > TIMEOUT_MS) break;
    if (worker.exited()) break; // an out-of-memory crash fails the checks below
  }
  clearInterval(memTimer);
  const mem = memoryOf(worker.pid);
  const span = await db.sql.query<{ first_ms: string | null; last_ms: string | null }>(
    `SELECT (extract(epoch FROM min(processed_at)) * 1000)::bigint AS first_ms,
            (extract(epoch FROM max(processed_at)) * 1000)::bigint AS last_ms
       FROM webhook_events WHERE status = 'PROCESSED'`,
  );
  const drainSeconds = (Number(span.rows[0].last_ms ?? 0) - Number(span.rows[0].first_ms ?? 0)) / 1000;
  const outcome = await leadOutcome(db, integration.subAccountId);
  const lat = [...stats.latenciesMs].sort((a, b) => a - b);
  const warm = milestones[0]?.rssMiB ?? 0;
  const peak = Math.max(peakRssMiB, mem?.hwmMiB ?? 0);

  process.stdout.write(
    `\n${table(
      ['drained', 'after s', 'worker RSS MiB'],
      milestones.map((m) => [`${m.tenth * 10}%`, m.seconds.toFixed(1), m.rssMiB.toFixed(0)]),
    )}\n\n${table(
      ['measure', 'value'],
      [
        ['backlog', `${stored.total} events stored by the API process alone`],
        [
          'ack latency p50 / p99 (no worker)',
          `${percentile(lat, 50).toFixed(1)} / ${percentile(lat, 99).toFixed(1)} ms`,
        ],
        ['drain time', `${drainSeconds.toFixed(1)} s (first → last processed_at)`],
        ['drain rate', `${(last.processed / drainSeconds).toFixed(0)} events/s`],
        ['worker peak RSS', `${peak.toFixed(0)} MiB (VmHWM ${mem?.hwmMiB.toFixed(0) ?? '?'} MiB)`],
        ['worker RSS after the first tenth → at the end', `${warm.toFixed(0)} → ${(mem?.rssMiB ?? 0).toFixed(0)} MiB`],
      ],
    )}\n`,
  );

  const checks: Check[] = [
    {
      name: 'every delivery acknowledged once',
      ok: stats.received === N && stats.networkErrors === 0 && stats.non2xx.size === 0,
      detail: `${stats.received} received, ${stats.networkErrors} network errors`,
    },
    ...outcomeChecks(outcome, { deliveries: N, people: people.length, repeatedPeople }, last),
    {
      name: `drained within a ${HEAP_MIB} MiB heap (flat memory)`,
      ok: milestones.length === 10 && !worker.exited(),
      detail: worker.exited()
        ? `the worker exited: ${worker.tail().split('\n').slice(-3).join(' | ')}`
        : `peak RSS ${peak.toFixed(0)} MiB for ${N} events`,
    },
  ];
  const ok = printChecks(checks);
  process.stdout.write(`at the end: ${machineLine()}\n`);
  return ok;
}

runBench(main);
