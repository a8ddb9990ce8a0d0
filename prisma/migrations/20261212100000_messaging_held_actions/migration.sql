-- A person's action on a message the hub has not received yet (Meta does not order its deliveries): a
-- message_edit processed before its message was lost. It is held here, per person, and applied when
-- the message arrives; the webhook-events prune removes what no message claimed within the retention.
CREATE TABLE "messaging_held_actions" (
    "integration_id" INTEGER NOT NULL,
    "mid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "contact_key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

    CONSTRAINT "messaging_held_actions_pkey" PRIMARY KEY ("integration_id","mid","kind","contact_key")
);

CREATE INDEX "messaging_held_actions_created_at_idx" ON "messaging_held_actions"("created_at");

ALTER TABLE "messaging_held_actions" ADD CONSTRAINT "messaging_held_actions_integration_id_fkey" FOREIGN KEY ("integration_id") REFERENCES "integrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
