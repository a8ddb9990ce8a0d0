-- Issue 13 / issue 14: what lead_score_on_insert (the BEFORE INSERT trigger lead_score_initial) costs
-- per lead. It reads one row (the sub-account's weights) and no other lead: constant time. But
-- lead_score_weights was declared IMMUTABLE around jsonb_build_object, which is only STABLE, so
-- PostgreSQL could not inline it and ran it as a separate SQL function, planned again at every call:
-- ~135 µs per lead of a 20,000-row INSERT, against ~20 µs for the row itself (2 cores, load ~10).
-- Declared STABLE (what its body is), it is inlined into the trigger's and the score's queries:
-- the whole trigger measured 290 → ~75 µs per lead (50,000-row INSERT).
ALTER FUNCTION lead_score_weights(jsonb) STABLE;
