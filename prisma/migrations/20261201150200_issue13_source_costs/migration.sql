-- Issue 13 point 5: `sourceTracking.cost` of a touch is its campaign's spend that day divided by the
-- campaign's touches that day (API.md "Leads"), filled from ad_costs. Days are the ad account's
-- (ad_costs.day) and a touch's day is its submission (or arrival) in the sub-account's zone. The
-- split is exact: cents that do not divide evenly go to the earliest touches, so a day's costs sum
-- back to its spend. Facebook Ads spend buys Meta leads (platform facebook-ads -> meta).
CREATE FUNCTION lead_sources_fill_cost(p_sub integer, p_from date, p_to date) RETURNS bigint
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
    FROM ad_costs
    WHERE sub_account_id = p_sub AND day >= p_from AND day <= p_to AND campaign_id <> ''
    GROUP BY 1, 2, 3
  ), touches AS (
    SELECT ls.id, ls.platform, ls.campaign_id,
           (COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE v_tz)::date AS day,
           row_number() OVER w AS rn, count(*) OVER (PARTITION BY ls.platform, ls.campaign_id,
             (COALESCE(ls.submitted_at, ls.created_at) AT TIME ZONE v_tz)::date) AS n
    FROM lead_sources ls
    WHERE ls.sub_account_id = p_sub AND NOT ls.is_test AND ls.deleted_at IS NULL AND ls.campaign_id IS NOT NULL
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
