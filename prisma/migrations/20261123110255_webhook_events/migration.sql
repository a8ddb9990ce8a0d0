-- CreateEnum
CREATE TYPE "WebhookEventStatus" AS ENUM ('PENDING', 'PROCESSING', 'PROCESSED', 'FAILED');

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" BIGSERIAL NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "dedup_key" TEXT NOT NULL,
    "external_id" TEXT,
    "event_type" TEXT NOT NULL,
    "status" "WebhookEventStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "next_attempt_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_rejections" (
    "integration_id" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "webhook_rejections_pkey" PRIMARY KEY ("integration_id","hour")
);

-- CreateIndex
CREATE INDEX "webhook_events_integration_id_status_received_at_idx" ON "webhook_events"("integration_id", "status", "received_at");

-- CreateIndex
CREATE INDEX "webhook_events_integration_id_received_at_idx" ON "webhook_events"("integration_id", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_events_integration_id_dedup_key_key" ON "webhook_events"("integration_id", "dedup_key");

-- AddForeignKey
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
