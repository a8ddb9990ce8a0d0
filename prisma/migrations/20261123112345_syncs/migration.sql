-- CreateEnum
CREATE TYPE "SyncRunStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" BIGSERIAL NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "status" "SyncRunStatus" NOT NULL DEFAULT 'RUNNING',
    "trigger" TEXT NOT NULL,
    "job_id" TEXT,
    "cursor_before" TEXT,
    "cursor_after" TEXT,
    "pages" INTEGER NOT NULL DEFAULT 0,
    "fetched" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ad_costs" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "platform" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "level" TEXT NOT NULL,
    "campaign_id" TEXT NOT NULL,
    "ad_set_id" TEXT NOT NULL DEFAULT '',
    "ad_id" TEXT NOT NULL DEFAULT '',
    "name" TEXT,
    "spend" DECIMAL(14,4) NOT NULL,
    "currency" TEXT,
    "impressions" INTEGER NOT NULL,
    "clicks" INTEGER NOT NULL,
    "leads" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ad_costs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sync_runs_integration_id_started_at_idx" ON "sync_runs"("integration_id", "started_at");

-- CreateIndex
CREATE INDEX "ad_costs_sub_account_id_day_idx" ON "ad_costs"("sub_account_id", "day");

-- CreateIndex
CREATE UNIQUE INDEX "ad_costs_integration_id_day_level_campaign_id_ad_set_id_ad__key" ON "ad_costs"("integration_id", "day", "level", "campaign_id", "ad_set_id", "ad_id");

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Never two runs of one integration at once: the second request finds this index taken (409).
CREATE UNIQUE INDEX "sync_runs_one_running_per_integration" ON "sync_runs"("integration_id") WHERE "status" = 'RUNNING';
