-- Issue 16: the delivery and read watermarks Messenger last reported per person of an integration,
-- so an outbound message recorded after its receipt (events are processed in any order) still moves forward.

-- CreateTable
CREATE TABLE "messaging_watermarks" (
    "integration_id" INTEGER NOT NULL,
    "contact_key" TEXT NOT NULL,
    "delivered_up_to" TIMESTAMPTZ(3),
    "read_up_to" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "messaging_watermarks_pkey" PRIMARY KEY ("integration_id","contact_key")
);

-- AddForeignKey
ALTER TABLE "messaging_watermarks" ADD CONSTRAINT "messaging_watermarks_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
