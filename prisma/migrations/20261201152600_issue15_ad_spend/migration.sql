-- Issue 15: ad spend from Google Ads and LinkedIn beside Facebook Ads. Conversions are fractional on
-- Google Ads (data-driven attribution) and are kept apart from the platform's lead-form leads.
ALTER TABLE "ad_costs" ADD COLUMN "conversions" NUMERIC(14, 4) NOT NULL DEFAULT 0;
