-- Issue 13: the rollup's two writers and the lead score, in SQL so that every writer of a fact (the
-- API, GoHighLevel events, WhatsApp capture, ingest's apply_lead, a sync's stub lead) updates the
-- rollup in the same transaction without knowing it, and a rebuild derives exactly the same rows.
--
-- The rows each fact contributes are defined once (analytics_rows_*); the incremental writer is a
-- deferred constraint trigger per fact (it runs at commit, so the hot rollup rows are locked only for
-- the end of the transaction), and analytics_rebuild() aggregates the same rows from the facts.
-- Writers of one sub-account's rollup take its advisory lock first (single-bigint key space, so it
-- never meets apply_lead's two-int identity locks): a transaction that writes several leads cannot
-- deadlock with another on the rollup's rows, and a rebuild never interleaves with a delta.

CREATE FUNCTION analytics_lock(p_sub integer) RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock((7305::bigint << 32) | p_sub::bigint)
$$;

CREATE FUNCTION analytics_source_key(p_platform text, p_integration integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT COALESCE(p_platform, '') || '|' || COALESCE(p_integration::text, '') $$;

CREATE FUNCTION analytics_campaign_key(p_platform text, p_campaign text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT COALESCE(p_platform, '') || '|' || COALESCE(p_campaign, '') $$;

-- a lead created (with its initial status)
CREATE FUNCTION analytics_rows_lead(p_platform text, p_integration integer, p_campaign text, p_status text)
RETURNS TABLE (dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql IMMUTABLE AS $$
  VALUES ('source', analytics_source_key(p_platform, p_integration), 'new', 1::bigint, 0::numeric),
         ('campaign', analytics_campaign_key(p_platform, p_campaign), 'new', 1, 0),
         ('status', p_status, 'entered', 1, 0),
         ('status', p_status, 'net', 1, 0)
$$;

-- a status change: converted/lost by source and campaign (and converted by the assignee), the
-- status entered, and the stock moved from one status to the other
CREATE FUNCTION analytics_rows_status(
  p_platform text, p_integration integer, p_campaign text, p_from text, p_to text, p_assignee text
) RETURNS TABLE (dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql IMMUTABLE AS $$
  SELECT d.t, d.i, m.m, 1::bigint, 0::numeric
  FROM (VALUES ('source', analytics_source_key(p_platform, p_integration)),
               ('campaign', analytics_campaign_key(p_platform, p_campaign))) d(t, i),
       (SELECT CASE p_to WHEN 'CONVERTED' THEN 'converted' WHEN 'LOST' THEN 'lost' END) m(m)
  WHERE m.m IS NOT NULL
  UNION ALL SELECT 'user', p_assignee, 'converted', 1, 0 WHERE p_to = 'CONVERTED' AND p_assignee IS NOT NULL
  UNION ALL SELECT 'status', p_to, 'entered', 1, 0
  UNION ALL SELECT 'status', p_to, 'net', 1, 0
  UNION ALL SELECT 'status', p_from, 'net', -1, 0 WHERE p_from IS NOT NULL
$$;

CREATE FUNCTION analytics_rows_assignment(p_to_user text)
RETURNS TABLE (dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'user', p_to_user, 'assigned', 1::bigint, 0::numeric WHERE p_to_user IS NOT NULL
$$;

-- an activity; a call's duration is the sum of `calls`
CREATE FUNCTION analytics_rows_activity(p_type text, p_outcome text, p_user text, p_seconds integer)
RETURNS TABLE (dim_type text, dim_id text, metric text, n bigint, amount numeric)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'user', p_user, 'activities', 1::bigint, 0::numeric
  UNION ALL SELECT 'user', p_user, 'calls', 1, COALESCE(p_seconds, 0)::numeric WHERE p_type = 'CALL'
  UNION ALL SELECT 'user', p_user, 'calls_answered', 1, 0 WHERE p_type = 'CALL' AND p_outcome = 'ANSWERED'
$$;

-- Lead score ---------------------------------------------------------------------------------------
-- 0-100 from the lead's facts with the sub-account's weights (score_weights overrides any key):
-- its source, the furthest funnel stage it reached, answered calls, inbound WhatsApp replies, and how
-- recent its latest fact is (as of the moment it is recomputed: at every fact).
CREATE FUNCTION lead_score_weights(p_weights jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'source', '{"default": 10, "google-ads": 20, "linkedin": 20, "meta": 15, "whatsapp": 15, "manual": 10}'::jsonb
              || COALESCE(p_weights->'source', '{}'::jsonb),
    'stage', '{"NEW": 0, "CONTACTED": 10, "QUALIFIED": 25, "CONVERTED": 40}'::jsonb
             || COALESCE(p_weights->'stage', '{}'::jsonb),
    'answeredCall', COALESCE(p_weights->'answeredCall', '5'), 'maxAnsweredCalls', COALESCE(p_weights->'maxAnsweredCalls', '3'),
    'whatsappReply', COALESCE(p_weights->'whatsappReply', '5'), 'maxWhatsappReplies', COALESCE(p_weights->'maxWhatsappReplies', '3'),
    'recent7Days', COALESCE(p_weights->'recent7Days', '15'), 'recent30Days', COALESCE(p_weights->'recent30Days', '5'))
$$;

CREATE FUNCTION lead_score_compute(p_lead bigint, p_now timestamptz) RETURNS integer LANGUAGE sql STABLE AS $$
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
                    (SELECT max(occurred_at) FROM lead_activities WHERE lead_id = p_lead)) AS latest
  )
  SELECT LEAST(100, GREATEST(0,
      COALESCE((l.w->'source'->>COALESCE(l.origin_platform, ''))::numeric, (l.w->'source'->>'default')::numeric, 0)
    + COALESCE((SELECT max((l.w->'stage'->>h.st)::numeric) FROM held h), 0)
    + LEAST(f.answered, (l.w->>'maxAnsweredCalls')::numeric) * (l.w->>'answeredCall')::numeric
    + LEAST(f.replies, (l.w->>'maxWhatsappReplies')::numeric) * (l.w->>'whatsappReply')::numeric
    + CASE WHEN f.latest > p_now - interval '7 days' THEN (l.w->>'recent7Days')::numeric
           WHEN f.latest > p_now - interval '30 days' THEN (l.w->>'recent30Days')::numeric ELSE 0 END
  ))::integer
  FROM l, facts f
$$;

-- Incremental writer -------------------------------------------------------------------------------
-- Each trigger adds its fact's rows (rows of one statement in key order; the sub-account's lock
-- orders whole transactions). The lean shape matters: a webhook's transaction holds one lead, and a
-- sync page's up to 500 (each of its leads updates the same few rows again: keep that cheap).

-- the local day of an instant in the sub-account's zone, once its rollup lock is held
CREATE FUNCTION analytics_day(p_sub integer, p_at timestamptz) RETURNS date LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
BEGIN
  PERFORM analytics_lock(p_sub);
  SELECT (p_at AT TIME ZONE s.timezone)::date INTO v_day FROM sub_accounts s WHERE s.id = p_sub;
  RETURN v_day;
END;
$$;

CREATE FUNCTION analytics_on_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW') r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  RETURN NULL;
END;
$$;

-- a test lead that a real touch turns into a real one counts from its creation day (late fact)
CREATE FUNCTION analytics_on_lead_real() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.created_at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_lead(NEW.origin_platform, NEW.origin_integration_id, NEW.origin_campaign_id, 'NEW') r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  RETURN NULL;
END;
$$;

CREATE FUNCTION analytics_on_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
  UPDATE leads SET score = lead_score_compute(NEW.lead_id, now()) WHERE id = NEW.lead_id;
  RETURN NULL;
END;
$$;

CREATE FUNCTION analytics_on_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.to_user_id IS NOT NULL AND EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id AND NOT is_test) THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_assignment(NEW.to_user_id) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  RETURN NULL;
END;
$$;

CREATE FUNCTION analytics_on_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id AND NOT is_test) THEN
  INSERT INTO analytics_daily AS a (sub_account_id, day, dim_type, dim_id, metric, count, sum)
  SELECT NEW.sub_account_id, analytics_day(NEW.sub_account_id, NEW.occurred_at), r.dim_type, r.dim_id, r.metric, r.n, r.amount
  FROM analytics_rows_activity(NEW.type::text, NEW.outcome::text, NEW.user_id, NEW.duration_seconds) r ORDER BY 3, 4, 5
  ON CONFLICT (sub_account_id, day, dim_type, dim_id, metric)
  DO UPDATE SET count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum;
  END IF;
  UPDATE leads SET score = lead_score_compute(NEW.lead_id, now()) WHERE id = NEW.lead_id;
  RETURN NULL;
