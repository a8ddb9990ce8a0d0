-- API.md: `sourceTracking.cost` is the campaign's spend that day ÷ its leads that day "when spend is
-- known". Costs were filled only by an ad-spend sync, so a lead arriving after that day's spend was
-- pulled kept cost null (and the earlier touches kept the whole spend) until the next sync. A touch
-- written for a campaign and day whose spend is already stored now re-splits that campaign's day when
-- its transaction commits.
--
-- Kept off the lead write's hot path and out of growing with the data:
-- - no spend for the touch's campaign and day (every lead of a sub-account without ad spend): one
--   probe of ad_costs (sub_account_id, day), nothing else;
-- - the re-split reads only the campaign's touches, through lead_sources (sub_account_id, created_at)
--   from the day before (a touch is created at or after it is submitted), never the sub-account's
--   whole history;
-- - once per transaction and campaign-day, however many of its touches the transaction wrote (a sync
--   of 500 leads, a worker's group commit).

DROP FUNCTION lead_sources_fill_cost(integer, date, date);

-- p_platform / p_campaign (both or neither): only that campaign's touches and spend
CREATE FUNCTION lead_sources_fill_cost(p_sub integer, p_from date, p_to date, p_platform text DEFAULT NULL,
  p_campaign text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_tz text;
  v_rows bigint;
BEGIN
  SELECT timezone INTO v_tz FROM sub_accounts WHERE id = p_sub;
  IF v_tz IS NULL THEN RETURN 0; END IF;
  WITH spend AS (
    SELECT CASE platform WHEN 'facebook-ads' THEN 'meta' ELSE platform END AS platform, campaign_id, day,
           round(sum(spend) * 100)::bigint AS cents, max(currency) AS currency
    FROM ad_costs_summed
    WHERE sub_account_id = p_sub AND day >= p_from AND day <= p_to AND campaign_id <> ''
      AND (p_campaign IS NULL OR campaign_id = p_campaign)
    GROUP BY 1, 2, 3
  ), touches AS (
    SELECT ls.id, ls.platform, ls.campaign_id,
           (COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE v_tz)::date AS day,
           row_number() OVER w AS rn, count(*) OVER (PARTITION BY ls.platform, ls.campaign_id,
             (COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE v_tz)::date) AS n
    FROM lead_sources ls
    WHERE ls.sub_account_id = p_sub AND NOT ls.is_test AND ls.deleted_at IS NULL AND ls.campaign_id IS NOT NULL
      AND (p_campaign IS NULL OR (ls.campaign_id = p_campaign AND ls.platform = p_platform))
      -- the index's bound: created no earlier than the day before the period (see the header)
      AND (p_campaign IS NULL OR ls.created_at >= (p_from::timestamp AT TIME ZONE v_tz) - interval '1 day')
      AND COALESCE(ls.submitted_at, ls.created_at) >= (p_from::timestamp AT TIME ZONE v_tz) - interval '1 day'
      AND COALESCE(ls.submitted_at, ls.created_at) < ((p_to + 1)::timestamp AT TIME ZONE v_tz) + interval '1 day'
    WINDOW w AS (PARTITION BY ls.platform, ls.campaign_id, (COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE v_tz)::date
                 ORDER BY COALESCE(ls.submitted_at, ls.created_at), ls.id)
  )
  UPDATE lead_sources u
  SET cost = ((s.cents / t.n) + CASE WHEN t.rn <= s.cents % t.n THEN 1 ELSE 0 END)::numeric / 100,
      currency = COALESCE(s.currency, u.currency)
  FROM touches t JOIN spend s ON s.platform = t.platform AND s.campaign_id = t.campaign_id AND s.day = t.day
  WHERE u.id = t.id
    AND u.cost IS DISTINCT FROM ((s.cents / t.n) + CASE WHEN t.rn <= s.cents % t.n THEN 1 ELSE 0 END)::numeric / 100;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  RETURN v_rows;
END;
$$;

CREATE FUNCTION lead_sources_cost_on_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
  v_key text;
  v_done text;
BEGIN
  IF NEW.campaign_id IS NULL THEN RETURN NULL; END IF;
  SELECT (COALESCE(NEW.submitted_at, NEW.created_at) AT TIME ZONE timezone)::date INTO v_day
    FROM sub_accounts WHERE id = NEW.sub_account_id;
  IF v_day IS NULL OR NOT EXISTS (
    SELECT 1 FROM ad_costs
     WHERE sub_account_id = NEW.sub_account_id AND day = v_day AND campaign_id = NEW.campaign_id
       AND (CASE platform WHEN 'facebook-ads' THEN 'meta' ELSE platform END) = NEW.platform
  ) THEN
    RETURN NULL;
  END IF;
  -- deferred triggers fire at commit, after every touch of the transaction: the first re-split of a
  -- campaign-day covers them all (a transaction-local setting lists the ones done)
  v_key := md5(concat_ws('|', NEW.sub_account_id, NEW.platform, NEW.campaign_id, v_day));
  v_done := COALESCE(current_setting('hub.cost_splits_done', true), '');
  IF position(v_key IN v_done) > 0 THEN RETURN NULL; END IF;
  PERFORM set_config('hub.cost_splits_done', v_done || v_key || ',', true);
  PERFORM lead_sources_fill_cost(NEW.sub_account_id, v_day, v_day, NEW.platform, NEW.campaign_id);
  RETURN NULL;
END;
$$;

-- deferred: the touch's lead and every touch of the same transaction are in place when the day is split
CREATE CONSTRAINT TRIGGER lead_sources_cost_written AFTER INSERT OR UPDATE OF campaign_id, platform, submitted_at,
  is_test, deleted_at ON lead_sources DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION lead_sources_cost_on_touch();
