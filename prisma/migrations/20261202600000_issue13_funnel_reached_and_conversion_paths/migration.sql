-- Issue 13 point 10: the funnel and attribution read per lead and per conversion, so they grew with
-- the sub-account (at 10,000 leads per sub-account the two-year funnel's p95 was 233 ms, and both
-- were ten times that at 100,000). Both now read stored rows whose number does not grow with leads.
--
-- Funnel: the rollup counts, on each lead's creation day, the leads that have reached exactly a set
-- of statuses so far (statuses sorted, comma-joined, NEW always among them; metric 'leads'):
--   reached            '<statuses reached>|<platform>'             unfiltered and per-source funnels
--   reached_campaign   '<statuses reached>|<platform>|<campaign>'  the per-campaign funnel
-- A two-year funnel sums at most (days x sets x platforms) rows; the furthest stage of any stage
-- list follows from each set. Writers: a new lead adds one to its NEW set (analytics_on_lead); a
-- status change moves the lead from the set before it to the set after it when it reaches a status
-- for the first time. "Before" is the lead's changes with a smaller id: the lead's row lock orders
-- its changes, so ids follow them, and the deferred trigger gives the same answer whenever it runs.
-- The rebuild derives the full set of every lead created in the range; the moves telescope to it.
--
-- Attribution: one row per conversion (a change to CONVERTED of a real lead) with its path: the
-- lead's touches up to the conversion, oldest first. Recomputed, idempotently, for the whole lead
-- whenever one of its conversions or touches is written, so a touch that arrives late (or is
-- deleted) corrects every conversion it belongs to. A two-year attribution reads one index range of
-- this table instead of three lookups per conversion.

