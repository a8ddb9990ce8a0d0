-- Issue 15: which provider grant an OAuth-connected integration's tokens come from, as sha256 hex of
-- "<provider>:<person id>" (Meta's app-scoped user id, Google's OpenID sub) or of the revocable token
-- itself, never in the clear. A disconnect revokes at the provider (Meta DELETE /me/permissions,
-- Google revoke) only while no other live integration holds the same grant: the revocation removes
-- the app's grant for the whole person, not for one integration.
ALTER TABLE "integrations" ADD COLUMN "oauth_grant_key" TEXT;

CREATE INDEX "integrations_oauth_grant_key_idx" ON "integrations" ("oauth_provider", "oauth_grant_key")
  WHERE "oauth_grant_key" IS NOT NULL;
