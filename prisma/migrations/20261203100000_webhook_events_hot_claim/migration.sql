-- Issue 14: the claim (PENDING → PROCESSING, attempts + 1) becomes a HOT update. No index may cover
-- the columns it changes, and the page needs room for the new version (fillfactor); then PostgreSQL
-- adds no index entries for it and logs only the changed bytes. The status index is replaced by a
-- partial index of the unfinished and failed events (processed_at IS NULL), which is what the
-- status lookups need (pending counts, FAILED lists) and which stays small: the PROCESSED mark
-- takes an event out of it.

-- the rule the partial index relies on: processed_at is set exactly when the event is PROCESSED
UPDATE "webhook_events" SET "processed_at" = "received_at" WHERE "status" = 'PROCESSED' AND "processed_at" IS NULL;
UPDATE "webhook_events" SET "processed_at" = NULL WHERE "status" <> 'PROCESSED' AND "processed_at" IS NOT NULL;
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_processed_at_check"
  CHECK (("status" = 'PROCESSED') = ("processed_at" IS NOT NULL));

DROP INDEX "webhook_events_integration_id_status_received_at_idx";
CREATE INDEX "webhook_events_open_idx" ON "webhook_events" ("integration_id", "received_at") WHERE "processed_at" IS NULL;

-- room on each page for the claim's new row version (existing pages keep theirs until rewritten)
ALTER TABLE "webhook_events" SET (fillfactor = 70);
