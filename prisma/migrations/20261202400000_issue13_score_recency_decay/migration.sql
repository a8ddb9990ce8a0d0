-- Issue 13 point 8: the lead score's recency decays with time, and GET /api/leads still sorts and
-- filters on the stored, indexed leads(sub_account_id, score).
--
-- The score was computed when a fact arrived, with recency as of that moment (+15 within 7 days, +5
-- within 30), and never changed afterwards: a lead untouched for a year kept its "recent" points.
-- Now a score is two parts: `score_base` (source, furthest stage, answered calls, inbound replies:
-- changes only with a fact) and recency points that halve every `recencyHalfLifeDays` (default 7)
-- from `recency` (default 15) since the lead's latest fact (`score_activity_at`):
--
--   points(age) = round(recency × 2^(−age / halfLife))      score = clamp(base + points, 0, 100)
--
-- Sorting by that expression at read time would not use an index (it depends on now()). Instead the
-- stored score is kept current: points are whole numbers, so each lead's score changes only at known
-- instants; `score_refresh_at` holds the next one (NULL once the points reached 0, ~5 half-lives),
-- and the `lead-score-decay` job (every 5 minutes) recomputes the leads whose instant has passed, in
-- index order of a partial index on score_refresh_at. A lead is rewritten at most `recency` times in
-- its life (15 with the defaults, over ~34 days) plus once per fact; a score is at most one job
-- interval late; sorting and minScore stay B-tree reads of leads(sub_account_id, score).
--
-- `recent7Days` of weights saved before this migration is read as `recency`; `recent30Days` is gone.

ALTER TABLE "leads"
  ADD COLUMN "score_base" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "score_activity_at" TIMESTAMPTZ(3),
  ADD COLUMN "score_refresh_at" TIMESTAMPTZ(3);
CREATE INDEX "leads_score_refresh_at_idx" ON "leads"("score_refresh_at") WHERE "score_refresh_at" IS NOT NULL;

CREATE OR REPLACE FUNCTION lead_score_weights(p_weights jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'source', '{"default": 10, "google-ads": 20, "linkedin": 20, "meta": 15, "whatsapp": 15, "manual": 10}'::jsonb
              || COALESCE(p_weights->'source', '{}'::jsonb),
    'stage', '{"NEW": 0, "CONTACTED": 10, "QUALIFIED": 25, "CONVERTED": 40}'::jsonb
             || COALESCE(p_weights->'stage', '{}'::jsonb),
    'answeredCall', COALESCE(p_weights->'answeredCall', '5'), 'maxAnsweredCalls', COALESCE(p_weights->'maxAnsweredCalls', '3'),
    'whatsappReply', COALESCE(p_weights->'whatsappReply', '5'), 'maxWhatsappReplies', COALESCE(p_weights->'maxWhatsappReplies', '3'),
    'recency', COALESCE(p_weights->'recency', p_weights->'recent7Days', '15'),
    'recencyHalfLifeDays', COALESCE(p_weights->'recencyHalfLifeDays', '7'))
$$;

-- The score at p_now of a lead with this base and latest fact, and the next instant it changes (NULL:
-- never again without a fact). The points drop from p to p − 1 once recency × 2^(−age/h) < p − 0.5,
-- i.e. at age h × log2(recency / (p − 0.5)); one second later, so the job that runs at that instant
-- always finds the lower value (round() keeps p at exactly p − 0.5).
CREATE FUNCTION lead_score_at(
  p_base integer, p_activity timestamptz, p_recency numeric, p_half_life_days numeric, p_now timestamptz,
  OUT score integer, OUT refresh_at timestamptz
) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_age_days double precision := GREATEST(0, extract(epoch FROM p_now - p_activity) / 86400.0);
  v_points integer := 0;
BEGIN
  IF p_activity IS NOT NULL AND p_recency > 0 AND p_half_life_days > 0 THEN
    v_points := round((p_recency::double precision * power(2.0, -v_age_days / p_half_life_days::double precision))::numeric);
  END IF;
  score := LEAST(100, GREATEST(0, p_base + v_points));
  refresh_at := CASE WHEN v_points > 0 THEN
    p_activity + make_interval(secs => p_half_life_days::double precision * 86400.0
                                       * ln(p_recency::double precision / (v_points - 0.5)) / ln(2.0) + 1)
  END;
END;
$$;

