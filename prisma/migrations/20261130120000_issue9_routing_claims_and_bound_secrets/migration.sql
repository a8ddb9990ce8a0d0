-- AlterTable
ALTER TABLE "integrations" ADD COLUMN     "previous_config_secrets" JSONB,
ADD COLUMN     "previous_config_secrets_expire_at" TIMESTAMPTZ(3),
ADD COLUMN     "seal_version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "webhook_routing_claims" (
    "handler" TEXT NOT NULL,
    "routing_key" TEXT NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_routing_claims_pkey" PRIMARY KEY ("handler","routing_key")
);

-- CreateIndex
CREATE INDEX "webhook_routing_claims_sub_account_id_idx" ON "webhook_routing_claims"("sub_account_id");

-- AddForeignKey
ALTER TABLE "webhook_routing_claims" ADD CONSTRAINT "webhook_routing_claims_sub_account_id_fkey" FOREIGN KEY ("sub_account_id") REFERENCES "sub_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing routing keys: each goes to one sub-account, the one whose integration with that key passed a
-- connection test first (else the oldest integration). Integrations of any other sub-account holding
-- the same key stop receiving deliveries until an admin sorts it out.
INSERT INTO "webhook_routing_claims" ("handler", "routing_key", "sub_account_id")
SELECT DISTINCT ON ("handler", "routing_key") "handler", "routing_key", "sub_account_id"
FROM "integrations"
WHERE "routing_key" IS NOT NULL
ORDER BY "handler", "routing_key", ("status" = 'active') DESC, "id";

UPDATE "integrations" i
SET "is_active" = false,
    "status" = 'error',
    "error_message" = 'ROUTING_KEY_TAKEN: this page, number, location or organisation is connected in another sub-account'
FROM "webhook_routing_claims" c
WHERE c."handler" = i."handler" AND c."routing_key" = i."routing_key" AND c."sub_account_id" <> i."sub_account_id";
