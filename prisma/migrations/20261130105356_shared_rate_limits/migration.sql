-- CreateTable
CREATE TABLE "rate_limit_buckets" (
    "key" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "window_ms" INTEGER NOT NULL,
    "paused_until" TIMESTAMPTZ(6),
    "priority_until" TIMESTAMPTZ(6),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rate_limit_buckets_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "rate_limit_tokens" (
    "key" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "free_at" TIMESTAMPTZ(6) NOT NULL,
    "lease" UUID,
    "start_at" TIMESTAMPTZ(6),

    CONSTRAINT "rate_limit_tokens_pkey" PRIMARY KEY ("key","slot")
);

-- CreateIndex
CREATE INDEX "rate_limit_tokens_key_free_at_idx" ON "rate_limit_tokens"("key", "free_at");

-- AddForeignKey
ALTER TABLE "rate_limit_tokens" ADD CONSTRAINT "rate_limit_tokens_key_fkey" FOREIGN KEY ("key") REFERENCES "rate_limit_buckets"("key") ON DELETE CASCADE ON UPDATE CASCADE;

-- Shared rate limits (issue 12: WhatsApp throughput per number; issue 14: per-integration limits).
--
-- A bucket holds `capacity` tokens. A call takes one and holds it from its start until `window`
-- after it ends; so at most `capacity` calls can fall in any window of `window`, whatever the
-- latency between taking the token and the provider seeing the call (the provider sees it between
-- the two). A continuously refilled token bucket cannot promise that at a useful rate: a full bucket
-- plus one window's refill passes `capacity + rate × window` calls in a window.
--
-- Times come from this server's clock only (callers wait the relative `wait_ms`), so processes on
-- machines with skewed clocks still share one limit. `p_now` exists for tests.
--
-- Two lanes share a bucket. The priority lane (agent replies, single sends) may take any token;
-- the bulk lane takes one only while more than `p_reserve` tokens are available within the horizon,
-- and none while a priority caller is waiting (`priority_until`).

-- Takes up to p_count tokens that are free now or within p_horizon_ms. Each row is a token (slot,
-- lease, wait_ms: start the call that many ms after this answer), or one row with only retry_ms
-- (nothing available: ask again after that long).
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
  ON CONFLICT (key) DO NOTHING;
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
  -- first use, or growing: the missing tokens are free at once
  INSERT INTO rate_limit_tokens (key, slot, free_at)
  SELECT p_key, s, '-infinity' FROM generate_series(0, p_capacity - 1) s
  ON CONFLICT DO NOTHING;
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

-- Gives tokens back. Used: the token returns a window after now (the call has ended). Not used (the
-- caller gave up before calling): it returns at once. A lease that expired and was taken by someone
-- else is left alone (0 rows): callers must end their call within p_max_hold_ms.
CREATE OR REPLACE FUNCTION rate_limit_release(
  p_key text, p_slots integer[], p_leases uuid[], p_used boolean DEFAULT true, p_now timestamptz DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := COALESCE(p_now, clock_timestamp());
  v_count integer;
BEGIN
  UPDATE rate_limit_tokens t
  SET free_at = CASE
        WHEN p_used THEN GREATEST(v_now, t.start_at) + b.window_ms * interval '1 millisecond'
        ELSE t.start_at
      END,
      lease = NULL,
      start_at = NULL
  FROM unnest(p_slots, p_leases) AS r(slot, lease), rate_limit_buckets b
  WHERE t.key = p_key AND b.key = p_key AND t.slot = r.slot AND t.lease = r.lease;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;

-- The provider said to wait (WhatsApp 130429, a Retry-After): no token for anyone until p_until.
CREATE OR REPLACE FUNCTION rate_limit_pause(p_key text, p_until timestamptz) RETURNS void
LANGUAGE sql AS $$
  UPDATE rate_limit_buckets
  SET paused_until = GREATEST(paused_until, p_until), updated_at = clock_timestamp()
  WHERE key = p_key;
$$;
