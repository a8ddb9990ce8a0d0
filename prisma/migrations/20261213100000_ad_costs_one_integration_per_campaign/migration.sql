-- Two integrations of a sub-account that report the same ad account (two Facebook Ads connections sharing
-- an account, or one reconnected beside the old) stored the same campaign's spend twice, and every sum
-- of spend doubled it: overview, attribution, reports and each lead's attributed cost. A platform's
-- campaign ids are its own (Meta, Google Ads and LinkedIn ids name one campaign), so a campaign's day is
-- now summed from one integration only: the lowest-numbered one reporting it (Facebook Ads reports Meta's
-- campaigns). Within it, as before, the coarsest level stored that day.
CREATE OR REPLACE VIEW "ad_costs_summed" AS
SELECT c.*
  FROM "ad_costs" c
 WHERE NOT EXISTS (
   SELECT 1 FROM "ad_costs" p
    WHERE p.integration_id = c.integration_id AND p.day = c.day
      AND ad_cost_level_rank(p.level) < ad_cost_level_rank(c.level))
   AND NOT EXISTS (
   SELECT 1 FROM "ad_costs" o
    WHERE o.sub_account_id = c.sub_account_id AND o.day = c.day AND o.campaign_id = c.campaign_id
      AND o.integration_id < c.integration_id
      AND (CASE o.platform WHEN 'facebook-ads' THEN 'meta' ELSE o.platform END)
        = (CASE c.platform WHEN 'facebook-ads' THEN 'meta' ELSE c.platform END));
