-- Issue 12: WhatsApp templates, channel-neutral conversations and messages, statuses kept for wamids
-- not known yet, opt-outs. The bulk ledger comes in its own migration.

-- CreateTable
CREATE TABLE "whatsapp_templates" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "external_id" TEXT,
    "name" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "rejected_reason" TEXT,
    "quality_score" TEXT,
    "parameter_format" TEXT NOT NULL DEFAULT 'POSITIONAL',
    "components" JSONB NOT NULL DEFAULT '[]',
    "variables" JSONB NOT NULL DEFAULT '[]',
    "header_type" TEXT,
    "buttons" JSONB NOT NULL DEFAULT '[]',
    "status_changed_at" TIMESTAMPTZ(3),
    "last_synced_at" TIMESTAMPTZ(3),
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "whatsapp_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversations" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "channel" TEXT NOT NULL DEFAULT 'whatsapp',
    "contact_key" TEXT NOT NULL,
    "wa_id" TEXT,
    "user_id" TEXT,
    "phone" TEXT,
    "phone_normalized" TEXT,
    "profile_name" TEXT,
    "username" TEXT,
    "lead_id" BIGINT,
    "link_source" TEXT,
    "linked_at" TIMESTAMPTZ(3),
    "linked_by" TEXT,
    "captured_lead_id" BIGINT,
    "referral" JSONB,
    "last_message_at" TIMESTAMPTZ(3),
    "last_inbound_at" TIMESTAMPTZ(3),
    "unread_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "conversations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "conversation_id" BIGINT NOT NULL,
    "channel" TEXT NOT NULL DEFAULT 'whatsapp',
    "lead_id" BIGINT,
    "direction" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "text" TEXT,
    "content" JSONB,
    "media_id" TEXT,
    "media_mime_type" TEXT,
    "media_caption" TEXT,
    "template_id" BIGINT,
    "template_name" TEXT,
    "template_language" TEXT,
    "template_category" TEXT,
    "parameters" JSONB,
    "reply_to_message_id" UUID,
    "context_wamid" TEXT,
    "status" TEXT NOT NULL,
    "wamid" TEXT,
    "recipient" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "read_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3),
    "error_code" INTEGER,
    "error_title" TEXT,
    "error_details" TEXT,
    "pricing_category" TEXT,
    "pricing_type" TEXT,
    "lane" TEXT NOT NULL DEFAULT 'agent',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "sent_by" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "send_state" TEXT,
    "bulk_job_id" BIGINT,
    "bulk_recipient_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_orphan_statuses" (
    "id" BIGSERIAL NOT NULL,
    "integration_id" INTEGER NOT NULL,
    "wamid" TEXT NOT NULL,
    "callback_data" TEXT,
    "status" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_orphan_statuses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_opt_outs" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "integration_id" INTEGER,
    "wa_id" TEXT,
    "phone" TEXT,
    "scope" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "whatsapp_opt_outs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "whatsapp_templates_integration_id_external_id_idx" ON "whatsapp_templates"("integration_id", "external_id");

-- CreateIndex
CREATE INDEX "whatsapp_templates_sub_account_id_status_idx" ON "whatsapp_templates"("sub_account_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_templates_integration_id_name_language_key" ON "whatsapp_templates"("integration_id", "name", "language");

-- CreateIndex
CREATE INDEX "conversations_sub_account_id_channel_last_message_at_idx" ON "conversations"("sub_account_id", "channel", "last_message_at");

-- CreateIndex
CREATE INDEX "conversations_sub_account_id_phone_normalized_idx" ON "conversations"("sub_account_id", "phone_normalized");

-- CreateIndex
CREATE INDEX "conversations_integration_id_wa_id_idx" ON "conversations"("integration_id", "wa_id");

-- CreateIndex
CREATE INDEX "conversations_integration_id_user_id_idx" ON "conversations"("integration_id", "user_id");

-- CreateIndex
CREATE INDEX "conversations_lead_id_idx" ON "conversations"("lead_id");

-- CreateIndex
CREATE UNIQUE INDEX "conversations_integration_id_contact_key_key" ON "conversations"("integration_id", "contact_key");

-- CreateIndex
CREATE INDEX "messages_conversation_id_created_at_idx" ON "messages"("conversation_id", "created_at");

-- CreateIndex
CREATE INDEX "messages_sub_account_id_created_at_idx" ON "messages"("sub_account_id", "created_at");

-- CreateIndex
CREATE INDEX "messages_lead_id_created_at_idx" ON "messages"("lead_id", "created_at");

-- CreateIndex
CREATE INDEX "messages_template_id_idx" ON "messages"("template_id");

-- CreateIndex
CREATE INDEX "messages_bulk_job_id_idx" ON "messages"("bulk_job_id");

-- CreateIndex
CREATE INDEX "messages_bulk_recipient_id_idx" ON "messages"("bulk_recipient_id");

-- CreateIndex
CREATE UNIQUE INDEX "messages_integration_id_wamid_key" ON "messages"("integration_id", "wamid");

-- CreateIndex
CREATE INDEX "whatsapp_orphan_statuses_callback_data_idx" ON "whatsapp_orphan_statuses"("callback_data");

-- CreateIndex
CREATE INDEX "whatsapp_orphan_statuses_received_at_idx" ON "whatsapp_orphan_statuses"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_orphan_statuses_integration_id_wamid_status_key" ON "whatsapp_orphan_statuses"("integration_id", "wamid", "status");

-- CreateIndex
CREATE INDEX "whatsapp_opt_outs_sub_account_id_created_at_idx" ON "whatsapp_opt_outs"("sub_account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_opt_outs_sub_account_id_wa_id_key" ON "whatsapp_opt_outs"("sub_account_id", "wa_id");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_opt_outs_sub_account_id_phone_key" ON "whatsapp_opt_outs"("sub_account_id", "phone");

-- AddForeignKey
ALTER TABLE "whatsapp_templates" ADD CONSTRAINT "whatsapp_templates_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
