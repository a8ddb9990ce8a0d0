-- Two integrations of a sub-account that report the same ad account (two Facebook Ads connections sharing
-- an account, or one reconnected beside the old) stored the same campaign's spend twice, and every sum
-- of spend doubled it: overview, attribution, reports and each lead's attributed cost. A platform's
-- campaign ids are its own (Meta, Google Ads and LinkedIn ids name one campaign), so a campaign's day is
-- now summed from one integration only: the lowest-numbered one reporting it (Facebook Ads reports Meta's
-- campaigns), found by one lookup on the index below.
--
-- Within that integration, as before, the coarsest level stored that day. That test is now written with
-- the coarser level as a constant: the planner hashed every row of an integration's day against every
-- other (520 ad rows a day: 41 M comparisons for a quarter of 5 accounts, 6.5 s); with the constant only
-- that day's campaign (or ad set) rows are looked at (the same quarter, this view included: 1.0 s).
CREATE INDEX "ad_costs_sub_account_id_campaign_id_day_integration_id_idx"
  ON "ad_costs"("sub_account_id", "campaign_id", "day", "integration_id");

CREATE OR REPLACE VIEW "ad_costs_summed" AS
SELECT c.*
  FROM "ad_costs" c
 WHERE NOT EXISTS (
   SELECT 1 FROM "ad_costs" p
    WHERE p.integration_id = c.integration_id AND p.day = c.day AND p.level = 'campaign'
      AND c.level <> 'campaign')
   AND NOT EXISTS (
   SELECT 1 FROM "ad_costs" p
    WHERE p.integration_id = c.integration_id AND p.day = c.day AND p.level = 'adset'
      AND c.level NOT IN ('campaign', 'adset'))
   AND NOT EXISTS (
   SELECT 1 FROM "ad_costs" o
    WHERE o.sub_account_id = c.sub_account_id AND o.campaign_id = c.campaign_id AND o.day = c.day
      AND o.integration_id < c.integration_id
      AND (CASE o.platform WHEN 'facebook-ads' THEN 'meta' ELSE o.platform END)
        = (CASE c.platform WHEN 'facebook-ads' THEN 'meta' ELSE c.platform END));
