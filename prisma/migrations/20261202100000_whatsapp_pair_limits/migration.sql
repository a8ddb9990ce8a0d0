-- Issue 12 point 5: Meta's pair rate limit (one business number → one WhatsApp user) shared by every
-- worker process: a GCRA state per pair (its theoretical arrival time) and a back-off after error 131056.

-- CreateTable
CREATE TABLE "whatsapp_pair_limits" (
    "rate_key" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "tat" TIMESTAMPTZ(6) NOT NULL,
    "granted_at" TIMESTAMPTZ(6),
    "blocked_until" TIMESTAMPTZ(6),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_pair_limits_pkey" PRIMARY KEY ("rate_key","recipient")
);

-- CreateIndex
CREATE INDEX "whatsapp_pair_limits_updated_at_idx" ON "whatsapp_pair_limits"("updated_at");
