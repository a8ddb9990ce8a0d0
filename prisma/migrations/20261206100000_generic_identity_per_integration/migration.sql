-- A generic webhook's external id is unique only within the integration that sent it: two form tools
-- sending to one sub-account both number their submissions 1, 2, 3 …, and under one key per
-- sub-account (ext:generic:<id>) the second tool's person 1 was merged into the first tool's. Leads now
-- match such ids as ext:generic@<integration id>:<id> (LeadInput.externalIdScope, lead-normalizer.ts).
-- Existing keys become one key per integration whose source row named the id; a lead already merged
-- across tools keeps every key (nothing here splits a lead). A key no source row explains stays as it is.
INSERT INTO lead_identities (sub_account_id, key, lead_id)
SELECT DISTINCT li.sub_account_id, 'ext:generic@' || s.integration_id || ':' || s.external_id, li.lead_id
  FROM lead_identities li
  JOIN lead_sources s
    ON s.lead_id = li.lead_id AND s.platform = 'generic' AND li.key = 'ext:generic:' || s.external_id
 WHERE li.key LIKE 'ext:generic:%' AND s.integration_id IS NOT NULL
ON CONFLICT (sub_account_id, key) DO NOTHING;

DELETE FROM lead_identities li
 WHERE li.key LIKE 'ext:generic:%'
   AND EXISTS (
     SELECT 1 FROM lead_sources s
      WHERE s.lead_id = li.lead_id AND s.platform = 'generic' AND li.key = 'ext:generic:' || s.external_id
        AND s.integration_id IS NOT NULL);
