-- Issue 13 point 10: the rollup writer's cost per lead. Measured with bench/lead-e2e --no-rollup
-- (4,000 deliveries, 3 runs each): the writer cut the end-to-end rate from 166 to 107 leads/s while
-- adding only ~0.5 ms of PostgreSQL CPU per lead, with both processes mostly idle. The cost was
-- waiting: every transaction that wrote a fact of a sub-account took that sub-account's rollup lock
-- and updated the same few analytics_daily rows (today's source/campaign/status counters), holding
-- both to the end of its commit, WAL flush included, so the sub-account's lead writes committed one
-- at a time and could not share a flush.
--
-- Now each counter is split into 16 additive shards: a transaction writes the shard of its backend
-- (pg_backend_pid() % 16) under that shard's lock, so concurrent writers of one sub-account rarely
-- meet; a rebuild takes every shard's lock (in order), deletes the days in all shards and writes
-- shard 0. Reads sum the shards (they already summed days). A transaction still writes one shard
-- under one lock, so a multi-lead transaction cannot deadlock with another.

ALTER TABLE "analytics_daily" ADD COLUMN "shard" SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE "analytics_daily" DROP CONSTRAINT "analytics_daily_pkey",
  ADD CONSTRAINT "analytics_daily_pkey" PRIMARY KEY ("sub_account_id", "day", "dim_type", "dim_id", "metric", "shard");

CREATE FUNCTION analytics_shard() RETURNS smallint LANGUAGE sql STABLE AS $$
  SELECT (pg_backend_pid() % 16)::smallint
$$;

-- one shard's lock (single-bigint key space: never meets apply_lead's two-int identity locks)
CREATE FUNCTION analytics_lock_shard(p_sub integer, p_shard smallint) RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock((7305::bigint << 36) | (p_shard::bigint << 32) | p_sub::bigint)
$$;

-- every shard's lock, in order (the rebuild)
CREATE OR REPLACE FUNCTION analytics_lock(p_sub integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR s IN 0..15 LOOP
    PERFORM analytics_lock_shard(p_sub, s::smallint);
  END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_day(p_sub integer, p_at timestamptz) RETURNS date LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
BEGIN
  PERFORM analytics_lock_shard(p_sub, analytics_shard());
  SELECT (p_at AT TIME ZONE s.timezone)::date INTO v_day FROM sub_accounts s WHERE s.id = p_sub;
  RETURN v_day;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW') r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_lead_real() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW') r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  l record;
BEGIN
  SELECT origin_platform, origin_integration_id, origin_campaign_id INTO l FROM leads WHERE id = NEW.lead_id AND NOT is_test;
  IF FOUND THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id, NEW.from_status::text, NEW.to_status::text, NEW.assigned_user_id) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.to_user_id IS NOT NULL AND EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id AND NOT is_test) THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM analytics_rows_assignment(NEW.to_user_id) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id AND NOT is_test) THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.occurred_at), r.dim_type, r.dim_id, r.metric, analytics_shard(), r.n, r.amount
  FROM analytics_rows_activity(NEW.type::text, NEW.outcome::text, NEW.user_id, NEW.duration_seconds) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;
