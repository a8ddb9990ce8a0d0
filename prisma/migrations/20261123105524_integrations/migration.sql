-- CreateEnum
CREATE TYPE "IntegrationStatus" AS ENUM ('pending', 'active', 'error', 'disconnected');

-- CreateTable
CREATE TABLE "integration_templates" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "description" TEXT,
    "category" TEXT NOT NULL,
    "icon" TEXT,
    "handler" TEXT NOT NULL,
    "config_schema" JSONB NOT NULL,
    "setup_instructions" TEXT,
    "api_version" TEXT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "rate_limit_per_minute" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "integration_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "integrations" (
    "id" SERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "template_id" INTEGER NOT NULL,
    "handler" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "is_active" BOOLEAN NOT NULL DEFAULT false,
    "status" "IntegrationStatus" NOT NULL DEFAULT 'pending',
    "config" JSONB NOT NULL,
    "key_id" TEXT NOT NULL,
    "routing_key" TEXT,
    "webhook_id" TEXT NOT NULL,
    "webhook_secret" TEXT NOT NULL,
    "previous_webhook_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "error_message" TEXT,
    "last_sync_at" TIMESTAMPTZ(3),
    "last_sync_status" TEXT,
    "last_webhook_at" TIMESTAMPTZ(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "integrations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "integration_templates_name_key" ON "integration_templates"("name");

-- CreateIndex
CREATE INDEX "integration_templates_category_idx" ON "integration_templates"("category");

-- CreateIndex
CREATE UNIQUE INDEX "integrations_webhook_id_key" ON "integrations"("webhook_id");

-- CreateIndex
CREATE INDEX "integrations_sub_account_id_handler_idx" ON "integrations"("sub_account_id", "handler");

-- CreateIndex
CREATE INDEX "integrations_handler_routing_key_idx" ON "integrations"("handler", "routing_key");

-- CreateIndex
CREATE INDEX "integrations_template_id_idx" ON "integrations"("template_id");

-- CreateIndex
CREATE INDEX "integrations_key_id_idx" ON "integrations"("key_id");

-- AddForeignKey
ALTER TABLE "integrations" ADD CONSTRAINT "integrations_sub_account_id_fkey" FOREIGN KEY ("sub_account_id") REFERENCES "sub_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "integrations" ADD CONSTRAINT "integrations_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "integration_templates"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
