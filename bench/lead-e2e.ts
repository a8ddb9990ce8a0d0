// End-to-end lead throughput of the all-in-one app (APP_ROLE=all: HTTP + workers) on a fresh
// PostgreSQL database: N signed Google Ads lead deliveries, a share of them new lead ids for people
// already sent (they must merge), until every event is processed. See bench/README.md.
//
//   npm run bench:lead-e2e [-- --deliveries 20000 --repeat-ratio 0.2 --concurrency 32 --warmup 2000 --split --preload 1000000 --no-rollup --no-build --cpu-prof --pg-sample --keep-db]
//
// --warmup N (2,000 unless said) first sends N deliveries of the same mix to another sub-account's
// integration and waits until they are processed: the measured run starts on a warm process (JIT,
// connections, prepared statements), as a deployed service is. A cold start's first second answered
// p50 45 / p99 150-250 ms and put 250-330 of a run's 20,000 acknowledgements above 50 ms (more than
// the 1 % a p99 allows) on its own. The warm-up's acknowledgement latency is printed too;
// --warmup 0 measures from the cold start.
//
// --split runs the HTTP side and the workers as two processes (APP_ROLE=api and APP_ROLE=worker)
// instead of one APP_ROLE=all process.
//
// --preload N stores N leads (each with its e-mail and external-id identities and one source) in
// the sub-account before the run, to show the cost per lead does not grow with the leads stored
// (issue 14 point 5): compare the end-to-end rate and the lead_identities index tuples read per
// delivery with and without it.
//
// --no-rollup disables the analytics rollup writer (the deferred triggers that add each new lead to
// analytics_daily in its transaction, and keep conversion paths on a touch) in the run's database, to measure what it costs per lead
// (issue 13 point 10: < 10 % of the lead write): compare runs with and without it.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { deliveries, leadOutcome, outcomeChecks, progress, Progress, sendAll } from './support/lead-deliveries';
import { Api, createActiveIntegration } from './support/api';
import { Check, percentile, printChecks, table } from './support/report';
import { CpuMeter, machineLine, memoryOf } from './support/cpu';
import { backendsOf, BenchDatabase, createDatabase } from './support/database';
import { build, Child, RunningApp, sleep, startApp, startWorker } from './support/processes';
import { newProfileDir, summariseProfiles } from './support/profile';
import { runBench } from './support/lifecycle';
import {
  ActivitySampler,
  dbCounters,
  DbCounters,
  identityIndexReads,
  printTableStats,
  tableStats,
} from './support/pg-stats';

const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '20000' },
    'repeat-ratio': { type: 'string', default: '0.2' },
    concurrency: { type: 'string', default: '32' },
    timeout: { type: 'string', default: '900' },
    seed: { type: 'string', default: '42' },
    'no-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'pg-sample': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    preload: { type: 'string', default: '0' },
    'no-rollup': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '2000' },
    split: { type: 'boolean', default: false },
  },
});
const PRELOAD = Number(args.preload);
const WARMUP = Number(args.warmup);
const NO_ROLLUP = args['no-rollup'];
/**
 * The rollup writer's triggers a delivery fires, by table: on leads (20261201150100_issue13_analytics_rollup)
 * and the conversion paths' on lead_sources (20261202600000).
 */
const ROLLUP_TRIGGERS: ReadonlyArray<readonly [string, string]> = [
  ['leads', 'analytics_lead_created'],
  ['leads', 'analytics_lead_became_real'],
  ['lead_sources', 'analytics_touch_written'],
];
const N = Number(args.deliveries);
const REPEAT_RATIO = Number(args['repeat-ratio']);
const CONCURRENCY = Number(args.concurrency);
const TIMEOUT_MS = Number(args.timeout) * 1000;
/** Issue 14 point 6. */
const TARGET_LEADS_PER_S = 1000;
const TARGET_ACK_P99_MS = 50;

/**
 * N leads already in the sub-account, as the pipeline would have stored them (identities by e-mail
 * and external id, one source each), written in batches by set-based SQL; then VACUUM ANALYZE, as
 * autovacuum would have by the time a sub-account holds that many, and a CHECKPOINT: a sub-account
 * that grew to a million leads over months has no million fresh rows' hint bits to set and dirty
 * pages to write back, which the measured run would otherwise pay for (its ack p99 was 53–63 ms with
 * the preload against 35–39 ms without).
 */
