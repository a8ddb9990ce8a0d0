-- Issue 15: OAuth connections. The tokens of an integration connected through OAuth live on its row,
-- sealed (AES-256-GCM, bound to the row: AAD integration:<id>/oauthTokens) like its other secrets; only
-- the access token's expiry is in clear, so that refreshes can be scheduled ahead of it.
ALTER TABLE "integrations"
  ADD COLUMN "oauth_provider" TEXT,
  ADD COLUMN "oauth_tokens" TEXT,
  ADD COLUMN "oauth_expires_at" TIMESTAMPTZ(3),
  ADD COLUMN "oauth_refreshed_at" TIMESTAMPTZ(3);

-- A connect flow in progress: the server-side half of its `state` (single use: consumed by DELETE … RETURNING).
CREATE TABLE "oauth_states" (
  "id" TEXT NOT NULL,
  "integration_id" INTEGER NOT NULL,
  "sub_account_id" INTEGER NOT NULL,
  "provider" TEXT NOT NULL,
  "redirect_uri" TEXT NOT NULL,
  "code_verifier" TEXT,
  "created_by" TEXT NOT NULL,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "oauth_states_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "oauth_states_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "oauth_states_expires_at_idx" ON "oauth_states"("expires_at");
CREATE INDEX "oauth_states_integration_id_idx" ON "oauth_states"("integration_id");
