-- A used token returns a window after the call ENDED, not after the release statement runs: the
-- caller says how long ago its call ended (p_ended_ago_ms, measured on its monotonic clock just
-- before sending the release), so time spent waiting for a pool connection or on the way to the
-- server no longer lengthens the token's hold. Still safe for a provider that counts arrivals in a
-- window: the call arrived before it was answered, and the answer came p_ended_ago_ms before now.
-- The old five-argument signature is replaced (a sixth parameter with a default would overload it).
DROP FUNCTION IF EXISTS rate_limit_release(text, integer[], uuid[], boolean, timestamptz);

CREATE FUNCTION rate_limit_release(
  p_key text,
  p_slots integer[],
  p_leases uuid[],
  p_used boolean DEFAULT true,
  p_now timestamptz DEFAULT NULL,
  p_ended_ago_ms integer DEFAULT 0
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_ended timestamptz := COALESCE(p_now, clock_timestamp()) - GREATEST(p_ended_ago_ms, 0) * interval '1 millisecond';
  v_count integer;
BEGIN
  UPDATE rate_limit_tokens t
  SET free_at = CASE
        WHEN p_used THEN GREATEST(v_ended, t.start_at) + b.window_ms * interval '1 millisecond'
        ELSE t.start_at
      END,
      lease = NULL,
      start_at = NULL
  FROM unnest(p_slots, p_leases) AS r(slot, lease), rate_limit_buckets b
  WHERE t.key = p_key AND b.key = p_key AND t.slot = r.slot AND t.lease = r.lease;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;

-- rate_limit_acquire as in 20261130105356, except that the bucket's tokens are inserted only when the
-- bucket is new or grows, instead of re-inserting (ON CONFLICT DO NOTHING) all of them on every call.
CREATE OR REPLACE FUNCTION rate_limit_acquire(
  p_key text, p_capacity integer, p_window_ms integer, p_count integer DEFAULT 1,
  p_priority boolean DEFAULT true, p_reserve integer DEFAULT 0, p_horizon_ms integer DEFAULT 0,
  p_max_hold_ms integer DEFAULT 30000, p_now timestamptz DEFAULT NULL
) RETURNS TABLE (slot integer, lease uuid, wait_ms integer, retry_ms integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := COALESCE(p_now, clock_timestamp());
  v_window interval := p_window_ms * interval '1 millisecond';
  v_horizon timestamptz := v_now + GREATEST(p_horizon_ms, 0) * interval '1 millisecond';
  v_keep integer := CASE WHEN p_priority THEN 0 ELSE GREATEST(p_reserve, 0) END;
  v_bucket rate_limit_buckets%ROWTYPE;
  v_new boolean := false;
  v_slots integer[];
  v_free timestamptz[];
  v_take integer;
  v_start timestamptz;
  v_lease uuid;
  v_next timestamptz;
  v_retry integer;
BEGIN
  IF p_capacity < 1 OR p_window_ms < 1 OR p_count < 1 OR p_max_hold_ms < 0 THEN
    RAISE EXCEPTION 'rate_limit_acquire: capacity, window and count must be positive';
  END IF;

  INSERT INTO rate_limit_buckets (key, capacity, window_ms) VALUES (p_key, p_capacity, p_window_ms)
  ON CONFLICT (key) DO NOTHING
  RETURNING true INTO v_new;
  -- one acquirer per bucket at a time: the reserve and the priority flag are decided on a stable view
  SELECT * INTO v_bucket FROM rate_limit_buckets b WHERE b.key = p_key FOR UPDATE;

  IF v_bucket.capacity > p_capacity THEN
    -- shrinking: the tokens that go may have been used in the current window; hold the others back
    -- until that window ends (at most one window), so the new capacity holds from now on
    WITH removed AS (
      DELETE FROM rate_limit_tokens t WHERE t.key = p_key AND t.slot >= p_capacity RETURNING t.free_at
    )
    SELECT LEAST(max(removed.free_at), v_now + v_window) INTO v_next FROM removed;
    UPDATE rate_limit_tokens t SET free_at = GREATEST(t.free_at, v_next) WHERE t.key = p_key AND v_next IS NOT NULL;
  END IF;
  -- first use, or growing: the missing tokens are free at once (not on every call: that probed
  -- capacity index entries per acquire, 80 for a WhatsApp number, to insert nothing)
  IF v_new OR v_bucket.capacity < p_capacity THEN
    INSERT INTO rate_limit_tokens (key, slot, free_at)
    SELECT p_key, s, '-infinity' FROM generate_series(0, p_capacity - 1) s
    ON CONFLICT DO NOTHING;
  END IF;
  IF v_bucket.capacity <> p_capacity OR v_bucket.window_ms <> p_window_ms THEN
    UPDATE rate_limit_buckets b SET capacity = p_capacity, window_ms = p_window_ms, updated_at = v_now WHERE b.key = p_key;
  END IF;

  IF v_bucket.paused_until > v_now THEN
    RETURN QUERY SELECT NULL::integer, NULL::uuid, NULL::integer, ceil(extract(epoch FROM v_bucket.paused_until - v_now) * 1000)::integer;
    RETURN;
  END IF;
  IF NOT p_priority AND v_bucket.priority_until > v_now THEN
    RETURN QUERY SELECT NULL::integer, NULL::uuid, NULL::integer, ceil(extract(epoch FROM v_bucket.priority_until - v_now) * 1000)::integer;
    RETURN;
  END IF;

  SELECT array_agg(c.slot ORDER BY c.free_at, c.slot), array_agg(c.free_at ORDER BY c.free_at, c.slot)
  INTO v_slots, v_free
  FROM (
    SELECT t.slot, t.free_at FROM rate_limit_tokens t
    WHERE t.key = p_key AND t.free_at <= v_horizon
    ORDER BY t.free_at, t.slot
    LIMIT p_count + v_keep
    FOR UPDATE
  ) c;
  v_take := LEAST(p_count, COALESCE(cardinality(v_slots), 0) - v_keep);

  IF v_take > 0 THEN
    FOR i IN 1..v_take LOOP
      v_start := GREATEST(v_free[i], v_now);
      v_lease := gen_random_uuid();
      -- until released, the token counts as held for the longest call plus a window (a dead holder)
      UPDATE rate_limit_tokens t
      SET free_at = v_start + p_max_hold_ms * interval '1 millisecond' + v_window, lease = v_lease, start_at = v_start
      WHERE t.key = p_key AND t.slot = v_slots[i];
      RETURN QUERY SELECT v_slots[i], v_lease, ceil(extract(epoch FROM v_start - v_now) * 1000)::integer, NULL::integer;
    END LOOP;
    RETURN;
  END IF;

  -- nothing for this caller: when can the (reserve + 1)-th token come within the horizon? A held
  -- token returns a window after its release, so no earlier than a window from now
  SELECT e.at INTO v_next
  FROM (
    SELECT CASE WHEN t.lease IS NULL THEN t.free_at ELSE LEAST(t.free_at, v_now + v_window) END AS at
    FROM rate_limit_tokens t WHERE t.key = p_key
  ) e
  ORDER BY e.at OFFSET v_keep LIMIT 1;
  v_retry := CASE
    WHEN v_next IS NULL THEN p_window_ms
    ELSE GREATEST(1, ceil(extract(epoch FROM v_next - v_horizon) * 1000)::integer)
  END;
  IF p_priority THEN
    -- keep the bulk lane off the next tokens while this caller waits for one
    UPDATE rate_limit_buckets b
    SET priority_until = GREATEST(b.priority_until, v_now + (v_retry + 50) * interval '1 millisecond')
    WHERE b.key = p_key;
  END IF;
  RETURN QUERY SELECT NULL::integer, NULL::uuid, NULL::integer, v_retry;
END $$;
