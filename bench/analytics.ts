// Dashboard latency on a generated history (issue 13 point 10): leads with status histories, agent
// activities and ad spend over two years across many sub-accounts (generated in SQL), then every
// analytics endpoint over 7 days, 90 days and 2 years: p95 per endpoint, against the same figures
// computed from the raw tables in the same run (the ratio printed), and answers checked equal.
//
//   npm run bench:analytics [-- --leads 10000000 --subs 100 --requests 20 --no-build --keep-db]
//
// The full scale (10M leads) needs tens of GB and an hour of generation; --leads scales it down.
import { parseArgs } from 'node:util';
import { machineLine } from './support/cpu';
import { createDatabase } from './support/database';
import { runBench } from './support/lifecycle';
import { build, startApp } from './support/processes';
import { Check, percentile, printChecks, table } from './support/report';
import { signToken } from '../src/common/auth/dev-token';

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '10000000' },
    subs: { type: 'string', default: '100' },
    requests: { type: 'string', default: '20' },
    'no-build': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
  },
});
const LEADS = Number(args.leads);
const SUBS = Number(args.subs);
const REQUESTS = Number(args.requests);
const TARGET_P95_MS = 200;
const ZONES = ['UTC', 'America/Sao_Paulo', 'Asia/Kolkata', 'Europe/Berlin', 'America/New_York'];
const TO = '2026-11-29';
const RANGES: Record<string, string> = { '7d': '2026-11-23', '90d': '2026-09-01', '2y': '2024-11-30' };

const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

