-- Idempotency-Key on the POSTs a CRM retries (WhatsApp bulk and single sends, manual lead creates): one row
-- per (sub-account, route, user, key), claimed by INSERT … ON CONFLICT DO NOTHING before the work, so two
-- processes never both do it; the answer is stored once the work succeeded. Rows older than 24 hours are
-- deleted by the next claim (created_at index).

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "route" TEXT NOT NULL,
    "user_sub" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" TEXT,
    "locked_until" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_keys_sub_account_id_route_user_sub_key_key" ON "idempotency_keys"("sub_account_id", "route", "user_sub", "key");

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");