END;
$$;

CREATE FUNCTION lead_score_on_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE leads SET score = lead_score_compute(NEW.lead_id, now()) WHERE id = NEW.lead_id;
  RETURN NULL;
END;
$$;

-- the score a lead starts with (source and recency), set on the row itself: no second write
CREATE FUNCTION lead_score_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w jsonb;
BEGIN
  SELECT lead_score_weights(score_weights) INTO w FROM sub_accounts WHERE id = NEW.sub_account_id;
  NEW.score := LEAST(100, GREATEST(0,
      COALESCE((w->'source'->>COALESCE(NEW.origin_platform, ''))::numeric, (w->'source'->>'default')::numeric, 0)
    + COALESCE((w->'stage'->>NEW.status::text)::numeric, 0) + (w->>'recent7Days')::numeric))::integer;
  RETURN NEW;
END;
$$;

CREATE CONSTRAINT TRIGGER analytics_lead_created AFTER INSERT ON leads DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NOT NEW.is_test) EXECUTE FUNCTION analytics_on_lead();
CREATE TRIGGER analytics_lead_became_real AFTER UPDATE OF is_test ON leads
  FOR EACH ROW WHEN (OLD.is_test AND NOT NEW.is_test) EXECUTE FUNCTION analytics_on_lead_real();
