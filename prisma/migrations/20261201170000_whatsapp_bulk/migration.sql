-- Issue 12 point 5: WhatsApp bulk sends as a ledger (jobs, one recipient row per (bulk, lead), runner lanes).
-- Claims, leases and states: src/modules/whatsapp/bulk/bulk.repository.ts and bulk-states.ts.

-- CreateTable
CREATE TABLE "whatsapp_bulk_jobs" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "kind" TEXT NOT NULL,
    "template_id" BIGINT,
    "template_name" TEXT,
    "template_language" TEXT,
    "template_category" TEXT,
    "template" JSONB,
    "text" TEXT,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "rate_per_second" INTEGER NOT NULL,
    "lanes" INTEGER NOT NULL DEFAULT 3,
    "total" INTEGER NOT NULL DEFAULT 0,
    "skipped_at_start" JSONB NOT NULL DEFAULT '{}',
    "scheduled_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "paused_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_bulk_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_bulk_recipients" (
    "id" BIGSERIAL NOT NULL,
    "bulk_id" BIGINT NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "phone" TEXT,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "skip_reason" TEXT,
    "lease_id" UUID,
    "lease_until" TIMESTAMPTZ(3),
    "request_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "not_before" TIMESTAMPTZ(3),
    "message_id" UUID,
    "wamid" TEXT,
    "error_code" INTEGER,
    "error_title" TEXT,
    "error_details" TEXT,
    "accepted_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_bulk_recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_bulk_runners" (
    "bulk_id" BIGINT NOT NULL,
    "lane" INTEGER NOT NULL,
    "owner" UUID,
    "lease_until" TIMESTAMPTZ(3),

    CONSTRAINT "whatsapp_bulk_runners_pkey" PRIMARY KEY ("bulk_id","lane")
);

-- CreateIndex
CREATE INDEX "whatsapp_bulk_jobs_sub_account_id_created_at_idx" ON "whatsapp_bulk_jobs"("sub_account_id", "created_at");

-- CreateIndex
CREATE INDEX "whatsapp_bulk_jobs_status_idx" ON "whatsapp_bulk_jobs"("status");

-- CreateIndex
CREATE INDEX "whatsapp_bulk_recipients_bulk_id_state_id_idx" ON "whatsapp_bulk_recipients"("bulk_id", "state", "id");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_bulk_recipients_bulk_id_lead_id_key" ON "whatsapp_bulk_recipients"("bulk_id", "lead_id");

-- AddForeignKey
ALTER TABLE "whatsapp_bulk_jobs" ADD CONSTRAINT "whatsapp_bulk_jobs_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_bulk_recipients" ADD CONSTRAINT "whatsapp_bulk_recipients_bulk_id_fkey" FOREIGN KEY ("bulk_id") REFERENCES "whatsapp_bulk_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_bulk_runners" ADD CONSTRAINT "whatsapp_bulk_runners_bulk_id_fkey" FOREIGN KEY ("bulk_id") REFERENCES "whatsapp_bulk_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
