-- Issue 16: opt-outs per channel. Existing rows are WhatsApp's (wa_id / phone); Messenger and Instagram
-- entries are keyed by the person's PSID / IGSID on one page or account (integration_id, contact_key).

-- AlterTable
ALTER TABLE "whatsapp_opt_outs" ADD COLUMN "channel" TEXT NOT NULL DEFAULT 'whatsapp',
ADD COLUMN "contact_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_opt_outs_integration_id_contact_key_key" ON "whatsapp_opt_outs"("integration_id", "contact_key");