CREATE TRIGGER lead_score_initial BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION lead_score_on_insert();
CREATE CONSTRAINT TRIGGER analytics_status_changed AFTER INSERT ON lead_status_changes DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION analytics_on_status_change();
CREATE CONSTRAINT TRIGGER analytics_assigned AFTER INSERT ON lead_assignments DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION analytics_on_assignment();
CREATE CONSTRAINT TRIGGER analytics_activity AFTER INSERT ON lead_activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION analytics_on_activity();
CREATE TRIGGER lead_score_inbound AFTER INSERT ON lead_interactions
  FOR EACH ROW WHEN (NEW.direction = 'inbound' AND NEW.channel = 'whatsapp') EXECUTE FUNCTION lead_score_on_inbound();

-- A status change as one call: locks the lead, records the fact when the status really changes
-- (with the assignee of the moment), and answers whether it did. Every writer uses it.
CREATE FUNCTION lead_set_status(
  p_sub integer, p_lead bigint, p_to "LeadStatus", p_at timestamptz, p_by text, p_origin text
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_from "LeadStatus";
  v_assignee text;
BEGIN
  SELECT status, assigned_user_id INTO v_from, v_assignee FROM leads WHERE id = p_lead AND sub_account_id = p_sub FOR UPDATE;
  IF NOT FOUND OR v_from = p_to THEN RETURN false; END IF;
  UPDATE leads SET status = p_to, updated_at = now() WHERE id = p_lead;
  INSERT INTO lead_status_changes (sub_account_id, lead_id, from_status, to_status, at, by, origin, assigned_user_id)
  VALUES (p_sub, p_lead, v_from, p_to, p_at, p_by, p_origin, v_assignee);
  RETURN true;
END;
$$;

-- Rebuild ------------------------------------------------------------------------------------------
-- Every row the facts of one sub-account in [p_start, p_end) contribute, with the fact's instant: the
-- rebuild aggregates them by local day; reads of partial days and hours aggregate them by instant.
CREATE FUNCTION analytics_fact_rows(p_sub integer, p_start timestamptz, p_end timestamptz)
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
  UNION ALL
  SELECT a.at, x.* FROM lead_assignments a JOIN leads l ON l.id = a.lead_id AND NOT l.is_test,
    LATERAL analytics_rows_assignment(a.to_user_id) x
  WHERE a.sub_account_id = p_sub AND a.at >= p_start AND a.at < p_end
  UNION ALL
  SELECT a.occurred_at, x.* FROM lead_activities a JOIN leads l ON l.id = a.lead_id AND NOT l.is_test,
    LATERAL analytics_rows_activity(a.type::text, a.outcome::text, a.user_id, a.duration_seconds) x
  WHERE a.sub_account_id = p_sub AND a.occurred_at >= p_start AND a.occurred_at < p_end
$$;

-- Deletes and re-derives the rows of local days [p_from, p_to] (NULL = unbounded) of one
-- sub-account from its facts, in the caller's transaction. Idempotent: the same facts give the same rows.
CREATE FUNCTION analytics_rebuild(p_sub integer, p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_tz text;
  v_start timestamptz;
  v_end timestamptz;
  v_rows bigint;
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
  RETURN v_rows;
END;
$$;

-- apply_lead as before (20261201090000), and a new lead remembers its first touch (origin_*)
CREATE OR REPLACE FUNCTION apply_lead(
  p_sub integer, p_integration integer, p_origin text, p_keys text[], p_lead jsonb, p_source jsonb,
  p_content_hash text
) RETURNS TABLE (lead_id bigint, created boolean, new_touch boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_lead bigint;
  v_created boolean := false;
  v_source bigint;
  v_tags text[] := COALESCE(ARRAY(SELECT jsonb_array_elements_text(p_lead->'tags')), '{}');
  v_test boolean := COALESCE((p_lead->>'isTest')::boolean, false);
  v_key text;
BEGIN
  PERFORM pg_advisory_xact_lock(p_sub, hashtext(k)) FROM (SELECT DISTINCT unnest(p_keys) AS k ORDER BY 1) s;

  -- the strongest key that names a lead, one primary-key probe per key. (`key = ANY(p_keys)` was one
  -- probe per key only while PL/pgSQL used a custom plan: the generic plan it may switch to after five
  -- calls could read every identity of the sub-account instead, measured at 2,600 index tuples per
  -- delivery in lead-e2e. An equality on both primary-key columns has one plan, the probe.)
  FOREACH v_key IN ARRAY p_keys LOOP
    SELECT li.lead_id INTO v_lead FROM lead_identities li WHERE li.sub_account_id = p_sub AND li.key = v_key;
    EXIT WHEN v_lead IS NOT NULL;
  END LOOP;

  IF v_lead IS NULL THEN
    INSERT INTO leads (sub_account_id, full_name, first_name, last_name, email, phone, phone_valid, company, job_title,
                       city, region, postal_code, country, tags, custom_answers, is_test, updated_at,
                       origin_platform, origin_integration_id, origin_campaign_id)
    VALUES (p_sub, p_lead->>'fullName', p_lead->>'firstName', p_lead->>'lastName', p_lead->>'email', p_lead->>'phone',
            COALESCE((p_lead->>'phoneValid')::boolean, true), p_lead->>'company', p_lead->>'jobTitle', p_lead->>'city',
            p_lead->>'region', p_lead->>'postalCode', p_lead->>'country', v_tags,
            COALESCE(p_lead->'customAnswers', '{}'::jsonb), v_test, now(),
            p_lead->>'platform', p_integration, p_source->>'campaignId')
    RETURNING id INTO v_lead;
    v_created := true;
  ELSE
    UPDATE leads SET
      full_name = COALESCE(p_lead->>'fullName', full_name),
      first_name = COALESCE(p_lead->>'firstName', first_name),
      last_name = COALESCE(p_lead->>'lastName', last_name),
      email = COALESCE(p_lead->>'email', email),
      phone = CASE WHEN p_lead->>'phone' IS NOT NULL AND ((p_lead->>'phoneValid')::boolean OR phone IS NULL) THEN p_lead->>'phone' ELSE phone END,
      phone_valid = CASE WHEN p_lead->>'phone' IS NOT NULL AND ((p_lead->>'phoneValid')::boolean OR phone IS NULL) THEN (p_lead->>'phoneValid')::boolean ELSE phone_valid END,
      company = COALESCE(p_lead->>'company', company),
      job_title = COALESCE(p_lead->>'jobTitle', job_title),
      city = COALESCE(p_lead->>'city', city),
      region = COALESCE(p_lead->>'region', region),
      postal_code = COALESCE(p_lead->>'postalCode', postal_code),
      country = COALESCE(p_lead->>'country', country),
      tags = ARRAY(SELECT DISTINCT t FROM unnest(tags || v_tags) t ORDER BY t),
      custom_answers = custom_answers || COALESCE(p_lead->'customAnswers', '{}'::jsonb),
      is_test = is_test AND v_test,
      updated_at = now()
    WHERE id = v_lead;
  END IF;

  INSERT INTO lead_identities (sub_account_id, key, lead_id)
  SELECT p_sub, k, v_lead FROM unnest(p_keys) k
  ON CONFLICT (sub_account_id, key) DO NOTHING;

  INSERT INTO lead_sources (lead_id, sub_account_id, integration_id, platform, external_id, origin, campaign_id, campaign_name,
    ad_group_id, ad_group_name, ad_id, ad_name, form_id, form_name, creative_id, asset_group_id, gclid, is_organic, lead_stage,
    cost, currency, is_test, content_hash, submitted_at)
  VALUES (v_lead, p_sub, p_integration, p_lead->>'platform', p_lead->>'externalId', p_origin,
    p_source->>'campaignId', p_source->>'campaignName', p_source->>'adGroupId', p_source->>'adGroupName', p_source->>'adId',
    p_source->>'adName', p_source->>'formId', p_source->>'formName', p_source->>'creativeId', p_source->>'assetGroupId',
    p_source->>'gclid', (p_source->>'isOrganic')::boolean, p_source->>'leadStage', (p_source->>'cost')::numeric(12,2),
    p_source->>'currency', v_test, p_content_hash, (p_lead->>'submittedAt')::timestamptz)
  ON CONFLICT (sub_account_id, origin, platform, external_id) DO NOTHING
  RETURNING id INTO v_source;

  RETURN QUERY SELECT v_lead, v_created, v_source IS NOT NULL;
END;
$$;