runBench(async () => {
  log(`analytics bench: ${LEADS.toLocaleString()} leads over ${SUBS} sub-accounts, ${REQUESTS} requests per cell`);
  log(machineLine());
  build(args['no-build']);
  const db = await createDatabase(args['keep-db']);
  const app = await startApp({ role: 'api', databaseUrl: db.url });

  // ---- data, generated in SQL (the triggers are off during the load; the rollup is then rebuilt)
  const gen = await timed(async () => {
    await db.sql.query(
      `INSERT INTO sub_accounts (name, timezone, updated_at)
       SELECT 'bench ' || i, ($2::text[])[1 + i % array_length($2::text[], 1)], now() FROM generate_series(1, $1) i`,
      [SUBS, ZONES],
    );
    await db.sql.query('ALTER TABLE leads DISABLE TRIGGER USER');
    await db.sql.query('ALTER TABLE lead_status_changes DISABLE TRIGGER USER');
    await db.sql.query('ALTER TABLE lead_activities DISABLE TRIGGER USER');
    await db.sql.query(
      `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_campaign_id, is_test, status)
       SELECT s.id, TIMESTAMPTZ '${TO}T23:00:00Z' - (random() * 730 * 86400) * interval '1 second', now(),
              (ARRAY['meta','google-ads','linkedin','manual'])[1 + (i % 4)], 'c' || (i % 20), i % 97 = 0, 'NEW'
       FROM generate_series(1, $1) i JOIN sub_accounts s ON s.id = 1 + (i % $2)`,
      [LEADS, SUBS],
    );
    // histories: 60 % contacted after a day, 30 % qualified after two, 15 % converted after three, 10 % lost
    await db.sql.query(`
      INSERT INTO lead_status_changes (sub_account_id, lead_id, from_status, to_status, at, by, origin, assigned_user_id)
      SELECT l.sub_account_id, l.id, st.f::"LeadStatus", st.t::"LeadStatus", l.created_at + st.d * interval '1 day',
             'bench', 'api', 'agent' || (l.id % 10)
      FROM leads l, LATERAL (VALUES ('NEW', 'CONTACTED', 1, 0, 60), ('CONTACTED', 'QUALIFIED', 2, 0, 30),
                                    ('QUALIFIED', 'CONVERTED', 3, 0, 15), ('CONTACTED', 'LOST', 2, 50, 60)) st(f, t, d, lo, hi)
      WHERE l.id % 100 >= st.lo AND l.id % 100 < st.hi`);
    await db.sql.query(`
      UPDATE leads l SET status = c.to_status FROM (
        SELECT DISTINCT ON (lead_id) lead_id, to_status FROM lead_status_changes ORDER BY lead_id, at DESC, id DESC) c
      WHERE c.lead_id = l.id`);
    await db.sql.query(`
      INSERT INTO lead_activities (sub_account_id, lead_id, type, outcome, user_id, occurred_at, duration_seconds, created_by)
      SELECT sub_account_id, id, 'CALL', CASE WHEN id % 3 = 0 THEN 'ANSWERED' ELSE 'NO_ANSWER' END::"ActivityOutcome",
             'agent' || (id % 10), created_at + interval '2 hours', 60, 'bench'
      FROM leads WHERE id % 2 = 0`);
    for (const table of ['leads', 'lead_status_changes', 'lead_activities'])
      await db.sql.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    await db.sql.query('ANALYZE');
  });
  const rebuild = await timed(async () => {
    for (let sub = 1; sub <= SUBS; sub++) await db.sql.query('SELECT analytics_rebuild($1, NULL, NULL)', [sub]);
    await db.sql.query('ANALYZE analytics_daily');
  });
  const counts = (
    await db.sql.query<{ leads: string; changes: string; rollup: string }>(
      `SELECT (SELECT count(*) FROM leads)::text AS leads, (SELECT count(*) FROM lead_status_changes)::text AS changes,
              (SELECT count(*) FROM analytics_daily)::text AS rollup`,
    )
  ).rows[0];
  log(
    `generated in ${(gen.ms / 1000).toFixed(1)} s: ${counts.leads} leads, ${counts.changes} status changes; ` +
      `rollup rebuilt in ${(rebuild.ms / 1000).toFixed(1)} s (${counts.rollup} rows)`,
  );

  // ---- endpoints vs raw SQL over the same range
  const token = signToken({ role: 'SUPER_ADMIN', subAccountIds: [] }, { secret: app.jwtSecret });
  const getJson = async (path: string): Promise<unknown> => {
    const res = await fetch(`${app.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const endpoints: Record<string, (sub: number, from: string) => string> = {
    overview: (s, f) => `/api/analytics/overview?subAccountId=${s}&from=${f}&to=${TO}`,
    'timeseries day': (s, f) =>
      `/api/analytics/timeseries?subAccountId=${s}&from=${f}&to=${TO}&metric=newLeads&granularity=day`,
    'timeseries month by source': (s, f) =>
      `/api/analytics/timeseries?subAccountId=${s}&from=${f}&to=${TO}&metric=convertedLeads&granularity=month&groupBy=source`,
    funnel: (s, f) => `/api/analytics/funnel?subAccountId=${s}&from=${f}&to=${TO}`,
    team: (s, f) => `/api/analytics/team?subAccountId=${s}&from=${f}&to=${TO}`,
    attribution: (s, f) => `/api/analytics/attribution?subAccountId=${s}&from=${f}&to=${TO}&model=linear`,
    'snapshots daily': (s, f) => `/api/analytics/snapshots?subAccountId=${s}&from=${f}&to=${TO}&period=DAILY`,
  };
  // the overview's totals from the raw tables (what the original plan's COUNT queries did)
  const rawTotals = async (sub: number, from: string): Promise<{ newLeads: number; convertedLeads: number }> => {
    const r = await db.sql.query<{ n: string; c: string }>(
      `WITH z AS (SELECT timezone FROM sub_accounts WHERE id = $1)
       SELECT (SELECT count(*) FROM leads, z WHERE sub_account_id = $1 AND NOT is_test
                 AND created_at >= ($2::date::timestamp AT TIME ZONE z.timezone) AND created_at < (($3::date + 1)::timestamp AT TIME ZONE z.timezone))::text AS n,
              (SELECT count(*) FROM lead_status_changes c JOIN leads l ON l.id = c.lead_id AND NOT l.is_test, z
                WHERE c.sub_account_id = $1 AND c.to_status = 'CONVERTED'
                  AND c.at >= ($2::date::timestamp AT TIME ZONE z.timezone) AND c.at < (($3::date + 1)::timestamp AT TIME ZONE z.timezone))::text AS c`,
      [sub, from, TO],
    );
    return { newLeads: Number(r.rows[0].n), convertedLeads: Number(r.rows[0].c) };
  };
  const rows: Array<Array<string | number>> = [];
  const checks: Check[] = [];
  for (const [label, from] of Object.entries(RANGES)) {
    for (const [name, path] of Object.entries(endpoints)) {
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) times.push((await timed(() => getJson(path(1 + (i % SUBS), from)))).ms);
      times.sort((a, b) => a - b);
      const p95 = percentile(times, 95);
      let ratio = '';
      if (name === 'overview') {
        const raw: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          const sub = 1 + (i % SUBS);
          const [viaApi, viaRaw] = [
            (await getJson(path(sub, from))) as { totals: { newLeads: number; convertedLeads: number } },
            await timed(() => rawTotals(sub, from)),
          ];
          raw.push(viaRaw.ms);
          const same =
            viaApi.totals.newLeads === viaRaw.value.newLeads &&
            viaApi.totals.convertedLeads === viaRaw.value.convertedLeads;
          if (!same)
            checks.push({
              name: `overview ${label} sub ${sub} equals raw`,
              ok: false,
              detail: JSON.stringify([viaApi.totals, viaRaw.value]),
            });
        }
        raw.sort((a, b) => a - b);
        ratio = `raw p95 ${percentile(raw, 95).toFixed(1)} ms = ${(percentile(raw, 95) / p95).toFixed(2)}x`;
      }
      rows.push([label, name, percentile(times, 50).toFixed(1), p95.toFixed(1), ratio]);
      checks.push({
        name: `${name} ${label} p95 < ${TARGET_P95_MS} ms`,
        ok: p95 < TARGET_P95_MS,
        detail: `${p95.toFixed(1)} ms`,
      });
    }
  }
  log('');
  log(table(['range', 'endpoint', 'p50 ms', 'p95 ms', 'raw-table overview totals (same run)'], rows));
  return printChecks(checks);
});
