-- API.md: `sourceTracking.cost` is the campaign's spend that day ÷ its leads that day "when spend is
-- known". Costs were filled only by an ad-spend sync, so a lead arriving after that day's spend was
-- pulled kept cost null (and the earlier touches kept the whole spend) until the next sync. A touch
-- written for a campaign and day whose spend is already stored now re-splits that day at once; the
-- spend lookup keeps the common case (no spend for it) to one index probe.
CREATE FUNCTION lead_sources_cost_on_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
BEGIN
  IF NEW.campaign_id IS NULL THEN RETURN NULL; END IF;
  SELECT (COALESCE(NEW.submitted_at, NEW.created_at) AT TIME ZONE timezone)::date INTO v_day
    FROM sub_accounts WHERE id = NEW.sub_account_id;
  IF v_day IS NOT NULL AND EXISTS (
    SELECT 1 FROM ad_costs
     WHERE sub_account_id = NEW.sub_account_id AND day = v_day AND campaign_id = NEW.campaign_id
       AND (CASE platform WHEN 'facebook-ads' THEN 'meta' ELSE platform END) = NEW.platform
  ) THEN
    PERFORM lead_sources_fill_cost(NEW.sub_account_id, v_day, v_day);
  END IF;
  RETURN NULL;
END;
$$;

-- deferred: the touch's lead and every touch of the same transaction are in place when the day is split
CREATE CONSTRAINT TRIGGER lead_sources_cost_written AFTER INSERT OR UPDATE OF campaign_id, platform, submitted_at,
  is_test, deleted_at ON lead_sources DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION lead_sources_cost_on_touch();
