-- The status stock (byStatus, snapshots' leadsByStatus, totalLeads) counts a lead from its creation.
-- A provider may date a status change before the hub created the lead (a GoHighLevel opportunity won
-- last week for a contact that reaches the hub today): the change is stored at the provider's instant
-- (the order of changes depends on it, see contract-audit-14), and its stock rows (`net`: -1 from, +1
-- to) were bucketed there too, so every day between the two answered NEW: -1 beside CONVERTED: 1 while
-- the lead itself (+1 NEW) only counted from its creation. A change's `net` rows now count at the later
-- of its instant and the lead's creation; its events (converted, lost, entered, the assignee's
-- conversion) stay on the provider's day, as API.md asks ("a lead converted on day D is counted on D").
-- Nets are sums, so several back-dated changes landing at the creation give the same final stock in
-- any order.
--
-- Three writers follow: the status-change trigger, a test lead turning real, and analytics_fact_rows
-- (the rebuild and ranges that end inside a day). Rows already stored are corrected at the end.

CREATE FUNCTION analytics_status_at(p_metric text, p_at timestamptz, p_lead_created timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_metric = 'net' THEN GREATEST(p_at, p_lead_created) ELSE p_at END
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
    SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, analytics_status_at(r.metric, NEW.at, l.created_at)),
           r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
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

-- as in 20261202600000, with the status changes' nets at the lead's creation at the earliest
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
    SELECT analytics_day(NEW.sub_account_id, analytics_status_at(x.metric, c.at, NEW.created_at)) AS day, x.*
    FROM lead_status_changes c,
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

-- as in 20261201150100, the status changes in two parts so that both still read by index ranges:
-- changes of the range (lead_status_changes (sub_account_id, at)), without the nets of those dated
-- before their lead; and those nets, at the creation of the leads created in the range
-- (leads (sub_account_id, created_at), then lead_status_changes (lead_id, at))
CREATE OR REPLACE FUNCTION analytics_fact_rows(p_sub integer, p_start timestamptz, p_end timestamptz)
RETURNS TABLE (at timestamptz, dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql STABLE AS $$
  SELECT l.created_at, x.* FROM leads l,
    LATERAL analytics_rows_lead(l.origin_platform, l.origin_integration_id, l.origin_campaign_id, 'NEW') x
  WHERE l.sub_account_id = p_sub AND NOT l.is_test AND l.created_at >= p_start AND l.created_at < p_end
  UNION ALL
  SELECT c.at, x.* FROM lead_status_changes c JOIN leads l ON l.id = c.lead_id AND NOT l.is_test,
    LATERAL analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id,
                                  c.from_status::text, c.to_status::text, c.assigned_user_id) x
  WHERE c.sub_account_id = p_sub AND c.at >= p_start AND c.at < p_end
    AND NOT (x.metric = 'net' AND c.at < l.created_at)
  UNION ALL
  SELECT l.created_at, x.* FROM leads l JOIN lead_status_changes c ON c.lead_id = l.id AND c.at < l.created_at,
    LATERAL analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id,
                                  c.from_status::text, c.to_status::text, c.assigned_user_id) x
  WHERE l.sub_account_id = p_sub AND NOT l.is_test AND l.created_at >= p_start AND l.created_at < p_end
    AND x.metric = 'net'
  UNION ALL
  SELECT a.at, x.* FROM lead_assignments a JOIN leads l ON l.id = a.lead_id AND NOT l.is_test,
    LATERAL analytics_rows_assignment(a.to_user_id) x
  WHERE a.sub_account_id = p_sub AND a.at >= p_start AND a.at < p_end
  UNION ALL
  SELECT a.occurred_at, x.* FROM lead_activities a JOIN leads l ON l.id = a.lead_id AND NOT l.is_test,
    LATERAL analytics_rows_activity(a.type::text, a.outcome::text, a.user_id, a.duration_seconds) x
  WHERE a.sub_account_id = p_sub AND a.occurred_at >= p_start AND a.occurred_at < p_end
$$;

-- rows already stored: each back-dated change's nets move from its own day to its lead's creation day
-- (shard 0; reads sum the shards). Days of one sub-account's zone, as analytics_day computes them.
INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
SELECT m.sub_account_id, m.day, m.dim_type, m.dim_id, m.metric, 0, sum(m.n), 0
FROM (
  SELECT c.sub_account_id, (c.at AT TIME ZONE s.timezone)::date AS day, x.dim_type, x.dim_id, x.metric, -x.n AS n
  FROM lead_status_changes c
  JOIN leads l ON l.id = c.lead_id AND NOT l.is_test AND c.at < l.created_at
  JOIN sub_accounts s ON s.id = c.sub_account_id,
  LATERAL analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id,
                                c.from_status::text, c.to_status::text, c.assigned_user_id) x
  WHERE x.metric = 'net'
  UNION ALL
  SELECT c.sub_account_id, (l.created_at AT TIME ZONE s.timezone)::date, x.dim_type, x.dim_id, x.metric, x.n
  FROM lead_status_changes c
  JOIN leads l ON l.id = c.lead_id AND NOT l.is_test AND c.at < l.created_at
  JOIN sub_accounts s ON s.id = c.sub_account_id,
  LATERAL analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id,
                                c.from_status::text, c.to_status::text, c.assigned_user_id) x
  WHERE x.metric = 'net'
) m
GROUP BY 1, 2, 3, 4, 5
HAVING sum(m.n) <> 0
ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
DO UPDATE SET count = a.count + EXCLUDED.count;