async function preload(db: BenchDatabase, subAccountId: number, integrationId: number, n: number): Promise<void> {
  const started = Date.now();
  const batch = 100_000;
  // The rollup writer adds each lead's rows to analytics_daily at commit, one upsert per lead: 100,000
  // leads of one sub-account and day in ONE transaction update the same four rollup rows 100,000
  // times, and each upsert walks every earlier version of its row that the transaction made (none can
  // be pruned before it commits), so a batch costs O(n²) (measured: 10,000 rows 17 s, 20,000 rows
  // 83 s). A bulk load writes the rollup as the rebuild does instead, set-based, once at the end.
  await setTriggers(db, ROLLUP_TRIGGERS, false);
  for (let from = 0; from < n; from += batch) {
    const to = Math.min(n, from + batch) - 1;
    await db.sql.query(
      `WITH l AS (
         INSERT INTO leads (sub_account_id, full_name, email, phone_valid, updated_at)
         SELECT $1, 'Preloaded ' || g, 'preload' || g || '@preload.example.com', true, now() FROM generate_series($3::int, $4::int) g
         RETURNING id, email),
       i AS (
         INSERT INTO lead_identities (sub_account_id, key, lead_id)
         SELECT $1, k.key, l.id FROM l, LATERAL (VALUES ('email:' || l.email), ('ext:google:pre-' || l.id)) k(key))
       INSERT INTO lead_sources (lead_id, sub_account_id, integration_id, platform, external_id, origin)
       SELECT l.id, $1, $2, 'google', 'pre-' || l.id, 'preload' FROM l`,
      [subAccountId, integrationId, from, to],
    );
    process.stdout.write(`  preloaded ${to + 1} leads (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  if (!NO_ROLLUP) await setTriggers(db, ROLLUP_TRIGGERS, true);
  await db.sql.query('SELECT analytics_rebuild($1, NULL, NULL)', [subAccountId]);
  process.stdout.write(`  rollup rebuilt (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  await db.sql.query('VACUUM (ANALYZE) leads, lead_identities, lead_sources, analytics_daily');
  await db.sql.query('CHECKPOINT');
  process.stdout.write(`  vacuumed and checkpointed (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

/** Enables or disables triggers on leads in the run's database (the app is idle meanwhile). */
async function setTriggers(
  db: BenchDatabase,
  triggers: ReadonlyArray<readonly [string, string]>,
  enabled: boolean,
): Promise<void> {
  for (const [table, name] of triggers)
    await db.sql.query(`ALTER TABLE ${table} ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${name}`);
}

/**
 * WARMUP deliveries of the same mix to another sub-account's integration, drained before the
 * measured run: its counts, rates and latencies start on a warm process.
 */
async function warmUp(api: Api, app: RunningApp, db: BenchDatabase, worker?: Child): Promise<void> {
  const key = `bench-warmup-key-${randomBytes(8).toString('hex')}`;
  const target = await createActiveIntegration(api, 'google-ads-lead-forms', { googleKey: key });
  const { list } = deliveries(key, WARMUP, REPEAT_RATIO, Number(args.seed) + 1);
  const started = Date.now();
  const stats = await sendAll(app.base, target.webhookPath, list, CONCURRENCY);
  for (;;) {
    const p = await progress(db, target.integrationId);
    if (p.processed + p.failed >= WARMUP) break;
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`the warm-up did not drain: ${JSON.stringify(p)}`);
    if (app.child.exited() || worker?.exited())
      throw new Error(`the app exited during the warm-up:\n${app.child.tail()}`);
    await sleep(200);
  }
  const lat = [...stats.latenciesMs].sort((a, b) => a - b);
  process.stdout.write(
    `warm-up: ${WARMUP} deliveries to sub-account ${target.subAccountId} (a cold start) acknowledged with p50 ${percentile(lat, 50).toFixed(1)} / p99 ${percentile(lat, 99).toFixed(1)} ms, processed in ${((Date.now() - started) / 1000).toFixed(1)} s; not counted below\n`,
  );
}

async function main(): Promise<boolean> {
  process.stdout.write(
    `lead-e2e: ${N} deliveries, ${REPEAT_RATIO * 100}% repeats of earlier people, ${CONCURRENCY} in flight; ${machineLine()}\n`,
  );
  build(args['no-build']);
  const db = await createDatabase(args['keep-db']);
  const profileDir = args['cpu-prof'] ? newProfileDir() : undefined;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const app = await startApp({ role: args.split ? 'api' : 'all', databaseUrl: db.url, nodeArgs });
  const worker = args.split ? startWorker(app, nodeArgs) : undefined;
  const api = Api.forApp(app);
  const googleKey = `bench-google-key-${randomBytes(8).toString('hex')}`;
  const integration = await createActiveIntegration(api, 'google-ads-lead-forms', { googleKey });
  if (PRELOAD > 0) await preload(db, integration.subAccountId, integration.integrationId, PRELOAD);
  else if (NO_ROLLUP) await setTriggers(db, ROLLUP_TRIGGERS, false);
  const { list, people, repeatedPeople } = deliveries(googleKey, N, REPEAT_RATIO, Number(args.seed));
  process.stdout.write(
    `database ${db.name}; app pid ${app.child.pid}${worker ? ` (APP_ROLE=api) and worker pid ${worker.pid}` : ''} at ${app.base}; google-ads-lead-forms integration ${integration.integrationId} (${integration.webhookPath})\n` +
      `${list.length} deliveries for ${people.length} people (${list.length - people.length} repeats of ${repeatedPeople} people)\n`,
  );
  if (WARMUP > 0) await warmUp(api, app, db, worker);

  const meterSql = await db.connect();
  const meter = new CpuMeter(async () => [
    { pid: app.child.pid, group: worker ? 'api process' : 'app process' },
    ...(worker ? [{ pid: worker.pid, group: 'worker process' }] : []),
    ...(await backendsOf(meterSql, db.name))
      .filter((b) => b.app !== 'bench-runner')
      .map((b) => ({ pid: b.pid, group: 'postgres (app backends)' })),
  ]);
  const sampler = args['pg-sample'] ? new ActivitySampler(db) : undefined;
  let peakRssMiB = 0;
  const memTimer = setInterval(() => {
    peakRssMiB = Math.max(peakRssMiB, memoryOf(app.child.pid)?.rssMiB ?? 0);
  }, 100);

  await sleep(1500); // the preload's counters reach pg_stat within a second of going idle
  const countersBefore = await dbCounters(db);
  const tablesBefore = await tableStats(db);
  const identityReadsBefore = await identityIndexReads(db);
  await meter.start();
  await sampler?.start();
  const t0 = Date.now();
  let sendDone = false;
  const sending = sendAll(app.base, integration.webhookPath, list, CONCURRENCY).finally(() => {
    sendDone = true;
  });
  sending.catch(() => undefined);

  let last: Progress;
  let lastPrint = 0;
  for (;;) {
    await sleep(500); // the finish time is read from processed_at, so polling need not be fine
    last = await progress(db, integration.integrationId);
    if (Date.now() - lastPrint >= 5000) {
      lastPrint = Date.now();
      process.stdout.write(
        `  ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  stored ${last.total}  processed ${last.processed}  failed ${last.failed}  rss ${(memoryOf(app.child.pid)?.rssMiB ?? 0).toFixed(0)} MiB${sendDone ? '  (all acknowledged)' : ''}\n`,
      );
    }
    if (sendDone && last.processed + last.failed >= last.total && last.total >= N) break;
    if (Date.now() - t0 > TIMEOUT_MS) break;
    if (app.child.exited()) throw new Error(`the app exited:\n${app.child.tail()}`);
    if (worker?.exited()) throw new Error(`the worker exited:\n${worker.tail()}`);
  }
  const observedDoneAt = Date.now();
  const stats = await sending;
  sampler?.stop();
  const cpu = await meter.stop();
  clearInterval(memTimer);
  const mem = memoryOf(app.child.pid);
  peakRssMiB = Math.max(peakRssMiB, mem?.rssMiB ?? 0);

  await sleep(1500); // backends report their counters to pg_stat_database within a second of going idle
  const countersAfter = await dbCounters(db);
  const tablesAfter = await tableStats(db);
  const identityReadsAfter = await identityIndexReads(db);
  const finished = await db.sql.query<{ last_ms: string | null }>(
    "SELECT (extract(epoch FROM max(processed_at)) * 1000)::bigint AS last_ms FROM webhook_events WHERE status = 'PROCESSED' AND integration_id = $1",
    [integration.integrationId],
  );
  const lastProcessedAt = Number(finished.rows[0].last_ms ?? observedDoneAt);
  const outcome = await leadOutcome(db, integration.subAccountId);
  const { leads, sources, merged } = outcome;

  const ackSeconds = (stats.lastAckAt - t0) / 1000;
  const e2eSeconds = (lastProcessedAt - t0) / 1000;
  const ackRate = N / ackSeconds;
  const e2eRate = last.processed / e2eSeconds;
  const lat = [...stats.latenciesMs].sort((a, b) => a - b);

  process.stdout.write(
    `\n${table(
      ['measure', 'value'],
      [
        [
          'deliveries acknowledged',
          `${stats.received} received, ${stats.duplicate} duplicate (retries ${stats.retries})`,
        ],
        ['acknowledgement time', `${ackSeconds.toFixed(1)} s`],
        ['acknowledgement rate', `${ackRate.toFixed(0)} deliveries/s`],
        ['ack latency p50 / p99', `${percentile(lat, 50).toFixed(1)} / ${percentile(lat, 99).toFixed(1)} ms`],
        ['end-to-end time', `${e2eSeconds.toFixed(1)} s (first send → last event PROCESSED)`],
        [
          'end-to-end rate',
          `${e2eRate.toFixed(0)} leads/s (deliveries processed per second; ${(people.length / e2eSeconds).toFixed(0)} distinct leads/s)`,
        ],
        [
          'peak RSS of the app',
          `${Math.max(peakRssMiB, mem?.hwmMiB ?? 0).toFixed(0)} MiB (VmHWM ${mem?.hwmMiB.toFixed(0) ?? '?'} MiB; RSS at end ${mem?.rssMiB.toFixed(0) ?? '?'} MiB)`,
        ],
        ['events', `${last.total} stored, ${last.processed} PROCESSED, ${last.failed} FAILED`],
        ['leads preloaded in the sub-account', String(PRELOAD)],
        ['processes', worker ? 'APP_ROLE=api + APP_ROLE=worker (--split)' : 'one APP_ROLE=all'],
        ['analytics rollup writer', NO_ROLLUP ? 'disabled (--no-rollup)' : 'enabled'],
        [
          'lead_identities index tuples read per delivery',
          [...identityReadsAfter]
            .map(([name, n]) => `${name} ${((n - (identityReadsBefore.get(name) ?? 0)) / N).toFixed(2)}`)
            .join(', '),
        ],
        [
          'leads / lead_sources',
          `${leads} / ${sources} (expected ${people.length} / ${N}); ${merged} leads with merged sources (expected ${repeatedPeople})`,
        ],
      ],
    )}\n`,
  );
  const wall = (lastProcessedAt - t0) / 1000;
  process.stdout.write(
    `\nCPU during the run (${meter.wallSeconds.toFixed(1)} s wall, 2 cores = ${(2 * meter.wallSeconds).toFixed(0)} core-s available):\n${table(
      ['process group', 'CPU s', 'cores busy', 'CPU ms per delivery'],
      [...cpu].map(([group, s]) => [
        group,
        s.toFixed(1),
        (s / meter.wallSeconds).toFixed(2),
        ((s * 1000) / N).toFixed(2),
      ]),
    )}\n`,
  );
  const per = (k: keyof DbCounters): string => ((countersAfter[k] - countersBefore[k]) / N).toFixed(1);
  process.stdout.write(
    `per delivery in PostgreSQL (pg_stat_database; fetched includes the runner's progress polling): ${per('commits')} commits, ${per('rollbacks')} rollbacks, ` +
      `${per('inserted')} rows inserted, ${per('updated')} updated, ${per('fetched')} fetched; ${(Number(per('walBytes')) / 1024).toFixed(1)} KiB WAL (server-wide)\n`,
  );
  printTableStats(tablesBefore, tablesAfter, N);
  if (stats.non2xx.size || stats.networkErrors) {
    process.stdout.write(
      `non-2xx answers: ${JSON.stringify(Object.fromEntries(stats.non2xx))}, network errors ${stats.networkErrors}; e.g. ${stats.samples.join(' | ')}\n`,
    );
  }
  if (last.failed) {
    const failures = await db.sql.query<{ last_error: string | null; n: string }>(
      "SELECT last_error, count(*) AS n FROM webhook_events WHERE status = 'FAILED' GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
    );
    process.stdout.write(`failed events: ${JSON.stringify(failures.rows)}\n`);
  }
  sampler?.print();

  const non2xx = [...stats.non2xx.values()].reduce((a, b) => a + b, 0);
  const checks: Check[] = [
    {
      name: `end-to-end ≥ ${TARGET_LEADS_PER_S} leads/s`,
      ok: last.processed === N && e2eRate >= TARGET_LEADS_PER_S,
      detail: `${e2eRate.toFixed(0)} leads/s (${N} in ${wall.toFixed(1)} s)`,
    },
    {
      name: `acknowledgement p99 ≤ ${TARGET_ACK_P99_MS} ms while the workers drain`,
      ok: percentile(lat, 99) <= TARGET_ACK_P99_MS,
      detail: `${percentile(lat, 99).toFixed(1)} ms`,
    },
    {
      name: 'every delivery acknowledged once',
      ok: stats.received === N && non2xx === 0 && stats.networkErrors === 0,
      detail: `${stats.received} received, ${non2xx} non-2xx, ${stats.networkErrors} network errors`,
    },
    ...outcomeChecks(outcome, { deliveries: N, people: people.length, repeatedPeople }, last),
  ];
  const ok = printChecks(checks);
  process.stdout.write(`at the end: ${machineLine()}\n`);
  if (profileDir) {
    await worker?.stop();
    await app.child.stop();
    summariseProfiles(profileDir);
  }
  return ok;
}

runBench(main);
