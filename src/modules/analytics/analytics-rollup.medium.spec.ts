// The rollup's SQL writers: the incremental triggers and analytics_rebuild() agree row for row, in tenant-local days.
import { Client } from 'pg';
import { createMediumApp, MediumApp } from '../../../test/support/medium-app';

interface RollupRow {
  day: string;
  dim_type: string;
  dim_id: string;
  metric: string;
  count: string;
  sum: string;
}

describe('analytics rollup (triggers and rebuild)', () => {
  let m: MediumApp;
  const rollup = async (sub: number): Promise<RollupRow[]> =>
    (
      await m.sql.query<RollupRow>(
        // a counter is the sum of its shards (incremental writes land in the writer's, a rebuild in 0);
        // a funnel set every lead of the day has moved on from is an empty counter, which a rebuild omits
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, dim_type, dim_id, metric, sum(count)::text AS count,
                sum(sum)::text AS sum
         FROM analytics_daily WHERE sub_account_id = $1 GROUP BY 1, 2, 3, 4
         HAVING dim_type NOT IN ('reached', 'reached_campaign') OR sum(count) <> 0 ORDER BY 1, 2, 3, 4`,
        [sub],
      )
    ).rows;
  const subAccount = async (zone: string): Promise<number> =>
    (
      await m.sql.query<{ id: number }>(
        'INSERT INTO sub_accounts (name, timezone, updated_at) VALUES ($1, $2, now()) RETURNING id',
        [zone, zone],
      )
    ).rows[0].id;
  const lead = async (sub: number, createdAt: string, platform = 'meta', isTest = false): Promise<string> =>
    (
      await m.sql.query<{ id: string }>(
        `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_integration_id, origin_campaign_id, is_test)
         VALUES ($1, $2, now(), $3, 7, 'c1', $4) RETURNING id::text`,
        [sub, createdAt, platform, isTest],
      )
    ).rows[0].id;
  const setStatus = (sub: number, id: string, to: string, at: string): Promise<unknown> =>
    m.sql.query('SELECT lead_set_status($1, $2::bigint, $3::"LeadStatus", $4::timestamptz, $5, $6)', [
      sub,
      id,
      to,
      at,
      'u1',
      'api',
    ]);
  const rebuild = (sub: number, from: string | null = null, to: string | null = null): Promise<unknown> =>
    m.sql.query('SELECT analytics_rebuild($1, $2::date, $3::date)', [sub, from, to]);
  const metric = (rows: RollupRow[], dimType: string, name: string): Array<[string, string, string]> =>
    rows.filter((r) => r.dim_type === dimType && r.metric === name).map((r) => [r.day, r.dim_id, r.count]);

  beforeAll(async () => {
    m = await createMediumApp();
  });
  afterAll(async () => {
    await m.close();
  });

  const touch = async (sub: number, leadId: string, campaign: string, at: string): Promise<string> =>
    (
      await m.sql.query<{ id: string }>(
        `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, campaign_name, submitted_at)
         VALUES ($1, $2, 'meta', $3, $3, $4, 'Campaign ' || $4, $5) RETURNING id::text`,
        [leadId, sub, `x${leadId}-${campaign}-${at}`, campaign, at],
      )
    ).rows[0].id;
  const paths = async (sub: number): Promise<Array<{ lead: string; at: string; touches: unknown }>> =>
    (
      await m.sql.query<{ lead: string; at: string; touches: unknown }>(
        `SELECT lead_id::text AS lead, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS at, touches
         FROM analytics_conversion_paths WHERE sub_account_id = $1 ORDER BY change_id`,
        [sub],
      )
    ).rows;

  it('keeps each creation day’s funnel sets: a first-time status moves the lead, a repeat or a test lead does not', async () => {
    const sub = await subAccount('UTC');
    const a = await lead(sub, '2026-03-01T10:00:00Z');
    const b = await lead(sub, '2026-03-01T11:00:00Z');
    await lead(sub, '2026-03-01T12:00:00Z', 'meta', true); // a test lead: in no set
    // a: NEW → CONTACTED → QUALIFIED → CONTACTED (reached nothing new) → CONVERTED, one change in its own transaction
    await setStatus(sub, a, 'CONTACTED', '2026-03-02T10:00:00Z');
    await setStatus(sub, a, 'QUALIFIED', '2026-03-03T10:00:00Z');
    await setStatus(sub, a, 'CONTACTED', '2026-03-04T10:00:00Z');
    // b: two changes in one transaction (the deferred triggers run together at commit)
    await m.sql.query('BEGIN');
    await setStatus(sub, b, 'CONTACTED', '2026-03-02T10:00:00Z');
    await setStatus(sub, b, 'LOST', '2026-03-02T11:00:00Z');
    await m.sql.query('COMMIT');
    await setStatus(sub, a, 'CONVERTED', '2026-03-05T10:00:00Z');
    const incremental = await rollup(sub);
    // every set on the creation day (2026-03-01), whatever day the change happened
    expect(metric(incremental, 'reached_campaign', 'leads')).toEqual([
      ['2026-03-01', 'CONTACTED,CONVERTED,NEW,QUALIFIED|meta|c1', '1'],
      ['2026-03-01', 'CONTACTED,LOST,NEW|meta|c1', '1'],
    ]);
    // and per platform only (what an unfiltered funnel reads)
    expect(metric(incremental, 'reached', 'leads')).toEqual([
      ['2026-03-01', 'CONTACTED,CONVERTED,NEW,QUALIFIED|meta', '1'],
      ['2026-03-01', 'CONTACTED,LOST,NEW|meta', '1'],
    ]);
    await rebuild(sub);
    expect(await rollup(sub)).toEqual(incremental);
    await rebuild(sub, '2026-03-01', '2026-03-01');
    expect(await rollup(sub)).toEqual(incremental);
  });

  it('keeps every conversion’s path: touches up to it, oldest first; a late touch or a deleted one rewrites it', async () => {
    const sub = await subAccount('UTC');
    const a = await lead(sub, '2026-04-01T10:00:00Z');
    await touch(sub, a, 'c1', '2026-04-01T10:00:00Z');
    await touch(sub, a, 'c2', '2026-04-10T10:00:00Z'); // after the conversion: not in its path
    expect(await paths(sub)).toEqual([]); // no conversion, no path
    await setStatus(sub, a, 'CONVERTED', '2026-04-05T10:00:00Z');
    const first = ['meta', 'c1', 'Campaign c1', '2026-04-01T10:00:00.000Z'];
    expect(await paths(sub)).toEqual([{ lead: a, at: '2026-04-05T10:00', touches: [first] }]);
    // a touch that arrives late but happened before the conversion joins its path, in its place
    const late = await touch(sub, a, 'c3', '2026-04-03T10:00:00Z');
    const third = ['meta', 'c3', 'Campaign c3', '2026-04-03T10:00:00.000Z'];
    expect(await paths(sub)).toEqual([{ lead: a, at: '2026-04-05T10:00', touches: [first, third] }]);
    await m.sql.query('UPDATE lead_sources SET deleted_at = now() WHERE id = $1', [late]);
    expect(await paths(sub)).toEqual([{ lead: a, at: '2026-04-05T10:00', touches: [first] }]);
    // a second conversion (after LOST) has every touch up to it
    await setStatus(sub, a, 'LOST', '2026-04-11T10:00:00Z');
    await setStatus(sub, a, 'CONVERTED', '2026-04-12T10:00:00Z');
    const second = ['meta', 'c2', 'Campaign c2', '2026-04-10T10:00:00.000Z'];
    const both = [
      { lead: a, at: '2026-04-05T10:00', touches: [first] },
      { lead: a, at: '2026-04-12T10:00', touches: [first, second] },
    ];
    expect(await paths(sub)).toEqual(both);
    // the rebuild derives the same paths
    await m.sql.query('DELETE FROM analytics_conversion_paths WHERE sub_account_id = $1', [sub]);
    await rebuild(sub);
    expect(await paths(sub)).toEqual(both);
  });

  it('a test lead has no path, set or fact until a real touch makes it real: then all of them count, as a rebuild counts them', async () => {
    const sub = await subAccount('UTC');
    const t = await lead(sub, '2026-05-01T10:00:00Z', 'meta', true);
    await touch(sub, t, 'c1', '2026-05-01T10:00:00Z');
    await setStatus(sub, t, 'CONTACTED', '2026-05-02T10:00:00Z');
    await setStatus(sub, t, 'CONVERTED', '2026-05-03T10:00:00Z');
    expect(await paths(sub)).toEqual([]);
    expect(metric(await rollup(sub), 'reached', 'leads')).toEqual([]);
    await m.sql.query('UPDATE leads SET is_test = false WHERE id = $1', [t]);
    expect(await paths(sub)).toEqual([
      { lead: t, at: '2026-05-03T10:00', touches: [['meta', 'c1', 'Campaign c1', '2026-05-01T10:00:00.000Z']] },
    ]);
    const incremental = await rollup(sub);
    expect(metric(incremental, 'reached_campaign', 'leads')).toEqual([
      ['2026-05-01', 'CONTACTED,CONVERTED,NEW|meta|c1', '1'],
    ]);
    expect(metric(incremental, 'reached', 'leads')).toEqual([['2026-05-01', 'CONTACTED,CONVERTED,NEW|meta', '1']]);
    await rebuild(sub);
    expect(await rollup(sub)).toEqual(incremental);
  });

  it('buckets facts by the local day of America/Sao_Paulo across its 2018 DST start, as a rebuild does', async () => {
    const sub = await subAccount('America/Sao_Paulo');
    // 2018-11-04 00:00 local became 01:00 (UTC-3 -> UTC-2): 02:59Z on the 4th is still the 3rd (23:59 -03)
    const a = await lead(sub, '2018-11-04T02:59:00Z');
    // 03:00Z on the 4th is 01:00 -02 on the 4th (the skipped midnight hour never existed)
    const b = await lead(sub, '2018-11-04T03:00:00Z');
    await lead(sub, '2018-11-04T10:00:00Z', 'meta', true); // a test lead: never counted
    await setStatus(sub, a, 'CONVERTED', '2018-11-05T01:59:00Z'); // 23:59 -02 on the 4th
    await setStatus(sub, b, 'LOST', '2018-11-05T02:00:00Z'); // 00:00 -02 on the 5th
    const incremental = await rollup(sub);
    expect(metric(incremental, 'source', 'new')).toEqual([
      ['2018-11-03', 'meta|7', '1'],
      ['2018-11-04', 'meta|7', '1'],
    ]);
    expect(metric(incremental, 'source', 'converted')).toEqual([['2018-11-04', 'meta|7', '1']]);
    expect(metric(incremental, 'source', 'lost')).toEqual([['2018-11-05', 'meta|7', '1']]);
    // the NEW stock: +1 on the 3rd, +1 -1 on the 4th, -1 on the 5th
    expect(metric(incremental, 'status', 'net').filter(([, s]) => s === 'NEW')).toEqual([
      ['2018-11-03', 'NEW', '1'],
      ['2018-11-04', 'NEW', '0'],
      ['2018-11-05', 'NEW', '-1'],
    ]);
    await rebuild(sub);
    expect(await rollup(sub)).toEqual(incremental);
    await rebuild(sub, '2018-11-04', '2018-11-04');
    expect(await rollup(sub)).toEqual(incremental);
  });

  // A provider's status changes dated before the hub created the lead (a GoHighLevel opportunity won
  // before its contact reached the hub): the stock counted the changes' -1/+1 on their own days and the
  // lead's +1 only from its creation, so the days between answered NEW -1 beside CONVERTED +1.
  it('counts a change dated before its lead in the status stock from the lead’s creation, its conversion on its own day', async () => {
    const sub = await subAccount('UTC');
    const id = await lead(sub, '2026-03-10T12:00:00Z');
    await setStatus(sub, id, 'CONTACTED', '2026-03-03T09:00:00Z');
    await setStatus(sub, id, 'CONVERTED', '2026-03-04T09:00:00Z');
    await setStatus(sub, id, 'LOST', '2026-03-12T09:00:00Z');
    // the same for a test lead made real: its back-dated change joins the stock at its creation
    const madeReal = await lead(sub, '2026-03-20T12:00:00Z', 'meta', true);
    await setStatus(sub, madeReal, 'QUALIFIED', '2026-03-15T09:00:00Z');
    await m.sql.query('UPDATE leads SET is_test = false WHERE id = $1', [madeReal]);
    const incremental = await rollup(sub);
    expect(metric(incremental, 'source', 'converted')).toEqual([['2026-03-04', 'meta|7', '1']]);
    expect(metric(incremental, 'source', 'lost')).toEqual([['2026-03-12', 'meta|7', '1']]);
    expect(metric(incremental, 'status', 'net').filter(([, , n]) => n !== '0')).toEqual([
      ['2026-03-10', 'CONVERTED', '1'],
      ['2026-03-12', 'CONVERTED', '-1'],
      ['2026-03-12', 'LOST', '1'],
      ['2026-03-20', 'QUALIFIED', '1'],
    ]);
    // the stock at the end of each day, as stockAtDay and stockAt (the facts, a range ending inside a day) read it
    const stockAtDay = async (day: string): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await m.sql.query<{ s: string; n: string }>(
            `SELECT dim_id AS s, sum(count)::text AS n FROM analytics_daily
             WHERE sub_account_id = $1 AND dim_type = 'status' AND metric = 'net' AND day <= $2::date
             GROUP BY 1 HAVING sum(count) <> 0`,
            [sub, day],
          )
        ).rows.map((r) => [r.s, Number(r.n)]),
      );
    const stockAt = async (end: string): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await m.sql.query<{ s: string; n: string }>(
            `SELECT dim_id AS s, sum(n)::text AS n FROM analytics_fact_rows($1, '-infinity', $2::timestamptz)
             WHERE dim_type = 'status' AND metric = 'net' GROUP BY 1 HAVING sum(n) <> 0`,
            [sub, end],
          )
        ).rows.map((r) => [r.s, Number(r.n)]),
      );
    expect(await stockAtDay('2026-03-05')).toEqual({});
    expect(await stockAt('2026-03-10T11:00:00Z')).toEqual({});
    expect(await stockAtDay('2026-03-10')).toEqual({ CONVERTED: 1 });
    expect(await stockAt('2026-03-10T13:00:00Z')).toEqual({ CONVERTED: 1 });
    expect(await stockAtDay('2026-03-12')).toEqual({ LOST: 1 });
    // the fact rows of a range holding only the creation carry the back-dated nets, and only them
    const creationDay = await m.sql.query<{ metric: string; s: string; n: string }>(
      `SELECT metric, dim_id AS s, sum(n)::text AS n
       FROM analytics_fact_rows($1, '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z')
       WHERE dim_type = 'status' GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
      [sub],
    );
    expect(creationDay.rows).toEqual([
      { metric: 'entered', s: 'NEW', n: '1' },
      { metric: 'net', s: 'CONVERTED', n: '1' },
    ]);
    await rebuild(sub);
    expect(await rollup(sub)).toEqual(incremental);
    await rebuild(sub, '2026-03-04', '2026-03-04');
    expect(await rollup(sub)).toEqual(incremental);
    await rebuild(sub, '2026-03-10', '2026-03-10');
    expect(await rollup(sub)).toEqual(incremental);
  });

  it('uses the half-hour offset of Asia/Kolkata, and a time-zone change plus rebuild moves the days', async () => {
    const sub = await subAccount('Asia/Kolkata');
    await lead(sub, '2026-03-08T18:29:00Z'); // 23:59 IST on the 8th
    await lead(sub, '2026-03-08T18:30:00Z'); // 00:00 IST on the 9th
    expect(metric(await rollup(sub), 'source', 'new')).toEqual([
      ['2026-03-08', 'meta|7', '1'],
      ['2026-03-09', 'meta|7', '1'],
    ]);
    await m.sql.query("UPDATE sub_accounts SET timezone = 'UTC' WHERE id = $1", [sub]);
    await rebuild(sub);
    expect(metric(await rollup(sub), 'source', 'new')).toEqual([['2026-03-08', 'meta|7', '2']]);
  });

  it('concurrent writers of one sub-account add to their own shards; folds and rebuilds keep the sums', async () => {
    const sub = await subAccount('America/Sao_Paulo');
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = new Client({ connectionString: m.db.url });
        await c.connect();
        return c;
      }),
    );
    try {
      // six transactions at once, each with 20 leads of the same day (the same counters) and a conversion
      await Promise.all(
        clients.map(async (c, i) => {
          await c.query('BEGIN');
          for (let n = 0; n < 20; n++) {
            const { rows } = await c.query<{ id: string }>(
              `INSERT INTO leads (sub_account_id, created_at, updated_at, origin_platform, origin_integration_id, origin_campaign_id)
               VALUES ($1, $2, now(), 'meta', 7, 'c1') RETURNING id::text`,
              [sub, `2026-05-0${1 + (n % 2)}T1${i}:00:00Z`],
            );
            if (n === 0)
              await c.query(`SELECT lead_set_status($1, $2::bigint, 'CONVERTED', '2026-05-03T12:00:00Z', 'u', 'api')`, [
                sub,
                rows[0].id,
              ]);
          }
          await c.query('COMMIT');
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const shards = await m.sql.query<{ n: string }>(
      'SELECT count(DISTINCT shard)::text AS n FROM analytics_daily WHERE sub_account_id = $1',
      [sub],
    );
    expect(Number(shards.rows[0].n)).toBeGreaterThan(1);
    const incremental = await rollup(sub);
    expect(metric(incremental, 'source', 'new')).toEqual([
      ['2026-05-01', 'meta|7', '60'],
      ['2026-05-02', 'meta|7', '60'],
    ]);
    expect(metric(incremental, 'source', 'converted')).toEqual([['2026-05-03', 'meta|7', '6']]);
    // the hourly fold moves the shards of days before the given one into shard 0, sums unchanged
    await m.sql.query('SELECT analytics_compact($1, $2::date)', [sub, '2026-05-02']);
    const unfolded = await m.sql.query<{ day: string; n: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, count(*)::text AS n FROM analytics_daily
        WHERE sub_account_id = $1 AND shard <> 0 GROUP BY 1 ORDER BY 1`,
      [sub],
    );
    expect(unfolded.rows.map((r) => r.day)).not.toContain('2026-05-01');
    expect(unfolded.rows.map((r) => r.day)).toContain('2026-05-02');
    expect(await rollup(sub)).toEqual(incremental);
    await rebuild(sub);
    const rebuilt = await m.sql.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM analytics_daily WHERE sub_account_id = $1 AND shard <> 0',
      [sub],
    );
    expect(rebuilt.rows[0].n).toBe('0');
    expect(await rollup(sub)).toEqual(incremental);
  });

  it('writes the rollup in the fact’s transaction: a rolled-back fact leaves nothing', async () => {
    const sub = await subAccount('UTC');
    await m.sql.query('BEGIN');
    await lead(sub, '2026-01-01T10:00:00Z');
    await m.sql.query('ROLLBACK');
    expect(await rollup(sub)).toEqual([]);
  });

  it('counts assignments, calls and conversions per agent; late activities land on their own day', async () => {
    const sub = await subAccount('UTC');
    const a = await lead(sub, '2026-01-01T10:00:00Z');
    await m.sql.query(
      "INSERT INTO lead_assignments (sub_account_id, lead_id, to_user_id, at, by) VALUES ($1, $2, 'ana', '2026-01-01T11:00Z', 'x')",
      [sub, a],
    );
    await m.sql.query("UPDATE leads SET assigned_user_id = 'ana' WHERE id = $1", [a]);
    await m.sql.query(
      `INSERT INTO lead_activities (sub_account_id, lead_id, type, outcome, user_id, occurred_at, duration_seconds, created_by)
       VALUES ($1, $2, 'CALL', 'ANSWERED', 'ana', '2025-12-30T09:00Z', 90, 'x'),
              ($1, $2, 'CALL', 'NO_ANSWER', 'ana', '2026-01-01T12:00Z', NULL, 'x')`,
      [sub, a],
    );
    await setStatus(sub, a, 'CONVERTED', '2026-01-02T08:00:00Z');
    const rows = await rollup(sub);
    expect(rows.filter((r) => r.dim_type === 'user').map((r) => [r.day, r.metric, r.count, r.sum])).toEqual([
      ['2025-12-30', 'activities', '1', '0.0000'],
      ['2025-12-30', 'calls', '1', '90.0000'],
      ['2025-12-30', 'calls_answered', '1', '0.0000'],
      ['2026-01-01', 'activities', '1', '0.0000'],
      ['2026-01-01', 'assigned', '1', '0.0000'],
      ['2026-01-01', 'calls', '1', '0.0000'],
      ['2026-01-02', 'converted', '1', '0.0000'],
    ]);
    await rebuild(sub);
    expect(await rollup(sub)).toEqual(rows);
  });

  const adAccountOf = async (sub: number, webhookId: string): Promise<number> => {
    const template = (
      await m.sql.query<{ id: number }>(
        `INSERT INTO integration_templates (name, display_name, category, handler, config_schema, updated_at)
         VALUES ('cost-t', 'x', 'Ads', 'facebook-ads', '{"type":"object"}', now())
         ON CONFLICT (name) DO UPDATE SET updated_at = now() RETURNING id`,
      )
    ).rows[0].id;
    return (
      await m.sql.query<{ id: number }>(
        `INSERT INTO integrations (sub_account_id, template_id, handler, name, config, key_id, webhook_id, webhook_secret, created_by, updated_at)
         VALUES ($1, $2, 'facebook-ads', 'ads', '{}', 'k1', $3, 's', 'x', now()) RETURNING id`,
        [sub, template, webhookId],
      )
    ).rows[0].id;
  };
  const spend = async (sub: number, adAccount: number, day: string, campaign: string, ad: string, amount: string) =>
    m.sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, spend, currency, impressions, clicks, leads, updated_at)
       VALUES ($1, $2, 'facebook-ads', $3, 'ad', $4, $5, $6, 'BRL', 0, 0, 0, now())`,
      [sub, adAccount, day, campaign, ad, amount],
    );
  const touchSql = `INSERT INTO lead_sources (lead_id, sub_account_id, platform, external_id, origin, campaign_id, submitted_at)
           VALUES ($1::bigint, $2, 'meta', $1::text, 'event:' || $1::text, $3, $4) RETURNING id::text`;
  const paidTouch = async (sub: number, at: string, campaign: string): Promise<string> => {
    const id = await lead(sub, at);
    return (await m.sql.query<{ id: string }>(touchSql, [id, sub, campaign, at])).rows[0].id;
  };
  const costsOf = async (ids: string[]): Promise<Array<[string | null, string | null]>> =>
    (
      await m.sql.query<{ cost: string | null; currency: string | null }>(
        'SELECT cost::text, currency FROM lead_sources WHERE id = ANY($1::bigint[]) ORDER BY id',
        [ids],
      )
    ).rows.map((r) => [r.cost, r.currency]);

  it('fills sourceTracking.cost: a campaign day’s spend split exactly over its touches of that local day', async () => {
    const sub = await subAccount('America/Sao_Paulo');
    const adAccount = await adAccountOf(sub, 'wh_cost');
    await spend(sub, adAccount, '2026-03-09', 'c1', 'a1', '6.00');
    await spend(sub, adAccount, '2026-03-09', 'c1', 'a2', '4.01');
    // 10.01 BRL over three touches of 9 March (local): 3.34, 3.34, 3.33; 02:59Z on the 10th is still the 9th (-03)
    const a = await paidTouch(sub, '2026-03-09T12:00:00Z', 'c1');
    const b = await paidTouch(sub, '2026-03-09T13:00:00Z', 'c1');
    const c = await paidTouch(sub, '2026-03-10T02:59:00Z', 'c1');
    const d = await paidTouch(sub, '2026-03-10T03:00:00Z', 'c1'); // the 10th: no spend known
    const e = await paidTouch(sub, '2026-03-09T12:00:00Z', 'c2'); // another campaign
    await m.sql.query('SELECT lead_sources_fill_cost($1, $2::date, $3::date)', [sub, '2026-03-09', '2026-03-09']);
    expect(await costsOf([a, b, c, d, e])).toEqual([
      ['3.34', 'BRL'],
      ['3.34', 'BRL'],
      ['3.33', 'BRL'],
      [null, null],
      [null, null],
    ]);
  });

  it('re-splits a campaign day when a touch arrives after its spend is stored: that campaign only, once per transaction', async () => {
    const sub = await subAccount('UTC');
    const adAccount = await adAccountOf(sub, 'wh_cost_late');
    // c2's touch, then its spend, then a cost no split would give: left alone by c1's re-splits
    const other = await paidTouch(sub, '2026-04-02T09:00:00Z', 'c2');
    await spend(sub, adAccount, '2026-04-02', 'c2', 'a9', '5.00');
    await m.sql.query(`UPDATE lead_sources SET cost = 99, currency = 'BRL' WHERE id = $1::bigint`, [other]);
    await spend(sub, adAccount, '2026-04-02', 'c1', 'a1', '9.00');
    // the spend is known: a touch written on its own gets the whole of it at once
    const first = await paidTouch(sub, '2026-04-02T10:00:00Z', 'c1');
    expect(await costsOf([first])).toEqual([['9.00', 'BRL']]);
    // two more in one transaction: the day is split once, at commit, over all three
    const leads = [await lead(sub, '2026-04-02T11:00:00Z'), await lead(sub, '2026-04-02T12:00:00Z')];
    const client = new Client({ connectionString: m.db.url });
    await client.connect();
    try {
      await client.query("SET track_functions = 'pl'");
      await client.query('BEGIN');
      const more: string[] = [];
      for (const [i, id] of leads.entries())
        more.push(
          (await client.query<{ id: string }>(touchSql, [id, sub, 'c1', `2026-04-02T1${i + 1}:00:00Z`])).rows[0].id,
        );
      await client.query('SET CONSTRAINTS lead_sources_cost_written IMMEDIATE');
      const calls = await client.query<{ n: string }>(
        `SELECT pg_stat_get_xact_function_calls('lead_sources_fill_cost(integer, date, date, text, text)'::regprocedure)::text AS n`,
      );
      expect(calls.rows[0].n).toBe('1');
      await client.query('COMMIT');
      expect(await costsOf([other, first, ...more])).toEqual([
        ['99.00', 'BRL'],
        ['3.00', 'BRL'],
        ['3.00', 'BRL'],
        ['3.00', 'BRL'],
      ]);
    } finally {
      await client.end();
    }
  });
});
