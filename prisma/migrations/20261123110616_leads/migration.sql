-- CreateEnum
CREATE TYPE "LeadStatus" AS ENUM ('NEW', 'CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST');

-- CreateTable
CREATE TABLE "leads" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "full_name" TEXT,
    "first_name" TEXT,
    "last_name" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "phone_valid" BOOLEAN NOT NULL DEFAULT true,
    "company" TEXT,
    "job_title" TEXT,
    "city" TEXT,
    "region" TEXT,
    "postal_code" TEXT,
    "country" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "custom_answers" JSONB NOT NULL DEFAULT '{}',
    "status" "LeadStatus" NOT NULL DEFAULT 'NEW',
    "is_test" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "leads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lead_identities" (
    "sub_account_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "lead_id" BIGINT NOT NULL,

    CONSTRAINT "lead_identities_pkey" PRIMARY KEY ("sub_account_id","key")
);

-- CreateTable
CREATE TABLE "lead_sources" (
    "id" BIGSERIAL NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER,
    "platform" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "campaign_id" TEXT,
    "campaign_name" TEXT,
    "ad_group_id" TEXT,
    "ad_group_name" TEXT,
    "ad_id" TEXT,
    "ad_name" TEXT,
    "form_id" TEXT,
    "form_name" TEXT,
    "creative_id" TEXT,
    "asset_group_id" TEXT,
    "gclid" TEXT,
    "is_organic" BOOLEAN,
    "lead_stage" TEXT,
    "cost" DECIMAL(12,2),
    "currency" TEXT,
    "is_test" BOOLEAN NOT NULL DEFAULT false,
    "content_hash" TEXT,
    "submitted_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lead_sources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lead_interactions" (
    "id" BIGSERIAL NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER,
    "platform" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "body" TEXT,
    "external_message_id" TEXT,
    "origin" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lead_interactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bookings" (
    "id" BIGSERIAL NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER,
    "platform" TEXT NOT NULL,
    "external_booking_id" TEXT NOT NULL,
    "calendar_id" TEXT,
    "title" TEXT,
    "start_time" TIMESTAMPTZ(3),
    "end_time" TIMESTAMPTZ(3),
    "status" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "leads_sub_account_id_created_at_idx" ON "leads"("sub_account_id", "created_at");

-- CreateIndex
CREATE INDEX "leads_sub_account_id_status_idx" ON "leads"("sub_account_id", "status");

-- CreateIndex
CREATE INDEX "leads_sub_account_id_email_idx" ON "leads"("sub_account_id", "email");

-- CreateIndex
CREATE INDEX "leads_sub_account_id_phone_idx" ON "leads"("sub_account_id", "phone");

-- CreateIndex
CREATE INDEX "lead_identities_lead_id_idx" ON "lead_identities"("lead_id");

-- CreateIndex
CREATE INDEX "lead_sources_lead_id_created_at_idx" ON "lead_sources"("lead_id", "created_at");

-- CreateIndex
CREATE INDEX "lead_sources_sub_account_id_platform_external_id_idx" ON "lead_sources"("sub_account_id", "platform", "external_id");

-- CreateIndex
CREATE INDEX "lead_sources_sub_account_id_created_at_idx" ON "lead_sources"("sub_account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "lead_sources_sub_account_id_origin_platform_external_id_key" ON "lead_sources"("sub_account_id", "origin", "platform", "external_id");

-- CreateIndex
CREATE INDEX "lead_interactions_lead_id_occurred_at_idx" ON "lead_interactions"("lead_id", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "lead_interactions_sub_account_id_origin_key" ON "lead_interactions"("sub_account_id", "origin");

-- CreateIndex
CREATE INDEX "bookings_lead_id_idx" ON "bookings"("lead_id");

-- CreateIndex
CREATE UNIQUE INDEX "bookings_sub_account_id_platform_external_booking_id_key" ON "bookings"("sub_account_id", "platform", "external_booking_id");

-- AddForeignKey
ALTER TABLE "lead_identities" ADD CONSTRAINT "lead_identities_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lead_sources" ADD CONSTRAINT "lead_sources_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lead_interactions" ADD CONSTRAINT "lead_interactions_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;
