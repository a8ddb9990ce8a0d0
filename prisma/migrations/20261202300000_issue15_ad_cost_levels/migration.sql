-- Issue 15 point 3: ad spend below the campaign (ad groups / ad sets and ads) with the names of every
-- level, and re-pulls that zero what the platform no longer reports.
--
-- A platform may store several levels of the same money (Google Ads: campaign, ad group and ad rows;
-- LinkedIn: campaign and creative rows; Facebook Ads: ad rows only). Readers sum ONE level: per
-- integration and day, the coarsest level stored (campaign, else ad set, else ad). The view
-- ad_costs_summed is those rows; every sum of spend reads it, never ad_costs.
ALTER TABLE "ad_costs"
  ADD COLUMN "campaign_name" TEXT,
  ADD COLUMN "ad_set_name" TEXT,
  ADD COLUMN "ad_name" TEXT,
  -- the sync run that last reported the row: a run's trailing window zeroes the rows it did not report
  ADD COLUMN "sync_run_id" BIGINT;

-- Google Ads reports cost in micros (millionths): six decimals keep every amount and every sum exact
-- (14,4 rounded 0.000001-unit amounts). Existing values convert exactly.
ALTER TABLE "ad_costs" ALTER COLUMN "spend" TYPE NUMERIC(18, 6);

UPDATE "ad_costs" SET "campaign_name" = "name" WHERE "level" = 'campaign' AND "name" IS NOT NULL;
UPDATE "ad_costs" SET "ad_name" = "name" WHERE "level" = 'ad' AND "name" IS NOT NULL;

CREATE FUNCTION ad_cost_level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_level WHEN 'campaign' THEN 0 WHEN 'adset' THEN 1 ELSE 2 END
$$;

CREATE VIEW "ad_costs_summed" AS
SELECT c.*
  FROM "ad_costs" c
 WHERE NOT EXISTS (
   SELECT 1 FROM "ad_costs" p
    WHERE p.integration_id = c.integration_id AND p.day = c.day
      AND ad_cost_level_rank(p.level) < ad_cost_level_rank(c.level));

-- Issue 13's cost split, now over one level of spend (the same body otherwise).
CREATE OR REPLACE FUNCTION lead_sources_fill_cost(p_sub integer, p_from date, p_to date) RETURNS bigint
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
