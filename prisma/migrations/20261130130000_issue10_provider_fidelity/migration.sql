-- AlterTable
ALTER TABLE "bookings" ADD COLUMN     "changed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "lead_sources" ADD COLUMN     "details" JSONB;

-- AlterTable
ALTER TABLE "leads" ADD COLUMN     "pipeline_stage" JSONB;

-- CreateTable
CREATE TABLE "traffic_daily" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "platform" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "source" TEXT NOT NULL,
    "medium" TEXT NOT NULL,
    "campaign_name" TEXT NOT NULL,
    "campaign_id" TEXT NOT NULL,
    "sessions" INTEGER NOT NULL,
    "engaged_sessions" INTEGER NOT NULL,
    "key_events" DECIMAL(14,4) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "traffic_daily_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "traffic_daily_sub_account_id_day_idx" ON "traffic_daily"("sub_account_id", "day");

-- CreateIndex
CREATE INDEX "traffic_daily_sub_account_id_campaign_id_day_idx" ON "traffic_daily"("sub_account_id", "campaign_id", "day");

-- CreateIndex
CREATE UNIQUE INDEX "traffic_daily_integration_id_day_source_medium_campaign_nam_key" ON "traffic_daily"("integration_id", "day", "source", "medium", "campaign_name", "campaign_id");

-- Template categories are the CRM's display labels, no longer slugs (issue 10 point 10): the seeded
-- standard templates still carrying the old slug get the label; a category someone changed is left alone.
UPDATE "integration_templates" SET "category" = CASE "name"
    WHEN 'meta-lead-ads' THEN 'Social Media'
    WHEN 'linkedin-lead-gen' THEN 'Social Media'
    WHEN 'google-ads-lead-forms' THEN 'Advertising'
    WHEN 'facebook-ads' THEN 'Advertising'
    WHEN 'gohighlevel' THEN 'CRM'
    WHEN 'whatsapp-cloud' THEN 'Messaging'
    WHEN 'google-analytics' THEN 'Analytics'
    WHEN 'generic-webhook' THEN 'Webhooks'
  END
WHERE ("name", "category") IN (
    ('meta-lead-ads', 'lead-ads'), ('linkedin-lead-gen', 'lead-ads'), ('google-ads-lead-forms', 'lead-ads'),
    ('facebook-ads', 'ads'), ('gohighlevel', 'crm'), ('whatsapp-cloud', 'messaging'),
    ('google-analytics', 'analytics'), ('generic-webhook', 'webhook'));
