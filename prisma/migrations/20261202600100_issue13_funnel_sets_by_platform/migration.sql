-- Issue 13 point 10: at 10,000,000 leads (100,000 per sub-account) the two-year funnel read ~100,000
-- 'reached' rows (day x set x campaign) and parsed each: p95 205 ms. The unfiltered and per-source
-- funnels, what dashboards ask for, now read rows keyed by set and platform only (days x sets x
-- platforms, ~15,000 for two years); the per-campaign funnel reads the campaign-level rows, now
-- 'reached_campaign'. Both are written by the same writers in the same statements.
--   reached            '<statuses reached>|<platform>'
--   reached_campaign   '<statuses reached>|<platform>|<campaign>'

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
-- it has reached, every conversion's path, and now also the facts it had while it was a test lead
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

-- the rebuild as in 20261202600000, writing both levels of the reached sets
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

-- the stored campaign-level sets keep their counts under their new name, and the platform level is
-- their sum (exact: the same writers wrote them)
UPDATE analytics_daily SET dim_type = 'reached_campaign' WHERE dim_type = 'reached';
INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
SELECT sub_account_id, day, 'reached', split_part(dim_id, '|', 1) || '|' || split_part(dim_id, '|', 2), metric, shard,
       sum(count), 0
FROM analytics_daily WHERE dim_type = 'reached_campaign'
GROUP BY 1, 2, 4, 5, 6
ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
DO UPDATE SET count = a.count + EXCLUDED.count;
