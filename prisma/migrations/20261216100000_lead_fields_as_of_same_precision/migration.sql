-- A record's time (observedAt, else submittedAt, else now()) is compared with the lead's fields_as_of at
-- the precision that column keeps, the millisecond. It was compared to the microsecond with a value the
-- column had rounded: an undated record is as of now(), its transaction's start, so the second of two
-- records of one person applied in one transaction (a sync page listing a contact twice, the workers'
-- group commit of two deliveries) was the same instant, read as older whenever now() had rounded up,
-- and only filled the lead's blanks instead of updating it: half the time.
--
-- apply_lead is restated whole (CREATE OR REPLACE); only v_as_of changed (rounded as fields_as_of is).

CREATE OR REPLACE FUNCTION apply_lead(
  p_sub integer, p_integration integer, p_origin text, p_keys text[], p_lead jsonb, p_source jsonb,
  p_content_hash text
) RETURNS TABLE (lead_id bigint, created boolean, new_touch boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_lead bigint;
  v_created boolean := false;
  v_source bigint;
  -- the record's tags in its order, each once
  v_tags text[] := ARRAY(SELECT t FROM jsonb_array_elements_text(COALESCE(p_lead->'tags', '[]')) WITH ORDINALITY x(t, i)
                          WHERE t IS NOT NULL GROUP BY t ORDER BY min(i));
  v_test boolean := COALESCE((p_lead->>'isTest')::boolean, false);
  v_key text;
  -- to the millisecond, as leads.fields_as_of and lead_sources.deleted_at keep it
  v_as_of timestamptz := COALESCE((p_lead->>'observedAt')::timestamptz, (p_lead->>'submittedAt')::timestamptz, now())::timestamptz(3);
  v_older boolean;
  v_origin text := p_origin;
  v_deleted_at timestamptz;
  v_all_deleted boolean;
  v_has_sync boolean;
  v_stale boolean := false;
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

  IF v_lead IS NOT NULL THEN
    -- the record's touches on the lead its keys name (lead_sources (lead_id, created_at): the lead's own
    -- touches, a handful, whatever plan PL/pgSQL caches; a probe by sub-account could read all of its
    -- touches under a generic plan). A new lead has none.
    SELECT max(ls.deleted_at), bool_and(ls.deleted_at IS NOT NULL), bool_or(ls.origin = 'sync:' || p_integration)
      INTO v_deleted_at, v_all_deleted, v_has_sync
      FROM lead_sources ls
     WHERE ls.lead_id = v_lead AND ls.platform = p_lead->>'platform' AND ls.external_id = p_lead->>'externalId';
    IF v_has_sync AND left(p_origin, 6) = 'event:' THEN
      v_origin := 'sync:' || p_integration;
    END IF;
    -- deleted at the platform after this record's time: a late record does not bring it back
    v_stale := COALESCE(v_all_deleted, false) AND v_deleted_at >= v_as_of;
  END IF;

  IF v_lead IS NULL THEN
    INSERT INTO leads (sub_account_id, full_name, first_name, last_name, email, phone, phone_valid, company, job_title,
                       city, region, postal_code, country, tags, custom_answers, is_test, updated_at,
                       origin_platform, origin_integration_id, origin_campaign_id, fields_as_of)
    VALUES (p_sub, COALESCE(p_lead->>'fullName', p_lead->>'partialName'), p_lead->>'firstName', p_lead->>'lastName', p_lead->>'email', p_lead->>'phone',
            COALESCE((p_lead->>'phoneValid')::boolean, true), p_lead->>'company', p_lead->>'jobTitle', p_lead->>'city',
            p_lead->>'region', p_lead->>'postalCode', p_lead->>'country', v_tags,
            COALESCE(p_lead->'customAnswers', '{}'::jsonb), v_test, now(),
            p_lead->>'platform', p_integration, p_source->>'campaignId', v_as_of)
    RETURNING id INTO v_lead;
    v_created := true;
  ELSE
    IF v_stale THEN
      v_older := true;
    ELSE
      SELECT l.fields_as_of IS NOT NULL AND v_as_of < l.fields_as_of INTO v_older FROM leads l WHERE l.id = v_lead;
    END IF;
    IF v_older THEN
      -- an older record: it fills what the lead lacks, and never replaces what a newer one set
      UPDATE leads SET
        full_name = COALESCE(full_name, p_lead->>'fullName', p_lead->>'partialName'),
        first_name = COALESCE(first_name, p_lead->>'firstName'),
        last_name = COALESCE(last_name, p_lead->>'lastName'),
        email = COALESCE(email, p_lead->>'email'),
        phone = CASE WHEN phone IS NULL THEN p_lead->>'phone' ELSE phone END,
        phone_valid = CASE WHEN phone IS NULL AND p_lead->>'phone' IS NOT NULL THEN (p_lead->>'phoneValid')::boolean ELSE phone_valid END,
        company = COALESCE(company, p_lead->>'company'),
        job_title = COALESCE(job_title, p_lead->>'jobTitle'),
        city = COALESCE(city, p_lead->>'city'),
        region = COALESCE(region, p_lead->>'region'),
        postal_code = COALESCE(postal_code, p_lead->>'postalCode'),
        country = COALESCE(country, p_lead->>'country'),
        tags = tags || ARRAY(SELECT t FROM unnest(v_tags) t WHERE t <> ALL (tags)),
        custom_answers = COALESCE(p_lead->'customAnswers', '{}'::jsonb) || custom_answers,
        is_test = is_test AND v_test,
        updated_at = now()
      WHERE id = v_lead;
    ELSE
      UPDATE leads SET
        full_name = COALESCE(p_lead->>'fullName', full_name, p_lead->>'partialName'),
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
        tags = tags || ARRAY(SELECT t FROM unnest(v_tags) t WHERE t <> ALL (tags)),
        custom_answers = custom_answers || COALESCE(p_lead->'customAnswers', '{}'::jsonb),
        is_test = is_test AND v_test,
        updated_at = now(),
        fields_as_of = GREATEST(fields_as_of, v_as_of)
      WHERE id = v_lead;
    END IF;
  END IF;

  INSERT INTO lead_identities (sub_account_id, key, lead_id)
  SELECT p_sub, k, v_lead FROM unnest(p_keys) k
  ON CONFLICT (sub_account_id, key) DO NOTHING;

  INSERT INTO lead_sources (lead_id, sub_account_id, integration_id, platform, external_id, origin, campaign_id, campaign_name,
    ad_group_id, ad_group_name, ad_id, ad_name, form_id, form_name, creative_id, asset_group_id, gclid, is_organic, lead_stage,
    cost, currency, is_test, content_hash, submitted_at, deleted_at)
  VALUES (v_lead, p_sub, p_integration, p_lead->>'platform', p_lead->>'externalId', v_origin,
    p_source->>'campaignId', p_source->>'campaignName', p_source->>'adGroupId', p_source->>'adGroupName', p_source->>'adId',
    p_source->>'adName', p_source->>'formId', p_source->>'formName', p_source->>'creativeId', p_source->>'assetGroupId',
    p_source->>'gclid', (p_source->>'isOrganic')::boolean, p_source->>'leadStage', (p_source->>'cost')::numeric(12,2),
    p_source->>'currency', v_test, p_content_hash, (p_lead->>'submittedAt')::timestamptz,
    CASE WHEN v_stale THEN v_deleted_at END)
  ON CONFLICT (sub_account_id, origin, platform, external_id) DO NOTHING
  RETURNING id INTO v_source;

  RETURN QUERY SELECT v_lead, v_created, v_source IS NOT NULL;
END;
$$;
