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
