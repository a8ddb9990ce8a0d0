-- Issue 13 (reports): report templates (config validated by a JSON Schema in the application), generated
-- report rows (status, rows written so far, bytes, period, who; the file itself under REPORT_STORAGE_DIR), and
-- scheduled deliveries, unique on (template, period key) and written before anything is sent.

-- CreateEnum
CREATE TYPE "ReportType" AS ENUM ('FUNNEL', 'CONVERSION', 'SOURCE', 'TEAM', 'ROI', 'CUSTOM');

-- CreateEnum
CREATE TYPE "ReportFormat" AS ENUM ('PDF', 'EXCEL');

-- CreateEnum
CREATE TYPE "ReportStatus" AS ENUM ('queued', 'running', 'ready', 'failed');

-- CreateTable
CREATE TABLE "report_templates" (
    "id" SERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "type" "ReportType" NOT NULL,
    "config" JSONB NOT NULL,
    "format" "ReportFormat" NOT NULL,
    "schedule" JSONB,
    "schedule_since" TIMESTAMPTZ(3),
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "report_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reports" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "template_id" INTEGER,
    "status" "ReportStatus" NOT NULL DEFAULT 'queued',
    "file_type" "ReportFormat" NOT NULL,
    "file_name" TEXT NOT NULL,
    "storage_path" TEXT,
    "rows" INTEGER NOT NULL DEFAULT 0,
    "total_rows" INTEGER,
    "bytes" BIGINT,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "timezone" TEXT NOT NULL,
    "generated_by" TEXT NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "report_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "template_id" INTEGER NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "frequency" TEXT NOT NULL,
    "period_key" TEXT NOT NULL,
    "report_id" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "recipients" TEXT[],
    "message_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimed_until" TIMESTAMPTZ(3),
    "error" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "report_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "report_templates_sub_account_id_id_idx" ON "report_templates"("sub_account_id", "id");

-- CreateIndex
CREATE INDEX "reports_sub_account_id_id_idx" ON "reports"("sub_account_id", "id");

-- CreateIndex
CREATE INDEX "reports_template_id_id_idx" ON "reports"("template_id", "id");

-- CreateIndex
CREATE INDEX "report_deliveries_template_id_frequency_period_key_idx" ON "report_deliveries"("template_id", "frequency", "period_key");

-- CreateIndex
CREATE UNIQUE INDEX "report_deliveries_template_id_period_key_key" ON "report_deliveries"("template_id", "period_key");

-- AddForeignKey
ALTER TABLE "report_templates" ADD CONSTRAINT "report_templates_sub_account_id_fkey" FOREIGN KEY ("sub_account_id") REFERENCES "sub_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reports" ADD CONSTRAINT "reports_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "report_templates"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "report_templates"("id") ON DELETE CASCADE ON UPDATE CASCADE;