-- A lead's base (everything but recency), latest fact and recency weights, from its facts.
CREATE FUNCTION lead_score_facts(p_lead bigint)
RETURNS TABLE (base integer, activity_at timestamptz, recency numeric, half_life_days numeric)
LANGUAGE sql STABLE AS $$
  WITH l AS (
    SELECT l.id, l.status::text AS status, l.origin_platform, l.created_at, lead_score_weights(s.score_weights) AS w
    FROM leads l JOIN sub_accounts s ON s.id = l.sub_account_id WHERE l.id = p_lead
  ), held AS (
    SELECT 'NEW'::text AS st UNION SELECT l.status FROM l
    UNION SELECT c.to_status::text FROM lead_status_changes c WHERE c.lead_id = p_lead
  ), facts AS (
    SELECT (SELECT count(*) FROM lead_activities a WHERE a.lead_id = p_lead AND a.type = 'CALL' AND a.outcome = 'ANSWERED') AS answered,
           (SELECT count(*) FROM lead_interactions i WHERE i.lead_id = p_lead AND i.channel = 'whatsapp' AND i.direction = 'inbound') AS replies,
           GREATEST((SELECT created_at FROM l),
                    (SELECT max(at) FROM lead_status_changes WHERE lead_id = p_lead),
                    (SELECT max(occurred_at) FROM lead_activities WHERE lead_id = p_lead),
                    (SELECT max(occurred_at) FROM lead_interactions i
                      WHERE i.lead_id = p_lead AND i.channel = 'whatsapp' AND i.direction = 'inbound')) AS latest
  )
  SELECT (COALESCE((l.w->'source'->>COALESCE(l.origin_platform, ''))::numeric, (l.w->'source'->>'default')::numeric, 0)
          + COALESCE((SELECT max((l.w->'stage'->>h.st)::numeric) FROM held h), 0)
          + LEAST(f.answered, (l.w->>'maxAnsweredCalls')::numeric) * (l.w->>'answeredCall')::numeric
          + LEAST(f.replies, (l.w->>'maxWhatsappReplies')::numeric) * (l.w->>'whatsappReply')::numeric)::integer,
         f.latest, (l.w->>'recency')::numeric, (l.w->>'recencyHalfLifeDays')::numeric
  FROM l, facts f
$$;

-- The score at p_now (kept for callers of the first version).
CREATE OR REPLACE FUNCTION lead_score_compute(p_lead bigint, p_now timestamptz) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT (lead_score_at(f.base, f.activity_at, f.recency, f.half_life_days, p_now)).score FROM lead_score_facts(p_lead) f
$$;

-- Recomputes a lead's stored score from its facts (every fact's trigger calls it).
CREATE FUNCTION lead_score_refresh(p_lead bigint, p_now timestamptz) RETURNS void LANGUAGE sql AS $$
  UPDATE leads l SET score = a.score, score_base = f.base, score_activity_at = f.activity_at, score_refresh_at = a.refresh_at
  FROM lead_score_facts(p_lead) f, lead_score_at(f.base, f.activity_at, f.recency, f.half_life_days, p_now) a
  WHERE l.id = p_lead
$$;

-- The decay job: up to p_limit leads whose score changed by p_now, oldest instant first; skips rows
-- another writer holds (a fact's trigger recomputes those anyway). Returns how many it rewrote.
CREATE FUNCTION lead_score_decay(p_now timestamptz, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_rows integer;
BEGIN
  WITH due AS (
    SELECT l.id, l.score_base, l.score_activity_at, lead_score_weights(s.score_weights) AS w
    FROM (SELECT id FROM leads WHERE score_refresh_at <= p_now ORDER BY score_refresh_at LIMIT p_limit) d
    JOIN leads l ON l.id = d.id JOIN sub_accounts s ON s.id = l.sub_account_id
    FOR UPDATE OF l SKIP LOCKED
  )
  UPDATE leads l SET score = a.score, score_refresh_at = a.refresh_at
  FROM due, lead_score_at(due.score_base, due.score_activity_at, (due.w->>'recency')::numeric,
                          (due.w->>'recencyHalfLifeDays')::numeric, p_now) a
  WHERE l.id = due.id;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  RETURN v_rows;
END;
$$;

-- The score a lead starts with (source, its status, full recency), set on the row itself. Constant
-- time: one primary-key read of its sub-account, no other rows.
CREATE OR REPLACE FUNCTION lead_score_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w jsonb;
  a record;
BEGIN
  SELECT lead_score_weights(score_weights) INTO w FROM sub_accounts WHERE id = NEW.sub_account_id;
  NEW.score_base := LEAST(100, GREATEST(0,
      COALESCE((w->'source'->>COALESCE(NEW.origin_platform, ''))::numeric, (w->'source'->>'default')::numeric, 0)
    + COALESCE((w->'stage'->>NEW.status::text)::numeric, 0)))::integer;
  NEW.score_activity_at := NEW.created_at;
  a := lead_score_at(NEW.score_base, NEW.created_at, (w->>'recency')::numeric, (w->>'recencyHalfLifeDays')::numeric, now());
  NEW.score := a.score;
  NEW.score_refresh_at := a.refresh_at;
  RETURN NEW;
END;
$$;

-- The fact triggers as in 20261201150100, recomputing through lead_score_refresh.
CREATE OR REPLACE FUNCTION analytics_on_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  l record;
BEGIN
  SELECT origin_platform, origin_integration_id, origin_campaign_id INTO l FROM leads WHERE id = NEW.lead_id AND NOT is_test;
  IF FOUND THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_status(l.origin_platform, l.origin_integration_id, l.origin_campaign_id, NEW.from_status::text, NEW.to_status::text, NEW.assigned_user_id) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_on_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id AND NOT is_test) THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.occurred_at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_activity(NEW.type::text, NEW.outcome::text, NEW.user_id, NEW.duration_seconds) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION lead_score_on_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lead_score_refresh(NEW.lead_id, now());
  RETURN NULL;
END;
$$;

-- Existing leads: base, latest fact and the score as of now.
SELECT lead_score_refresh(id, now()) FROM leads;