-- a set of statuses as its key: NEW and the given ones, distinct, sorted, comma-joined
CREATE FUNCTION analytics_reached_set(p_statuses text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(s, ',' ORDER BY s) FROM (SELECT 'NEW'::text AS s UNION SELECT unnest(p_statuses)) x
$$;

-- the statuses one lead has reached through its changes with an id below p_below (NULL: all)
CREATE FUNCTION analytics_reached(p_lead bigint, p_below bigint) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT analytics_reached_set(array_agg(c.to_status::text)) FROM lead_status_changes c
  WHERE c.lead_id = p_lead AND (p_below IS NULL OR c.id < p_below)
$$;

CREATE FUNCTION analytics_reached_key(p_reached text, p_platform text, p_campaign text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT p_reached || '|' || analytics_campaign_key(p_platform, p_campaign) $$;

CREATE TABLE "analytics_conversion_paths" (
  "change_id" BIGINT NOT NULL,
  "sub_account_id" INTEGER NOT NULL,
  "lead_id" BIGINT NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL,
  "touches" JSONB NOT NULL,
  CONSTRAINT "analytics_conversion_paths_pkey" PRIMARY KEY ("change_id")
);
CREATE INDEX "analytics_conversion_paths_sub_account_id_at_idx" ON "analytics_conversion_paths"("sub_account_id", "at");
CREATE INDEX "analytics_conversion_paths_lead_id_idx" ON "analytics_conversion_paths"("lead_id");
ALTER TABLE "analytics_conversion_paths" ADD CONSTRAINT "analytics_conversion_paths_change_id_fkey"
  FOREIGN KEY ("change_id") REFERENCES "lead_status_changes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The path of each of the given conversions (changes to CONVERTED of real leads): the lead's
-- touches up to it as [platform, campaignId, campaignName, at (ISO 8601 UTC, whatever the writer's
-- session zone)], oldest first (ties by id). Upserted,
-- so idempotent. (An id list rather than "a lead or a range": one plan, a primary-key probe each.)
CREATE FUNCTION analytics_paths_write(p_changes bigint[]) RETURNS bigint LANGUAGE sql AS $$
  WITH written AS (
    INSERT INTO analytics_conversion_paths AS p (change_id, sub_account_id, lead_id, at, touches)
    SELECT c.id, c.sub_account_id, c.lead_id, c.at, COALESCE(t.touches, '[]'::jsonb)
    FROM lead_status_changes c
    JOIN leads l ON l.id = c.lead_id AND NOT l.is_test
    LEFT JOIN LATERAL (
      SELECT jsonb_agg(jsonb_build_array(ls.platform, ls.campaign_id, ls.campaign_name,
                                         to_char(COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE 'UTC',
                                                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                       ORDER BY COALESCE(ls.submitted_at, ls.created_at), ls.id) AS touches
      FROM lead_sources ls
      WHERE ls.lead_id = c.lead_id AND ls.deleted_at IS NULL AND COALESCE(ls.submitted_at, ls.created_at) <= c.at
    ) t ON true
    WHERE c.id = ANY(p_changes) AND c.to_status = 'CONVERTED'
    ORDER BY c.id
    ON CONFLICT (change_id) DO UPDATE SET touches = EXCLUDED.touches WHERE p.touches IS DISTINCT FROM EXCLUDED.touches
    RETURNING 1
  )
  SELECT count(*) FROM written
$$;

-- every conversion of one lead
CREATE FUNCTION analytics_paths_refresh(p_lead bigint) RETURNS void LANGUAGE sql AS $$
  SELECT analytics_paths_write(ARRAY(SELECT id FROM lead_status_changes WHERE lead_id = p_lead AND to_status = 'CONVERTED'))
$$;

-- every conversion of one sub-account in [p_start, p_end)
CREATE FUNCTION analytics_paths_rebuild(p_sub integer, p_start timestamptz, p_end timestamptz) RETURNS bigint
LANGUAGE sql AS $$
  SELECT analytics_paths_write(ARRAY(
    SELECT id FROM lead_status_changes
    WHERE sub_account_id = p_sub AND to_status = 'CONVERTED' AND at >= p_start AND at < p_end))
$$;

CREATE FUNCTION analytics_rows_reached(p_reached text, p_platform text, p_campaign text, p_n bigint)
RETURNS TABLE (dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql IMMUTABLE AS $$
  VALUES ('reached', p_reached || '|' || COALESCE(p_platform, ''), 'leads', p_n, 0::numeric),
         ('reached_campaign', analytics_reached_key(p_reached, p_platform, p_campaign), 'leads', p_n, 0::numeric)
$$;

CREATE OR REPLACE FUNCTION analytics_on_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM (SELECT * FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW')
        UNION ALL
        SELECT * FROM analytics_rows_reached('NEW', NEW.origin_platform, NEW.origin_campaign_id, 1)) r
  ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  RETURN NULL;
END;
$$;

-- A test lead that a real touch turns into a real one counts from its creation day with everything
-- it has reached, every conversion's path, and (unlike 20261201150100) the facts it had as a test lead
-- (status changes, assignments, activities, on their own days): the triggers skipped them then, and
-- a rebuild, which sees a real lead, counts them, so the two writers agree.
CREATE OR REPLACE FUNCTION analytics_on_lead_real() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM (SELECT * FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW')
        UNION ALL
        SELECT * FROM analytics_rows_reached(analytics_reached(NEW.id, NULL), NEW.origin_platform, NEW.origin_campaign_id, 1)) r
  ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;

  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, f.day, f.dim_type, f.dim_id, f.metric, analytics_shard(), sum(f.n), sum(f.amount)
  FROM (
    SELECT analytics_day(NEW.sub_account_id, c.at) AS day, x.* FROM lead_status_changes c,
      LATERAL analytics_rows_status(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id,
                                    c.from_status::text, c.to_status::text, c.assigned_user_id) x
    WHERE c.lead_id = NEW.id
    UNION ALL
    SELECT analytics_day(NEW.sub_account_id, s.at), x.* FROM lead_assignments s,
      LATERAL analytics_rows_assignment(s.to_user_id) x
    WHERE s.lead_id = NEW.id
    UNION ALL
    SELECT analytics_day(NEW.sub_account_id, v.occurred_at), x.* FROM lead_activities v,
      LATERAL analytics_rows_activity(v.type::text, v.outcome::text, v.user_id, v.duration_seconds) x
    WHERE v.lead_id = NEW.id
  ) f
  GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;

  PERFORM analytics_paths_refresh(NEW.id);
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  l record;
  v_before text;
  v_after text;
BEGIN
  SELECT origin_platform, origin_integration_id, origin_campaign_id, created_at INTO l
  FROM leads WHERE id = NEW.lead_id AND NOT is_test;
  IF FOUND THEN
    INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
    SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
    FROM analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id, NEW.from_status::text, NEW.to_status::text, NEW.assigned_user_id) r ORDER BY 3, 4, 5
    ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
    DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
    -- the funnel: a status reached for the first time moves the lead to a larger set (creation day)
    v_before := analytics_reached(NEW.lead_id, NEW.id);
    v_after := analytics_reached(NEW.lead_id, NEW.id + 1);
    IF v_after <> v_before THEN
      INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
      SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, l.created_at), r.dim_type, r.dim_id, r.metric,
             analytics_shard(), r.n, r.amount
      FROM (SELECT * FROM analytics_rows_reached(v_before, l.origin_platform, l.origin_campaign_id, -1)
            UNION ALL
            SELECT * FROM analytics_rows_reached(v_after, l.origin_platform, l.origin_campaign_id, 1)) r
      ORDER BY 3, 4, 5
      ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
      DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
    END IF;
    IF NEW.to_status = 'CONVERTED' THEN PERFORM analytics_paths_refresh(NEW.lead_id); END IF;
  END IF;
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;

-- a touch written, moved or deleted: the paths of the lead's conversions follow (a lead without a
-- conversion, as every new lead is, costs one index probe)
CREATE FUNCTION analytics_on_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM analytics_conversion_paths WHERE lead_id = NEW.lead_id) THEN
    PERFORM analytics_paths_refresh(NEW.lead_id);
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER analytics_touch_written AFTER INSERT OR UPDATE OF deleted_at, submitted_at, created_at,
  platform, campaign_id, campaign_name ON lead_sources DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION analytics_on_touch();

-- the rebuild as before (20261201150100), plus the reached sets of the leads created in the range
-- and the paths of the conversions in it
CREATE OR REPLACE FUNCTION analytics_rebuild(p_sub integer, p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_tz text;
  v_start timestamptz;
  v_end timestamptz;
  v_rows bigint;
  v_reached bigint;
BEGIN
  PERFORM analytics_lock(p_sub);
  SELECT timezone INTO v_tz FROM sub_accounts WHERE id = p_sub;
  IF v_tz IS NULL THEN RETURN 0; END IF;
  v_start := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz ELSE p_from::timestamp AT TIME ZONE v_tz END;
  v_end := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz ELSE (p_to + 1)::timestamp AT TIME ZONE v_tz END;

  DELETE FROM analytics_daily
  WHERE sub_account_id = p_sub AND (p_from IS NULL OR day >= p_from) AND (p_to IS NULL OR day <= p_to);

  INSERT INTO analytics_daily (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT p_sub, (f.at AT TIME ZONE v_tz)::date, f.dim_type, f.dim_id, f.metric, sum(f.n), sum(f.amount)
  FROM analytics_fact_rows(p_sub, v_start, v_end) f
  GROUP BY 2, 3, 4, 5;
  GET DIAGNOSTICS v_rows = ROW_COUNT;

  INSERT INTO analytics_daily (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT p_sub, (l.created_at AT TIME ZONE v_tz)::date, x.dim_type, x.dim_id, x.metric, count(*), 0
  FROM leads l
  LEFT JOIN (SELECT lead_id, array_agg(to_status::text) AS st FROM lead_status_changes
             WHERE sub_account_id = p_sub GROUP BY lead_id) r ON r.lead_id = l.id,
  LATERAL analytics_rows_reached(analytics_reached_set(r.st), l.origin_platform, l.origin_campaign_id, 1) x
  WHERE l.sub_account_id = p_sub AND NOT l.is_test AND l.created_at >= v_start AND l.created_at < v_end
  GROUP BY 2, 3, 4, 5;
  GET DIAGNOSTICS v_reached = ROW_COUNT;

  PERFORM analytics_paths_rebuild(p_sub, v_start, v_end);
  RETURN v_rows + v_reached;
END;
$$;

-- what the new rows would have held for the data already stored
INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
SELECT l.sub_account_id, (l.created_at AT TIME ZONE s.timezone)::date, x.dim_type, x.dim_id, x.metric, count(*), 0
FROM leads l
JOIN sub_accounts s ON s.id = l.sub_account_id
LEFT JOIN (SELECT lead_id, array_agg(to_status::text) AS st FROM lead_status_changes GROUP BY lead_id) r ON r.lead_id = l.id,
LATERAL analytics_rows_reached(analytics_reached_set(r.st), l.origin_platform, l.origin_campaign_id, 1) x
WHERE NOT l.is_test
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
DO UPDATE SET count = a.count + EXCLUDED.count;

SELECT analytics_paths_rebuild(id, '-infinity', 'infinity') FROM sub_accounts;

-- Agents' names (team performance, snapshots): the latest name per agent was found by reading every
-- assignment and activity of the sub-account (90 ms at 10,000 leads, ten times that at 100,000).
-- With these, one index probe per agent and table (AnalyticsRepository.userNames).
CREATE INDEX "lead_activities_named_user_idx" ON "lead_activities"("sub_account_id", "user_id", "occurred_at")
  WHERE "user_name" IS NOT NULL;
CREATE INDEX "lead_assignments_named_user_idx" ON "lead_assignments"("sub_account_id", "to_user_id", "at")
  WHERE "to_user_name" IS NOT NULL;
