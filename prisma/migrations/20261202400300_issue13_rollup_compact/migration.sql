-- Issue 13: the rollup's shards (20261202400100) are a write-side device. A counter that 16 backends
-- wrote has 16 rows, and a two-year read would sum up to 16 times the rows it needs. Days nobody
-- writes to any more are folded back into shard 0 by the analytics-compact job (hourly): per
-- sub-account, under every shard's lock (so no writer holds a row it moves, and a rebuild cannot
-- interleave), the shard rows of days before p_before are deleted and added to shard 0. Sums are
-- unchanged; a late fact on a compacted day simply writes its shard again, to be folded next time.

CREATE INDEX "analytics_daily_unfolded_idx" ON "analytics_daily"("sub_account_id", "day") WHERE "shard" <> 0;

CREATE FUNCTION analytics_compact(p_sub integer, p_before date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_rows bigint;
BEGIN
  PERFORM analytics_lock(p_sub);
  WITH moved AS (
    DELETE FROM analytics_daily WHERE sub_account_id = p_sub AND shard <> 0 AND day < p_before
    RETURNING day, dim_type, dim_id, metric, count, sum
  ), folded AS (
    SELECT day, dim_type, dim_id, metric, sum(count) AS count, sum(sum) AS sum FROM moved GROUP BY 1, 2, 3, 4
  )
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, shard, count, sum)
  SELECT p_sub, day, dim_type, dim_id, metric, 0, count, sum FROM folded ORDER BY 2, 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric, shard)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  RETURN v_rows;
END;
$$;

-- the sub-accounts that have shard rows of days before p_before
CREATE FUNCTION analytics_unfolded(p_before date) RETURNS SETOF integer LANGUAGE sql STABLE AS $$
  SELECT DISTINCT sub_account_id FROM analytics_daily WHERE shard <> 0 AND day < p_before
$$;
